#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: vfio_bind
short_description: Bind PCI functions to vfio-pci for device assignment, or back to their host driver
version_added: 0.1.0
description:
  - With O(state=vfio), binds each device to O(vfio_driver) the way C(driverctl) does. It writes
    C(driver_override), unbinds the current driver, and asks the kernel to probe again
    (C(drivers_probe)). Loads the driver with C(modprobe) when it is not loaded.
  - With O(state=native), clears C(driver_override), unbinds the vfio driver and binds
    O(native_driver), or lets the kernel pick the host driver.
  - Refuses, before changing anything, when a device has no IOMMU group (the IOMMU is off),
    when another member of a device's IOMMU group is bound to a host driver and is not in
    O(devices), when a device backs a mounted filesystem or active swap (also through LVM, MD,
    device-mapper and native NVMe multipath, where every controller of the namespace's
    subsystem is protected), carries the default route (directly or through a bond, bridge or
    VLAN), is the console (the boot VGA device, or the framebuffer fbcon is bound to), is a PF
    with VFs, or its VFIO group is held open by a process. Check mode refuses the same way.
  - Every step is verified by re-reading sysfs. When a device does not end up as asked, it is
    put back on its previous driver, and the failure says what was done and what was not.
  - The binding does not survive a reboot; the role C(openaccel.cyborg.vfio) makes it persistent.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
attributes:
  check_mode:
    support: full
    details: Runs every check and reports the steps it would take; writes nothing.
  diff_mode:
    support: full
    details: Driver and C(driver_override) of each device, before and after.
  idempotent:
    support: full
options:
  devices:
    description:
      - PCI addresses of the functions, C(0000:3b:00.0). List every member of an IOMMU group
        that is bound to a host driver.
    type: list
    elements: str
    required: true
    aliases: [address]
  state:
    description:
      - C(vfio) binds to O(vfio_driver); C(native) returns the devices to the host.
    type: str
    default: vfio
    choices: [vfio, native]
  vfio_driver:
    description:
      - The vfio driver, C(vfio-pci) or a vendor variant (C(mlx5_vfio_pci), C(nvgrace-gpu-vfio-pci)).
    type: str
    default: vfio-pci
  native_driver:
    description:
      - With O(state=native), bind to this driver. Unset lets the kernel choose (the driver that
        matches the device), and a device no driver claims stays unbound, with a warning.
    type: str
  load_module:
    description:
      - Run C(modprobe) for a driver that is not loaded (no C(bus/pci/drivers/<driver>)).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each step to show in sysfs.
    type: float
    default: 10.0
  poll_interval:
    description:
      - Seconds between two reads of sysfs while waiting.
    type: float
    default: 0.05
  sysfs_root:
    description:
      - Root of the sysfs tree (C(/host/sys) in a container, a test tree).
    type: path
    default: /sys
  proc_root:
    description:
      - Root of the proc filesystem read for mounts, swaps, routes and open VFIO groups.
    type: path
    default: /proc
requirements:
  - python >= 3.6
notes:
  - Needs root on the target (C(become)).
  - Binding a GPU with an audio function needs both functions in O(devices) (same IOMMU group).
seealso:
  - module: openaccel.cyborg.pci_sriov
  - name: VFIO - Virtual Function I/O (kernel documentation)
    description: How IOMMU groups limit device assignment.
    link: https://docs.kernel.org/driver-api/vfio.html
"""

EXAMPLES = r"""
- name: Give two E810 VFs to vfio-pci
  openaccel.cyborg.vfio_bind:
    devices: ["0000:a2:01.0", "0000:a2:01.1"]

- name: A GPU and its HDMI audio function (one IOMMU group)
  openaccel.cyborg.vfio_bind:
    devices: ["0000:09:00.0", "0000:09:00.1"]

- name: Return them to the host driver
  openaccel.cyborg.vfio_bind:
    devices: ["0000:a2:01.0", "0000:a2:01.1"]
    state: native
    native_driver: iavf
"""

RETURN = r"""
devices:
  description: Each device as read back at the end.
  returned: success
  type: list
  elements: dict
  sample: [{address: "0000:a2:01.0", driver: vfio-pci, driver_override: vfio-pci, iommu_group: 11}]
actions:
  description: The steps taken (would be taken, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["0000:a2:01.0: driver_override=vfio-pci", "0000:a2:01.0: unbind from iavf",
           "0000:a2:01.0: drivers_probe (vfio-pci)"]
"""

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio.runner import (
    ARGSPEC, run)


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
