#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: validate_spec
short_description: Validate the declarative accelerator spec, and match it to a host's devices
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin) and changes nothing; only O(discover) runs
    something on the host - the read-only discovery module.
  - Checks O(spec) against C(schemas/accelerators.schema.json) (JSON Schema 2020-12). Every
    error names the JSON path of the bad value (C($.devices[0].sriov.num_vfs)) and the value.
  - With O(devices) (or O(discover)), also matches the selectors to the device records and checks the
    semantics - a selector that matches nothing (unless C(optional)), two selectors claiming
    one device, a C(count) that does not fit, MIG on a GPU that is not MIG capable, a
    bitstream for a device that is not an FPGA, more VFs than the device supports, vfio on a
    device the host needs (O(protected_devices)).
  - Returns what each selector claimed and the per-device desired state the
    P(openaccel.cyborg.accelerators#role) role works from.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing to diff.
  idempotent:
    support: full
    description: Never changes anything.
options:
  spec:
    description: The spec (usually the inventory variable C(accelerators_spec)).
    type: raw
    required: true
  devices:
    description:
      - Device records from M(openaccel.cyborg.accelerator_facts). Without them (or
        O(discover)) only the schema is checked.
    type: list
    elements: dict
  discover:
    description:
      - Options of M(openaccel.cyborg.accelerator_facts) (V({}) for its defaults). When given,
        a spec that passes the schema check is matched to the devices that module finds on
        the host, run by this task (one task instead of two; the facts are set as that module
        sets them). A spec that fails the schema check never reaches the host.
      - Mutually exclusive with O(devices).
    type: dict
  protected_devices:
    description:
      - PCI addresses the host boots from or needs (root disk, default-route NIC); vfio on
        one of them is an error.
    type: list
    elements: str
    default: []
  schema:
    description: Another schema file instead of the collection's.
    type: path
  fail_on_error:
    description: Fail the task on errors; with V(false) return them in RV(errors) only.
    type: bool
    default: true
  paths:
    description:
      - More controller paths to resolve as the spec's own (RV(paths)), by name - the
        P(openaccel.cyborg.accelerators#role) role passes C(accelerators_report_dir).
      - A relative path is relative to the host's C(inventory_dir) (C(playbook_dir) for a
        host without one); a path with a C(..) segment is an error named by its key.
    type: dict
    default: {}
notes:
  - The spec's controller paths (C(register.kubernetes.manifest_dir), C(kubeconfig),
    C(ca_cert)) are resolved the same way and returned in RV(register_paths); one with a
    C(..) segment is an error at its JSON path (C($.register.kubernetes.manifest_dir)).
  - No error, message or warning shows the value of a secret setting (those the schema marks
    C(writeOnly) - C(token), C(api_key) - keys named like one, C(auth) and C(cloud) dicts);
    none of this module's options is itself a secret, so none is C(no_log).
requirements:
  - jsonschema (Python, on the controller)
seealso:
  - module: openaccel.cyborg.accelerator_facts
'''

EXAMPLES = r'''
- name: Check the spec before anything changes
  openaccel.cyborg.validate_spec:
    spec: "{{ accelerators_spec }}"

- name: Match it to the devices found
  openaccel.cyborg.validate_spec:
    spec: "{{ accelerators_spec }}"
    devices: "{{ ansible_facts.accelerators }}"
  register: plan

- name: Discover the host's accelerators and match the spec to them, in one task
  openaccel.cyborg.validate_spec:
    spec: "{{ accelerators_spec }}"
    discover:
      nvml: auto
  register: plan
'''

RETURN = r'''
valid:
  description: Whether the spec passed.
  returned: always
  type: bool
stage:
  description: C(schema) or C(devices) (the last stage that ran).
  returned: always
  type: str
check_mode:
  description: Whether the task ran in check mode (also with C(check_mode) set on the play).
  returned: always
  type: bool
errors:
  description: Errors, each with C(path) (JSONPath), C(value) and C(message).
  returned: always
  type: list
  elements: dict
  sample: [{path: "$.devices[0].sriov.num_vfs", value: -1, message: "-1 is less than the minimum of 0"}]
paths:
  description: The O(paths), each absolute (an empty one stays empty).
  returned: always
  type: dict
  sample: {accelerators_report_dir: /srv/inventory/reports}
register_paths:
  description: The controller paths of the spec's C(register) blocks, absolute, by target.
  returned: always
  type: dict
  sample: {kubernetes: {manifest_dir: /srv/inventory/manifests}}
selectors:
  description: PCI addresses each selector claimed.
  returned: with O(devices) or O(discover)
  type: dict
assignments:
  description: One entry per claimed device, with its selector and desired state.
  returned: with O(devices) or O(discover)
  type: list
  elements: dict
work:
  description:
    - Work lists per stage (drivers, sriov, vfio, native, mig, flash, skip_register), and
      C(mig_layouts), the distinct MIG layouts of C(mig) (its entries less their address).
    - C(bitstream) is the same list as C(flash), under its older name.
  returned: with O(devices) or O(discover)
  type: dict
stages:
  description:
    - The stages of the P(openaccel.cyborg.accelerators#role) converge that have something to
      do for this host, in the order they run - C(drivers) (the spec names drivers),
      C(configure) (SR-IOV, vfio or MIG work), C(flash) (bitstreams), C(rediscover) (after
      C(configure) or C(flash)), then C(placement) and C(kubernetes) when the spec registers
      there and does not set C(enabled=false).
  returned: with O(devices) or O(discover)
  type: list
  elements: str
  sample: [configure, rediscover, placement]
converge:
  description:
    - Whether one of RV(stages) comes before registration (C(drivers), C(configure),
      C(flash)); the P(openaccel.cyborg.accelerators#role) role then runs its whole converge
      for the host, else registration alone.
  returned: with O(devices) or O(discover)
  type: bool
device_results:
  description:
    - The variables the P(openaccel.cyborg.accelerators#role) role registers the results of
      the stages that change the devices (C(configure), C(flash)) in; it discovers the
      devices again when one of them changed something.
  returned: with O(devices) or O(discover)
  type: list
  elements: str
  sample: [_accelerators_sriov, _accelerators_vfio, _accelerators_native, _accelerators_mig,
           _accelerators_flash]
placement_overrides:
  description: Per-device overrides for M(openaccel.cyborg.placement_provider_tree).
  returned: with O(devices) or O(discover)
  type: list
  elements: dict
ansible_facts:
  description: The facts M(openaccel.cyborg.accelerator_facts) returns (C(accelerators), ...).
  returned: with O(discover), when the spec passed the schema check
  type: dict
'''
