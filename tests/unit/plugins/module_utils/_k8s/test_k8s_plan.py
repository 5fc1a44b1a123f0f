"""Planning: label/capacity ownership and pool generations (no API involved)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import plan as rec


def node(labels=None, capacity=None, owned_labels="", owned_resources=""):
    ann = {}
    if owned_labels:
        ann[rec.OWNED_LABELS] = owned_labels
    if owned_resources:
        ann[rec.OWNED_RESOURCES] = owned_resources
    return {"metadata": {"name": "n", "resourceVersion": "1", "labels": labels or {},
                         "annotations": ann}, "status": {"capacity": capacity or {}}}


def test_new_labels_and_capacity_are_claimed():
    plan = rec.plan_node(node(), {"a.io/x": "1"}, {"a.io/gpu": "2"})
    assert plan["labels"] == {"a.io/x": "1"}
    assert plan["annotations"] == {rec.OWNED_LABELS: "a.io/x", rec.OWNED_RESOURCES: "a.io/gpu"}
    assert plan["capacity_ops"] == [{"op": "add", "path": "/status/capacity/a.io~1gpu",
                                     "value": "2"}]


def test_stale_removed_foreign_kept():
    current = node({"a.io/old": "1", "a.io/x": "mine", "b.io/y": "theirs"},
                   {"a.io/gpu": "2", "b.io/dev": "1"}, "a.io/old,a.io/x", "a.io/gpu")
    plan = rec.plan_node(current, {"a.io/x": "mine", "b.io/y": "wanted"}, {"b.io/dev": "3"})
    assert plan["labels"] == {"a.io/old": None}
    assert plan["foreign"] == {"b.io/y": "theirs", "b.io/dev": "1"}
    assert plan["capacity_ops"] == [{"op": "remove", "path": "/status/capacity/a.io~1gpu"}]
    # still listed until removed, so an interrupted run does not lose it
    assert rec.OWNED_RESOURCES not in plan["annotations"]
    assert plan["annotations"][rec.OWNED_LABELS] == "a.io/x"


def test_equal_quantities_are_no_change_and_none_means_unmanaged():
    current = node({"a.io/x": "1"}, {"a.io/mem": "80Gi"}, "a.io/x", "a.io/mem")
    assert rec.node_plan_empty(rec.plan_node(current, {"a.io/x": "1"}, {"a.io/mem": "81920Mi"}))
    plan = rec.plan_node(current, None, {"a.io/mem": "80Gi"})
    assert rec.node_plan_empty(plan) and plan["after"]["labels"] == {"a.io/x": "1"}


def _slice(name, gen, devices, driver="d.io", pool="n"):
    return {"metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by":
                                                  "openaccel.cyborg"}},
            "spec": {"driver": driver, "nodeName": "n",
                     "pool": {"name": pool, "generation": gen, "resourceSliceCount": 1},
                     "devices": [{"name": d} for d in devices]}}


def test_slices_generation():
    existing = [_slice("s0", 4, ["a", "b"])]
    assert rec.plan_slices(existing, [_slice("s0", 1, ["a", "b"])], "d.io") == ([], [], 4)
    writes, deletes, gen = rec.plan_slices(existing, [_slice("s0", 1, ["a"])], "d.io")
    assert gen == 5 and writes[0][0]["spec"]["pool"]["generation"] == 5 and not deletes
    writes, deletes, gen = rec.plan_slices(existing + [_slice("s1", 4, ["c"])],
                                           [_slice("s0", 1, ["a", "b"])], "d.io")
    assert [d["metadata"]["name"] for d in deletes] == ["s1"] and gen == 5
    writes = rec.plan_slices(existing, [_slice("s0", 1, ["a", "b"], pool="p2")], "d.io")[0]
    assert writes[0][2] is True           # pool name is immutable: recreate
    writes, deletes, gen = rec.plan_slices([_slice("x", 9, ["a"], driver="other.io")], [], "d.io")
    assert (writes, deletes, gen) == ([], [], 0)
