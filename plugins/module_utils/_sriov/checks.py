# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Input checks of pci_sriov: the VF counts it refuses before any sysfs write.

Pure (no I/O): ``state.validate`` raises the first of them for the PF it read, and
validate_spec calls the same function on the spec's ``sriov`` settings and the device
records (``plugin_utils/_spec/module_checks.py``).  Messages are worded as the module reports
them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def state_from_record(record):
    """The part of ``state.read_pf`` the checks use, from a discovery device record."""
    sriov = record.get("sriov") or {}
    return {"address": record.get("address"), "exists": True, "physfn": sriov.get("physfn"),
            "total_vfs": sriov.get("total_vfs"), "num_vfs": sriov.get("num_vfs")}


def check_num_vfs(state, num_vfs):
    """Messages (empty: fine) for setting ``num_vfs`` VFs on the function ``state`` describes
    (``exists``, ``physfn``, ``total_vfs``, ``num_vfs``); the first says what is wrong first."""
    address = state["address"]
    if not state["exists"]:
        return ["address: no PCI function %s under sysfs_root; check the address (lspci -D) "
                "or sysfs_root" % address]
    if state.get("physfn"):
        return ["address: %s is a virtual function of %s; give the physical function's "
                "address" % (address, state["physfn"])]
    if not state.get("total_vfs") or state.get("num_vfs") is None:
        return ["address: %s is not SR-IOV capable or its driver does not support SR-IOV (no "
                "sriov_totalvfs/sriov_numvfs); bind the PF to its native driver or enable "
                "SR-IOV in the firmware" % address]
    if num_vfs < 0:
        return ["num_vfs: %d is negative; use 0 to remove every VF" % num_vfs]
    if num_vfs > state["total_vfs"]:
        return ["num_vfs: %d is above sriov_totalvfs of %s (%d); ask for at most %d VFs"
                % (num_vfs, address, state["total_vfs"], state["total_vfs"])]
    return []
