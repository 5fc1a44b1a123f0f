# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Which device records the converge registers (Placement providers, Kubernetes devices).

A device a selector of the spec claims is registered, with the VFs of a claimed PF. Of the
devices no selector claims (with ``accelerators_register_unclaimed``), only accelerators are:
the host's own NVMe disks (its boot disk among them) and NIC PFs without VFs are not devices
to hand to a VM or a pod unless the spec says so.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Device types registered without a selector asking for them; a NIC only with VFs.
ACCELERATOR_TYPES = ("gpu", "ai", "fpga", "qat", "dsa", "iaa")


def _has_vfs(record):
    sriov = record.get("sriov") or {}
    return bool(record.get("is_virtual_function") or sriov.get("num_vfs") or sriov.get("vfs"))


def registered_by_default(record):
    """True for an accelerator (ACCELERATOR_TYPES) or an SR-IOV NIC function with VFs."""
    kind = record.get("type")
    return kind in ACCELERATOR_TYPES or (kind == "nic" and _has_vfs(record))


def registered_devices(records, claimed=(), unclaimed=True):
    """The records to register, in their order: the claimed addresses and their VFs, and,
    with ``unclaimed``, every other record ``registered_by_default``."""
    claimed = set(claimed or ())
    out = []
    for record in records or []:
        parent = (record.get("sriov") or {}).get("physfn")
        if record.get("address") in claimed or parent in claimed:
            out.append(record)
        elif unclaimed and registered_by_default(record):
            out.append(record)
    return out
