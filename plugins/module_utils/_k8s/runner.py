# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Body of openaccel.cyborg.k8s_node_accelerators: options in, result dict out.

``run`` follows the body contract of ``module_utils/_module.py``: it reads ``params`` and
``check_mode``, calls ``warn`` (and, writing files, ``atomic_move``), and returns the result
or raises ModuleFailure with what was already done.  ``ARGSPEC`` holds the options with
every constraint, the Kubernetes auth options (``client.AUTH_ARGSPEC``) included.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import checks
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import client as k8s_client
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import files
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.desired import (
    DesiredStateError, NFD_FIELDS, desired_state)
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.plan import slice_summary
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.reconcile import Reconciler

PUBLISH = checks.PUBLISH
DEFAULT_TYPES = ("gpu", "ai", "fpga", "qat", "dsa", "iaa")

ARGSPEC = ArgumentSpec(dict(
    node=dict(type="str"),
    devices=dict(type="list", elements="dict", default=[]),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    target=dict(type="str", default="api", choices=["api", "manifests", "nfd_feature_file"]),
    publish=dict(type="list", elements="str", default=PUBLISH, choices=PUBLISH),
    types=dict(type="list", elements="str", default=list(DEFAULT_TYPES)),
    include_virtual_functions=dict(type="bool", default=False),
    label_prefix=dict(type="str", default="openaccel.io"),
    nfd_labels=dict(type="bool", default=True),
    nfd_label_fields=dict(type="list", elements="str", default=["class", "vendor"],
                          choices=list(NFD_FIELDS)),
    resource_prefix=dict(type="str", default="openaccel.io"),
    resource_naming=dict(type="str", default="product", choices=["product", "type"]),
    driver_name=dict(type="str", default="accel.openaccel.io"),
    pool_name=dict(type="str"),
    max_devices_per_slice=dict(type="int", default=128),
    manifest_dir=dict(type="path"),
    nfd_features_dir=dict(type="path",
                          default="/etc/kubernetes/node-feature-discovery/features.d"),
    nfd_feature_file=dict(type="str", default="openaccel-cyborg"),
    retries=dict(type="int", default=5),
    field_manager=dict(type="str", default="openaccel-cyborg"),
    request_timeout=dict(type="int", default=30),
), required_if=[("target", "manifests", ["manifest_dir"])]).merged(k8s_client.AUTH_ARGSPEC)


def _desired(module, node):
    params = module.params
    errors = checks.check_options(node, params["driver_name"], params["pool_name"] or node,
                                  params["label_prefix"], params["resource_prefix"],
                                  params["max_devices_per_slice"])
    if params["target"] == "nfd_feature_file" and "/" in params["nfd_feature_file"]:
        errors.append("nfd_feature_file: a file name, without directories")
    if errors:
        raise ModuleFailure("; ".join(errors))
    devices = params["devices"] if params["state"] == "present" else []
    try:
        return desired_state(params, devices, node)
    except DesiredStateError as exc:
        raise ModuleFailure(str(exc))


def _warn_foreign(module, foreign, desired):
    for key, value in sorted(foreign.items()):
        wanted = (desired["labels"] or {}).get(key, (desired["capacity"] or {}).get(key))
        if str(value) != str(wanted):
            module.warn("%s is set to %r by someone else (not recorded as ours); left unchanged "
                        "instead of %r" % (key, value, wanted))


def run_api(module, node, desired):
    params = module.params
    if k8s_client.KUBERNETES_IMPORT_ERROR:
        raise ModuleFailure(missing_required_lib("kubernetes"),
                            exception=k8s_client.KUBERNETES_IMPORT_ERROR)
    result = {"changed": False, "node": node, "target": "api"}
    reconciler = None
    try:
        client = k8s_client.K8sClient(params, params["field_manager"], params["request_timeout"])
        reconciler = Reconciler(client, node, module.check_mode, params["retries"])
        before, after = {}, {}
        if "labels" in params["publish"] or "extended_resources" in params["publish"]:
            changed, plan, foreign = reconciler.node(desired["labels"], desired["capacity"])
            result["changed"] |= changed
            result["foreign"] = foreign
            _warn_foreign(module, foreign, desired)
            before.update(plan["before"])
            after.update(plan["after"])
        if "resource_slices" in params["publish"]:
            changed, old, generation = reconciler.slices(desired["slices"], params["driver_name"])
            result["changed"] |= changed
            for body in desired["slices"]:
                body["spec"]["pool"]["generation"] = generation
            before["resource_slices"] = old
            after["resource_slices"] = dict((s["metadata"]["name"], slice_summary(s))
                                            for s in desired["slices"])
            result["generation"] = generation
    except k8s_client.K8sError as exc:
        partial = {"changed": False, "actions": [], "conflicts_retried": 0}
        if reconciler:
            partial.update(changed=reconciler.wrote, actions=reconciler.actions,
                           conflicts_retried=reconciler.conflicts)
        raise ModuleFailure(_message(exc, node), status=exc.status, verb=exc.verb,
                            resource=exc.resource, api_group=exc.group, **partial)
    result.update(actions=reconciler.actions, conflicts_retried=reconciler.conflicts,
                  diff={"before": before, "after": after})
    return result


def _message(exc, node):
    if exc.status == 404 and exc.resource == "nodes":
        return ("node %s does not exist in the cluster (set the node option to the name kubelet "
                "registered, see kubectl get nodes): %s" % (node, exc))
    if exc.status == 404 and exc.resource == "resourceslices" and exc.verb == "list":
        return ("the cluster does not serve resource.k8s.io/v1 ResourceSlices (Kubernetes 1.34 or "
                "newer with DRA is needed); leave resource_slices out of publish: %s" % exc)
    return exc.describe()


def run_manifests(module, node, desired):
    desired = dict(desired, labels=desired["labels"] or {}, capacity=desired["capacity"] or {},
                   slices=desired["slices"] or [])
    writer = files.FileWriter(module, module.check_mode)
    out = files.write_manifests(writer, module.params["manifest_dir"], node, desired,
                                module.params["driver_name"])
    after = {"labels": out["labels"], "capacity": out["capacity"],
             "resource_slices": dict((s["metadata"]["name"], slice_summary(s))
                                     for s in out["slices"])}
    before = out["diff_before"]
    return {"changed": bool(writer.changed_files), "node": node, "target": "manifests",
            "files": out["files"], "changed_files": writer.changed_files,
            "generation": out["generation"], "slices": out["slices"],
            "diff": writer.diffs or {"before": before, "after": after}}


def run_nfd(module, node, desired):
    writer = files.FileWriter(module, module.check_mode)
    path = os.path.join(module.params["nfd_features_dir"], module.params["nfd_feature_file"])
    writer.put(path, files.nfd_file_text(desired["labels"] or {}))
    return {"changed": bool(writer.changed_files), "node": node, "target": "nfd_feature_file",
            "files": [path], "changed_files": writer.changed_files,
            "diff": writer.diffs or {"before": "", "after": ""}}


def run(module):
    """Publish the node's accelerators; returns the result dict, or raises ModuleFailure."""
    params = module.params
    node = params["node"] or socket.gethostname().lower()
    if params["target"] == "manifests" and not params["manifest_dir"]:
        raise ModuleFailure("target=manifests needs manifest_dir")
    desired = _desired(module, node)
    if params["target"] == "nfd_feature_file":
        errors = checks.check_publish(params["target"], params["publish"])
        if errors:
            raise ModuleFailure("; ".join(errors))
        result = run_nfd(module, node, desired)
    elif params["target"] == "manifests":
        result = run_manifests(module, node, desired)
    else:
        result = run_api(module, node, desired)
    result.update(labels=desired["labels"] or {}, extended_resources=desired["capacity"] or {},
                  device_count=desired["device_count"],
                  resource_slices=[{"name": s["metadata"]["name"],
                                    "generation": s["spec"]["pool"]["generation"],
                                    "devices": len(s["spec"]["devices"])}
                                   for s in result.pop("slices", None) or desired["slices"] or []])
    return result
