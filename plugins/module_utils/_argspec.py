# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""One argument-spec object per module body.

The module's ``main()`` builds its AnsibleModule from it, and an action plugin that runs the
body in-process validates the same options with the same constraints, so the two can never
accept different input.  (The idea follows community.crypto's ``_argspec.ArgumentSpec``.)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

CONSTRAINTS = ("mutually_exclusive", "required_together", "required_one_of", "required_if",
               "required_by")


class ArgumentSpec(object):
    """``argument_spec`` plus its constraints (the AnsibleModule keywords of the same names)."""

    def __init__(self, argument_spec, mutually_exclusive=None, required_together=None,
                 required_one_of=None, required_if=None, required_by=None):
        self.argument_spec = dict(argument_spec)
        self.mutually_exclusive = list(mutually_exclusive or [])
        self.required_together = list(required_together or [])
        self.required_one_of = list(required_one_of or [])
        self.required_if = list(required_if or [])
        self.required_by = dict(required_by or {})

    def merged(self, other):
        """A new spec with ``other``'s options and constraints added (shared option sets such
        as the OpenStack or Kubernetes auth options)."""
        spec = copy.deepcopy(self)
        spec.argument_spec.update(other.argument_spec)
        for name in CONSTRAINTS:
            value = getattr(other, name)
            if isinstance(value, dict):
                getattr(spec, name).update(value)
            else:
                getattr(spec, name).extend(value)
        return spec

    def constraints(self):
        """The constraint keywords that are set (for AnsibleModule or ArgumentSpecValidator)."""
        return dict((name, getattr(self, name)) for name in CONSTRAINTS if getattr(self, name))

    def validate(self, args):
        """ArgumentSpecValidator's result for ``args`` (options with defaults, errors, the
        no_log values), as AnsibleModule would check them."""
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
        return ArgumentSpecValidator(self.argument_spec, **self.constraints()).validate(args)

    def create_ansible_module(self, supports_check_mode=True, **kwargs):
        from ansible.module_utils.basic import AnsibleModule
        return AnsibleModule(argument_spec=self.argument_spec,
                             supports_check_mode=supports_check_mode,
                             **dict(self.constraints(), **kwargs))


def error_text(validation, name):
    """None for a validation (ArgumentSpec.validate) without errors, else what AnsibleModule
    says about the task: every error, an unknown option as "Unsupported parameters for (NAME)
    module: ...", so that a module's options read the same in-process and in a module process."""
    from ansible.module_utils.errors import UnsupportedError
    texts = [("Unsupported parameters for (%s) module: %s" % (name, error) if isinstance(error, UnsupportedError) else str(error))
             for error in validation.errors]
    return "; ".join(texts) or None
