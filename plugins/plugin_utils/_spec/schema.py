# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Schema validation of the declarative spec (controller only: needs jsonschema).

Errors are dicts ``{path, value, message}``; ``path`` is a JSONPath (``$.devices[0].select``)
naming the innermost bad value, so a reviewer finds it in the YAML at once.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import annotations
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import paths

# Imported with this file: the action plugin loads it in the controller's main process, so the
# task workers forked for each host do not import jsonschema again (~70 ms each).
try:
    import jsonschema
    HAS_JSONSCHEMA = True
except ImportError:  # the action plugin reports it
    HAS_JSONSCHEMA = False

# <collection>/plugins/plugin_utils/_spec/schema.py -> <collection>/schemas/
_COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCHEMA_FILE = os.path.join(_COLLECTION, "schemas", "accelerators.schema.json")


def json_path(parts):
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += "[%d]" % part
        elif part.replace("_", "").isalnum():
            out += "." + part
        else:
            out += "[%s]" % json.dumps(part)
    return out


def load_schema(path=None):
    with open(path or SCHEMA_FILE) as handle:
        return json.load(handle)


def _short(value, limit=120):
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _deepest(error):
    """For oneOf/anyOf, the sub-error that went deepest is the useful one."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
    return error


def _message(error, mask=None):
    if error.validator == "not" and (error.validator_value or {}).get("pattern") == \
            paths.DOTDOT_PATTERN:
        return paths.DOTDOT_MESSAGE
    missing = getattr(error, "validator", None) == "required"
    if missing:
        return error.message
    if error.validator == "additionalProperties":
        return error.message
    if len(error.message) < 200 and error.message.startswith(repr(error.instance)):
        return error.message
    # masked before it is shortened: a secret cut in two would escape the text masking
    instance = mask(error.instance) if mask else error.instance
    return "%s (value %s)" % (error.message if len(error.message) < 200 else
                              "%s failed" % error.validator, _short(instance))


def validate_schema(spec, schema=None, mask=None):
    """List of {path, value, message}, sorted by path; empty when valid. ``mask``
    (masking.Masker.mask) masks the values quoted in shortened messages."""
    validator = jsonschema.Draft202012Validator(schema or load_schema())
    errors = []
    seen = set()
    for error in validator.iter_errors(spec):
        leaf = _deepest(error) if error.validator in ("oneOf", "anyOf") else error
        parts = list(leaf.absolute_path)
        value = leaf.instance
        if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
            props = leaf.schema.get("properties", {})
            extra = sorted(k for k in leaf.instance if k not in props)
            if extra:
                parts.append(extra[0])
                value = leaf.instance[extra[0]]
        path = json_path(parts)
        key = (path, leaf.message)
        if key in seen:
            continue
        seen.add(key)
        errors.append({"path": path, "value": value, "message": _message(leaf, mask),
                       "validator": leaf.validator})
    errors.sort(key=lambda e: e["path"])
    return errors


def secret_names(schema=None):
    """Names of the settings the schema marks secret (``writeOnly``)."""
    return annotations.property_names(schema or load_schema(), annotations.SECRET_KEYWORD)


def spec_paths(spec, base, schema=None):
    """The spec's controller paths (``"x-path": "controller"`` in the schema) resolved against
    ``base`` (paths.resolve): ``({target: {setting: absolute path}}`` of the ``register``
    blocks, errors ``{path, value, message}`` for a path with a ``..`` segment)."""
    out, errors = {}, []
    root = schema or load_schema()
    for parts, kind, value in annotations.annotated(root, spec, annotations.PATH_KEYWORD):
        if kind != "controller" or not isinstance(value, str):
            continue
        path = json_path(parts)
        try:
            resolved = paths.resolve(value, base, path)
        except paths.PathError:
            errors.append({"path": path, "value": value, "message": paths.DOTDOT_MESSAGE,
                           "validator": "path"})
            continue
        if len(parts) == 3 and parts[0] == "register":
            out.setdefault(parts[1], {})[parts[2]] = resolved
    return out, errors
