#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: accelerator_report
short_description: Build the accelerator plan/drift reports of the hosts from their stage results
version_added: 0.2.0
description:
  - Runs on the controller only (an action plugin; nothing is sent to the hosts).
  - Turns the results the P(openaccel.cyborg.accelerators#role) role registered for a host
    (SR-IOV, vfio, MIG, flash, Placement, Kubernetes) into one report - per stage whether it
    changed (in check mode - would change, which is the drift from the spec) and what - with
    the device counts per type and what each selector of the spec claimed.
  - In check mode the Placement and Kubernetes parts are marked C(provisional) when a device
    stage would change the devices first; the real run registers what those stages leave.
  - With C(run_once) and O(hosts) (the role passes C(ansible_play_batch)), one run reports
    every host of the play batch - one task on the controller instead of one per host. That
    needs the linear strategy (the default), where every host has finished the stages before
    the task runs; under a strategy that runs each host on its own (C(free), C(host_pinned)),
    which runs C(run_once) tasks for every host, each run reports its own host only.
  - With O(dest), writes each report as C(<dest>/<host>.json) on the controller, in check
    mode too (the report is the plan); the directory is created when missing. The role's
    C(summary) entry point builds the fleet summary from these reports.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
attributes:
  check_mode:
    support: full
    description: Reports the plan instead of the changes; writes the report files all the same.
  diff_mode:
    support: none
    description: Nothing on the hosts changes.
  idempotent:
    support: full
    description: Always reports C(changed=false); the same results give the same reports.
options:
  hosts:
    description:
      - The hosts to report on when the task runs once for the play batch (C(run_once), linear
        strategy), usually C(ansible_play_batch). Otherwise the task reports its own host.
    type: list
    elements: str
  variables:
    description:
      - Names of the host variables holding the results to report, by key - V(plan) (the
        result of M(openaccel.cyborg.validate_spec) with devices or discover; its
        C(selectors) are copied, its C(check_mode) makes the report a plan), V(sriov),
        V(vfio), V(native) (devices given back to their own driver, reported under C(vfio)),
        V(mig), V(flash) (loop results of M(openaccel.cyborg.pci_sriov),
        M(openaccel.cyborg.vfio_bind), M(openaccel.cyborg.gpu_mig),
        M(openaccel.cyborg.fpga_program)), V(placement)
        (M(openaccel.cyborg.placement_provider_tree)) and V(kubernetes)
        (M(openaccel.cyborg.k8s_node_accelerators)).
      - Each defaults to the name the role registers (C(_accelerators_plan),
        C(_accelerators_sriov), C(_accelerators_vfio), C(_accelerators_native),
        C(_accelerators_mig), C(_accelerators_flash), C(_accelerators_placement_result),
        C(_accelerators_k8s_result)). A variable that is not set counts as a stage that did
        not run. The device counts come from each host's C(ansible_facts.accelerators).
    type: dict
    default: {}
  dest:
    description:
      - Controller directory to write C(<host>.json) to; empty for none.
      - A relative path is taken below the inventory directory of the first host of the batch
        (C(inventory_dir); C(playbook_dir) for a host without one); a path with a C(..)
        segment is refused.
    type: path
    default: ""
  show:
    description: Print the reports in the task output (as M(ansible.builtin.debug) would).
    type: bool
    default: false
seealso:
  - module: openaccel.cyborg.validate_spec
'''

EXAMPLES = r'''
- name: Report every host of the batch once, from the results the role registered
  openaccel.cyborg.accelerator_report:
    hosts: "{{ ansible_play_batch }}"
    dest: /var/lib/openaccel/reports
  run_once: true
  register: report

- name: Report one host whose SR-IOV result was registered under another name
  openaccel.cyborg.accelerator_report:
    variables:
      sriov: my_sriov_result
'''

RETURN = r'''
reports:
  description: The report of each host, by host name.
  returned: success
  type: dict
  contains:
    host:
      description: The host.
      type: str
    mode:
      description: V(plan) in check mode, else V(apply).
      type: str
    devices:
      description: Number of device records per type.
      type: dict
      sample: {gpu: 2, nvme: 1}
    selectors:
      description: The PCI addresses each selector of the spec claimed.
      type: dict
    stages:
      description:
        - Per stage (C(sriov), C(vfio), C(mig), C(flash), C(placement), C(kubernetes))
          C(changed) and what; C(targets) (PCI addresses, or MIG config names) for the device
          stages, C(create)/C(update)/C(drain)/C(delete) provider names for Placement,
          C(actions) and C(files) for Kubernetes, C(provisional) for both.
      type: dict
    drift:
      description: The stages that changed (in check mode - would change).
      type: list
      elements: str
    topology:
      description:
        - The host's accelerator topology - C(devices) (its physical functions named by type
          and order, C(GPU0), C(NIC0), with their addresses) and C(matrix), how each pair is
          connected with the codes of C(nvidia-smi topo -m) - C(PIX) behind the same PCIe
          switch, C(PHB) below the same root complex, C(NODE) the same NUMA node, C(SYS)
          across NUMA nodes, C(?) not known - and C(legend).
      type: dict
paths:
  description: The report file written for each host, by host name.
  returned: success
  type: dict
dest:
  description: The directory the reports were written to, resolved (empty when none).
  returned: success
  type: str
'''
