# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Match a (schema-valid) spec against a host's device records, with semantic checks.

``resolve(spec, devices, protected)`` returns ``(assignments, selectors, errors)``:
one assignment per claimed device (its desired state), the addresses each selector
claimed, and errors ``{path, value, message}`` like the schema errors.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import stages

STATE_KEYS = ("driver", "sriov", "vfio", "mig", "bitstream", "register")


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _glob_any(patterns, values):
    values = [str(v).lower() for v in values if v not in (None, "")]
    return any(fnmatch.fnmatchcase(v, str(p).lower()) for p in _as_list(patterns) for v in values)


def matches(select, record):
    """True when every key of the selector matches the record."""
    if record.get("is_virtual_function") and not select.get("virtual_functions", False):
        return False
    for key, want in select.items():
        if key == "virtual_functions":
            continue
        if key in ("type", "vendor_id", "device_id"):
            if str(record.get(key) or "").lower() not in [str(v).lower() for v in _as_list(want)]:
                return False
        elif key == "numa_node":
            if record.get("numa_node") not in _as_list(want):
                return False
        elif key == "address":
            if not _glob_any(want, [record.get("address")]):
                return False
        elif key == "product":
            if not _glob_any(want, [record.get("product"), record.get("product_label")]):
                return False
        elif key == "vendor":
            if not _glob_any(want, [record.get("vendor"), record.get("vendor_label")]):
                return False
        elif key == "driver":
            if not _glob_any(want, [record.get("driver")]):
                return False
    return True


def _mig_capable(record):
    mig = (record.get("gpu") or {}).get("mig")
    return bool(mig and mig.get("capable"))


def vfio_enabled(value):
    if isinstance(value, dict):
        return bool(value.get("enabled"))
    return bool(value)


def _check_device(path, entry, record, protected, errors):
    address = record.get("address")
    if "mig" in entry and (record.get("type") != "gpu" or not _mig_capable(record)):
        errors.append({"path": path + ".mig", "value": address,
                       "message": "MIG requested for %s (%s), which is not a MIG-capable GPU"
                       % (address, record.get("product") or record.get("type"))})
    if "bitstream" in entry and record.get("type") != "fpga":
        errors.append({"path": path + ".bitstream", "value": address,
                       "message": "bitstream requested for %s, which is a %s, not an FPGA"
                       % (address, record.get("type"))})
    if "vfio" in entry and vfio_enabled(entry["vfio"]) and address in protected:
        errors.append({"path": path + ".vfio", "value": address,
                       "message": "vfio requested for %s, a device the host boots from or "
                       "needs (root disk, default route); unbinding it would cut the host off"
                       % address})


def resolve(spec, devices, protected=()):
    protected = set(protected or ())
    assignments, selectors, errors = [], {}, []
    owner = {}
    by_address = dict((d.get("address"), d) for d in devices or [])
    names = {}
    for index, entry in enumerate(spec.get("devices") or []):
        path = "$.devices[%d]" % index
        name = entry["name"]
        if name in names:
            errors.append({"path": path + ".name", "value": name,
                           "message": "selector name %r already used by $.devices[%d]"
                           % (name, names[name])})
        names.setdefault(name, index)
        claimed = [d["address"] for d in devices or [] if matches(entry["select"], d)]
        selectors[name] = claimed
        if not claimed and not entry.get("optional", False):
            errors.append({"path": path + ".select", "value": entry["select"],
                           "message": "selector %r matches no device on this host (set "
                           "optional: true if that is expected)" % name})
        if claimed and "count" in entry and len(claimed) != entry["count"]:
            errors.append({"path": path + ".count", "value": entry["count"],
                           "message": "selector %r matches %d devices, count says %d: %s"
                           % (name, len(claimed), entry["count"], ", ".join(claimed))})
        for address in claimed:
            if address in owner:
                errors.append({"path": path + ".select", "value": address,
                               "message": "device %s is claimed by selector %r ($.devices[%d]) "
                               "and %r" % (address, owner[address][1], owner[address][0], name)})
                continue
            owner[address] = (index, name)
            _check_device(path, entry, by_address[address], protected, errors)
            item = {"address": address, "selector": name, "type": by_address[address].get("type")}
            for key in STATE_KEYS:
                if key in entry:
                    item[key] = entry[key]
            assignments.append(item)
    return assignments, selectors, errors


def placement_overrides(assignments):
    """Per-device overrides for openaccel.cyborg.placement_provider_tree."""
    out = []
    for item in assignments:
        reg = item.get("register") or {}
        if not reg:
            continue
        override = {"match": {"address": item["address"]}}
        for key in ("resource_class", "traits", "reserved", "sriov_mode", "skip"):
            if key in reg:
                override[key] = reg[key]
        out.append(override)
    return out


def summary(assignments):
    """Work lists the role loops over: what each configure/flash step has to do (the lists of
    the stage table, ``stages.STAGES``), the distinct MIG layouts (one gpu_mig run each: a
    layout's config filters its devices itself) and the devices not to register."""
    out = dict((step.work, []) for step in stages.STEPS if step.work)
    out.update((key, []) for key in stages.EXTRA_WORK)
    for item in assignments:
        drv = item.get("driver")
        if drv and drv not in out["drivers"]:
            out["drivers"].append(drv)
        if "sriov" in item:
            out["sriov"].append(dict(item["sriov"], address=item["address"]))
        if "vfio" in item:
            vfio = item["vfio"] if isinstance(item["vfio"], dict) else {"enabled": item["vfio"]}
            key = "vfio" if vfio_enabled(vfio) else "native"
            out[key].append(dict(vfio, address=item["address"]))
        if "mig" in item:
            out["mig"].append(dict(item["mig"], address=item["address"]))
            if item["mig"] not in out["mig_layouts"]:
                out["mig_layouts"].append(dict(item["mig"]))
        if "bitstream" in item:
            out["flash"].append(dict(item["bitstream"], address=item["address"]))
        if (item.get("register") or {}).get("skip"):
            out["skip_register"].append(item["address"])
    for alias, key in stages.WORK_ALIASES.items():
        out[alias] = out[key]
    return out
