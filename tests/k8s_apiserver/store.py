"""In-memory object store: resourceVersions, uids, generations, label and field selectors."""

import copy
import datetime
import threading
import uuid


class ApiError(Exception):
    """An error answer: HTTP code, Status reason, message (and object name/kind)."""

    def __init__(self, code, reason, message, name=None, kind=None, group="", causes=None):
        super(ApiError, self).__init__(message)
        self.code, self.reason, self.name = code, reason, name
        self.kind, self.group, self.causes = kind, group, causes or []

    def status(self):
        details = {}
        if self.name:
            details["name"] = self.name
        if self.kind:
            details.update(kind=self.kind, group=self.group)
        if self.causes:
            details["causes"] = [{"message": c} for c in self.causes]
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": str(self), "reason": self.reason, "code": self.code}
        if details:
            body["details"] = details
        return body


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lookup(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def parse_label_selector(text):
    """Equality and set-based label selector -> list of predicates on a labels dict."""
    preds = []
    if not text:
        return preds
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in (p.strip() for p in parts if p.strip()):
        if " notin " in part or " in " in part:
            neg = " notin " in part
            key, values = part.split(" notin " if neg else " in ", 1)
            values = set(v.strip() for v in values.strip().strip("()").split(","))
            key = key.strip()
            preds.append(lambda l, k=key, vs=values, n=neg: (l.get(k) in vs) != n
                         if k in l else n)
        elif "!=" in part:
            key, value = part.split("!=", 1)
            preds.append(lambda l, k=key.strip(), v=value.strip(): l.get(k) != v)
        elif "=" in part:
            key, value = part.replace("==", "=").split("=", 1)
            preds.append(lambda l, k=key.strip(), v=value.strip(): l.get(k) == v)
        elif part.startswith("!"):
            preds.append(lambda l, k=part[1:].strip(): k not in l)
        else:
            preds.append(lambda l, k=part: k in l)
    return preds


class Store(object):
    """Objects per resource ("nodes", "resourceslices"), one global resourceVersion counter."""

    FIELD_SELECTORS = {
        "nodes": ("metadata.name",),
        "resourceslices": ("metadata.name", "spec.nodeName", "spec.driver"),
    }

    def __init__(self):
        self.lock = threading.RLock()
        self.objects = {"nodes": {}, "resourceslices": {}}
        self.rv = 1000

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def get(self, resource, name, kind):
        obj = self.objects[resource].get(name)
        if obj is None:
            raise ApiError(404, "NotFound", '%s "%s" not found' % (resource, name), name, resource,
                           "resource.k8s.io" if resource == "resourceslices" else "")
        return copy.deepcopy(obj)

    def list(self, resource, label_selector=None, field_selector=None):
        preds = parse_label_selector(label_selector)
        fields = []
        for part in (p for p in (field_selector or "").split(",") if p):
            neg = "!=" in part
            key, value = part.split("!=" if neg else "=", 1)
            key = key.strip()
            if key not in self.FIELD_SELECTORS[resource]:
                raise ApiError(400, "BadRequest", 'field label not supported: %s' % key)
            fields.append((key, value.replace("==", "").strip(), neg))
        items = []
        for name in sorted(self.objects[resource]):
            obj = self.objects[resource][name]
            labels = obj["metadata"].get("labels") or {}
            if not all(p(labels) for p in preds):
                continue
            if not all((str(_lookup(obj, k) or "") == v) != neg for k, v, neg in fields):
                continue
            items.append(copy.deepcopy(obj))
        return items

    def create(self, resource, obj):
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if meta["name"] in self.objects[resource]:
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists'
                           % (resource, meta["name"]), meta["name"], resource,
                           "resource.k8s.io" if resource == "resourceslices" else "")
        meta.update(uid=str(uuid.uuid4()), resourceVersion=self.next_rv(),
                    creationTimestamp=_now(), generation=1)
        meta.pop("generateName", None) if meta.get("name") else None
        self.objects[resource][meta["name"]] = copy.deepcopy(obj)
        return copy.deepcopy(obj)

    def update(self, resource, obj, old):
        """Store ``obj`` over ``old`` (precondition already checked); bumps rv and generation."""
        meta = obj["metadata"]
        for key in ("uid", "creationTimestamp"):
            meta[key] = old["metadata"].get(key)
        generation = old["metadata"].get("generation", 1)
        if obj.get("spec") != old.get("spec"):
            generation += 1
        meta["generation"] = generation
        if dict(obj, metadata=dict(meta, resourceVersion=old["metadata"]["resourceVersion"])) == old:
            meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        else:
            meta["resourceVersion"] = self.next_rv()
        self.objects[resource][meta["name"]] = copy.deepcopy(obj)
        return copy.deepcopy(obj)

    def delete(self, resource, name):
        return self.objects[resource].pop(name)

    def touch(self, resource, name):
        """Another writer changes the object: a new resourceVersion (and an annotation)."""
        obj = self.objects[resource].get(name)
        if obj is not None:
            ann = obj["metadata"].setdefault("annotations", {})
            ann["test.example.com/touched"] = str(int(ann.get("test.example.com/touched", "0")) + 1)
            obj["metadata"]["resourceVersion"] = self.next_rv()
