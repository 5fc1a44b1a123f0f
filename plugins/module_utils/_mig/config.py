# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""NVIDIA mig-parted configuration documents: parse, validate, select, match GPUs.

The document format is mig-parted's ``version: v1``:

    version: v1
    mig-configs:
      all-1g.10gb:
        - devices: all                 # or a list of GPU indexes
          device-filter: ["0x20B210DE"] # optional: PCI device ids (device << 16 | vendor)
          mig-enabled: true
          mig-devices: {"1g.10gb": 7}   # profile -> count; "1c.2g.20gb" = 1-slice CI in a 2g GI

Plain data in, plain data out; errors are MigConfigError with the path of the bad value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ENTRY_KEYS = ("devices", "device-filter", "mig-enabled", "mig-devices")
_FILTER_RE = re.compile(r"^0[xX][0-9a-fA-F]{8}$")
_PROFILE_RE = re.compile(r"^(?:(\d+)c\.)?(\d+)g\.(\d+)gb((?:[+-][a-z]+(?:\.[a-z]+)?)*)$")


class MigConfigError(Exception):
    """The document, the selection or the GPU matching is invalid (message says where)."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def parse_profile(name):
    """'1c.2g.20gb' -> {'ci_slices': 1, 'gi_slices': 2, 'gi_name': '2g.20gb', 'name': ...}.

    A CI prefix equal to the GI slice count is the full-size compute instance
    and is dropped from the canonical name ('2c.2g.20gb' -> '2g.20gb').
    """
    if not isinstance(name, str):
        raise MigConfigError("%r is not a MIG profile name (a string like 1g.10gb)" % (name,))
    match = _PROFILE_RE.match(name.strip().lower())
    if not match:
        raise MigConfigError("%r is not a MIG profile name (expected [<C>c.]<G>g.<M>gb[+me], "
                             "for example 1g.10gb, 1c.2g.20gb, 1g.10gb+me)" % name)
    ci, gi, mem, suffix = match.groups()
    gi, mem = int(gi), int(mem)
    ci = int(ci) if ci else gi
    if gi < 1 or ci < 1 or ci > gi:
        raise MigConfigError("%r: the compute slices (%d) must be between 1 and the GPU instance "
                             "slices (%d)" % (name, ci, gi))
    gi_name = "%dg.%dgb%s" % (gi, mem, suffix)
    canonical = gi_name if ci == gi else "%dc.%s" % (ci, gi_name)
    return {"name": canonical, "gi_name": gi_name, "gi_slices": gi, "ci_slices": ci}


def canonical_profile(name):
    return parse_profile(name)["name"]


def _parse_filter(value, where):
    items = value if isinstance(value, list) else [value]
    result = []
    for item in items:
        number = item if _is_int(item) else None
        if isinstance(item, str) and _FILTER_RE.match(item.strip()):
            number = int(item.strip(), 16)
        if number is None or not 0 < number <= 0xFFFFFFFF:
            raise MigConfigError("%s.device-filter: %r is not a PCI device id such as 0x20B210DE "
                                 "(device id << 16 | vendor id)" % (where, item))
        result.append(number)
    return result


def _parse_devices(value, where):
    if value == "all":
        return "all"
    if isinstance(value, list) and value and all(_is_int(v) and v >= 0 for v in value):
        return sorted(set(value))
    raise MigConfigError("%s.devices: must be 'all' or a non-empty list of GPU indexes, got %r"
                         % (where, value))


def _parse_mig_devices(value, where):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MigConfigError("%s.mig-devices: must be a mapping of profile name to count, got %r"
                             % (where, value))
    result = {}
    for profile, count in value.items():
        try:
            name = canonical_profile(profile)
        except MigConfigError as exc:
            raise MigConfigError("%s.mig-devices: %s" % (where, exc))
        if not _is_int(count) or count < 0:
            raise MigConfigError("%s.mig-devices.%s: count must be an integer >= 0, got %r"
                                 % (where, profile, count))
        if count:
            result[name] = result.get(name, 0) + count
    return result


def parse_entry(entry, where):
    if not isinstance(entry, dict):
        raise MigConfigError("%s: must be a mapping, got %r" % (where, entry))
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise MigConfigError("%s: unknown key(s) %s (allowed: %s)"
                             % (where, ", ".join(map(str, unknown)), ", ".join(ENTRY_KEYS)))
    for key in ("devices", "mig-enabled"):
        if key not in entry:
            raise MigConfigError("%s: %s is required" % (where, key))
    if not isinstance(entry["mig-enabled"], bool):
        raise MigConfigError("%s.mig-enabled: must be true or false, got %r"
                             % (where, entry["mig-enabled"]))
    devices = _parse_mig_devices(entry.get("mig-devices"), where)
    if devices and not entry["mig-enabled"]:
        raise MigConfigError("%s: mig-devices is set but mig-enabled is false" % where)
    filters = None
    if entry.get("device-filter") not in (None, [], ""):
        filters = _parse_filter(entry["device-filter"], where)
    return {"where": where, "devices": _parse_devices(entry["devices"], where),
            "device_filter": filters, "mig_enabled": entry["mig-enabled"],
            "mig_devices": devices}


def parse_document(doc):
    """Validate a mig-parted document; return {config name: [entry, ...]}."""
    if not isinstance(doc, dict):
        raise MigConfigError("the MIG configuration must be a mapping with version and "
                             "mig-configs, got %s" % type(doc).__name__)
    if doc.get("version") != "v1":
        raise MigConfigError("version: only mig-parted format 'v1' is supported, got %r"
                             % (doc.get("version"),))
    configs = doc.get("mig-configs")
    if not isinstance(configs, dict) or not configs:
        raise MigConfigError("mig-configs: must be a non-empty mapping of config name to a "
                             "list of entries")
    parsed = {}
    for name, entries in configs.items():
        where = "mig-configs.%s" % name
        if not isinstance(entries, list) or not entries:
            raise MigConfigError("%s: must be a non-empty list of entries" % where)
        parsed[str(name)] = [parse_entry(e, "%s[%d]" % (where, i)) for i, e in enumerate(entries)]
    return parsed


def select_config(configs, name):
    """The entries of config `name`; with name None, the only config of the document."""
    if name is None:
        if len(configs) == 1:
            return list(configs.items())[0]
        raise MigConfigError("selected_config is required: the document has %d configs (%s)"
                             % (len(configs), ", ".join(sorted(configs))))
    if name not in configs:
        raise MigConfigError("selected_config %r is not in mig-configs (available: %s)"
                             % (name, ", ".join(sorted(configs))))
    return name, configs[name]


def _matches(entry, gpu):
    if entry["devices"] != "all" and gpu["index"] not in entry["devices"]:
        return False
    if entry["device_filter"] is not None:
        return gpu.get("pci_device_id") in entry["device_filter"]
    return True


def assign(entries, gpus):
    """{gpu index: desired} for the GPUs the entries select; others are left alone.

    desired = {"mig_enabled": bool, "devices": {profile: count}, "where": entry path}.
    An index listed by an entry that no GPU has, or a GPU selected twice, is an error.
    """
    indexes = set(gpu["index"] for gpu in gpus)
    desired = {}
    for entry in entries:
        if entry["devices"] != "all":
            missing = [i for i in entry["devices"] if i not in indexes]
            if missing:
                raise MigConfigError("%s.devices: no GPU with index %s on this host (GPUs: %s)"
                                     % (entry["where"], ", ".join(map(str, missing)),
                                        ", ".join(map(str, sorted(indexes))) or "none"))
        for gpu in gpus:
            if not _matches(entry, gpu):
                continue
            if gpu["index"] in desired:
                raise MigConfigError("GPU %d (%s) is selected by both %s and %s"
                                     % (gpu["index"], gpu.get("bus_id"),
                                        desired[gpu["index"]]["where"], entry["where"]))
            desired[gpu["index"]] = {"mig_enabled": entry["mig_enabled"],
                                     "devices": dict(entry["mig_devices"]),
                                     "where": entry["where"]}
    return desired
