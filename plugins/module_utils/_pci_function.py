# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What sysfs shows of one PCI function: attribute readers and its driver state (reads only).

Shared by pci_sriov (``_sriov/state.py``: a PF and its VFs) and vfio_bind
(``_vfio/state.py``: driver, ``driver_override``, IOMMU group), so that neither imports the
other.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def is_vfio_driver(driver):
    """True for vfio-pci and its vendor variants (mlx5_vfio_pci, nvgrace-gpu-vfio-pci)."""
    return bool(driver) and (driver == "vfio-pci" or driver.endswith(("-vfio-pci", "_vfio_pci")))


def attr(sysfs, path):
    """First line of an attribute, stripped; None when absent (sysfs values are one line)."""
    value = sysfs.read_optional_at(path)
    if value is None:
        return None
    return value.split("\n", 1)[0].strip()


def int_attr(sysfs, path):
    """An attribute as an integer (decimal or 0x hex); None when absent or not a number."""
    value = attr(sysfs, path)
    try:
        return int(value, 0) if value else None
    except ValueError:
        return None


def function_state(sysfs, address):
    """{address, driver, iommu_group} of one function (None where there is none)."""
    dev = sysfs.device_path(address)
    group = sysfs.link_name_at(dev + "/iommu_group")
    return {"address": address, "driver": sysfs.link_name_at(dev + "/driver"),
            "iommu_group": int(group) if group and group.isdigit() else None}
