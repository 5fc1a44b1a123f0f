# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Desired Kubernetes state of one node from its device records: labels, capacity, slices.

Pure functions of the records and the options, so that API mode, manifest mode and the NFD
feature file publish exactly the same content, and so that tests can check them directly.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import names
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.checks import (
    MAX_DEVICES_PER_SLICE)

NFD_PREFIX = "feature.node.kubernetes.io/"
# node-feature-discovery joins deviceLabelFields in this fixed order, whatever order its
# configuration lists them in, ignores unknown names and falls back to class + vendor:
# mandatoryDevAttrs in source/pci/utils.go and the loop over it in pciSource.GetLabels
# (source/pci/pci.go) of kubernetes-sigs/node-feature-discovery.
NFD_FIELDS = ("class", "vendor", "device", "subsystem_vendor", "subsystem_device")
NFD_DEFAULT_FIELDS = ("class", "vendor")
# Standard DRA device attributes (KEP-5316; k8s.io/dynamic-resource-allocation/deviceattribute:
# StandardDeviceAttributePCIeRoot "pci<domain>:<bus>", StandardDeviceAttributePCIBusID in
# extended BDF notation), published next to the driver's own so that a ResourceClaim can align
# devices of different drivers (matchAttribute: resource.kubernetes.io/pcieRoot).
STANDARD_PREFIX = "resource.kubernetes.io/"
PCIE_ROOT_ATTRIBUTE = STANDARD_PREFIX + "pcieRoot"
PCI_BUS_ID_ATTRIBUTE = STANDARD_PREFIX + "pciBusID"
_PCIE_ROOT = re.compile(r"^pci[0-9a-f]{4,8}:[0-9a-f]{2}$")
_PCI_BUS_ID = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "openaccel.cyborg"
MAX_ATTRS_AND_CAPS = 32
MAX_STRING = 64


class DesiredStateError(Exception):
    """An option or a record cannot give valid Kubernetes objects; the message says which."""


def select_records(records, types=None, include_vfs=False):
    """The records to publish: of the listed types, VFs only when asked, sorted by address."""
    chosen = []
    for rec in records or []:
        if not isinstance(rec, dict) or not rec.get("address") or not rec.get("type"):
            raise DesiredStateError("devices: every record needs at least address and type "
                                    "(records come from openaccel.cyborg.accelerator_facts); "
                                    "got %r" % (rec,))
        if types and rec["type"] not in types:
            continue
        if rec.get("is_virtual_function") and not include_vfs:
            continue
        chosen.append(rec)
    return sorted(chosen, key=lambda rec: rec["address"])


def _product(rec):
    """The product token, or None when the record does not say."""
    return rec.get("product_label") or rec.get("device_id") or None


def _gpu_memory_mib(rec):
    gpu = rec.get("gpu") or {}
    if gpu.get("memory_total_mib"):
        return int(gpu["memory_total_mib"])
    if gpu.get("vram_bytes"):
        return int(gpu["vram_bytes"]) // (1024 * 1024)
    return None


def _fpga_ids(rec):
    fpga = rec.get("fpga") or {}
    region = fpga.get("interface_id") or fpga.get("interface_uuid") or fpga.get("logic_uuid")
    function = fpga.get("afu_id") or fpga.get("xclbin_uuid")
    return region, function


def _nfd_field(rec, field):
    if field == "class":
        return (rec.get("class_code") or "")[:4] or None
    return rec.get(field + "_id")


def nfd_fields(fields):
    """The fields in the order node-feature-discovery joins them (see NFD_FIELDS)."""
    wanted = set(fields or ())
    return [field for field in NFD_FIELDS if field in wanted] or list(NFD_DEFAULT_FIELDS)


def nfd_labels(records, fields=NFD_DEFAULT_FIELDS):
    """NFD pci source labels: pci-<f1>_<f2>.present (and .sriov.capable), full keys."""
    labels = {}
    fields = nfd_fields(fields)
    for rec in records:
        values = [_nfd_field(rec, field) for field in fields]
        if not all(values):
            continue
        base = NFD_PREFIX + "pci-" + "_".join(values)
        labels[base + ".present"] = "true"
        if (rec.get("sriov") or {}).get("total_vfs"):
            labels[base + ".sriov.capable"] = "true"
    return labels


def _uniform(values):
    values = sorted(set(str(v) for v in values if v not in (None, "")))
    if not values:
        return None
    return values[0] if len(values) == 1 else "mixed"


def _mig_capable(rec):
    """True/False when the record knows (NVML data), None when it does not."""
    capable = (((rec.get("gpu") or {}).get("mig")) or {}).get("capable")
    return None if capable is None else bool(capable)


def _known_any(flags):
    """"true" if any flag is True, "false" only if every flag is known False, else None."""
    flags = list(flags)
    if any(flag is True for flag in flags):
        return "true"
    if flags and all(flag is False for flag in flags):
        return "false"
    return None


def own_labels(records, prefix):
    """The collection's own labels, per device type (counts, product, GPU memory, FPGA ids)."""
    by_type = {}
    for rec in records:
        by_type.setdefault(rec["type"], []).append(rec)
    labels = {}
    for dtype, recs in sorted(by_type.items()):
        key = "%s/%s." % (prefix, names.dns_label(dtype))
        values = {
            "present": "true", "count": str(len(recs)),
            "vendor": _uniform(rec.get("vendor_label") for rec in recs),
            "product": _uniform(_product(rec) for rec in recs),
        }
        if dtype == "gpu":
            memory = [m for m in (_gpu_memory_mib(rec) for rec in recs) if m]
            values["memory"] = str(min(memory)) if memory else None
            values["mig.capable"] = _known_any(_mig_capable(rec) for rec in recs)
            mig = [((rec.get("gpu") or {}).get("mig") or {}) for rec in recs]
            if any(m.get("mode_current") for m in mig):
                values["mig.enabled"] = "true"
        if dtype == "fpga":
            ids = [_fpga_ids(rec) for rec in recs]
            values["region-id"] = _uniform(region for region, _function in ids)
            values["function-id"] = _uniform(function for _region, function in ids)
        for name, value in values.items():
            if value is not None and names.label_value(value):
                labels[key + name] = names.label_value(value)
    return labels


def extended_resources(records, prefix, naming="product"):
    """{<prefix>/<type>[-<vendor>-<product>]: count} for node status.capacity."""
    counts = {}
    for rec in records:
        if naming == "type":
            name = rec["type"]
        else:
            vendor = rec.get("vendor_label") or rec.get("vendor_id") or "unknown"
            name = "%s-%s-%s" % (rec["type"], vendor, _product(rec) or "unknown")
        key = "%s/%s" % (prefix, names.dns_label(name))
        counts[key] = counts.get(key, 0) + 1
    return dict((key, str(count)) for key, count in counts.items())


def device_name(rec):
    """DNS label naming the device in its pool: <type>-<pci address>."""
    return names.dns_label("%s-%s" % (rec["type"], rec["address"]))


def _string(value):
    return {"string": str(value)[:MAX_STRING]}


def device_attributes(rec):
    """Ordered (name, DeviceAttribute) pairs, most important first."""
    gpu, fpga, sriov = rec.get("gpu") or {}, rec.get("fpga") or {}, rec.get("sriov") or {}
    region, function = _fpga_ids(rec)
    mig = gpu.get("mig") or {}
    capable = _mig_capable(rec)
    pairs = [
        ("type", _string(rec["type"])),
        ("vendor", _string(rec.get("vendor_label") or "other")),
        ("product", _product(rec) and _string(_product(rec))),
        ("pciAddress", _string(rec["address"])),
        (PCIE_ROOT_ATTRIBUTE, _pcie_root(rec.get("pcie_root"))),
        (PCI_BUS_ID_ATTRIBUTE, _PCI_BUS_ID.match(rec["address"]) and _string(rec["address"])),
        ("pcieSwitch", rec.get("pcie_switch") and _string(rec["pcie_switch"])),
        ("vendorID", rec.get("vendor_id") and _string(rec["vendor_id"])),
        ("deviceID", rec.get("device_id") and _string(rec["device_id"])),
        ("numaNode", rec.get("numa_node") is not None and {"int": int(rec["numa_node"])}),
        ("driver", rec.get("driver") and _string(rec["driver"])),
        ("driverVersion", _version(gpu.get("driver_version"))),
        ("cudaDriverVersion", _version(gpu.get("cuda_driver_version"))),
        ("uuid", gpu.get("uuid") and _string(gpu["uuid"])),
        ("migCapable", capable is not None and {"bool": capable}),
        ("migEnabled", mig.get("mode_current") is not None and {"bool": bool(mig["mode_current"])}),
        ("computeCapability", gpu.get("compute_capability") and _string(gpu["compute_capability"])),
        ("gfxTarget", gpu.get("gfx_target") and _string(gpu["gfx_target"])),
        ("fpgaFramework", fpga.get("framework") and _string(fpga["framework"])),
        ("regionID", region and _string(region)),
        ("functionID", function and _string(function)),
        ("bitstreamID", fpga.get("bitstream_id") and _string(fpga["bitstream_id"])),
        ("shell", fpga.get("vbnv") and _string(fpga["vbnv"])),
        ("productName", rec.get("product") and _string(rec["product"])),
        ("vendorName", rec.get("vendor") and _string(rec["vendor"])),
        ("function", rec.get("function") and _string(rec["function"])),
        ("classCode", rec.get("class_code") and _string(rec["class_code"])),
        ("iommuGroup", rec.get("iommu_group") is not None and {"int": int(rec["iommu_group"])}),
        ("sriovTotalVFs", sriov.get("total_vfs") and {"int": int(sriov["total_vfs"])}),
        ("sriovNumVFs", sriov.get("total_vfs") and sriov.get("num_vfs") is not None and {"int": int(sriov["num_vfs"])}),
        ("virtualFunction", rec.get("is_virtual_function") is not None and {"bool": bool(rec["is_virtual_function"])}),
        ("physfn", sriov.get("physfn") and _string(sriov["physfn"])),
    ]
    return [(name, value) for name, value in pairs if value]


def _pcie_root(value):
    """The standard pcieRoot attribute when discovery knows the root ("pci0000:3a")."""
    value = str(value).lower() if value else None
    return value and _PCIE_ROOT.match(value) and _string(value)


def _version(text):
    version = names.semver(text)
    return version and {"version": version}


def device_capacity(rec):
    memory = _gpu_memory_mib(rec)
    return {"memory": {"value": names.canonical_quantity("%dMi" % memory)}} if memory else {}


def device_entry(rec):
    """A resource.k8s.io/v1 Device for one record, within the 32 attributes+capacities limit."""
    capacity = device_capacity(rec)
    attrs = device_attributes(rec)[:MAX_ATTRS_AND_CAPS - len(capacity)]
    device = {"name": device_name(rec), "attributes": dict(attrs)}
    if capacity:
        device["capacity"] = capacity
    return device


def slice_name(node, driver, index):
    return names.dns_subdomain("%s-%s-%d" % (node, driver, index))


def build_slices(node, driver, pool, records, generation=1, max_devices=MAX_DEVICES_PER_SLICE):
    """The ResourceSlices of the node's pool: devices sorted by address, <= max_devices each."""
    devices = [device_entry(rec) for rec in records]
    seen = set()
    for dev in devices:
        if dev["name"] in seen:
            raise DesiredStateError("devices: two records give the device name %s; PCI "
                                    "addresses must be unique" % dev["name"])
        seen.add(dev["name"])
    chunks = [devices[i:i + max_devices] for i in range(0, len(devices), max_devices)]
    slices = []
    for index, chunk in enumerate(chunks):
        slices.append({
            "apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
            "metadata": {"name": slice_name(node, driver, index),
                         "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
            "spec": {"driver": driver, "nodeName": node,
                     "pool": {"name": pool, "generation": generation,
                              "resourceSliceCount": len(chunks)},
                     "devices": chunk},
        })
    return slices


def desired_state(params, records, node):
    """{labels, capacity, slices (generation 1), device_count}; None for kinds not published."""
    publish = params["publish"]
    chosen = select_records(records, params.get("types"), params.get("include_virtual_functions"))
    labels = capacity = slices = None
    if "labels" in publish:
        labels = {}
        if params.get("nfd_labels", True):
            labels.update(nfd_labels(chosen, params.get("nfd_label_fields") or NFD_DEFAULT_FIELDS))
        labels.update(own_labels(chosen, params["label_prefix"]))
    if "extended_resources" in publish:
        capacity = extended_resources(chosen, params["resource_prefix"],
                                      params.get("resource_naming", "product"))
    if "resource_slices" in publish:
        slices = build_slices(node, params["driver_name"], params.get("pool_name") or node, chosen,
                              1, params.get("max_devices_per_slice") or MAX_DEVICES_PER_SLICE)
    return {"labels": labels, "capacity": capacity, "slices": slices, "device_count": len(chosen)}
