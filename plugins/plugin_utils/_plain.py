# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Ansible's lazy and tagged containers and scalars -> plain JSON types (controller side)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def plain(value):
    """dict/list/str/int/float/bool/None copies of what templating returned (jsonschema and
    json.dumps want the plain types, not Ansible's subclasses of them)."""
    if isinstance(value, dict):
        return dict((str(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
