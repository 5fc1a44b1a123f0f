# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""SR-IOV state of a PF and the decision "is work needed?" (no writes here).

``read_pf`` reads what the kernel shows, ``validate`` refuses impossible requests before
anything is written, ``plan`` lists the writes that take the PF to the wanted state, and
``vf_progress`` tells whether the VFs have appeared (and bound) after the writes.  The
attribute readers and the per-function state come from ``_pci_function.py``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._sriov.checks import check_num_vfs
from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_function import (
    function_state, int_attr)


class SriovError(Exception):
    """A request that cannot be done; the message names the option and the fix."""


def routing_id_plus(address, delta):
    domain, bus, devfn = address[:-8], int(address[-7:-5], 16), address[-4:]
    rid = (bus << 8 | int(devfn[:2], 16) << 3 | int(devfn[3])) + delta
    return "%s:%02x:%02x.%x" % (domain, rid >> 8 & 0xFF, rid >> 3 & 0x1F, rid & 0x7)


def read_pf(sysfs, address):
    """What the kernel shows for ``address``; ``exists`` False when there is no such function."""
    dev = sysfs.device_path(address)
    state = {"address": address, "exists": sysfs.exists("bus", "pci", "devices", address)}
    if not state["exists"]:
        return state
    autoprobe = int_attr(sysfs, dev + "/sriov_drivers_autoprobe")
    virtfns = sorted((int(name[6:]), name) for name in sysfs.listdir_at(dev)
                     if name.startswith("virtfn") and name[6:].isdigit())
    vfs = []
    for _index, name in virtfns:
        vf = sysfs.link_name_at(dev + "/" + name)
        if vf and sysfs.exists("bus", "pci", "devices", vf):
            vfs.append(function_state(sysfs, vf))
    state.update({
        "driver": sysfs.link_name_at(dev + "/driver"),
        "physfn": sysfs.link_name_at(dev + "/physfn"),
        "total_vfs": int_attr(sysfs, dev + "/sriov_totalvfs"),
        "num_vfs": int_attr(sysfs, dev + "/sriov_numvfs"),
        "drivers_autoprobe": None if autoprobe is None else bool(autoprobe),
        "offset": int_attr(sysfs, dev + "/sriov_offset"),
        "stride": int_attr(sysfs, dev + "/sriov_stride"),
        "vfs": vfs,
    })
    return state


def validate(state, num_vfs):
    """Raise SriovError when ``num_vfs`` cannot be set on this function (``checks.py``)."""
    messages = check_num_vfs(state, num_vfs)
    if messages:
        raise SriovError(messages[0])


def plan(state, num_vfs, drivers_autoprobe=None):
    """Ordered writes [(attribute, value)] that take the PF to ``num_vfs``; [] = no change.

    ``sriov_drivers_autoprobe`` is written first (it applies to VFs created afterwards); a
    change between two non-zero counts goes through 0, as the kernel requires.
    """
    steps = []
    if drivers_autoprobe is not None and state["drivers_autoprobe"] != drivers_autoprobe:
        steps.append(("sriov_drivers_autoprobe", 1 if drivers_autoprobe else 0))
    current = state["num_vfs"]
    if current != num_vfs:
        if current:
            steps.append(("sriov_numvfs", 0))
        if num_vfs:
            steps.append(("sriov_numvfs", num_vfs))
    return steps


def in_use_vfs(state, busy_drivers):
    """VFs bound to a driver in ``busy_drivers`` (e.g. vfio-pci: possibly in a guest)."""
    return [vf["address"] for vf in state.get("vfs", []) if vf["driver"] in busy_drivers]


def predicted_vf_addresses(state, num_vfs):
    """VF addresses the kernel will give (PF routing id + offset + i * stride)."""
    offset, stride = state.get("offset"), state.get("stride")
    if offset is None or stride is None:
        return None
    return [routing_id_plus(state["address"], offset + i * stride) for i in range(num_vfs)]


def vf_progress(state, num_vfs, vf_driver=None):
    """(ready, problems): every VF present (and bound to ``vf_driver`` when given)."""
    problems = []
    if state.get("num_vfs") != num_vfs:
        problems.append("sriov_numvfs reads %s" % state.get("num_vfs"))
    if len(state.get("vfs", [])) != num_vfs:
        problems.append("%d of %d VFs present" % (len(state.get("vfs", [])), num_vfs))
    if vf_driver:
        wrong = ["%s (%s)" % (vf["address"], vf["driver"] or "unbound")
                 for vf in state.get("vfs", []) if vf["driver"] != vf_driver]
        if wrong:
            problems.append("not bound to %s: %s" % (vf_driver, ", ".join(wrong)))
    return not problems, problems


def public_state(state):
    """The part of the state shown in results and diffs."""
    if not state.get("exists"):
        return {"address": state["address"], "exists": False}
    return {
        "address": state["address"], "total_vfs": state["total_vfs"],
        "num_vfs": state["num_vfs"], "drivers_autoprobe": state["drivers_autoprobe"],
        "vfs": [vf["address"] for vf in state["vfs"]],
        "vf_drivers": dict((vf["address"], vf["driver"]) for vf in state["vfs"]),
    }
