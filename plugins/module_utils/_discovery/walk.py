# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Build device records (schemas/device.schema.json) for the accelerators of a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery import pci as _pci
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.rules import (
    PCI_BASE_CLASS_NAMES)
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.classify import (
    Classifier, resource_class_for)
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.devnodes import device_nodes
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.names import NameResolver
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs


class DiscoveryError(Exception):
    """Discovery cannot run at all (bad sysfs_root); the message names the option."""


def _base_record(address, ident, errors):
    return {
        "address": address, "vendor_id": ident.get("vendor_id"),
        "device_id": ident.get("device_id"),
        "subsystem_vendor_id": ident.get("subsystem_vendor_id"),
        "subsystem_device_id": ident.get("subsystem_device_id"),
        "class_code": ident.get("class_code"), "revision": None,
        "type": "other", "vendor": None, "product": None, "names_source": None,
        "vendor_label": "other", "product_label": None, "function": None,
        "resource_class": "PCI_DEVICE", "rule": None, "driver": None, "numa_node": None,
        "iommu_group": None, "pcie_root": None, "pcie_switch": None,
        "is_virtual_function": False, "sriov": None, "dev_nodes": [], "errors": errors,
    }


def _record(dev, address, ident, rule, sriov, errors):
    is_vf = bool(sriov and sriov["physfn"])
    record = {
        "address": address, "vendor_id": ident["vendor_id"], "device_id": ident["device_id"],
        "subsystem_vendor_id": ident["subsystem_vendor_id"],
        "subsystem_device_id": ident["subsystem_device_id"], "class_code": ident["class_code"],
        "revision": None, "type": rule["type"], "vendor": None, "product": None,
        "names_source": None,
        "vendor_label": rule["vendor_label"], "product_label": rule.get("product_label"),
        "function": "vf" if is_vf else rule.get("function"),
        "resource_class": resource_class_for(rule), "rule": rule["id"], "driver": None,
        "numa_node": None, "iommu_group": None, "pcie_root": None, "pcie_switch": None,
        "is_virtual_function": is_vf, "sriov": sriov, "dev_nodes": [], "errors": errors,
    }
    _pci.read_details(dev, record, errors)
    return record


def _vanished(address, errors):
    record = _base_record(address, {}, errors)
    errors.append("device vanished during discovery")
    return record


class _Summary(object):
    def __init__(self):
        self.total = 0
        self.non_accelerators = {}
        self.unreadable = []

    def skip(self, address, class_code, errors):
        base = class_code[:2]
        name = PCI_BASE_CLASS_NAMES.get(base, "class_" + base)
        self.non_accelerators[name] = self.non_accelerators.get(name, 0) + 1
        if errors:
            self.unreadable.append("%s: %s" % (address, "; ".join(errors)))

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


_UNKNOWN = object()
# Nothing says what the function is: report it rather than guess.
_UNREADABLE_RULE = {"type": "other", "vendor_label": "other", "id": "unreadable"}


class _Functions(object):
    """Identity and rule of each PCI function.

    A host repeats a handful of ``modalias`` strings hundreds of times (VFs, NVMe
    drives, GPUs), so each is parsed and classified once; what differs per function
    (SR-IOV, driver, NUMA, IOMMU) is read only for accelerators.
    """

    def __init__(self, sysfs, classifier):
        self.sysfs = sysfs
        self.classifier = classifier
        self._devices_dir = sysfs.device_path("")
        self._idents = {}   # modalias -> identity parsed from it
        self._rules = {}    # (modalias, sriov capable) -> rule or None
        self._vf_parents = {}  # VF address -> PF address, from the PFs' virtfn links

    def _sriov(self, dev, address, errors):
        """SR-IOV block; a VF listed by a PF already read needs no physfn lookup (the
        kernel creates the virtfnN and physfn links as a pair)."""
        parent = self._vf_parents.get(address)
        if parent is not None:
            return _pci.vf_sriov(parent)
        sriov = _pci.read_sriov(dev, errors)
        if sriov is not None:
            for vf in sriov["vfs"]:
                self._vf_parents[vf] = address
        return sriov

    def _identity(self, dev, modalias, errors):
        """(identity, cache key): the key is the modalias when the identity came from it;
        an identity read from the attribute files is never shared (key None)."""
        ident = self._idents.get(modalias) if modalias else None
        if ident is None:
            ident = _pci.identity_from_modalias(modalias)
            if ident is None:
                return _pci.read_identity_files(self.sysfs, dev, errors), None
            self._idents[modalias] = ident
        return ident, modalias

    def _rule(self, key, ident, sriov_capable):
        rule = self._rules.get((key, sriov_capable), _UNKNOWN) if key else _UNKNOWN
        if rule is not _UNKNOWN:
            return rule
        rule = self.classifier.match(dict(ident, sriov_capable=sriov_capable))
        if rule is None and ident["class_code"] is None:
            rule = _UNREADABLE_RULE
        if rule is not None and not rule.get("accelerator", True):
            rule = None
        if key:
            self._rules[(key, sriov_capable)] = rule
        return rule

    def record(self, address, summary):
        """The record of one function, or None when it is not an accelerator."""
        errors = []
        dev = self._devices_dir + address
        ident, key = self._identity(dev, _pci.read_modalias(dev), errors)
        if ident["vendor_id"] is None and not _pci.device_exists(self.sysfs, address):
            return _vanished(address.lower(), errors)
        klass = ident["class_code"]
        if klass is not None and klass.startswith("02"):
            # Network functions are accelerators only with SR-IOV (a PF with VFs, or a VF).
            sriov = self._sriov(dev, address, errors)
            rule = self._rule(key, ident, sriov is not None)
        else:
            sriov = _UNKNOWN
            rule = self._rule(key, ident, False)
        if rule is None:
            summary.skip(address.lower(), klass, errors)
            return None
        if sriov is _UNKNOWN:
            sriov = self._sriov(dev, address, errors)
        return _record(dev, address.lower(), ident, rule, sriov, errors)


def _enrich(sysfs, records):
    # The AMD and FPGA readers are imported only for a host that has such a device: a module
    # run compiles every module it imports, and most hosts have neither.
    kfd = None
    for rec in records:
        if rec["type"] == "gpu" and rec["vendor_id"] == "1002":
            if kfd is None:
                from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.amd_kfd import (
                    read_kfd_gpus)
                kfd = read_kfd_gpus(sysfs)
            rec["gpu"] = kfd.get(rec["address"], {"source": "sysfs"})
        elif rec["type"] == "fpga":
            from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.fpga import read_fpga
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
    functions = _Functions(sysfs, classifier)
    for address in addresses:
        record = functions.record(address, summary)
        if record is not None:
            records.append(record)
    _enrich(sysfs, records)
    NameResolver(pci_ids_path, udev_devices).apply(records)
    return records, summary.build(records)
