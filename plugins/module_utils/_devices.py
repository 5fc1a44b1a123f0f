# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build device records (schemas/device.schema.json) for the accelerators of a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils import _pci
from ansible_collections.openaccel.cyborg.plugins.module_utils._accel_rules import (
    PCI_BASE_CLASS_NAMES)
from ansible_collections.openaccel.cyborg.plugins.module_utils._amd_kfd import read_kfd_gpus
from ansible_collections.openaccel.cyborg.plugins.module_utils._classify import (
    Classifier, resource_class_for)
from ansible_collections.openaccel.cyborg.plugins.module_utils._devnodes import device_nodes
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga import read_fpga
from ansible_collections.openaccel.cyborg.plugins.module_utils._names import NameResolver
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs


class DiscoveryError(Exception):
    """Discovery cannot run at all (bad sysfs_root); the message names the option."""


def _base_record(ident, errors):
    return {
        "address": ident["address"], "vendor_id": ident.get("vendor_id"),
        "device_id": ident.get("device_id"), "subsystem_vendor_id": None,
        "subsystem_device_id": None, "class_code": ident.get("class_code"),
        "type": "other", "vendor": None, "product": None, "names_source": None,
        "vendor_label": "other", "product_label": None, "function": None,
        "resource_class": "PCI_DEVICE", "rule": None, "driver": None, "numa_node": None,
        "iommu_group": None, "is_virtual_function": False, "sriov": None, "dev_nodes": [],
        "errors": errors,
    }


def _record(sysfs, ident, rule, sriov, errors):
    record = _base_record(ident, errors)
    for key in ("subsystem_vendor_id", "subsystem_device_id"):
        record[key] = ident.get(key)
    record.update(_pci.read_details(sysfs, ident["address"], errors))
    if sriov is None:
        sriov = _pci.read_sriov(sysfs, ident["address"], errors)
    is_vf = bool(sriov and sriov.get("physfn"))
    record.update({
        "type": rule["type"], "vendor_label": rule["vendor_label"],
        "product_label": rule.get("product_label"),
        "function": "vf" if is_vf else rule.get("function"),
        "resource_class": resource_class_for(rule), "rule": rule["id"],
        "is_virtual_function": is_vf, "sriov": sriov,
    })
    return record


def _vanished(address, errors):
    record = _base_record({"address": address.lower()}, errors)
    errors.append("device vanished during discovery")
    return record


class _Summary(object):
    def __init__(self):
        self.total = 0
        self.non_accelerators = {}
        self.unreadable = []

    def skip(self, ident, errors):
        base = ident["class_code"][:2]
        name = PCI_BASE_CLASS_NAMES.get(base, "class_" + base)
        self.non_accelerators[name] = self.non_accelerators.get(name, 0) + 1
        if errors:
            self.unreadable.append("%s: %s" % (ident["address"], "; ".join(errors)))

    def build(self, records):
        by_type, by_product, by_numa = {}, {}, {}
        for rec in records:
            product = "%s/%s" % (rec["vendor_label"], rec["product_label"] or rec["device_id"])
            numa = "unknown" if rec["numa_node"] is None else str(rec["numa_node"])
            for table, key in ((by_type, rec["type"]), (by_product, product), (by_numa, numa)):
                table[key] = table.get(key, 0) + 1
        return {
            "total_pci_functions": self.total, "accelerator_count": len(records),
            "by_type": by_type, "by_product": by_product, "by_numa_node": by_numa,
            "non_accelerators": self.non_accelerators,
            "with_errors": sum(1 for rec in records if rec["errors"]),
            "unreadable_non_accelerators": self.unreadable,
        }


def _classify_one(sysfs, classifier, address, summary):
    """The record of one function, or None when it is not an accelerator."""
    errors = []
    ident = _pci.read_identity(sysfs, address, errors)
    if ident["vendor_id"] is None and not _pci.device_exists(sysfs, address):
        return _vanished(address, errors)
    sriov = None
    if (ident.get("class_code") or "").startswith("02"):
        # Network functions are accelerators only with SR-IOV (a PF with VFs, or a VF).
        sriov = _pci.read_sriov(sysfs, ident["address"], errors)
        ident["sriov_capable"] = bool(sriov)
    rule = classifier.match(ident)
    if rule is None and ident["class_code"] is None:
        # Nothing says what it is: report it rather than guess.
        rule = {"type": "other", "vendor_label": "other", "id": "unreadable"}
    if rule is None or not rule.get("accelerator", True):
        summary.skip(ident, errors)
        return None
    return _record(sysfs, ident, rule, sriov, errors)


def _enrich(sysfs, records):
    kfd = None
    for rec in records:
        if rec["type"] == "gpu" and rec["vendor_id"] == "1002":
            if kfd is None:
                kfd = read_kfd_gpus(sysfs)
            rec["gpu"] = kfd.get(rec["address"], {"source": "sysfs"})
        elif rec["type"] == "fpga":
            rec["fpga"] = read_fpga(sysfs, rec["address"], rec["driver"])
        rec["dev_nodes"] = device_nodes(sysfs, rec)


def discover(sysfs_root="/sys", extra_rules=None, pci_ids_path=None, use_udev="auto",
             udev_devices=None):
    """Device records and summary for every accelerator below ``sysfs_root``.

    Raises DiscoveryError for a missing root and RuleError for bad ``extra_rules``.
    ``udev_devices`` ({address: {vendor, product, driver}}) comes from pyudev on a live
    ``/sys``; when given, it also drives the enumeration.
    """
    sysfs = Sysfs(sysfs_root)
    if not sysfs.is_dir(*_pci.PCI_DEVICES):
        raise DiscoveryError("sysfs_root: %s has no bus/pci/devices directory; point sysfs_root "
                             "at a mounted sysfs (for example /sys, or /host/sys in a container)"
                             % sysfs_root)
    classifier = Classifier(extra_rules)
    summary = _Summary()
    addresses = _pci.list_addresses(sysfs)
    if udev_devices:
        addresses = sorted(set(addresses) | set(udev_devices))
    summary.total = len(addresses)
    records = []
    for address in addresses:
        record = _classify_one(sysfs, classifier, address, summary)
        if record is not None:
            records.append(record)
    _enrich(sysfs, records)
    NameResolver(pci_ids_path, udev_devices).apply(records)
    return records, summary.build(records)
