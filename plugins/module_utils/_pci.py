# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read PCI functions from ``<sysfs>/bus/pci/devices`` (every domain).

Speed matters on hosts with hundreds of functions: identity comes from the one
``modalias`` file (ids, subsystem ids, class) with the separate attribute files as
the fallback, and everything else is read only for accelerators.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import SysfsError

PCI_DEVICES = ("bus", "pci", "devices")
_HEX = re.compile(r"^[0-9a-f]+$")
_ADDRESS = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")


def list_addresses(sysfs):
    """Every PCI function address under the root, sorted, any domain."""
    return [name for name in sysfs.listdir(*PCI_DEVICES) if _ADDRESS.match(name.lower())]


def _hex_attr(value, digits):
    text = value.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if not _HEX.match(text):
        raise ValueError("not a hex value: %r" % value)
    return text.zfill(digits)[-digits:]


def _identity_from_modalias(text):
    """Ids and class from ``pci:v0000VVVVd0000DDDDsv0000SSSSsd0000ssssbcBBscSSiII``.

    The kernel writes this fixed layout for every PCI function, so slicing is
    enough; anything else raises ValueError and the caller reads the files.
    """
    # pci:v 0000VVVV d 0000DDDD sv 0000SSSS sd 0000ssss bc BB sc SS i II
    # 0     5        13 14      22 24      32 34      42 44 46 48 50 51-52
    if (len(text) < 53 or not text.startswith("pci:v") or text[13] != "d"
            or text[42:44] != "bc" or text[46:48] != "sc" or text[50] != "i"):
        raise ValueError("unexpected modalias %r" % text)
    ids = text[9:13] + text[18:22] + text[28:32] + text[38:42] + text[44:46] + text[48:50] + text[51:53]
    int(ids, 16)
    ids = ids.lower()
    return {
        "vendor_id": ids[0:4], "device_id": ids[4:8], "subsystem_vendor_id": ids[8:12],
        "subsystem_device_id": ids[12:16], "class_code": ids[16:22],
    }


def _identity_from_files(sysfs, dev, errors):
    ident = {}
    for key, attr, digits, required in (
            ("vendor_id", "vendor", 4, True), ("device_id", "device", 4, True),
            ("class_code", "class", 6, True), ("subsystem_vendor_id", "subsystem_vendor", 4, False),
            ("subsystem_device_id", "subsystem_device", 4, False)):
        try:
            ident[key] = _hex_attr(sysfs.read_at(dev + "/" + attr), digits)
        except (SysfsError, ValueError) as exc:
            ident[key] = None
            if required or not isinstance(exc, SysfsError):
                errors.append("%s: %s" % (attr, exc))
    return ident


def read_identity(sysfs, address, errors):
    """Ids and class of one function: all that classification needs.

    The kernel's ``modalias`` has them all in one short read; a tree without it (or
    with an odd one) falls back to the attribute files. Attributes that cannot be
    read are appended to ``errors`` and left None.
    """
    dev = sysfs.device_path(address)
    ident = None
    modalias = sysfs.read_optional_at(dev + "/modalias")
    if modalias:
        try:
            ident = _identity_from_modalias(modalias)
        except ValueError:
            ident = None
    if ident is None:
        ident = _identity_from_files(sysfs, dev, errors)
    ident["address"] = address.lower()
    return ident


def read_driver(sysfs, address):
    return sysfs.link_name_at(sysfs.device_path(address) + "/driver")


def _int_at(sysfs, path, errors):
    value = sysfs.read_optional_at(path)
    if value is None or value == "":
        return None
    try:
        return int(value, 0)
    except ValueError:
        errors.append("%s: not an integer: %r" % (path.rsplit("/", 1)[-1], value))
        return None


def read_sriov(sysfs, address, errors):
    """SR-IOV block: PF (total/num VFs, VF addresses) or VF (physfn); None otherwise."""
    dev = sysfs.device_path(address)
    physfn = sysfs.link_name_at(dev + "/physfn")
    total = None if physfn else _int_at(sysfs, dev + "/sriov_totalvfs", errors)
    if physfn is None and not total:
        return None
    vfs = []
    if total:
        virtfns = sorted((int(name[6:]), name) for name in sysfs.listdir_at(dev)
                         if name.startswith("virtfn") and name[6:].isdigit())
        vfs = [sysfs.link_name_at(dev + "/" + name) for _index, name in virtfns]
    autoprobe = _int_at(sysfs, dev + "/sriov_drivers_autoprobe", errors) if total else None
    return {
        "total_vfs": total,
        "num_vfs": _int_at(sysfs, dev + "/sriov_numvfs", errors) if total else None,
        "vfs": vfs,
        "physfn": physfn,
        "drivers_autoprobe": None if autoprobe is None else bool(autoprobe),
    }


def read_details(sysfs, address, errors):
    """Driver, NUMA node and IOMMU group of a function."""
    dev = sysfs.device_path(address)
    numa = _int_at(sysfs, dev + "/numa_node", errors)
    group = sysfs.link_name_at(dev + "/iommu_group")
    return {
        "driver": sysfs.link_name_at(dev + "/driver"),
        "numa_node": numa if numa is not None and numa >= 0 else None,
        "iommu_group": int(group) if group is not None and group.isdigit() else None,
    }


def device_exists(sysfs, address):
    return sysfs.exists(*(PCI_DEVICES + (address,)))
