# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What to change on a node and its ResourceSlices: pure planning (no client, no I/O).

Current objects + desired state in, a plan out.  API mode (``reconcile.py``) carries a plan
out with a client; manifest mode (``files.py``) turns the same plan into files, so both
publish the same content.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.desired import (
    MANAGED_BY_LABEL)
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.names import (
    canonical_quantity, same_quantity)

OWNED_LABELS = "cyborg.openaccel.io/managed-labels"
OWNED_RESOURCES = "cyborg.openaccel.io/managed-resources"


def owned(annotations, key):
    return set(k for k in ((annotations or {}).get(key) or "").split(",") if k)


def _join(keys):
    return ",".join(sorted(keys)) or None


def plan_node(node, desired_labels, desired_capacity):
    """What to change on the node: label patch, capacity ops, ownership annotations, foreign keys.

    Keys present on the node but missing from our ownership annotations belong to someone
    else: they are reported in ``foreign`` and never written or removed. ``None`` for
    ``desired_labels`` or ``desired_capacity`` leaves that kind alone.
    """
    meta, status = node.get("metadata") or {}, node.get("status") or {}
    labels, capacity = meta.get("labels") or {}, status.get("capacity") or {}
    annotations = meta.get("annotations") or {}
    own_labels = owned(annotations, OWNED_LABELS)
    own_resources = owned(annotations, OWNED_RESOURCES)
    plan = {"labels": {}, "capacity_ops": [], "annotations": {}, "foreign": {},
            "before": {"labels": {}, "capacity": {}}, "after": {"labels": {}, "capacity": {}}}
    for key in own_labels & set(labels):
        plan["before"]["labels"][key] = labels[key]
    for key in own_resources & set(capacity):
        plan["before"]["capacity"][key] = capacity[key]
    kept_labels = set()
    for key, value in sorted((desired_labels or {}).items()):
        if key in labels and key not in own_labels:
            plan["foreign"][key] = labels[key]
            continue
        kept_labels.add(key)
        plan["after"]["labels"][key] = value
        if labels.get(key) != value:
            plan["labels"][key] = value
    for key in sorted(own_labels - kept_labels if desired_labels is not None else ()):
        if key in labels:
            plan["labels"][key] = None
    kept_resources, claim = set(), set()
    for key, value in sorted((desired_capacity or {}).items()):
        if key in capacity and key not in own_resources:
            plan["foreign"][key] = capacity[key]
            continue
        kept_resources.add(key)
        plan["after"]["capacity"][key] = canonical_quantity(value)
        if key not in capacity or not same_quantity(capacity[key], value):
            plan["capacity_ops"].append({"op": "add", "path": "/status/capacity/" + _escape(key),
                                         "value": canonical_quantity(value)})
    for key in sorted(own_resources - kept_resources if desired_capacity is not None else ()):
        if key in capacity:
            claim.add(key)
            plan["capacity_ops"].append({"op": "remove",
                                         "path": "/status/capacity/" + _escape(key)})
    # Claim new resources before adding them and release stale ones after removing them, so
    # that an interrupted run never leaves one of ours unrecorded.
    wanted = {}
    if desired_labels is not None:
        wanted[OWNED_LABELS] = _join(kept_labels)
    if desired_capacity is not None:
        wanted[OWNED_RESOURCES] = _join(kept_resources | claim if plan["capacity_ops"]
                                        else kept_resources)
    for key, value in wanted.items():
        if annotations.get(key) != value:
            plan["annotations"][key] = value
    for kind, wanted_kind in (("labels", desired_labels), ("capacity", desired_capacity)):
        if wanted_kind is None:
            plan["after"][kind] = dict(plan["before"][kind])
    return plan


def _escape(key):
    return key.replace("~", "~0").replace("/", "~1")


def node_plan_empty(plan):
    return not (plan["labels"] or plan["capacity_ops"] or plan["annotations"])


def node_actions(node_name, plan):
    """The writes a node plan makes, as ``actions`` lines."""
    actions = []
    if plan["labels"] or plan["annotations"]:
        removed = sorted(k for k, v in plan["labels"].items() if v is None)
        actions.append("patch node %s metadata: set %d label(s), remove %d%s" % (
            node_name, len(plan["labels"]) - len(removed), len(removed),
            " (%s)" % ", ".join(removed) if removed else ""))
    if plan["capacity_ops"]:
        actions.append("patch node %s status: %s" % (node_name, ", ".join(
            "%s %s" % (op["op"], op["path"].rsplit("/", 1)[-1].replace("~1", "/"))
            for op in plan["capacity_ops"])))
    return actions


def _spec_view(obj):
    """The part of a slice we manage, normalized (quantities canonical) for comparison."""
    spec = obj.get("spec") or {}
    devices = []
    for dev in spec.get("devices") or []:
        view = {"name": dev.get("name"), "attributes": dev.get("attributes") or {}}
        caps = dev.get("capacity") or {}
        view["capacity"] = dict((k, canonical_quantity((v or {}).get("value", "0")))
                                for k, v in caps.items())
        devices.append(view)
    pool = spec.get("pool") or {}
    return {"driver": spec.get("driver"), "nodeName": spec.get("nodeName"),
            "pool": {"name": pool.get("name"),
                     "resourceSliceCount": pool.get("resourceSliceCount")},
            "devices": devices}


def slice_summary(obj):
    """Diff/return view of one slice: pool, generation and devices with their values."""
    view = _spec_view(obj)
    devices = {}
    for dev in view["devices"]:
        entry = dict((k, list(v.values())[0] if isinstance(v, dict) and len(v) == 1 else v)
                     for k, v in dev["attributes"].items())
        entry.update(("capacity." + k, v) for k, v in dev["capacity"].items())
        devices[dev["name"]] = entry
    pool = (obj.get("spec") or {}).get("pool") or {}
    return {"driver": view["driver"], "nodeName": view["nodeName"], "pool": pool.get("name"),
            "generation": pool.get("generation"),
            "resourceSliceCount": pool.get("resourceSliceCount"), "devices": devices}


def plan_slices(existing, desired, driver):
    """(writes, deletes, generation) turning the owned slices ``existing`` into ``desired``.

    ``existing``: our slices on this node (any driver; only ``driver``'s are considered).
    A pool is rewritten as a whole with a generation above every existing one as soon as
    anything differs, as the ResourceSlice contract asks.
    """
    mine = dict((s["metadata"]["name"], s) for s in existing
                if (s.get("spec") or {}).get("driver") == driver)
    wanted = dict((s["metadata"]["name"], s) for s in desired)
    generations = set(((s.get("spec") or {}).get("pool") or {}).get("generation", 0)
                      for s in mine.values())
    current = max(generations) if generations else 0
    same_names = set(mine) == set(wanted) and len(generations) <= 1
    same_specs = same_names and all(_spec_view(mine[n]) == _spec_view(wanted[n]) for n in wanted)
    same = same_specs and all(MANAGED_BY_LABEL in (mine[n]["metadata"].get("labels") or {}) for n in mine)
    if same:
        return [], [], current
    generation = current + 1
    writes = []
    for name, body in sorted(wanted.items()):
        body = copy.deepcopy(body)
        body["spec"]["pool"]["generation"] = generation
        old = mine.get(name)
        pool_renamed = old is not None and (old["spec"].get("pool") or {}).get("name") != body["spec"]["pool"]["name"]
        node_moved = old is not None and old["spec"].get("nodeName") != body["spec"]["nodeName"]
        immutable_changed = pool_renamed or node_moved
        writes.append((body, old, immutable_changed))
    deletes = [mine[name] for name in sorted(set(mine) - set(wanted))]
    return writes, deletes, generation


def slice_actions(writes, deletes):
    """The writes a slice plan (``plan_slices``) makes, as ``actions`` lines."""
    actions = ["%s resourceslice %s" % ("create" if old is None or recreate else "update",
                                        body["metadata"]["name"])
               for body, old, recreate in writes]
    actions.extend("delete resourceslice %s" % old["metadata"]["name"] for old in deletes)
    return actions
