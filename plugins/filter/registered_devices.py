# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: registered_devices
short_description: The device records a converge registers
version_added: 0.3.0
author:
  - openaccel.cyborg developers (@openaccel)
description:
  - From a host's device records (C(ansible_facts.accelerators)), the ones the
    P(openaccel.cyborg.accelerators#role) role registers to Placement and Kubernetes.
  - Every device a selector of the spec claims, with the VFs of a claimed PF.
  - With O(unclaimed), also every other accelerator (types C(gpu), C(ai), C(fpga), C(qat),
    C(dsa), C(iaa)) and every SR-IOV NIC function with VFs. NVMe drives (the host's own disks)
    and NIC PFs without VFs are registered only when a selector claims them.
options:
  _input:
    description: Device records (see C(schemas/device.schema.json)).
    type: list
    elements: dict
    required: true
  claimed:
    description: Addresses that selectors of the spec claim.
    type: list
    elements: str
    default: []
  unclaimed:
    description: Also register the accelerators no selector claims.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Register the claimed devices and every unclaimed accelerator
  openaccel.cyborg.placement_provider_tree:
    compute_node: "{{ inventory_hostname }}"
    devices: "{{ ansible_facts.accelerators | openaccel.cyborg.registered_devices(claimed=['0000:c1:00.0']) }}"
"""

RETURN = r"""
_value:
  description: The records to register, in their input order.
  type: list
  elements: dict
"""

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.registration import (
    registered_devices)


class FilterModule(object):
    def filters(self):
        return {"registered_devices": registered_devices}
