#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gpu_mig
short_description: Declarative NVIDIA MIG (Multi-Instance GPU) partitioning through NVML
version_added: 0.1.0
description:
  - Applies one named configuration of an NVIDIA
    L(mig-parted,https://github.com/NVIDIA/mig-parted) document (version C(v1),
    C(mig-configs)) to the GPUs of the target, through NVML (the C(pynvml) module of
    C(nvidia-ml-py)). Existing mig-parted files are accepted as they are.
  - Each entry selects GPUs by index (C(devices), a list or C(all)), optionally narrowed by
    C(device-filter) (PCI device ids such as C(0x20B210DE)), and sets C(mig-enabled) and
    C(mig-devices) (profile name to count, for example C(1g.10gb), C(1c.2g.20gb),
    C(1g.10gb+me)). GPUs no entry selects are left alone. A GPU selected by two entries is
    an error.
  - Every MIG device is one GPU instance holding one compute instance, as mig-parted
    creates them. Instances that already match are kept; the others are destroyed and the
    missing ones created at placements chosen so that the whole set fits. When the kept
    instances block the rest, the GPU is laid out anew.
  - The module decides first (a profile the GPU does not offer, or a set that does not fit,
    fails before anything is written, naming the GPU by index, PCI address and name), then
    acts, then re-reads every GPU and fails unless it shows the desired state.
  - A MIG mode change that NVML cannot activate at once (the GPU is busy, or it is a
    pass-through GPU in a VM) stays pending. The module then reports it in RV(pending_reset)
    and RV(reboot_required) and with a warning, and creates the instances of that GPU on a
    later run. With O(allow_reset=true) it resets an idle GPU (one without processes) with
    C(nvidia-smi --gpu-reset) first.
  - If a write fails midway, the module fails with the operations done so far and the state
    re-read after the failure (RV(gpus)); a new run continues from there.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
attributes:
  check_mode:
    support: full
    details: Reads the GPUs and returns the plan (RV(actions)) and the predicted state, with no
      NVML write.
  diff_mode:
    support: full
    details: Per selected GPU, the MIG mode (current and pending) and the MIG devices with their
      placements, before and after.
  idempotent:
    support: full
    details: A second run with the same configuration writes nothing and reports no change.
      A pending reset is reported on every run until it happens, without a change.
options:
  config:
    description:
      - The mig-parted document as data (C(version), C(mig-configs)).
      - Exactly one of O(config) and O(config_file) is required.
    type: dict
  config_file:
    description:
      - Path on the target of a mig-parted document (YAML or JSON), for example
        C(/etc/nvidia-mig-manager/config.yaml). Reading YAML needs PyYAML on the target.
    type: path
  selected_config:
    description:
      - Name of the configuration under C(mig-configs) to apply (mig-parted's
        C(--selected-config)). May be left out when the document has only one.
    type: str
    aliases: [name]
  allow_reset:
    description:
      - Reset a GPU whose MIG mode change is pending, when no process uses it, so the change
        takes effect now. A busy GPU is never reset. Without this, the change waits for a
        reset or reboot done elsewhere.
    type: bool
    default: false
requirements:
  - nvidia-ml-py (pynvml) and the NVIDIA driver on the target
  - PyYAML on the target when O(config_file) is YAML
  - C(nvidia-smi) on the target for O(allow_reset)
notes:
  - Run it as root (become), NVML refuses MIG changes to other users.
seealso:
  - module: openaccel.cyborg.accelerator_facts
"""

EXAMPLES = r"""
- name: Partition every A100/H100 into seven 1-slice devices
  openaccel.cyborg.gpu_mig:
    config:
      version: v1
      mig-configs:
        all-1g:
          - devices: all
            device-filter: ["0x20B210DE"]     # A100-SXM4-80GB
            mig-enabled: true
            mig-devices: {"1g.10gb": 7}
          - devices: all
            device-filter: ["0x233010DE"]     # H100 SXM5 80GB
            mig-enabled: true
            mig-devices: {"1g.10gb": 7}
    selected_config: all-1g
    allow_reset: true
  register: mig

- name: Reboot when a MIG mode change could not be activated
  ansible.builtin.reboot:
  when: mig.reboot_required

- name: Apply the mig-parted file the GPU operator uses
  openaccel.cyborg.gpu_mig:
    config_file: /etc/nvidia-mig-manager/config.yaml
    selected_config: all-balanced

- name: Turn MIG off on GPUs 0 and 1
  openaccel.cyborg.gpu_mig:
    config:
      version: v1
      mig-configs:
        "off": [{devices: [0, 1], mig-enabled: false}]
"""

RETURN = r"""
selected_config:
  description: The configuration applied.
  returned: success
  type: str
  sample: all-1g
actions:
  description: Operations done (in check mode, planned), one line each, naming the GPU.
  returned: always
  type: list
  elements: str
  sample: ["GPU 0 (0000:07:00.0, NVIDIA A100-SXM4-80GB): created GPU instance 3g.40gb at placement 0:4 (GPU instance 1)"]
gpus:
  description: Every GPU as re-read after the run (in check mode, as predicted).
  returned: when NVML could be read
  type: list
  elements: dict
  contains:
    index: {description: NVML index., type: int}
    bus_id: {description: PCI address., type: str, sample: "0000:07:00.0"}
    name: {description: Product name., type: str}
    uuid: {description: GPU UUID., type: str}
    mig_capable: {description: Whether the GPU supports MIG., type: bool}
    mig_enabled: {description: Current (active) MIG mode; null without MIG support., type: bool}
    mig_pending: {description: Pending MIG mode; differs from mig_enabled until a reset., type: bool}
    instances:
      description: GPU instances, with C(device) the MIG device name (null when the GPU
        instance does not hold exactly one compute instance), profile, placement and the
        compute instance ids.
      type: list
      elements: dict
    status:
      description: C(unchanged), C(changed), C(would_change), C(reset_pending) or
        C(not_selected) (no entry of the configuration selects the GPU).
      type: str
pending_reset:
  description: GPUs whose MIG mode change waits for a GPU reset or reboot, with the reason and
    the processes that keep the GPU busy.
  returned: always
  type: list
  elements: dict
reboot_required:
  description: True when a MIG mode change is pending and was not activated by a reset. Always
    false in check mode (see RV(pending_reset)).
  returned: success
  type: bool
"""

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.runner import ARGSPEC, run


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
