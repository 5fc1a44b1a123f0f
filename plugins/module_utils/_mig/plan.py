# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Desired MIG state versus current: is work needed, and which.

plan_gpu() is pure: it takes the plain GPU data of
``_nvml/mig.py`` MigSession.read_gpu() and the desired state of
``_mig/config.py`` assign(), and returns a plan dict; nothing here touches NVML. A plan:

    gpu: the label data (index, bus_id, name); desired: None when the config leaves the GPU
    alone; errors: [str] (the GPU cannot reach the desired state; nothing may be done);
    set_mode: None | True | False (an NVML mode request is needed);
    reset_needed: bool (the active mode differs from the desired one);
    destroy: [instance] (GPU instances to remove, with their compute instances);
    create: [{profile, gi_name, gi_profile_id, ci_slices, placement}];
    keep: [instance]; busy: [process] (processes on instances that must go).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.checks import (
    check_profiles, sort_offered)
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.config import (
    MigConfigError, parse_profile)
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import gpu_label


def _overlaps(a, b):
    return a[0] < b[0] + b[1] and b[0] < a[0] + a[1]


def solve_placements(needed, profiles, occupied, used_counts=None):
    """Placements for the GI profile names in `needed` that avoid `occupied`.

    Returns a list of [start, size] in the order of `needed`, or None when they do not fit.
    Respects each profile's instance_count (used_counts: instances already kept).
    """
    used = dict(used_counts or {})
    order = sorted(range(len(needed)), key=lambda i: (-profiles[needed[i]]["slices"],
                                                      len(profiles[needed[i]]["placements"]), i))
    chosen = [None] * len(needed)

    def search(position, taken):
        if position == len(order):
            return True
        item = order[position]
        profile = profiles[needed[item]]
        if used.get(profile["name"], 0) >= profile["instance_count"]:
            return False
        for place in profile["placements"]:
            if any(_overlaps(place, other) for other in taken):
                continue
            # same profile: keep placements ascending, so permutations are not retried
            if position and needed[order[position - 1]] == needed[item] and \
                    chosen[order[position - 1]] is not None and \
                    place[0] < chosen[order[position - 1]][0]:
                continue
            chosen[item] = list(place)
            used[profile["name"]] = used.get(profile["name"], 0) + 1
            if search(position + 1, taken + [place]):
                return True
            used[profile["name"]] -= 1
            chosen[item] = None
        return False

    return chosen if search(0, list(occupied)) else None


def offered_devices(gpu):
    """Device profile names (GI name or '<c>c.<GI name>') this GPU offers, sorted."""
    names = []
    for gi in gpu["profiles"].values():
        for ci in gi["ci_slices"]:
            names.append(gi["name"] if ci == gi["slices"] else "%dc.%s" % (ci, gi["name"]))
    return sort_offered(names)


def _validate_devices(gpu, devices):
    errors, parsed = check_profiles(gpu_label(gpu), offered_devices(gpu), devices)
    for name, info in parsed.items():
        parsed[name] = dict(info, gi_profile_id=gpu["profiles"][info["gi_name"]]["profile_id"])
    return errors, parsed


def _device_list(devices):
    return [name for name in sorted(devices) for dummy in range(devices[name])]


def plan_instances(gpu, devices, instances):
    """(keep, destroy, create, error) for the desired {device profile: count}."""
    errors, parsed = _validate_devices(gpu, devices)
    if errors:
        return [], [], [], errors
    remaining = dict(devices)
    keep = []
    for gi in instances:
        name = gi.get("device")
        if name in remaining and remaining[name] > 0:
            remaining[name] -= 1
            keep.append(gi)
    profiles = gpu["profiles"]

    def attempt(kept):
        gi_names = [parsed[name]["gi_name"] for name in missing_for(kept)]
        used = {}
        for gi in kept:
            used[gi["profile"]] = used.get(gi["profile"], 0) + 1
        return solve_placements(gi_names, profiles, [gi["placement"] for gi in kept], used)

    def missing_for(kept):
        left = dict(devices)
        for gi in kept:
            left[gi["device"]] -= 1
        return _device_list(left)

    places = attempt(keep)
    if places is None and keep:
        keep = []                           # the kept ones block the rest: lay out anew
        places = attempt(keep)
    if places is None:
        return [], [], [], ["%s cannot hold %s at the same time (no placement of the GPU "
                            "instances fits; placements: %s)"
                            % (gpu_label(gpu), ", ".join(_device_list(devices)),
                               _placement_text(gpu, devices))]
    missing = missing_for(keep)
    kept_ids = set(gi["gpu_instance_id"] for gi in keep)
    destroy = [gi for gi in instances if gi["gpu_instance_id"] not in kept_ids]
    create = []
    for name, place in sorted(zip(missing, places), key=lambda item: item[1][0]):
        info = parsed[name]
        create.append({"profile": name, "gi_name": info["gi_name"],
                       "gi_profile_id": info["gi_profile_id"], "ci_slices": info["ci_slices"],
                       "placement": place})
    return keep, destroy, create, []


def _placement_text(gpu, devices):
    names = sorted(set(parse_profile(n)["gi_name"] for n in devices))
    return "; ".join("%s at %s" % (n, ",".join("%d:%d" % tuple(p) for p in
                                               gpu["profiles"][n]["placements"]))
                     for n in names)


def _busy(gpu, destroy, whole_gpu=False):
    ids = set(gi["gpu_instance_id"] for gi in destroy)
    return [p for p in gpu.get("processes", [])
            if whole_gpu or p.get("gpu_instance_id") in ids]


def plan_gpu(gpu, desired):
    plan = {"gpu": dict((k, gpu.get(k)) for k in ("index", "bus_id", "name", "uuid")),
            "desired": desired, "errors": [], "set_mode": None, "reset_needed": False,
            "destroy": [], "create": [], "keep": list(gpu.get("instances", [])), "busy": []}
    if desired is None:
        return plan
    want = desired["mig_enabled"]
    if not gpu.get("mig_capable"):
        if want:
            plan["errors"].append("%s does not support MIG (requested by %s)"
                                  % (gpu_label(gpu), desired["where"]))
        return plan
    current, pending = gpu["mode_current"], gpu["mode_pending"]
    if pending != want:
        plan["set_mode"] = want
    plan["reset_needed"] = current != want
    if not want:
        plan["keep"], plan["destroy"] = [], list(gpu.get("instances", []))
        plan["busy"] = _busy(gpu, plan["destroy"])
        return plan
    if not gpu["profiles"]:
        plan["errors"].append("%s reports no MIG GPU instance profiles" % gpu_label(gpu))
        return plan
    instances = gpu.get("instances", []) if current else []
    try:
        keep, destroy, create, errors = plan_instances(gpu, desired["devices"], instances)
    except MigConfigError as exc:              # parse_profile on a bad name
        keep, destroy, create, errors = [], [], [], [str(exc)]
    plan.update(keep=keep, destroy=destroy, create=create)
    plan["errors"].extend(errors)
    plan["busy"] = _busy(gpu, destroy)
    if plan["busy"] and not errors:
        plan["errors"].append(
            "%s: processes %s run on MIG instances that must be destroyed (GPU instance %s); "
            "stop them first" % (gpu_label(gpu), ", ".join(str(p["pid"]) for p in plan["busy"]),
                                 ", ".join(sorted(set(str(p["gpu_instance_id"])
                                                      for p in plan["busy"])))))
    return plan


def needs_work(plan):
    """True when the plan writes something (a pending reset alone is not work)."""
    return bool(plan["set_mode"] is not None or plan["destroy"] or plan["create"])


def plan_text(plan):
    """Human-readable planned operations of one GPU plan."""
    label, lines = gpu_label(plan["gpu"]), []
    for gi in plan["destroy"]:
        lines.append("%s: destroy GPU instance %d (%s at %d:%d)%s" % (
            label, gi["gpu_instance_id"], gi.get("device") or gi["profile"],
            gi["placement"][0], gi["placement"][1],
            " and its %d compute instance(s)" % len(gi["compute_instances"])
            if gi["compute_instances"] else ""))
    if plan["set_mode"] is not None:
        lines.append("%s: %s MIG mode" % (label, "enable" if plan["set_mode"] else "disable"))
    if plan["reset_needed"]:
        lines.append("%s: the MIG mode change needs activation: at once when NVML can reset "
                     "the idle GPU itself, else pending until a GPU reset or reboot" % label)
    for item in plan["create"]:
        lines.append("%s: create %s at placement %d:%d" % (
            label, item["profile"], item["placement"][0], item["placement"][1]))
    return lines
