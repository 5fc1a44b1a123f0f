# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read PCI functions from ``<sysfs>/bus/pci/devices`` (every domain)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import SysfsError

PCI_DEVICES = ("bus", "pci", "devices")
_ADDRESS = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")


def list_addresses(sysfs):
    """Every PCI function address under the root, sorted, any domain."""
    return [name for name in sysfs.listdir(*PCI_DEVICES) if _ADDRESS.match(name.lower())]


def _hex_attr(value, digits):
    text = value.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if not re.match(r"^[0-9a-f]+$", text):
        raise ValueError("not a hex value: %r" % value)
    return text.zfill(digits)[-digits:]


def read_identity(sysfs, address, errors):
    """vendor/device/class of one function: all a classification needs.

    Attributes that cannot be read are appended to ``errors`` and left None.
    """
    ident = {"address": address.lower()}
    for key, attr, digits in (("vendor_id", "vendor", 4), ("device_id", "device", 4),
                              ("class_code", "class", 6)):
        try:
            ident[key] = _hex_attr(sysfs.read(*(PCI_DEVICES + (address, attr))), digits)
        except (SysfsError, ValueError) as exc:
            ident[key] = None
            errors.append("%s: %s" % (attr, exc))
    return ident


def _optional_hex(sysfs, dev, attr, digits, errors):
    value = sysfs.read_optional(*(PCI_DEVICES + (dev, attr)))
    if value is None:
        return None
    try:
        return _hex_attr(value, digits)
    except ValueError as exc:
        errors.append("%s: %s" % (attr, exc))
        return None


def _optional_int(sysfs, dev, attr, errors):
    value = sysfs.read_optional(*(PCI_DEVICES + (dev, attr)))
    if value is None or value == "":
        return None
    try:
        return int(value, 0)
    except ValueError:
        errors.append("%s: not an integer: %r" % (attr, value))
        return None


def read_sriov(sysfs, address, errors):
    """SR-IOV block: PF (total/num VFs, VF addresses) or VF (physfn); None otherwise."""
    base = PCI_DEVICES + (address,)
    physfn = sysfs.link_name(*(base + ("physfn",)))
    total = _optional_int(sysfs, address, "sriov_totalvfs", errors)
    if physfn is None and not total:
        return None
    entries = sysfs.listdir(*base)
    virtfns = sorted((int(name[6:]), name) for name in entries
                     if name.startswith("virtfn") and name[6:].isdigit())
    autoprobe = _optional_int(sysfs, address, "sriov_drivers_autoprobe", errors)
    return {
        "total_vfs": total,
        "num_vfs": _optional_int(sysfs, address, "sriov_numvfs", errors),
        "vfs": [sysfs.link_name(*(base + (name,))) for _, name in virtfns],
        "physfn": physfn,
        "drivers_autoprobe": None if autoprobe is None else bool(autoprobe),
    }


def read_details(sysfs, address, errors):
    """Everything else a device record needs from the function's own directory."""
    numa = _optional_int(sysfs, address, "numa_node", errors)
    group = sysfs.link_name(*(PCI_DEVICES + (address, "iommu_group")))
    return {
        "subsystem_vendor_id": _optional_hex(sysfs, address, "subsystem_vendor", 4, errors),
        "subsystem_device_id": _optional_hex(sysfs, address, "subsystem_device", 4, errors),
        "revision": _optional_hex(sysfs, address, "revision", 2, errors),
        "driver": sysfs.link_name(*(PCI_DEVICES + (address, "driver"))),
        "numa_node": numa if numa is not None and numa >= 0 else None,
        "iommu_group": int(group) if group is not None and group.isdigit() else None,
    }


def device_exists(sysfs, address):
    return sysfs.exists(*(PCI_DEVICES + (address,)))
