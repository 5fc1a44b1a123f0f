# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one resolution of the controller paths of the spec and the role (manifest_dir,
kubeconfig, ca_cert, the report directory): a relative path is relative to the directory of
the inventory the host comes from (``inventory_dir``; ``playbook_dir`` for a host without one,
from an ad-hoc or dynamic inventory), never to Ansible's working or playbook directory, and a
path with a ``..`` segment is refused.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

# the same as the schema's "not": {"pattern": ...} of its path definitions
DOTDOT_PATTERN = r"(^|/)\.\.(/|$)"
DOTDOT_RE = re.compile(DOTDOT_PATTERN)
DOTDOT_MESSAGE = "a path must not contain a '..' segment"


class PathError(ValueError):
    """A path that cannot be used; ``str()`` is the message, ``field`` names the setting."""

    def __init__(self, field, message):
        super(PathError, self).__init__(message)
        self.field = field


def base_dir(task_vars):
    """The directory relative paths resolve against for a host."""
    task_vars = task_vars or {}
    base = task_vars.get("inventory_dir") or task_vars.get("playbook_dir") or os.getcwd()
    return os.path.abspath(str(base))


def resolve(value, base, field):
    """``value`` as an absolute, normalized path (``~`` expanded; relative: under ``base``);
    an empty value stays empty (the setting is off). Raises PathError for a ``..`` segment."""
    if value in (None, ""):
        return value
    value = str(value)
    if DOTDOT_RE.search(value):
        raise PathError(field, "%s: %r: %s" % (field, value, DOTDOT_MESSAGE))
    path = os.path.expanduser(value)
    if not os.path.isabs(path):
        path = os.path.join(base, path)
    return os.path.normpath(path)
