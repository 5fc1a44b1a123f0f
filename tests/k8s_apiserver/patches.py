"""The three patch types of the Kubernetes API: JSON patch, merge patch, strategic merge patch.

JSON patch follows RFC 6902, merge patch RFC 7386. Strategic merge patch uses the
``x-kubernetes-patch-strategy`` / ``x-kubernetes-patch-merge-key`` extensions of the OpenAPI
schema: lists with strategy ``merge`` are merged by their merge key (or as sets of
primitives), other lists replaced, maps merged; the ``$patch: replace|delete|merge``
directive is supported, other directives ($retainKeys, $setElementOrder,
$deleteFromPrimitiveList) are rejected as not implemented by this test server.
"""

import copy

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY_PATCH = ("application/apply-patch+yaml", "application/apply-patch+cbor")


class PatchError(Exception):
    """The patch cannot be applied (HTTP 422) or is malformed (HTTP 400, bad_request)."""

    def __init__(self, message, bad_request=False):
        super(PatchError, self).__init__(message)
        self.bad_request = bad_request


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % path, bad_request=True)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, tokens, path):
    target = doc
    for token in tokens[:-1]:
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            raise PatchError("doc is missing path: %s" % path)
    return target


def _index(container, token, path, allow_end=False):
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise PatchError("invalid array index %r in %s" % (token, path))
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise PatchError("array index out of bounds in %s" % path)
    return index


def _get(doc, path):
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path)
    key = tokens[-1]
    if isinstance(parent, dict):
        if key not in parent:
            raise PatchError("doc is missing key: %s" % path)
        return parent[key]
    if isinstance(parent, list):
        return parent[_index(parent, key, path)]
    raise PatchError("doc is missing path: %s" % path)


def _add(doc, path, value):
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    key = tokens[-1]
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, key, path, allow_end=True), value)
    else:
        raise PatchError("doc is missing path: %s" % path)
    return doc


def _remove(doc, path):
    tokens = _pointer(path)
    parent = _parent(doc, tokens, path)
    key = tokens[-1]
    if isinstance(parent, dict):
        if key not in parent:
            raise PatchError("Unable to remove nonexistent key: %s: missing value" % key)
        del parent[key]
    elif isinstance(parent, list):
        del parent[_index(parent, key, path)]
    else:
        raise PatchError("doc is missing path: %s" % path)
    return doc


def check_json_patch(ops):
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations", bad_request=True)
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            raise PatchError("every JSON patch operation needs a path: %r" % (op,),
                             bad_request=True)
        kind = op.get("op")
        if kind not in ("add", "remove", "replace", "move", "copy", "test"):
            raise PatchError("unexpected JSON patch op %r" % (kind,), bad_request=True)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError("%s operation needs a value" % kind, bad_request=True)
        if kind in ("move", "copy") and not isinstance(op.get("from"), str):
            raise PatchError("%s operation needs from" % kind, bad_request=True)


def json_patch(doc, ops):
    check_json_patch(ops)
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            doc = _add(_remove(doc, path), path, copy.deepcopy(op["value"]))
        elif kind == "move":
            value = _get(doc, op["from"])
            doc = _add(_remove(doc, op["from"]), path, value)
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, op["from"])))
        elif _get(doc, path) != op["value"]:
            raise PatchError("testing value %s failed" % path)
    return doc


def merge_patch(doc, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(doc, patch, schema, openapi):
    """Strategic merge of ``patch`` into ``doc`` following ``schema`` (resolved)."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object", bad_request=True)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return dict((k, v) for k, v in patch.items() if k != "$patch")
    if directive not in (None, "merge"):
        raise PatchError("unknown $patch directive %r" % directive, bad_request=True)
    result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if key == "$patch":
            continue
        if key.startswith("$") or key.startswith("$setElementOrder/") \
                or key.startswith("$deleteFromPrimitiveList/"):
            raise PatchError("strategic merge directive %r is not implemented by the test "
                             "server" % key, bad_request=True)
        sub = openapi.field_schema(schema, key)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and sub.get("type") != "string":
            merged = strategic_merge(result.get(key), value, sub, openapi)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, sub, openapi)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_list(current, patch, schema, openapi):
    strategy = schema.get("x-kubernetes-patch-strategy") or ""
    if "merge" not in strategy.split(","):
        return copy.deepcopy(patch)
    current = copy.deepcopy(current or [])
    key = schema.get("x-kubernetes-patch-merge-key")
    if not key:
        return current + [v for v in patch if v not in current]
    item_schema = openapi.field_schema({"properties": {"x": schema.get("items") or {}}}, "x")
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError("list item without merge key %r: %r" % (key, item), bad_request=True)
        match = [i for i, old in enumerate(current) if old.get(key) == item[key]]
        if item.get("$patch") == "delete":
            current = [old for old in current if old.get(key) != item[key]]
        elif match:
            current[match[0]] = strategic_merge(current[match[0]], item, item_schema, openapi)
        else:
            current.append(dict((k, v) for k, v in item.items() if k != "$patch"))
    return current
