# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The schema's own annotations, read by validate_spec: which settings are paths, which secret.

``schemas/accelerators.schema.json`` marks a path-valued setting with ``"x-path"``
(``controller``: resolved against the inventory directory; ``host``: absolute on the host)
and a secret one with the standard ``"writeOnly": true``.  A new setting so marked is
resolved or masked with no change here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

PATH_KEYWORD = "x-path"
SECRET_KEYWORD = "writeOnly"


def _resolve(root, node):
    """``node`` with its ``$ref`` (local, ``#/...``) followed; the referring node's own
    keywords (a description) are kept besides the target's."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        target = root
        for part in node["$ref"].lstrip("#").strip("/").split("/"):
            if part:
                target = target[part]
        node = dict(target, **dict((k, v) for k, v in node.items() if k != "$ref"))
        seen += 1
    return node


def annotated(root, instance, keyword):
    """[(path parts, annotation value, instance value)] for every part of ``instance`` whose
    schema carries ``keyword`` (one entry per path)."""
    found = {}

    def walk(node, value, parts):
        node = _resolve(root, node)
        if not isinstance(node, dict):
            return
        if keyword in node:
            found.setdefault(tuple(parts), (list(parts), node[keyword], value))
        for combinator in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(combinator) or []:
                walk(sub, value, parts)
        if isinstance(value, dict):
            props = node.get("properties") or {}
            for key, item in value.items():
                if key in props:
                    walk(props[key], item, parts + [key])
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for index, item in enumerate(value):
                walk(node["items"], item, parts + [index])

    walk(root, instance, [])
    return [found[key] for key in sorted(found, key=lambda k: [str(p) for p in k])]


def property_names(root, keyword):
    """Names of the properties anywhere in the schema whose schema carries ``keyword``."""
    names = set()

    def walk(node, depth):
        if depth > 64:
            return
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                if isinstance(_resolve(root, sub), dict) and _resolve(root, sub).get(keyword):
                    names.add(key)
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list):
            for value in node:
                walk(value, depth + 1)

    walk(root, 0)
    return sorted(names)
