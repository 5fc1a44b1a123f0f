#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: accelerator_facts
short_description: Discover hardware accelerators (GPUs, FPGAs, QAT, DSA, NVMe, SR-IOV NICs, AI chips)
version_added: 0.1.0
description:
  - Walks C(<sysfs_root>/bus/pci/devices) (every PCI domain) and returns one device record per
    accelerator function in C(ansible_facts.accelerators), plus counts in
    C(ansible_facts.accelerator_summary).
  - Classification is data-driven. A rules table shipped with the collection maps vendor id,
    device id, subsystem ids and class code to a type (gpu, ai, fpga, qat, dsa, iaa, nvme, nic,
    other), vendor/product labels and a default Placement resource class; O(extra_rules) adds
    or overrides rules.
  - Bridges, NVSwitches, uncore/system peripherals, USB, audio and plain NICs without SR-IOV
    are not accelerators; they only count in the summary. An unknown function in an
    accelerator class (processing accelerator 0x12, co-processor 0x0b40) is reported as
    C(other), never dropped.
  - NVIDIA GPUs are enriched through NVML (pynvml) with UUID, memory, driver/CUDA versions,
    compute capability and MIG state. AMD GPUs are enriched from the KFD topology in sysfs.
    FPGAs carry Intel DFL (FME/ports), Xilinx XRT (xclmgmt/xocl) or fpga_manager state.
  - Vendor and product names come from the udev hwdb (pyudev) when reading the live C(/sys),
    otherwise from a C(pci.ids) file, otherwise they are null.
  - The record format is described by C(schemas/device.schema.json) in the collection.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    details: Nothing is changed, so there is nothing to diff.
  idempotent:
    support: full
options:
  sysfs_root:
    description:
      - Root of the sysfs tree to read. Use the host's sysfs mounted into a container, for example
        C(/host/sys), or a captured tree for testing.
    type: path
    default: /sys
  extra_rules:
    description:
      - Classification rules added in front of the built-in table (the most specific rule wins;
        at the same specificity a user rule wins over a built-in one).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Name of the rule, shown in each record's C(rule) field.
        type: str
      vendor_id:
        description: PCI vendor id, 4 hex digits (C(10de) or C(0x10de)). Omit to match any vendor.
        type: str
      device_ids:
        description: PCI device ids (4 hex digits each). Omit to match any device of the vendor.
        type: list
        elements: str
      device_id:
        description: A single PCI device id, added to O(extra_rules[].device_ids).
        type: str
      subsystem_vendor_id:
        description: Subsystem vendor id the function must have.
        type: str
      subsystem_device_id:
        description: Subsystem device id the function must have.
        type: str
      class_prefix:
        description: Leading 2, 4 or 6 hex digits of the class code (C(12), C(0b40), C(030200)).
        type: str
      requires_sriov:
        description: Match only SR-IOV physical functions (sriov_totalvfs > 0) and virtual functions.
        type: bool
        default: false
      type:
        description: Accelerator type given to matching functions.
        type: str
        required: true
        choices: [gpu, ai, fpga, qat, dsa, iaa, nvme, nic, other]
      vendor_label:
        description: Short lower-case vendor label (letters, digits, C(_)).
        type: str
      product_label:
        description: Short product label.
        type: str
      function:
        description: Role of the function on its card (C(mgmt), C(user), C(pf), C(vf)).
        type: str
      resource_class:
        description: Default Placement resource class for matching devices (C(PGPU), C(CUSTOM_X)).
        type: str
      accelerator:
        description: Set to C(false) to exclude matching functions (they then only count in the summary).
        type: bool
        default: true
  nvml:
    description:
      - C(auto) enriches NVIDIA GPUs through NVML when pynvml imports and NVML initialises; when
        it does not, the records stay (from sysfs) and C(gpu.nvml_error) gives the reason.
      - C(required) fails when NVML cannot be used; C(disabled) never loads it.
    type: str
    default: auto
    choices: [auto, required, disabled]
  udev:
    description:
      - C(auto) uses pyudev (libudev) for enumeration and hwdb names when O(sysfs_root) is the live
        C(/sys) and pyudev imports. C(disabled) reads sysfs only.
    type: str
    default: auto
    choices: [auto, disabled]
  pci_ids_path:
    description:
      - C(pci.ids) file for vendor/product names when the udev hwdb is not used. By default the
        first of C(/usr/share/misc/pci.ids), C(/usr/share/hwdata/pci.ids), C(/usr/share/pci.ids).
    type: path
requirements:
  - python >= 3.6
  - pynvml (nvidia-ml-py) for NVIDIA enrichment (optional)
  - pyudev for hwdb names on a live system (optional)
notes:
  - Unreadable attributes or a function that vanishes during the walk give a record with an
    C(errors) list instead of a failure.
seealso:
  - name: Device record JSON Schema
    description: C(schemas/device.schema.json) in the collection.
    link: https://json-schema.org/draft/2020-12/schema
"""

EXAMPLES = r"""
- name: Discover the accelerators of the host
  openaccel.cyborg.accelerator_facts:

- name: Read the host's sysfs from inside a container, without NVML
  openaccel.cyborg.accelerator_facts:
    sysfs_root: /host/sys
    nvml: disabled

- name: Classify an in-house FPGA card and ignore a GPU used for display
  openaccel.cyborg.accelerator_facts:
    extra_rules:
      - id: acme-fpga
        vendor_id: "1e24"
        device_ids: ["0101"]
        type: fpga
        vendor_label: acme
        product_label: ax1
        resource_class: CUSTOM_ACME_AX1
      - vendor_id: "10de"
        device_ids: ["1eb1"]
        type: gpu
        accelerator: false

- name: Show the GPUs
  ansible.builtin.debug:
    msg: "{{ ansible_facts.accelerators | selectattr('type', 'equalto', 'gpu') | map(attribute='address') }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    accelerators:
      description:
        - One device record per accelerator function (see C(schemas/device.schema.json)).
        - C(revision) is the PCI revision id; C(pcie_root) the PCI root complex the function
          hangs below, as Kubernetes' C(resource.kubernetes.io/pcieRoot) names it
          (C(pci<domain>:<bus>)); C(pcie_switch) the upstream port of the nearest PCIe switch
          above it (null when it sits on a root port); functions sharing a value share that
          root or switch.
        - An AMD GPU split into compute partitions (MI300 CPX, DPX, ...) is one record, with
          C(gpu.partitions) (count, mode, the KFD nodes) and the whole GPU's compute units.
      returned: always
      type: list
      elements: dict
      sample:
        - address: "0000:18:00.0"
          vendor_id: "10de"
          device_id: "2330"
          subsystem_vendor_id: "10de"
          subsystem_device_id: "16c1"
          class_code: "030200"
          revision: "a1"
          type: gpu
          vendor: NVIDIA Corporation
          product: GH100[H100 SXM5 80GB]
          vendor_label: nvidia
          product_label: h100
          resource_class: PGPU
          driver: nvidia
          numa_node: 0
          iommu_group: 21
          pcie_root: pci0000:17
          pcie_switch: "0000:17:01.0"
          sriov: null
          dev_nodes: [/dev/nvidia0]
          gpu: {source: nvml, uuid: GPU-..., memory_total_mib: 81559, driver_version: 535.183.01}
          errors: []
    accelerator_summary:
      description: Counts by type, by vendor/product, by NUMA node, and of non-accelerator functions by PCI class.
      returned: always
      type: dict
      sample:
        total_pci_functions: 212
        accelerator_count: 8
        by_type: {gpu: 8}
        by_product: {nvidia/h100: 8}
        by_numa_node: {"0": 4, "1": 4}
        non_accelerators: {bridge: 120, system_peripheral: 60}
        with_errors: 0
    accelerator_discovery:
      description: How discovery ran.
      returned: always
      type: dict
      contains:
        sysfs_root:
          description: The sysfs root that was read.
          type: str
          returned: always
        enumeration:
          description: C(udev) (pyudev on the live /sys) or C(sysfs).
          type: str
          returned: always
        nvml:
          description: NVML status (available, reason, driver version, device counts).
          type: dict
          returned: always
"""

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.runner import (
    ARGSPEC, run)
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
