"""Unit tests: the plan (what has to change) from a fake, in-memory Placement."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
    build_desired, provider_uuid,
)
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.plan import build_plan

OWNER = "CUSTOM_OPENACCEL_MANAGED"
GPU = {"address": "0000:3b:00.0", "vendor_id": "10de", "device_id": "20b5", "type": "gpu",
       "vendor_label": "nvidia", "numa_node": 0}


class FakeClient:
    """Answers the GETs the planner makes; counts them; refuses writes."""

    def __init__(self, root="node1", providers=()):
        self.reads = 0
        self.root = {"uuid": "root-uuid", "name": root, "generation": 1,
                     "root_provider_uuid": "root-uuid"}
        self.rps = dict((p["uuid"], dict(p, generation=p.get("generation", 3)))
                        for p in providers)

    def get(self, path):
        self.reads += 1
        if path.startswith("/resource_providers?name="):
            return {"resource_providers": [self.root]}
        if path.startswith("/resource_providers?in_tree="):
            return {"resource_providers": [self.root] + [
                {"uuid": u, "name": p["name"], "generation": p["generation"],
                 "parent_provider_uuid": "root-uuid"} for u, p in self.rps.items()]}
        if path.startswith("/traits?name=in:"):
            return {"traits": []}
        if path == "/resource_classes":
            return {"resource_classes": [{"name": "PGPU"}]}
        uuid, what = path.split("/")[2:4]
        p = self.rps[uuid]
        key = {"traits": "traits", "inventories": "inventories", "allocations": "allocations"}[what]
        return {key: p.get(key, {} if key != "traits" else []),
                "resource_provider_generation": p["generation"]}


def _ours(name, desired, **kw):
    d = desired[name]
    return dict({"uuid": d["uuid"], "name": name, "traits": d["traits"],
                 "inventories": d["inventories"]}, **kw)


def test_first_run_plans_creates_and_new_names():
    desired = build_desired("node1", [GPU])
    c = FakeClient()
    plan = build_plan(c, "node1", desired, OWNER)
    assert plan.summary()["create"] == ["node1_0000:3b:00.0"]
    assert OWNER in plan.new_traits and "CUSTOM_GPU_NVIDIA" in plan.new_traits
    assert c.reads == 3     # root, in_tree, traits (PGPU is standard: no class read)


def test_noop_reads_two_plus_two_per_provider():
    desired = build_desired("node1", [GPU, dict(GPU, address="0000:3c:00.0")])
    c = FakeClient(providers=[_ours(n, desired) for n in desired])
    plan = build_plan(c, "node1", desired, OWNER)
    assert not plan.changes
    assert c.reads == 2 + 2 * 2


def test_foreign_provider_is_a_conflict_and_not_planned():
    desired = build_desired("node1", [GPU])
    c = FakeClient(providers=[{"uuid": "nova-uuid", "name": "node1_0000:3b:00.0",
                               "traits": ["COMPUTE_MANAGED_PCI_DEVICE"]}])
    plan = build_plan(c, "node1", desired, OWNER)
    assert plan.conflicts and "not managed" in plan.conflicts[0]
    assert plan.providers == []


def test_interrupted_create_is_adopted():
    desired = build_desired("node1", [GPU])
    name = "node1_0000:3b:00.0"
    c = FakeClient(providers=[{"uuid": provider_uuid(name), "name": name, "traits": []}])
    plan = build_plan(c, "node1", desired, OWNER)
    assert plan.summary()["update"] == [name] and not plan.conflicts


def test_gone_device_with_allocation_is_drained_not_deleted():
    desired = build_desired("node1", [GPU, dict(GPU, address="0000:3c:00.0")])
    gone = "node1_0000:3c:00.0"
    c = FakeClient(providers=[_ours(n, desired, allocations={"c0ffee": {}} if n == gone else {})
                              for n in desired])
    plan = build_plan(c, "node1", dict((k, v) for k, v in desired.items() if k != gone), OWNER)
    assert plan.summary()["drain"] == [gone]
    entry = [p for p in plan.providers if p["name"] == gone][0]
    assert entry["target"]["inventories"]["PGPU"]["reserved"] == 1
    assert "c0ffee" in plan.warnings[0]


def test_missing_root_without_create_root_is_clear():
    class NoRoot(FakeClient):
        def get(self, path):
            if path.startswith("/resource_providers?name="):
                return {"resource_providers": []}
            return super().get(path)
    with pytest.raises(LookupError, match="create_root"):
        build_plan(NoRoot(), "node1", {}, OWNER)
