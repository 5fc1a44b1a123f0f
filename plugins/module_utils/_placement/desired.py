# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Desired Placement state from device records (schemas/device.schema.json).

Pure functions, no I/O: every input error is found here, before any API call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re
import uuid

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import is_sysfs_address
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.checks import (
    CUSTOM_RE, check_options, check_rc, check_trait)

NAME_MAX = 200
DEFAULT_OWNER_TRAIT = "CUSTOM_OPENACCEL_MANAGED"

# Default resource class per device type when neither an override nor the record's
# resource_class hint says otherwise.  Standard classes where Placement has one.
DEFAULT_RESOURCE_CLASS = {
    "gpu": "PGPU",
    "fpga": "FPGA",
    "qat": "CUSTOM_QAT",
    "dsa": "CUSTOM_DSA",
    "iaa": "CUSTOM_IAA",
    "nvme": "CUSTOM_NVME",
    "nic": "CUSTOM_NIC",
    "ai": "CUSTOM_AI",
}
MATCH_KEYS = ("address", "type", "vendor_label", "product_label", "vendor_id", "device_id",
              "function", "rule", "driver")
INVENTORY_DEFAULTS = dict(reserved=0, min_unit=1, step_size=1, allocation_ratio=1.0)


def provider_uuid(name):
    """Cyborg's rule: uuid3(NAMESPACE_DNS, provider name)."""
    return str(uuid.uuid3(uuid.NAMESPACE_DNS, name))


def provider_name(compute_node, address):
    return "%s_%s" % (compute_node, address)


def custom(*parts):
    """CUSTOM_ name from free text: upper case, anything else than A-Z0-9 becomes _."""
    raw = "_".join(str(p) for p in parts if p not in (None, ""))
    return "CUSTOM_" + re.sub(r"_+", "_", re.sub(r"[^A-Z0-9]", "_", raw.upper())).strip("_")


def _matches(record, match):
    for key, want in (match or {}).items():
        have = record.get(key)
        wants = want if isinstance(want, list) else [want]
        if not any(fnmatch.fnmatchcase(str(have).lower(), str(w).lower()) for w in wants):
            return False
    return True


def settings_for(record, overrides, defaults):
    """Merge every matching override, in order, over the module defaults."""
    out = dict(defaults)
    out["traits"] = list(defaults.get("traits") or [])
    for ov in overrides or []:
        if _matches(record, ov.get("match")):
            for key, value in ov.items():
                if key == "traits":
                    out["traits"].extend(value or [])
                elif key != "match" and value is not None:
                    out[key] = value
    return out


# vendor_label of the rules that match a device class whatever its vendor
UNLABELLED = ("other", "any")


def vendor_name(rec):
    """The vendor part of trait names: the rule's label (nvidia, intel: Cyborg's names), or for
    a device whose rule has none, its pci.ids vendor name, else its vendor id."""
    label = rec.get("vendor_label")
    if label and label not in UNLABELLED:
        return label
    return rec.get("vendor") or rec.get("vendor_id") or label


def device_traits(rec, owner_trait, cyborg_compat):
    """Traits describing one device; Cyborg-compatible names where Cyborg has them."""
    dtype = rec.get("type") or "other"
    vendor = vendor_name(rec)
    traits = {owner_trait}
    if cyborg_compat:
        traits.add("OWNER_CYBORG")
    traits.add(custom(dtype, vendor))                                  # CUSTOM_GPU_NVIDIA
    if rec.get("device_id"):
        traits.add(custom(dtype, "PRODUCT_ID", rec["device_id"]))      # CUSTOM_GPU_PRODUCT_ID_2330
    if rec.get("product_label"):
        traits.add(custom(dtype, vendor, rec["product_label"]))        # CUSTOM_FPGA_INTEL_D5005
    if rec.get("numa_node") is not None:
        traits.add(custom("NUMA_NODE", rec["numa_node"]))
    if rec.get("function"):
        traits.add(custom("PCI_FUNCTION", rec["function"]))
    traits.update(fpga_region_traits(rec))
    traits.update(fpga_function_traits(rec))
    return traits


def fpga_region_traits(rec):
    """Cyborg's region trait of an FPGA function (the FIM/shell interface it offers)."""
    fpga = rec.get("fpga") or {}
    region = fpga.get("interface_id") or fpga.get("interface_uuid")
    return set([custom("FPGA_REGION", vendor_name(rec), region)]) if region else set()


def fpga_function_traits(rec):
    """Cyborg's function-id traits: the AFUs (DFL ports) or the xclbin loaded."""
    fpga = rec.get("fpga") or {}
    ids = set(p.get("afu_id") for p in fpga.get("ports") or [] if p.get("afu_id"))
    ids.update(x for x in (fpga.get("afu_id"), fpga.get("xclbin_uuid")) if x)
    return set(custom("FPGA_FUNCTION_ID", vendor_name(rec), fid) for fid in ids)


def family_traits(rec, pf, vfs, per_pf):
    """FPGA traits a provider carries for the other functions of its card: a PF provider that
    also counts its VFs (per_pf) offers the AFUs behind them; a VF provider (per_vf) sits in
    its PF's region.  So a device profile asking for region + function id finds a provider
    either way (Cyborg reports both on the PF's provider)."""
    out = set()
    if per_pf:
        for vf in vfs:
            out.update(fpga_function_traits(vf))
    elif pf is not None:
        out.update(fpga_region_traits(pf))
    return out


def _default_rc(rec):
    if rec.get("resource_class"):
        return rec["resource_class"]
    dtype = rec.get("type") or "other"
    if dtype in DEFAULT_RESOURCE_CLASS:
        return DEFAULT_RESOURCE_CLASS[dtype]
    # Same pattern as Nova's PCI-in-Placement for devices without a better class.
    return custom("PCI", rec.get("vendor_id"), rec.get("device_id"))


def build_desired(compute_node, records, overrides=None, defaults=None,
                  owner_trait=DEFAULT_OWNER_TRAIT, cyborg_compat=True):
    """Return ``{provider name: provider}`` or raise ValueError listing every input error."""
    defaults = dict(defaults or {})
    defaults.setdefault("sriov_mode", "per_pf")
    errors = []
    if not compute_node or len(compute_node) > NAME_MAX - 20:
        errors.append("compute_node: %r is not a usable provider name" % (compute_node,))
    if not CUSTOM_RE.match(owner_trait or ""):
        errors.append("owner_trait: %r must be a CUSTOM_ trait" % (owner_trait,))
    by_addr = {}
    for i, rec in enumerate(records or []):
        addr = rec.get("address") if isinstance(rec, dict) else None
        if not is_sysfs_address(addr):
            errors.append("devices[%d]: bad PCI address %r (want dddd:bb:ss.f, lower-case hex)"
                          % (i, addr))
        elif addr in by_addr:
            errors.append("devices[%d]: duplicate PCI address %s" % (i, addr))
        else:
            by_addr[addr] = rec
    for i, ov in enumerate(overrides or []):
        for key in (ov.get("match") or {}):
            if key not in MATCH_KEYS:
                errors.append("overrides[%d].match: unknown key %r (one of %s)"
                              % (i, key, ", ".join(MATCH_KEYS)))
    # every name the options give, whether or not its device gets a provider of its own
    errors += check_options(defaults.get("traits"), overrides)
    if errors:
        raise ValueError("; ".join(errors))

    settings = dict((a, settings_for(r, overrides, defaults)) for a, r in by_addr.items())
    vfs_of = {}
    for addr, rec in sorted(by_addr.items()):
        pf = (rec.get("sriov") or {}).get("physfn")
        if rec.get("is_virtual_function") and pf in by_addr:
            vfs_of.setdefault(pf, []).append(rec)
    vf_count = dict((pf, len(vfs)) for pf, vfs in vfs_of.items())

    desired = {}
    for addr in sorted(by_addr):
        rec, cfg = by_addr[addr], settings[addr]
        where = "device %s" % addr
        if cfg.get("skip"):
            continue
        sriov = rec.get("sriov") or {}
        pf = sriov.get("physfn")
        if rec.get("is_virtual_function") and pf in by_addr and not settings[pf].get("skip"):
            if settings[pf]["sriov_mode"] == "per_pf":
                continue                    # counted in its PF's inventory
        n_vfs = max(sriov.get("num_vfs") or 0, vf_count.get(addr, 0))
        if n_vfs and not rec.get("is_virtual_function"):
            if cfg["sriov_mode"] == "per_vf" and vf_count.get(addr):
                continue                    # its VFs are the providers
            total = n_vfs if cfg["sriov_mode"] == "per_pf" else 1
        else:
            total = 1
        total = int(cfg.get("total") or total)
        rc = cfg.get("resource_class") or _default_rc(rec)
        if rc == "SRIOV_NET_VF" and not n_vfs and not rec.get("is_virtual_function"):
            # A PF with no VFs enabled has no VF to hand out: it is one whole PCI device.
            rc = "PCI_DEVICE"
        check_rc(rc, errors, where)
        traits = device_traits(rec, owner_trait, cyborg_compat)
        if rec.get("is_virtual_function"):
            traits.update(family_traits(rec, by_addr.get(pf), (), per_pf=False))
        elif cfg["sriov_mode"] == "per_pf":
            traits.update(family_traits(rec, None, vfs_of.get(addr, ()), per_pf=True))
        traits.update(cfg.get("traits") or [])
        for t in sorted(traits):
            check_trait(t, errors, where)
        inv = dict(INVENTORY_DEFAULTS, total=total, max_unit=total)
        for key in ("reserved", "min_unit", "max_unit", "step_size", "allocation_ratio"):
            if cfg.get(key) is not None:
                inv[key] = cfg[key]
        inv["allocation_ratio"] = float(inv["allocation_ratio"])
        inv["max_unit"] = min(int(inv["max_unit"]), total)
        if not 0 <= int(inv["reserved"]) <= total:
            errors.append("%s: reserved %s outside 0..%d" % (where, inv["reserved"], total))
        name = provider_name(compute_node, addr)
        desired[name] = dict(name=name, uuid=provider_uuid(name), address=addr,
                             pf_address=pf if rec.get("is_virtual_function") else None,
                             inventories={rc: inv}, traits=sorted(traits))
    if errors:
        raise ValueError("; ".join(errors))
    return desired
