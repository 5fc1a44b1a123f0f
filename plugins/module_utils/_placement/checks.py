# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Input checks of placement_provider_tree: trait and resource class names.

Pure (no I/O; os-traits and os-resource-classes are imported for their name lists): the
desired state (``_placement/desired.py``) checks every name with them, the runner checks
the ``traits`` option and every override before it builds anything (so a bad name on a
device that gets no provider of its own, a VF counted in its PF, is refused, not dropped),
and validate_spec calls the same functions on the spec's ``register`` settings
(``plugin_utils/_spec/module_checks.py``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

CUSTOM_RE = re.compile(r"^CUSTOM_[A-Z0-9_]+$")
TRAIT_MAX = 255


def _std_traits():
    import os_traits
    return os_traits


def _std_rcs():
    import os_resource_classes
    return set(os_resource_classes.STANDARDS)


def check_trait(name, errors, where):
    if not isinstance(name, str) or len(name) > TRAIT_MAX:
        errors.append("%s: invalid trait %r" % (where, name))
    elif name.startswith("CUSTOM_"):
        if not CUSTOM_RE.match(name):
            errors.append("%s: invalid custom trait %r (CUSTOM_ then A-Z, 0-9, _)" % (where, name))
    elif _std_traits().check_traits([name])[1]:
        errors.append("%s: %r is neither CUSTOM_* nor a standard trait known to os-traits"
                      % (where, name))


def check_rc(name, errors, where):
    if not isinstance(name, str):
        errors.append("%s: invalid resource class %r" % (where, name))
    elif name.startswith("CUSTOM_"):
        if not CUSTOM_RE.match(name):
            errors.append("%s: invalid custom resource class %r (CUSTOM_ then A-Z, 0-9, _)"
                          % (where, name))
    elif name not in _std_rcs():
        errors.append("%s: unknown resource class %r: not CUSTOM_* and not a standard class "
                      "known to os-resource-classes" % (where, name))


def trait_errors(name, where):
    errors = []
    check_trait(name, errors, where)
    return errors


def rc_errors(name, where):
    errors = []
    check_rc(name, errors, where)
    return errors


def check_options(traits, overrides):
    """Messages for the names the ``traits`` option and the ``overrides`` give, each named by
    its option path (``traits[0]``, ``overrides[2].traits[1]``, ``overrides[2].resource_class``)."""
    errors = []
    for index, name in enumerate(traits or []):
        check_trait(name, errors, "traits[%d]" % index)
    for i, override in enumerate(overrides or []):
        if override.get("resource_class") is not None:
            check_rc(override["resource_class"], errors, "overrides[%d].resource_class" % i)
        for index, name in enumerate(override.get("traits") or []):
            check_trait(name, errors, "overrides[%d].traits[%d]" % (i, index))
    return errors
