"""Validation rules the API server enforces beyond the OpenAPI schema (the subset we serve).

Written from the Kubernetes 1.34/1.35 validation code (pkg/apis/resource/validation,
pkg/apis/core/validation, apimachinery) and the field descriptions in the OpenAPI documents:
ObjectMeta names, labels and annotations; node capacity names and quantities; ResourceSlice
spec (driver, pool, node selection, device count, device names, attributes and capacities).
"""

import re
from fractions import Fraction

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
C_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
SUFFIXES = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60,
            "m": Fraction(1, 1000), "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12,
            "P": 10 ** 15, "E": 10 ** 18}
MAX_DEVICES, MAX_DEVICES_ADVANCED = 128, 64
MAX_ATTRS_AND_CAPS = 32
MAX_ATTR_VALUE = 64
MAX_DOMAIN, MAX_ID = 63, 32
ANNOTATIONS_MAX_BYTES = 256 * 1024


def dns_subdomain(value, path, max_len=253):
    if not value:
        return ["%s: Required value" % path]
    errors = []
    if len(value) > max_len:
        errors.append("%s: must be no more than %d characters" % (path, max_len))
    if not DNS1123_SUBDOMAIN.match(value):
        errors.append("%s: %r: a lowercase RFC 1123 subdomain must consist of lower case "
                      "alphanumeric characters, '-' or '.'" % (path, value))
    return errors


def dns_label(value, path):
    if not value:
        return ["%s: Required value" % path]
    if len(value) > 63 or not DNS1123_LABEL.match(value):
        return ["%s: %r: a lowercase RFC 1123 label (<= 63 characters)" % (path, value)]
    return []


def qualified_name(key, path):
    """A label/annotation key or resource name: [prefix/]name (IsQualifiedName)."""
    prefix, slash, name = key.rpartition("/")
    errors = []
    if slash:
        errors += dns_subdomain(prefix, "%s (prefix of %r)" % (path, key))
    if not name or len(name) > 63 or not QUALIFIED_NAME.match(name):
        errors.append("%s: %r: name part must be 63 characters or less, alphanumeric, '-', '_' "
                      "or '.', beginning and ending with an alphanumeric character" % (path, key))
    return errors


def parse_quantity(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Fraction(value), "DecimalSI"
    match = QUANTITY.match(str(value))
    if not match:
        raise ValueError("quantities must match the regular expression "
                         "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    number, suffix = match.groups()
    amount = Fraction(number)
    if not suffix:
        return amount, "DecimalSI"
    if suffix[0] in "eE":
        return amount * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
    return amount * SUFFIXES[suffix], "BinarySI" if suffix.endswith("i") else "DecimalSI"


def canonical_quantity(value):
    """The string the API server stores: largest exact suffix, same family as the input."""
    amount, fmt = parse_quantity(value)
    if amount.denominator != 1:
        milli = amount * 1000
        if milli.denominator != 1:
            milli = Fraction(int(milli) + (1 if milli > 0 else 0))  # rounds up, as documented
        return "%dm" % milli
    amount = int(amount)
    if fmt == "BinarySI" and -1024 < amount < 1024:
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
            if amount and amount % SUFFIXES[suffix] == 0:
                return "%d%s" % (amount // SUFFIXES[suffix], suffix)
        return str(amount)
    for suffix in ("E", "P", "T", "G", "M", "k"):
        if amount and amount % SUFFIXES[suffix] == 0:
            return "%d%s" % (amount // SUFFIXES[suffix], suffix)
    return str(amount)


def object_meta(meta, path="metadata", name_check=dns_subdomain):
    errors = []
    if not meta.get("name") and not meta.get("generateName"):
        errors.append("%s.name: Required value: name or generateName is required" % path)
    elif meta.get("name"):
        errors += name_check(meta["name"], path + ".name")
    for key, value in (meta.get("labels") or {}).items():
        errors += qualified_name(key, "%s.labels" % path)
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            errors.append("%s.labels: Invalid value: %r: a valid label must be an empty string "
                          "or consist of alphanumeric characters, '-', '_' or '.'" % (path, value))
    size = 0
    for key, value in (meta.get("annotations") or {}).items():
        errors += qualified_name(key.lower(), "%s.annotations" % path)
        size += len(key) + len(value or "")
    if size > ANNOTATIONS_MAX_BYTES:
        errors.append("%s.annotations: Too long: must have at most %d bytes"
                      % (path, ANNOTATIONS_MAX_BYTES))
    return errors


def _is_native(name):
    prefix = name.rpartition("/")[0]
    return not prefix or prefix == "kubernetes.io" or prefix.endswith(".kubernetes.io")


def quantity_errors(resource, obj):
    """Quantities that cannot be decoded (the API server answers 400 while decoding)."""
    values = []
    if resource == "nodes":
        for field in ("capacity", "allocatable"):
            values += [("status.%s[%s]" % (field, k), v)
                       for k, v in ((obj.get("status") or {}).get(field) or {}).items()]
    else:
        for i, dev in enumerate((obj.get("spec") or {}).get("devices") or []):
            values += [("spec.devices[%d].capacity[%s].value" % (i, k), (v or {}).get("value"))
                       for k, v in (dev.get("capacity") or {}).items()]
    errors = []
    for path, value in values:
        try:
            parse_quantity(value)
        except ValueError as exc:
            errors.append("%s: %s" % (path, exc))
    return errors


def node(obj):
    """ValidateNode subset: metadata, and capacity/allocatable names and quantities."""
    errors = object_meta(obj.get("metadata") or {})
    status = obj.get("status") or {}
    for field in ("capacity", "allocatable"):
        for name, value in (status.get(field) or {}).items():
            path = "status.%s[%s]" % (field, name)
            errors += qualified_name(name, path)
            try:
                amount, _fmt = parse_quantity(value)
            except ValueError as exc:
                errors.append("%s: %s" % (path, exc))
                continue
            if amount < 0:
                errors.append("%s: must be greater than or equal to 0" % path)
            if not _is_native(name) and amount.denominator != 1:
                errors.append("%s: must be an integer (extended resource)" % path)
    return errors


def _driver_name(value, path):
    errors = []
    if not value:
        return ["%s: Required value" % path]
    if len(value) > 63:
        errors.append("%s: must be no more than 63 characters" % path)
    errors += dns_subdomain(value.lower(), path)
    return errors


def _attribute_name(name, path):
    parts = name.split("/")
    if len(name) > MAX_DOMAIN + 1 + MAX_ID:
        return ["%s: Too long: %r" % (path, name)]
    if len(parts) > 2:
        return ["%s: %r must not contain more than one slash" % (path, name)]
    errors = []
    if len(parts) == 2:
        errors += (_driver_name(parts[0], path) if parts[0]
                   else ["%s: the domain must not be empty" % path])
    ident = parts[-1]
    if not ident or len(ident) > MAX_ID or not C_IDENTIFIER.match(ident):
        errors.append("%s: %r: a valid C identifier of at most %d characters" % (path, ident, MAX_ID))
    return errors


def _attribute(value, path):
    errors = []
    set_fields = [k for k in ("int", "bool", "string", "version", "ints", "bools", "strings",
                              "versions") if (value or {}).get(k) is not None]
    if len(set_fields) != 1:
        errors.append("%s: exactly one value must be specified (have %s)" % (path, set_fields))
    if "string" in set_fields and len(value["string"]) > MAX_ATTR_VALUE:
        errors.append("%s.string: Too long: may not be more than %d bytes" % (path, MAX_ATTR_VALUE))
    if "version" in set_fields:
        if not SEMVER.match(value["version"]):
            errors.append("%s.version: %r must be a string compatible with semver.org spec 2.0.0"
                          % (path, value["version"]))
        if len(value["version"]) > MAX_ATTR_VALUE:
            errors.append("%s.version: Too long" % path)
    return errors


def _device(dev, path, per_device_node_selection):
    errors = dns_label(dev.get("name") or "", path + ".name")
    attrs, caps = dev.get("attributes") or {}, dev.get("capacity") or {}
    if len(attrs) + len(caps) > MAX_ATTRS_AND_CAPS:
        errors.append("%s: the total number of attributes and capacities must not exceed %d (has "
                      "%d)" % (path, MAX_ATTRS_AND_CAPS, len(attrs) + len(caps)))
    for name, value in attrs.items():
        errors += _attribute_name(name, "%s.attributes[%s]" % (path, name))
        errors += _attribute(value, "%s.attributes[%s]" % (path, name))
    for name, value in caps.items():
        errors += _attribute_name(name, "%s.capacity[%s]" % (path, name))
        if (value or {}).get("requestPolicy") and not dev.get("allowMultipleAllocations"):
            errors.append("%s.capacity[%s].requestPolicy: Forbidden: allowMultipleAllocations "
                          "must be true" % (path, name))
    node_fields = [k for k in ("nodeName", "nodeSelector", "allNodes") if dev.get(k) is not None]
    if per_device_node_selection and len(node_fields) != 1:
        errors.append("%s: exactly one of `nodeName`, `nodeSelector`, or `allNodes` is required "
                      "when `perDeviceNodeSelection` is set to true" % path)
    if not per_device_node_selection and node_fields:
        errors.append("%s: `nodeName`, `nodeSelector` and `allNodes` can only be set if "
                      "`perDeviceNodeSelection` is set to true" % path)
    return errors


def resource_slice(obj, old=None):
    """ValidateResourceSlice / ValidateResourceSliceUpdate."""
    errors = object_meta(obj.get("metadata") or {})
    spec = obj.get("spec") or {}
    errors += _driver_name(spec.get("driver") or "", "spec.driver")
    pool = spec.get("pool") or {}
    name = pool.get("name") or ""
    if not name:
        errors.append("spec.pool.name: Required value")
    else:
        if len(name) > 253:
            errors.append("spec.pool.name: must be no more than 253 characters")
        for part in name.split("/"):
            errors += dns_subdomain(part, "spec.pool.name")
    if (pool.get("resourceSliceCount") or 0) <= 0:
        errors.append("spec.pool.resourceSliceCount: Invalid value: %r: must be greater than zero"
                      % pool.get("resourceSliceCount"))
    if (pool.get("generation") or 0) < 0:
        errors.append("spec.pool.generation: must be greater than or equal to zero")
    selection = []
    if spec.get("nodeName") is not None:
        if spec["nodeName"]:
            selection.append("nodeName")
            errors += dns_subdomain(spec["nodeName"], "spec.nodeName")
        else:
            errors.append("spec.nodeName: must be either unset or set to a non-empty string")
    if spec.get("nodeSelector") is not None:
        selection.append("nodeSelector")
        if len(spec["nodeSelector"].get("nodeSelectorTerms") or []) != 1:
            errors.append("spec.nodeSelector.nodeSelectorTerms: must have exactly one term")
    for flag in ("allNodes", "perDeviceNodeSelection"):
        if spec.get(flag) is not None:
            if spec[flag]:
                selection.append(flag)
            else:
                errors.append("spec.%s: must be either unset or set to true" % flag)
    if len(selection) != 1:
        errors.append("spec: exactly one of `nodeName`, `nodeSelector`, `allNodes`, "
                      "`perDeviceNodeSelection` is required (have %s)" % selection)
    devices = spec.get("devices") or []
    if spec.get("sharedCounters") is not None and spec.get("devices") is not None:
        errors.append("spec: only one of `sharedCounters` or `devices` is allowed")
    advanced = any(d.get("taints") or d.get("consumesCounters") for d in devices)
    limit = MAX_DEVICES_ADVANCED if advanced else MAX_DEVICES
    if len(devices) > limit:
        errors.append("spec.devices: Too many: %d: must have at most %d items"
                      % (len(devices), limit))
    seen = set()
    for index, dev in enumerate(devices):
        path = "spec.devices[%d]" % index
        errors += _device(dev, path, spec.get("perDeviceNodeSelection"))
        if dev.get("name") in seen:
            errors.append("%s.name: Duplicate value: %r" % (path, dev.get("name")))
        seen.add(dev.get("name"))
    if old is not None:
        old_spec = old.get("spec") or {}
        for field, new, previous in (
                ("spec.pool.name", name, (old_spec.get("pool") or {}).get("name")),
                ("spec.driver", spec.get("driver"), old_spec.get("driver")),
                ("spec.nodeName", spec.get("nodeName"), old_spec.get("nodeName"))):
            if new != previous:
                errors.append("%s: Invalid value: %r: field is immutable" % (field, new))
    return errors
