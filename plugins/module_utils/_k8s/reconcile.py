# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Carry a node/ResourceSlice plan out with a client (API mode).

The plans come from ``plan.py`` (pure); ``Reconciler`` reads the objects, plans, writes, and
after a 409 Conflict (another writer changed the object) re-reads and plans again, a bounded
number of times with back-off (``_retry.Retry``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.openaccel.cyborg.plugins.module_utils._retry import Retry
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.client import K8sError
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.desired import (
    MANAGED_BY, MANAGED_BY_LABEL)
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.plan import (
    node_actions, node_plan_empty, plan_node, plan_slices, slice_actions, slice_summary)

SLICE_SELECTOR = "%s=%s" % (MANAGED_BY_LABEL, MANAGED_BY)
# Seconds before the first retry after a conflict, doubling up to the cap (with jitter).
BACKOFF_BASE = 0.1
BACKOFF_CAP = 2.0


class Reconciler(object):
    """Runs plan/apply rounds; after a conflict it re-reads and plans again (bounded).

    ``actions`` lists the writes made or tried (in check mode: planned), ``conflicts`` the
    conflicts met, ``wrote`` whether any write went through."""

    def __init__(self, client, node, check_mode=False, retries=5, sleep=time.sleep):
        self.client, self.node_name, self.check_mode = client, node, check_mode
        self.retry = Retry(retries, base=BACKOFF_BASE, cap=BACKOFF_CAP, sleep=sleep)
        self.actions, self.conflicts, self.wrote = [], 0, False

    def _conflict(self, exc):
        """A 409, or the 422 a JSON patch test gets on nodes/status: re-read and plan again."""
        if not isinstance(exc, K8sError):
            return False
        status_patch_conflict = exc.status == 422 and exc.verb == "patch" and exc.resource == "nodes/status"
        if exc.status != 409 and not status_patch_conflict:
            return False
        self.conflicts += 1
        return True

    def _give_up(self, exc):
        return K8sError(exc.status, "%s (still conflicting after %d retries; another writer "
                        "keeps changing it)" % (exc, self.retry.retries), exc.verb,
                        exc.resource, exc.group, exc.name, exc.reason)

    def _rounds(self, step):
        return self.retry.call(step, self._conflict, self._give_up)

    def _wrote(self, response):
        """Remember that a write went through (a failure later still reports changed)."""
        self.wrote = True
        return response

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
                    self.actions.extend(node_actions(self.node_name, plan))
                    return True, plan
                node = self._apply_node(node, plan)
                changed = True
            raise K8sError(None, "node %s still differs after 4 writes (the API server does not "
                                 "keep what was written?): %r" % (self.node_name, plan),
                           "patch", "nodes")

        changed, last = self._rounds(step)
        first = state["first"]
        return changed, first, last["foreign"]

    def _apply_node(self, node, plan):
        meta = node["metadata"]
        if plan["labels"] or plan["annotations"]:
            body = {"metadata": {"resourceVersion": meta["resourceVersion"]}}
            if plan["labels"]:
                body["metadata"]["labels"] = plan["labels"]
            if plan["annotations"]:
                body["metadata"]["annotations"] = plan["annotations"]
            self.actions.extend(node_actions(self.node_name, dict(plan, capacity_ops=[])))
            return self._wrote(self.client.patch_node(self.node_name, body))
        self.actions.extend(node_actions(self.node_name, dict(plan, labels={}, annotations={})))
        return self._wrote(self.client.patch_node_status(self.node_name, plan["capacity_ops"]))

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
                self.actions.extend(slice_actions(writes, deletes))
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
                return self._wrote(self.client.create_slice(body))
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
        return self._wrote(self.client.replace_slice(body))

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
            self._wrote(self.client.delete_slice(name, old["metadata"].get("resourceVersion")))
        except K8sError as exc:
            if exc.status != 404:
                raise
