#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: pci_sriov
short_description: Set the number of SR-IOV virtual functions of a PCI physical function
version_added: 0.1.0
description:
  - Sets C(sriov_numvfs) of a physical function (PF) and waits until every virtual function (VF)
    has appeared and, with O(vf_driver), is bound to that driver. Reports the VF addresses.
  - A change between two non-zero counts goes through 0 first, as the kernel requires; that
    removes every existing VF (and their network interfaces or guest assignments).
  - Refuses a count above C(sriov_totalvfs), a VF address, or a function without SR-IOV,
    before writing anything.
  - The result is verified by re-reading sysfs; a timeout or a refused write fails with what
    was written and what the device shows now. Nothing is rolled back; a rerun converges.
  - The change does not survive a reboot; the role
    C(openaccel.cyborg.sriov) makes it persistent.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
attributes:
  check_mode:
    support: full
    details: Reads only; reports the writes it would make and the VF addresses it predicts.
  diff_mode:
    support: full
    details: Before and after of C(num_vfs), C(drivers_autoprobe) and the VF addresses.
  idempotent:
    support: full
options:
  address:
    description:
      - PCI address of the physical function, C(0000:3b:00.0) (C(3b:00.0) means domain 0).
    type: str
    required: true
    aliases: [pf]
  num_vfs:
    description:
      - Number of VFs wanted; C(0) removes every VF. At most C(sriov_totalvfs).
    type: int
    required: true
  drivers_autoprobe:
    description:
      - Value of C(sriov_drivers_autoprobe). C(false) leaves new VFs unbound (for example to bind
        them to vfio-pci without a host driver touching them first). Applies to VFs created
        after the change. Unset leaves it as it is.
    type: bool
  vf_driver:
    description:
      - Also wait until every VF is bound to this driver (C(iavf), C(mlx5_core), ...). The
        module does not bind VFs itself; use M(openaccel.cyborg.vfio_bind) for vfio-pci.
    type: str
  timeout:
    description:
      - Seconds to wait for each step (VFs removed, VFs created and bound).
    type: float
    default: 60.0
  poll_interval:
    description:
      - Seconds between two reads of sysfs while waiting.
    type: float
    default: 0.1
  wait_method:
    description:
      - C(udev) wakes up on uevents of a pyudev monitor (needs pyudev and O(sysfs_root=/sys));
        C(poll) re-reads sysfs every O(poll_interval); C(auto) uses udev when it can.
      - Either way the outcome is decided by reading sysfs.
    type: str
    default: auto
    choices: [auto, udev, poll]
  force:
    description:
      - Change the count even when existing VFs are bound to a vfio driver (they are probably
        assigned to guests, which lose them).
    type: bool
    default: false
  sysfs_root:
    description:
      - Root of the sysfs tree (C(/host/sys) in a container, a test tree).
    type: path
    default: /sys
requirements:
  - python >= 3.6
  - pyudev for O(wait_method=udev) (optional)
notes:
  - Needs root on the target (C(become)).
seealso:
  - module: openaccel.cyborg.vfio_bind
  - module: openaccel.cyborg.accelerator_facts
"""

EXAMPLES = r"""
- name: Eight VFs on the E810, bound to iavf
  openaccel.cyborg.pci_sriov:
    address: "0000:a2:00.0"
    num_vfs: 8
    vf_driver: iavf
  register: sriov

- name: Sixteen VFs left unbound, then given to vfio-pci
  openaccel.cyborg.pci_sriov:
    address: "0000:3b:00.0"
    num_vfs: 16
    drivers_autoprobe: false
  register: qat

- name: Bind them to vfio-pci
  openaccel.cyborg.vfio_bind:
    devices: "{{ qat.vf_addresses }}"

- name: Remove every VF
  openaccel.cyborg.pci_sriov:
    address: "0000:a2:00.0"
    num_vfs: 0
"""

RETURN = r"""
address:
  description: The PF address, normalized.
  returned: success
  type: str
  sample: "0000:a2:00.0"
total_vfs:
  description: C(sriov_totalvfs) of the PF.
  returned: success
  type: int
  sample: 128
num_vfs:
  description: C(sriov_numvfs) read back after the change (before it, in check mode).
  returned: success
  type: int
  sample: 8
drivers_autoprobe:
  description: C(sriov_drivers_autoprobe) read back.
  returned: success
  type: bool
vfs:
  description: The VFs, in C(virtfn) order, each with its address, driver and IOMMU group.
  returned: success
  type: list
  elements: dict
  sample: [{address: "0000:a2:01.0", driver: iavf, iommu_group: 11}]
vf_addresses:
  description: The VF addresses, in C(virtfn) order.
  returned: success
  type: list
  elements: str
  sample: ["0000:a2:01.0", "0000:a2:01.1"]
actions:
  description: The writes made (would be made, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["sriov_numvfs=0", "sriov_numvfs=8"]
wait_method:
  description: C(udev) or C(poll).
  returned: success
  type: str
waited:
  description: Seconds spent waiting for the kernel.
  returned: success
  type: float
"""

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute
from ansible_collections.openaccel.cyborg.plugins.module_utils._sriov.runner import (
    ARGSPEC, run)


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
