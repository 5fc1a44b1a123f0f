# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Read PCI functions from ``<sysfs>/bus/pci/devices`` (every domain).

Speed matters on hosts with hundreds of functions: identity comes from the one
``modalias`` file (ids, subsystem ids, class) with the separate attribute files as
the fallback, and everything else is read only for accelerators.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import is_sysfs_address
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs, SysfsError

PCI_DEVICES = ("bus", "pci", "devices")
_HEX = re.compile(r"^[0-9a-f]+$")


def list_addresses(sysfs):
    """Every PCI function address under the root, sorted, any domain."""
    return [name for name in sysfs.listdir(*PCI_DEVICES) if is_sysfs_address(name.lower())]


def _hex_attr(value, digits):
    text = value.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if not _HEX.match(text):
        raise ValueError("not a hex value: %r" % value)
    return text.zfill(digits)[-digits:]


# pci:v 0000VVVV d 0000DDDD sv 0000SSSS sd 0000ssss bc BB sc SS i II (drivers/pci/pci-sysfs.c:
# "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X"); the ids are the low four digits of each.
_MODALIAS = re.compile(
    r"pci:v[0-9A-F]{4}([0-9A-F]{4})d[0-9A-F]{4}([0-9A-F]{4})sv[0-9A-F]{4}([0-9A-F]{4})"
    r"sd[0-9A-F]{4}([0-9A-F]{4})bc([0-9A-F]{2})sc([0-9A-F]{2})i([0-9A-F]{2})", re.IGNORECASE)


def _identity(found):
    vendor, device, sub_vendor, sub_device, base, sub, prog = found.group(1, 2, 3, 4, 5, 6, 7)
    return {
        "vendor_id": vendor.lower(), "device_id": device.lower(),
        "subsystem_vendor_id": sub_vendor.lower(), "subsystem_device_id": sub_device.lower(),
        "class_code": (base + sub + prog).lower(),
    }


def read_identity_files(sysfs, dev, errors):
    """Ids and class from the separate attribute files (a tree without a usable
    ``modalias``). Attributes that cannot be read are appended to ``errors`` and left None."""
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


def _read_text(path):
    """Sysfs.read_optional_at without its two call levels: discovery reads ~1400 attributes on a
    540-function host, and the layers cost 5% of its time (A/B, benchmarks/discovery_bench.py),
    enough to drop it under the 5x-lspci target; everything else goes through Sysfs."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            return os.read(fd, 4096).decode("utf-8", "replace").strip()
        finally:
            os.close(fd)
    except OSError:
        return None


def read_modalias(dev):
    """Text of the function's ``modalias``, or None when it cannot be read."""
    return _read_text(dev + "/modalias")


def identity_from_modalias(modalias):
    """Ids and class from the kernel's ``modalias`` text, or None when it is odd or absent."""
    found = _MODALIAS.match(modalias) if modalias else None
    return _identity(found) if found is not None else None


def _int_at(path, errors):
    """Integer attribute; None when absent, unreadable or empty (garbage goes to errors)."""
    value = _read_text(path)
    if not value:
        return None
    try:
        return int(value, 0)
    except ValueError:
        errors.append("%s: not an integer: %r" % (path.rsplit("/", 1)[-1], value))
        return None


_link_name = Sysfs.link_name_at


def _virtfn_names(dev, num_vfs):
    """``virtfnN`` links of a PF: the kernel makes virtfn0..virtfn<num_vfs - 1>; the
    directory is listed only when sriov_numvfs could not be read."""
    if num_vfs is not None:
        return ["virtfn%d" % index for index in range(num_vfs)]
    names = Sysfs.listdir_at(dev)
    return [name for _index, name in sorted(
        (int(name[6:]), name) for name in names if name.startswith("virtfn") and name[6:].isdigit())]


def vf_sriov(physfn):
    """SR-IOV block of a VF of ``physfn``."""
    return {"total_vfs": None, "num_vfs": None, "vfs": [], "physfn": physfn,
            "drivers_autoprobe": None}


def read_sriov(dev, errors):
    """SR-IOV block of the function in ``dev``: PF (total/num VFs, VF addresses) or VF
    (physfn); None otherwise."""
    physfn = _link_name(dev + "/physfn")
    if physfn is not None:
        return vf_sriov(physfn)
    total = _int_at(dev + "/sriov_totalvfs", errors)
    if not total:
        return None
    num = _int_at(dev + "/sriov_numvfs", errors)
    vfs = [_link_name(dev + "/" + name) for name in _virtfn_names(dev, num)]
    autoprobe = _int_at(dev + "/sriov_drivers_autoprobe", errors)
    return {
        "total_vfs": total, "num_vfs": num, "vfs": [vf for vf in vfs if vf is not None],
        "physfn": None, "drivers_autoprobe": None if autoprobe is None else bool(autoprobe),
    }


def read_details(dev, record, errors):
    """Revision, driver, NUMA node, IOMMU group and PCIe topology of the function in ``dev``,
    set in ``record``."""
    numa = _int_at(dev + "/numa_node", errors)
    group = _link_name(dev + "/iommu_group")
    record["revision"] = _revision(dev, errors)
    record["driver"] = _link_name(dev + "/driver")
    record["numa_node"] = numa if numa is not None and numa >= 0 else None
    record["iommu_group"] = int(group) if group is not None and group.isdigit() else None
    record["pcie_root"], record["pcie_switch"] = pcie_topology(dev)


def _revision(dev, errors):
    """``revision`` ("0x01") as 2 lower-case hex digits; None when absent or unreadable."""
    value = _read_text(dev + "/revision")
    if not value:
        return None
    try:
        return _hex_attr(value, 2)
    except ValueError as exc:
        errors.append("revision: %s" % exc)
        return None


# pci<domain>:<bus>: a host bridge (PCI root complex) directory below /sys/devices.
_ROOT_BUS = re.compile(r"^pci[0-9a-f]{4,8}:[0-9a-f]{2}$")


def pcie_topology(dev):
    """(pcie_root, pcie_switch) of the function whose ``bus/pci/devices`` link is ``dev``.

    The kernel nests a function's directory below every bridge above it:
    ``devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:00.0/0000:3d:00.0`` is root
    complex ``pci0000:3a`` -> root port 3a:00.0 -> switch upstream port 3b:00.0 -> switch
    downstream port 3c:00.0 -> the function.

    - ``pcie_root`` is the first directory below ``devices/``, exactly the value of the
      Kubernetes DRA standard attribute ``resource.kubernetes.io/pcieRoot`` ("pci<domain>:<bus>",
      k8s.io/dynamic-resource-allocation deviceattribute), so devices under one root complex
      compare equal.
    - ``pcie_switch`` is the upstream port of the nearest PCIe switch above the function: the
      bridge two levels up (the parent of the downstream port the function hangs off), when
      the function sits at least three bridges below the root complex (root port, switch
      upstream port, downstream port). None when it hangs off a root port directly (or off a
      root-port-attached PCI bridge), or is an integrated endpoint on the root bus. VFs share
      their PF's position. Behind a VMD-style nested domain the chain starts again below the
      inner ``pci<domain>:<bus>``.
    Both are None when the link cannot be resolved into a ``devices/pci...`` path.
    """
    root = dev.rsplit("/" + "/".join(PCI_DEVICES) + "/", 1)[0]
    devices = os.path.realpath(root + "/devices") + "/"
    real = os.path.realpath(dev)
    if not real.startswith(devices):
        return None, None
    below = real[len(devices):].split("/")
    if len(below) < 2 or not _ROOT_BUS.match(below[0]):
        return None, None
    chain = []
    for name in below[1:-1]:
        if _ROOT_BUS.match(name):
            chain = []
        elif is_sysfs_address(name):
            chain.append(name)
    return below[0], chain[-2] if len(chain) >= 3 else None


def device_exists(sysfs, address):
    return sysfs.exists(*(PCI_DEVICES + (address,)))
