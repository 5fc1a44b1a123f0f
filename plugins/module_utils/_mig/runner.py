# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Body of openaccel.cyborg.gpu_mig: load the config, read, plan, (apply, verify), report.

``run`` follows the body contract of ``module_utils/_module.py``: it reads ``params``
(ARGSPEC: config, config_file, selected_config, allow_reset) and ``check_mode``, calls
``warn``, ``get_bin_path`` and ``run_command`` (``nvidia-smi --gpu-reset``), and returns
the result or raises ModuleFailure with what was done before the failure. pynvml is loaded
(``_nvml/session.py``) only after the configuration is valid.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.apply import (
    Applier, ApplyError, matches)
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.checks import (
    INVALID, check_config)
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.config import (
    MigConfigError, assign)
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import (
    needs_work, plan_gpu, plan_text)
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import (
    MigSession, gpu_label)
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.session import (
    error_name, load)

ARGSPEC = ArgumentSpec(
    dict(
        config=dict(type="dict"),
        config_file=dict(type="path"),
        selected_config=dict(type="str", aliases=["name"]),
        allow_reset=dict(type="bool", default=False),
    ),
    required_one_of=[("config", "config_file")],
    mutually_exclusive=[("config", "config_file")],
)


def load_config(params):
    """The mig-parted document: the config option, or config_file read on the target."""
    if params["config"] is not None:
        return params["config"]
    path = params["config_file"]
    try:
        with open(path) as handle:
            content = handle.read()
    except (IOError, OSError) as exc:
        raise ModuleFailure("config_file %s cannot be read: %s" % (path, to_native(exc)))
    try:
        return json.loads(content)
    except ValueError:
        pass
    try:
        import yaml
    except ImportError:
        raise ModuleFailure(missing_required_lib("PyYAML (config_file %s is not JSON)" % path))
    try:
        return yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise ModuleFailure("config_file %s is not valid YAML: %s" % (path, to_native(exc)))


def open_session():
    """A MigSession on an initialised NVML."""
    try:
        session = MigSession(load())
    except ImportError as exc:
        raise ModuleFailure(missing_required_lib("nvidia-ml-py (pynvml)"),
                            exception=to_native(exc))
    try:
        session.init()
    except session.error as exc:  # pylint: disable=catching-non-exception
        raise ModuleFailure("NVML cannot be initialised (is the NVIDIA driver loaded?): %s"
                            % error_name(exc))
    return session


def gpu_view(gpu, status=None):
    """What the result and the diff show of one GPU."""
    view = dict((k, gpu.get(k)) for k in ("index", "bus_id", "name", "uuid", "mig_capable"))
    view.update(mig_enabled=gpu.get("mode_current"), mig_pending=gpu.get("mode_pending"),
                instances=[{"gpu_instance_id": gi["gpu_instance_id"], "profile": gi["profile"],
                            "device": gi.get("device"), "placement_start": gi["placement"][0],
                            "placement_size": gi["placement"][1],
                            "compute_instance_ids": [c["compute_instance_id"]
                                                     for c in gi["compute_instances"]]}
                           for gi in gpu.get("instances", [])])
    if status:
        view["status"] = status
    return view


def diff_view(gpu):
    mode = {True: "enabled", False: "disabled", None: "unsupported"}
    return {"mig_mode": mode[gpu.get("mode_current")],
            "mig_mode_pending": mode[gpu.get("mode_pending")],
            "devices": ["%s @%d:%d" % (gi.get("device") or gi["profile"] + " (no single CI)",
                                       gi["placement"][0], gi["placement"][1])
                        for gi in gpu.get("instances", [])]}


def predicted(gpu, plan):
    """The GPU data as the plan expects it after an apply (for check mode's diff)."""
    if plan["desired"] is None or plan["errors"]:
        return gpu
    want = plan["desired"]["mig_enabled"]
    after = dict(gpu, mode_current=want if gpu.get("mig_capable") else None,
                 mode_pending=want if gpu.get("mig_capable") else None)
    instances = list(plan["keep"]) if want else []
    for item in plan["create"]:
        instances.append({"gpu_instance_id": -1, "profile": item["gi_name"],
                          "device": item["profile"], "placement": item["placement"],
                          "compute_instances": []})
    after["instances"] = sorted(instances, key=lambda gi: gi["placement"][0])
    return after


def _key(gpu):
    return "GPU %d %s" % (gpu["index"], gpu["bus_id"])


def run(module):
    """Apply the selected configuration; returns the result dict, or raises ModuleFailure."""
    params = module.params
    name, entries, errors = check_config(load_config(params), params["selected_config"])
    if errors:
        raise ModuleFailure("; ".join(errors))
    session = open_session()
    try:
        return _run(module, session, name, entries)
    finally:
        session.shutdown()


def _read_all(session, **partial):
    try:
        return [session.read_gpu(i) for i in range(session.count())]
    except session.error as exc:  # pylint: disable=catching-non-exception
        raise ModuleFailure("reading the GPUs through NVML failed: %s" % error_name(exc),
                            **partial)


def _run(module, session, name, entries):
    gpus = _read_all(session)
    try:
        desired = assign(entries, gpus)
    except MigConfigError as exc:
        raise ModuleFailure(INVALID % exc)
    plans = [plan_gpu(gpu, desired.get(gpu["index"])) for gpu in gpus]
    actions = [line for plan in plans for line in plan_text(plan)]
    errors = [e for plan in plans for e in plan["errors"]]
    before = dict((_key(g), diff_view(g)) for g in gpus if g["index"] in desired)
    result = {"changed": any(needs_work(p) for p in plans), "selected_config": name,
              "actions": actions}
    if errors:
        result["changed"] = False                  # decided before any write
        raise ModuleFailure("; ".join(errors), gpus=[gpu_view(g) for g in gpus], **result)
    if module.check_mode:
        return _check_mode(module, gpus, plans, desired, before, result)
    applier = Applier(session, lambda gpu: _reset(module, gpu), module.params["allow_reset"],
                      reinit=session.restart)
    failure = None
    for gpu, plan in zip(gpus, plans):
        if plan["desired"] is None:
            continue
        if not (needs_work(plan) or plan["reset_needed"]):
            continue
        try:
            applier.apply_gpu(gpu, plan)
        except (ApplyError, session.error) as exc:  # pylint: disable=catching-non-exception
            failure = exc.message if isinstance(exc, ApplyError) else error_name(exc)
            break
    session.forget_handles()
    now = _read_all(session, changed=bool(applier.done), actions=applier.done)
    for warning in applier.warnings:
        module.warn(warning)
    pending_idx = set(p["index"] for p in applier.pending)
    result.update(changed=bool(applier.done), actions=applier.done,
                  pending_reset=applier.pending, reboot_required=bool(applier.pending),
                  diff={"before": before, "after": dict((_key(g), diff_view(g)) for g in now
                                                        if g["index"] in desired)})
    result["gpus"] = [gpu_view(g, _verified(g, desired.get(g["index"]), pending_idx,
                                            applier.done)) for g in now]
    if failure:
        raise ModuleFailure("%s. Done before the failure: %s. The GPUs now hold what "
                            "'gpus' shows; a new run continues from there."
                            % (failure, "; ".join(applier.done) or "nothing"), **result)
    wrong = [g for g in now if g["index"] in desired and g["index"] not in pending_idx and not matches(g, desired[g["index"]])]
    if wrong:
        raise ModuleFailure("verification failed: %s" % "; ".join(
            "%s shows MIG %s with %s" % (gpu_label(g), diff_view(g)["mig_mode"],
                                         ", ".join(diff_view(g)["devices"]) or "no instances")
            for g in wrong), **result)
    return result


def _check_mode(module, gpus, plans, desired, before, result):
    """The plan, the predicted GPUs and their diff; nothing is written."""
    after_gpus = [predicted(g, p) for g, p in zip(gpus, plans)]
    pending = [gpu_label(g) for g, p in zip(gpus, plans) if p["reset_needed"]]
    result.update(
        gpus=[gpu_view(g, _status(p, planned=True)) for g, p in zip(after_gpus, plans)],
        reboot_required=False, pending_reset=[
            {"index": g["index"], "bus_id": g["bus_id"], "name": g["name"],
             "reason": "planned MIG mode change: pending until a GPU reset unless NVML "
                       "activates it at once", "processes":
             g.get("processes", [])} for g, p in zip(gpus, plans) if p["reset_needed"]],
        diff={"before": before, "after": dict((_key(g), diff_view(g)) for g in after_gpus
                                              if g["index"] in desired)})
    if pending:
        module.warn("the MIG mode change of %s is active at once only when NVML can reset "
                    "the idle GPU itself; otherwise it waits for a GPU reset (allow_reset) "
                    "or a reboot" % ", ".join(pending))
    return result


def _status(plan, planned=False):
    if plan["desired"] is None:
        return "not_selected"
    if needs_work(plan):
        return "would_change" if planned else "changed"
    return "reset_pending" if plan["reset_needed"] else "unchanged"


def _verified(gpu, desired, pending_idx, done):
    if desired is None:
        return "not_selected"
    if gpu["index"] in pending_idx:
        return "reset_pending"
    label = gpu_label(gpu) + ":"
    return "changed" if any(line.startswith(label) for line in done) else "unchanged"


def _reset(module, gpu):
    """Reset one GPU with nvidia-smi; (ok, output)."""
    binary = module.get_bin_path("nvidia-smi")
    if not binary:
        return False, "nvidia-smi not found on PATH"
    target = gpu.get("nvml_bus_id") or gpu["bus_id"]
    rc, out, err = module.run_command([binary, "--gpu-reset", "-i", target])
    output = " ".join((out + " " + err).split())
    if len(output) > 600:
        output = output[:600] + "..."
    return rc == 0, output or "rc=%d" % rc
