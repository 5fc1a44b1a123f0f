# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The accelerator_facts module's body: argument spec, discovery, NVML, result.

``run(module)`` follows the body contract of ``module_utils/_module.py``: it returns the
result (facts, never a change) or raises ModuleFailure.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.classify import RuleError, TYPES
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import (
    DiscoveryError, discover)
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.enrich import (
    NvmlRequiredError, enrich_nvidia)
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure

_RULE_SPEC = dict(
    id=dict(type="str"),
    vendor_id=dict(type="str"),
    device_ids=dict(type="list", elements="str"),
    device_id=dict(type="str"),
    subsystem_vendor_id=dict(type="str"),
    subsystem_device_id=dict(type="str"),
    class_prefix=dict(type="str"),
    requires_sriov=dict(type="bool", default=False),
    type=dict(type="str", required=True, choices=list(TYPES)),
    vendor_label=dict(type="str"),
    product_label=dict(type="str"),
    function=dict(type="str"),
    resource_class=dict(type="str"),
    accelerator=dict(type="bool", default=True),
)

ARGSPEC = ArgumentSpec(dict(
    sysfs_root=dict(type="path", default="/sys"),
    extra_rules=dict(type="list", elements="dict", default=[], options=_RULE_SPEC),
    nvml=dict(type="str", default="auto", choices=["auto", "required", "disabled"]),
    udev=dict(type="str", default="auto", choices=["auto", "disabled"]),
    pci_ids_path=dict(type="path"),
))


def _is_live_sys(path):
    return os.path.realpath(path) == "/sys"


def _clean_rules(rules):
    """Drop the None values AnsibleModule fills in for unset suboptions."""
    return [dict((k, v) for k, v in rule.items() if v is not None) for rule in rules or []]


def run(module):
    """Discover; the result carries the facts (body contract of ``_module.py``)."""
    params = module.params
    if params["pci_ids_path"] and not os.path.isfile(params["pci_ids_path"]):
        raise ModuleFailure("pci_ids_path: %s is not a file; give the path of a pci.ids file "
                            "or leave the option out" % params["pci_ids_path"])
    udev = None
    if params["udev"] == "auto" and _is_live_sys(params["sysfs_root"]):
        from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.udev_names import (
            udev_pci_devices)
        udev = udev_pci_devices()
    try:
        records, summary = discover(params["sysfs_root"], _clean_rules(params["extra_rules"]),
                                    params["pci_ids_path"], udev_devices=udev)
        nvml_status = enrich_nvidia(records, params["nvml"])
    except (DiscoveryError, RuleError) as exc:
        raise ModuleFailure(str(exc))
    except NvmlRequiredError as exc:
        raise ModuleFailure("nvml=required but NVML cannot be used: %s. Install the NVIDIA "
                            "driver and pynvml (nvidia-ml-py), or set nvml=auto" % exc)
    return dict(changed=False, ansible_facts={
        "accelerators": records,
        "accelerator_summary": summary,
        "accelerator_discovery": {
            "sysfs_root": params["sysfs_root"],
            "enumeration": "udev" if udev else "sysfs",
            "nvml": nvml_status,
        },
    })
