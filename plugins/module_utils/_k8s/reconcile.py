# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide what to change on a node and its ResourceSlices, then change it (API mode).

The planning functions are pure (current objects + desired state -> plan) and shared with
manifest mode; ``NodeReconciler`` and ``SliceReconciler`` carry a plan out with a client,
re-reading and re-planning after a 409 Conflict (another writer changed the object).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import random
import time

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.client import K8sError
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.desired import (
    MANAGED_BY, MANAGED_BY_LABEL)
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.names import (
    canonical_quantity, same_quantity)

OWNED_LABELS = "cyborg.openaccel.io/managed-labels"
OWNED_RESOURCES = "cyborg.openaccel.io/managed-resources"
SLICE_SELECTOR = "%s=%s" % (MANAGED_BY_LABEL, MANAGED_BY)


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
    own_labels, own_resources = owned(annotations, OWNED_LABELS), owned(annotations, OWNED_RESOURCES)
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
            "pool": {"name": pool.get("name"), "resourceSliceCount": pool.get("resourceSliceCount")},
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
    same = (set(mine) == set(wanted) and len(generations) <= 1
            and all(_spec_view(mine[n]) == _spec_view(wanted[n]) for n in wanted)
            and all(MANAGED_BY_LABEL in (mine[n]["metadata"].get("labels") or {}) for n in mine))
    if same:
        return [], [], current
    generation = current + 1
    writes = []
    for name, body in sorted(wanted.items()):
        body = copy.deepcopy(body)
        body["spec"]["pool"]["generation"] = generation
        old = mine.get(name)
        immutable_changed = old is not None and (
            (old["spec"].get("pool") or {}).get("name") != body["spec"]["pool"]["name"]
            or old["spec"].get("nodeName") != body["spec"]["nodeName"])
        writes.append((body, old, immutable_changed))
    deletes = [mine[name] for name in sorted(set(mine) - set(wanted))]
    return writes, deletes, generation


class Reconciler(object):
    """Runs plan/apply rounds; after a conflict it re-reads and plans again (bounded)."""

    def __init__(self, client, node, check_mode=False, retries=5, sleep=time.sleep):
        self.client, self.node_name, self.check_mode = client, node, check_mode
        self.retries, self.sleep = retries, sleep
        self.actions, self.conflicts = [], 0

    def _rounds(self, step):
        attempt = 0
        while True:
            try:
                return step()
            except K8sError as exc:
                if exc.status != 409 and not (exc.status == 422 and exc.verb == "patch"
                                              and exc.resource == "nodes/status"):
                    raise
                self.conflicts += 1
                attempt += 1
                if attempt > self.retries:
                    raise K8sError(exc.status, "%s (still conflicting after %d retries; another "
                                   "writer keeps changing it)" % (exc, self.retries), exc.verb,
                                   exc.resource, exc.group, exc.name, exc.reason)
                self.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))

    def node(self, desired_labels, desired_capacity):
        """Reconcile labels and capacity; returns (changed, first plan, foreign keys)."""
        state = {"first": None}

        def step():
            node = self.client.get_node(self.node_name)
            changed = False
            for _round in range(4):
                plan = plan_node(node, desired_labels, desired_capacity)
                if state["first"] is None:
                    state["first"] = plan
                if node_plan_empty(plan):
                    return changed, plan
                if self.check_mode:
                    self._describe_node(plan)
                    return True, plan
                node = self._apply_node(node, plan)
                changed = True
            raise K8sError(None, "node %s still differs after 4 writes (the API server does not "
                                 "keep what was written?): %r" % (self.node_name, plan),
                           "patch", "nodes")

        changed, last = self._rounds(step)
        first = state["first"]
        return changed, first, last["foreign"]

    def _describe_node(self, plan):
        if plan["labels"] or plan["annotations"]:
            removed = sorted(k for k, v in plan["labels"].items() if v is None)
            self.actions.append("patch node %s metadata: set %d label(s), remove %d%s" % (
                self.node_name, len(plan["labels"]) - len(removed), len(removed),
                " (%s)" % ", ".join(removed) if removed else ""))
        if plan["capacity_ops"]:
            self.actions.append("patch node %s status: %s" % (self.node_name, ", ".join(
                "%s %s" % (op["op"], op["path"].rsplit("/", 1)[-1].replace("~1", "/"))
                for op in plan["capacity_ops"])))

    def _apply_node(self, node, plan):
        meta = node["metadata"]
        if plan["labels"] or plan["annotations"]:
            body = {"metadata": {"resourceVersion": meta["resourceVersion"]}}
            if plan["labels"]:
                body["metadata"]["labels"] = plan["labels"]
            if plan["annotations"]:
                body["metadata"]["annotations"] = plan["annotations"]
            self._describe_node(dict(plan, capacity_ops=[]))
            return self.client.patch_node(self.node_name, body)
        self._describe_node(dict(plan, labels={}, annotations={}))
        return self.client.patch_node_status(self.node_name, plan["capacity_ops"])

    def slices(self, desired, driver):
        """Reconcile the pool's slices; returns (changed, before summaries, generation)."""
        state = {"before": None}

        def step():
            existing = self.client.list_slices(self.node_name, SLICE_SELECTOR)
            existing = [s for s in existing if (s.get("spec") or {}).get("driver") == driver]
            if state["before"] is None:
                state["before"] = dict((s["metadata"]["name"], slice_summary(s)) for s in existing)
            writes, deletes, generation = plan_slices(existing, desired, driver)
            if self.check_mode:
                self.actions.extend("%s resourceslice %s" % (
                    "create" if old is None or recreate else "update", body["metadata"]["name"])
                    for body, old, recreate in writes)
                self.actions.extend("delete resourceslice %s" % old["metadata"]["name"]
                                    for old in deletes)
            if self.check_mode or not (writes or deletes):
                return bool(writes or deletes), generation
            for body, old, recreate in writes:
                self._write_slice(body, old, recreate)
            for old in deletes:
                self._delete_slice(old)
            return True, generation

        changed, generation = self._rounds(step)
        return changed, state["before"], generation

    def _write_slice(self, body, old, recreate):
        name = body["metadata"]["name"]
        if old is not None and recreate:
            self._delete_slice(old)
            old = None
        if old is None:
            self.actions.append("create resourceslice %s" % name)
            try:
                return self.client.create_slice(body)
            except K8sError as exc:
                if exc.status == 409:
                    self._check_not_foreign(name)
                raise
        meta = old["metadata"]
        body["metadata"]["resourceVersion"] = meta["resourceVersion"]
        for key in ("labels", "annotations"):
            merged = dict(meta.get(key) or {})
            merged.update(body["metadata"].get(key) or {})
            if merged:
                body["metadata"][key] = merged
        self.actions.append("update resourceslice %s" % name)
        return self.client.replace_slice(body)

    def _check_not_foreign(self, name):
        try:
            other = self.client.get_slice(name)
        except K8sError:
            return
        if (other["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) != MANAGED_BY:
            raise K8sError(None, "a ResourceSlice named %s exists and is not managed by "
                                 "openaccel.cyborg (no %s=%s label); rename or remove it, or "
                                 "choose another driver_name" % (name, MANAGED_BY_LABEL, MANAGED_BY),
                           "create", "resourceslices", "resource.k8s.io", name)

    def _delete_slice(self, old):
        name = old["metadata"]["name"]
        self.actions.append("delete resourceslice %s" % name)
        try:
            self.client.delete_slice(name, old["metadata"].get("resourceVersion"))
        except K8sError as exc:
            if exc.status != 404:
                raise
