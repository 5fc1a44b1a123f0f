# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The per-host plan/drift report of the accelerators role, built from the stage results.

In check mode the report is the plan (what a real run would change: the drift from the
spec); otherwise it is what the run changed.  The results it reads are the steps of the
stage table (``stages.py``) that register one.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.topology import topology
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.stages import (
    DEVICE_STEPS, RESULT_STEPS)

PROVIDER_ACTIONS = ("create", "update", "drain", "delete")


def _changed(result):
    return bool((result or {}).get("changed"))


def _changed_items(result):
    """The loop items (``ansible_loop_var``) of the iterations that changed something."""
    items = []
    for item_result in (result or {}).get("results") or []:
        if item_result.get("changed"):
            items.append(item_result.get(item_result.get("ansible_loop_var", "item")) or {})
    return items


def _addresses(*results):
    return [item.get("address") for result in results for item in _changed_items(result)]


def device_counts(devices):
    """{type: number of device records}, types sorted."""
    counts = {}
    for device in devices or []:
        counts[device.get("type")] = counts.get(device.get("type"), 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: str(kv[0])))


def build_report(host, plan, devices, results, check_mode):
    """The report dict: host, mode, devices, selectors, stages, drift, topology.

    ``results`` maps step names (``stages.RESULT_STEPS``) to the task results the role
    registered; a step that did not run is missing or empty.  "native" (devices given back
    to their own driver) is reported under "vfio".
    """
    results = dict((name, (results or {}).get(name) or {}) for name in RESULT_STEPS)
    planning = bool(check_mode or (plan or {}).get("check_mode"))
    # A plan compares Placement/Kubernetes with the devices as they are now; when the device
    # stages would change them first, the real run registers what they leave (discovered
    # again), so that part of the plan is provisional.
    provisional = planning and any(_changed(results[name]) for name in DEVICE_STEPS)
    providers = results["placement"].get("providers") or {}
    provider_actions = [(action, list(providers.get(action) or [])) for action in PROVIDER_ACTIONS]
    stages = {
        "sriov": {"changed": _changed(results["sriov"]), "targets": _addresses(results["sriov"])},
        "vfio": {"changed": _changed(results["vfio"]) or _changed(results["native"]),
                 "targets": _addresses(results["vfio"], results["native"])},
        "mig": {"changed": _changed(results["mig"]),
                "targets": [item.get("selected_config", "inline")
                            for item in _changed_items(results["mig"])]},
        "flash": {"changed": _changed(results["flash"]), "targets": _addresses(results["flash"])},
        "placement": dict([("changed", _changed(results["placement"])), ("provisional", provisional)] + provider_actions),
        "kubernetes": {"changed": _changed(results["kubernetes"]), "provisional": provisional,
                       "actions": list(results["kubernetes"].get("actions") or []),
                       "files": list(results["kubernetes"].get("changed_files") or [])},
    }
    return {
        "host": host,
        "mode": "plan" if planning else "apply",
        "devices": device_counts(devices),
        "selectors": dict((plan or {}).get("selectors") or {}),
        "stages": stages,
        "drift": [name for name, stage in stages.items() if stage["changed"]],
        "topology": topology(devices),
    }
