"""Validation of objects against the official Kubernetes OpenAPI v3 documents.

Loads the documents copied in tests/fixtures/k8s-openapi (see PROVENANCE.md there), resolves
``$ref`` / ``allOf`` / ``oneOf`` and checks types, required fields, enums, integer formats
(int32/int64 ranges), ``byte`` and ``date-time`` formats, int-or-string, list types
(``set`` / ``map`` uniqueness) and, unlike a default API server (which drops unknown fields
with a warning), rejects unknown fields, as ``fieldValidation=Strict`` does. A ``null``
value is accepted anywhere, as Go's JSON decoding takes it as "unset".
"""

import base64
import json
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "k8s-openapi")
DOCUMENTS = {
    "1.35": ["api__v1_openapi.json", "apis__resource.k8s.io__v1_openapi.json"],
    "1.34": ["release-1.34/api__v1_openapi.json",
             "release-1.34/apis__resource.k8s.io__v1_openapi.json"],
}
VERSIONS = sorted(DOCUMENTS)
KINDS = {
    "Node": "io.k8s.api.core.v1.Node",
    "ResourceSlice": "io.k8s.api.resource.v1.ResourceSlice",
    "DeleteOptions": "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
INT_RANGES = {"int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}
_CACHE = {}


class OpenAPI(object):
    """The schemas of one Kubernetes release (core/v1 and resource.k8s.io/v1 documents)."""

    def __init__(self, version):
        if version not in DOCUMENTS:
            raise ValueError("unknown Kubernetes version %r (have %s)" % (version, VERSIONS))
        self.version = version
        self.schemas = {}
        self.paths = {}
        for name in DOCUMENTS[version]:
            with open(os.path.join(FIXTURES, name)) as handle:
                doc = json.load(handle)
            self.schemas.update(doc["components"]["schemas"])
            self.paths.update(doc["paths"])

    @classmethod
    def get(cls, version):
        if version not in _CACHE:
            _CACHE[version] = cls(version)
        return _CACHE[version]

    def resolve(self, schema):
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def schema(self, name):
        return self.schemas[KINDS.get(name, name)]

    def request_schema(self, path, method, content_type):
        """The requestBody schema the document gives for an operation (None when none)."""
        op = (self.paths.get(path) or {}).get(method.lower()) or {}
        content = (op.get("requestBody") or {}).get("content") or {}
        entry = content.get(content_type) or content.get("*/*")
        return entry and entry["schema"]

    def content_types(self, path, method):
        op = (self.paths.get(path) or {}).get(method.lower()) or {}
        return sorted(((op.get("requestBody") or {}).get("content") or {}).keys())

    def validate(self, value, name):
        """Error strings ("<field path>: <problem>") for ``value`` against schema ``name``."""
        errors = []
        self._walk(value, self.schema(name), "", errors)
        return errors

    def field_schema(self, schema, key):
        """Resolved schema of property ``key`` of ``schema`` (or of its map values)."""
        schema = self._flatten(schema)
        props = schema.get("properties") or {}
        if key in props:
            return self._flatten(props[key])
        extra = schema.get("additionalProperties")
        return self._flatten(extra) if isinstance(extra, dict) else {}

    def _flatten(self, schema):
        """The schema with $ref and single-entry allOf resolved, extensions kept."""
        schema = self.resolve(schema)
        if "allOf" in schema:
            merged = dict((k, v) for k, v in schema.items() if k != "allOf")
            for part in schema["allOf"]:
                for k, v in self._flatten(part).items():
                    merged.setdefault(k, v)
            return merged
        return schema

    def _walk(self, value, schema, path, errors):
        schema = self._flatten(schema)
        if value is None:
            return
        if "oneOf" in schema:
            matches = 0
            for option in schema["oneOf"]:
                sub = []
                self._walk(value, option, path, sub)
                matches += not sub
            if matches != 1:
                errors.append("%s: %r matches %d of the oneOf alternatives, needs exactly 1"
                              % (path or ".", value, matches))
            return
        if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                errors.append("%s: must be an integer or a string" % (path or "."))
            return
        if not self._type_ok(value, schema.get("type"), path, errors):
            return
        if "enum" in schema and value not in schema["enum"]:
            errors.append("%s: unsupported value %r, supported: %s"
                          % (path or ".", value, schema["enum"]))
        self._format(value, schema.get("format"), path, errors)
        if isinstance(value, dict):
            self._object(value, schema, path, errors)
        elif isinstance(value, list):
            self._array(value, schema, path, errors)

    def _type_ok(self, value, expected, path, errors):
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "boolean": lambda v: isinstance(v, bool),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        }
        if expected in checks and not checks[expected](value):
            errors.append("%s: expected %s, got %s %r" % (path or ".", expected,
                                                          type(value).__name__, value))
            return False
        return True

    @staticmethod
    def _format(value, fmt, path, errors):
        if fmt in INT_RANGES and isinstance(value, int):
            low, high = INT_RANGES[fmt]
            if not low <= value <= high:
                errors.append("%s: %d out of %s range" % (path, value, fmt))
        elif fmt == "byte" and isinstance(value, str):
            try:
                base64.b64decode(value, validate=True)
            except ValueError:
                errors.append("%s: not base64" % path)
        elif fmt == "date-time" and isinstance(value, str) and not RFC3339.match(value):
            errors.append("%s: %r is not an RFC 3339 date-time" % (path, value))

    def _object(self, value, schema, path, errors):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key in schema.get("required") or []:
            if value.get(key) is None:
                errors.append("%s: required field %r is missing" % (path or ".", key))
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return
        for key, item in value.items():
            sub = "%s.%s" % (path, key) if path else key
            if props is not None and key in props:
                self._walk(item, props[key], sub, errors)
            elif isinstance(extra, dict):
                self._walk(item, extra, "%s[%s]" % (path, key), errors)
            elif props is not None or extra is False:
                errors.append("%s: unknown field %r" % (path or ".", key))

    def _array(self, value, schema, path, errors):
        items = schema.get("items")
        for index, item in enumerate(value):
            if items:
                self._walk(item, items, "%s[%d]" % (path, index), errors)
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            seen = [json.dumps(v, sort_keys=True) for v in value]
            if len(set(seen)) != len(seen):
                errors.append("%s: duplicate entries in a list of type set" % path)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen = [tuple(json.dumps((v or {}).get(k)) for k in keys) for v in value]
            if len(set(seen)) != len(seen):
                errors.append("%s: duplicate entries for map keys %s" % (path, keys))
