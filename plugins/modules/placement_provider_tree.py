#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: placement_provider_tree
short_description: Register a host's accelerators as OpenStack Placement resource providers
version_added: 0.1.0
description:
  - Reconciles the device resource providers under one compute node's provider in
    OpenStack Placement with the device records from M(openaccel.cyborg.accelerator_facts).
  - One child provider per device, named C(<compute node>_<pci address>), with the UUID
    OpenStack Cyborg would give it (C(uuid3(NAMESPACE_DNS, name))), so a fleet can move
    between Cyborg and this collection without new UUIDs.
  - "Default resource class by the record's C(type) unless the record's
    C(resource_class) or an override says otherwise: C(gpu) -> C(PGPU), C(fpga) -> C(FPGA),
    C(qat) -> C(CUSTOM_QAT), C(dsa) -> C(CUSTOM_DSA), C(iaa) -> C(CUSTOM_IAA),
    C(nvme) -> C(CUSTOM_NVME), C(nic) -> C(CUSTOM_NIC), C(ai) -> C(CUSTOM_AI), anything
    else C(CUSTOM_PCI_<VENDOR ID>_<DEVICE ID>) (Nova's PCI-in-Placement naming)."
  - "Traits of every device provider: the ownership trait O(owner_trait), C(OWNER_CYBORG)
    (with O(cyborg_compat)), C(CUSTOM_<TYPE>_<VENDOR>) (Cyborg's C(CUSTOM_GPU_NVIDIA),
    C(CUSTOM_FPGA_INTEL)), C(CUSTOM_<TYPE>_PRODUCT_ID_<DEVICE ID>) (Cyborg's
    C(CUSTOM_GPU_PRODUCT_ID_20B5)), C(CUSTOM_<TYPE>_<VENDOR>_<PRODUCT LABEL>),
    C(CUSTOM_NUMA_NODE_<N>), C(CUSTOM_PCI_FUNCTION_<ROLE>), and for FPGAs
    C(CUSTOM_FPGA_REGION_<VENDOR>_<INTERFACE ID>) and C(CUSTOM_FPGA_FUNCTION_ID_<VENDOR>_<AFU ID>)."
  - Only providers that carry O(owner_trait) are ever changed or deleted. A provider with
    one of our names that we do not own (for example Nova's PCI-in-Placement provider) is
    left alone and reported as an error, after the other devices were handled.
  - Custom traits and resource classes are created when needed and never deleted.
  - All writes carry the provider generation; C(409 placement.concurrent_update) is
    retried after a re-read (bounded, with jitter); 5xx answers and connection failures are
    retried O(retries) times. Every input is validated (PCI addresses, resource class names,
    trait names against os-traits) before the first API call.
  - A no-op run makes no writes and reads the compute node, its tree (one C(in_tree) call),
    and traits and inventories of each device provider.
  - Needs Placement microversion 1.26 (OpenStack Rocky) or newer.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.openstack_auth
  - openaccel.cyborg.placement
attributes:
  check_mode:
    support: full
    description: Reads only and returns the plan it would carry out.
  diff_mode:
    support: full
    description: Before and after of every device provider (name, UUID, inventories, traits).
  idempotent:
    support: full
    description: A second run with the same input makes no write and reports no change.
options:
  compute_node:
    description:
      - Name of the compute node's resource provider (the hypervisor hostname Nova uses).
      - Defaults to the inventory host name (filled in on the controller by the module's action
        plugin); set it, for example to V({{ ansible_facts.fqdn }}), when Nova uses another name.
    type: str
  devices:
    description:
      - Device records as returned in C(ansible_facts.accelerators) by
        M(openaccel.cyborg.accelerator_facts) (C(schemas/device.schema.json)).
      - Only C(address), C(type), C(vendor_id), C(device_id), C(vendor_label),
        C(product_label), C(resource_class), C(numa_node), C(function),
        C(is_virtual_function), C(sriov) and C(fpga) are used.
    type: list
    elements: dict
    default: []
  overrides:
    description:
      - Per-device settings. Every override whose O(overrides[].match) fits a record
        applies, in list order; later ones win, traits add up.
    type: list
    elements: dict
    default: []
    suboptions:
      match:
        description:
          - Record fields to compare, each with a shell-style pattern or a list of them
            (case-insensitive). Keys are C(address), C(type), C(vendor_label),
            C(product_label), C(vendor_id), C(device_id), C(function), C(rule), C(driver).
          - An empty O(overrides[].match) matches every device.
        type: dict
      resource_class:
        description: Resource class for the matched devices (standard name or C(CUSTOM_*)).
        type: str
      traits:
        description: Extra traits (standard per os-traits, or C(CUSTOM_*)).
        type: list
        elements: str
      total:
        description: Inventory total instead of the computed one.
        type: int
      reserved:
        description: Reserved units.
        type: int
      allocation_ratio:
        description: Allocation ratio.
        type: float
      max_unit:
        description: Largest single allocation (default the total).
        type: int
      sriov_mode:
        description: See O(sriov_mode).
        type: str
        choices: [per_pf, per_vf]
      skip:
        description: Do not register the matched devices (they are purged if registered).
        type: bool
  sriov_mode:
    description:
      - V(per_pf) registers one provider per physical function with C(total) = number of
        VFs (VF records are folded into it, like Nova's PCI-in-Placement); V(per_vf) one
        provider per VF record with C(total) = 1 (the PF is then not registered).
    type: str
    choices: [per_pf, per_vf]
    default: per_pf
  traits:
    description: Extra traits for every device provider.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) makes the device providers match O(devices).
      - V(absent) deletes the managed device providers of the listed O(devices), or all
        managed device providers under O(compute_node) when O(devices) is empty.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), delete managed device providers whose device is not in
        O(devices). A provider that still has allocations is kept and drained
        (C(reserved) = C(total)), and a warning names the consumers.
    type: bool
    default: true
  create_root:
    description:
      - Create the compute node provider when it is missing (a standalone Placement without
        Nova). Otherwise a missing compute node provider is an error.
      - With O(state=absent) and no O(devices), the compute node provider is deleted too when
        it carries O(owner_trait) (this module created it) and nothing else is left below it.
    type: bool
    default: false
  owner_trait:
    description: Trait marking providers this collection manages.
    type: str
    default: CUSTOM_OPENACCEL_MANAGED
  cyborg_compat:
    description: Also put C(OWNER_CYBORG) on device providers, like OpenStack Cyborg does.
    type: bool
    default: true
  retries:
    description: Retries of one API call after a 5xx answer or a connection failure.
    type: int
    default: 4
notes:
  - Run it once per compute node, usually with C(delegate_to) a host that reaches the
    Placement API. Placement needs the C(admin) role for these calls.
  - When the task runs on the controller itself - the local connection, no become, not async,
    and the target's C(ansible_python_interpreter) the very Python running Ansible, as for the
    implicit C(localhost) - the action plugin runs the reconciliation in its task worker
    instead of starting a module process per host (keystoneauth1, requests and os-traits are
    then imported once per playbook run). Options, argument checks, check and diff mode, the
    task's C(environment), results and C(no_log) masking are the same as in a module process.
    Set the host variable C(openaccel_cyborg_in_process=false) for that host to get a module
    process anyway.
seealso:
  - name: Placement API reference
    description: The REST API this module talks to.
    link: https://docs.openstack.org/api-ref/placement/
  - name: OpenStack Cyborg
    description: The service whose provider naming this module follows.
    link: https://docs.openstack.org/cyborg/latest/
  - module: openaccel.cyborg.accelerator_facts
    description: Discovers the device records this module registers.
'''

EXAMPLES = r'''
- name: Discover accelerators
  openaccel.cyborg.accelerator_facts:

- name: Register them under the compute node (clouds.yaml entry "overcloud")
  openaccel.cyborg.placement_provider_tree:
    cloud: overcloud
    compute_node: "{{ inventory_hostname }}"
    devices: "{{ ansible_facts.accelerators }}"
    overrides:
      - match: {type: gpu, product_label: a100}
        traits: [CUSTOM_GPU_A100_80GB]
      - match: {type: qat}
        sriov_mode: per_pf
        reserved: 1
  delegate_to: localhost

- name: Standalone Placement without Keystone (noauth2 test deployment)
  openaccel.cyborg.placement_provider_tree:
    endpoint: http://127.0.0.1:8778
    token: admin
    compute_node: node1
    create_root: true
    devices: "{{ lookup('file', 'node1-devices.json') | from_json }}"

- name: Remove every device provider this collection registered for the node
  openaccel.cyborg.placement_provider_tree:
    cloud: overcloud
    compute_node: node1
    state: absent
'''

RETURN = r'''
compute_node_uuid:
  description: UUID of the compute node provider.
  returned: success
  type: str
providers:
  description: Device provider names by what happened to them (or would, in check mode).
  returned: always
  type: dict
  sample: {create: [node1_0000:3b:00.0], update: [], delete: [], drain: [], unchanged: []}
compute_node_deleted:
  description: Whether the compute node provider was (or would be) deleted, see O(create_root).
  returned: success
  type: bool
new_traits:
  description: Custom traits that were (or would be) created.
  returned: always
  type: list
  elements: str
new_resource_classes:
  description: Custom resource classes that were (or would be) created.
  returned: always
  type: list
  elements: str
api_calls:
  description: Placement calls made by this run; GETs are reads, the rest writes.
  returned: always
  type: dict
  sample: {reads: 42, writes: 0, retries: 0}
failures:
  description: Providers that could not be written, with the Placement error.
  returned: when some failed
  type: list
  elements: dict
conflicts:
  description: Providers holding one of our names that this collection does not own.
  returned: when there are some
  type: list
  elements: str
'''

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.runner import (
    ARGSPEC, run)


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
