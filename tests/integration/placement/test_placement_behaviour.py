"""Check mode, diff, state=absent, purge, SR-IOV modes and overrides against a real Placement."""
from tests.integration.placement.placement_helpers import run_module


def _args(url, node, devices, **kw):
    return dict({"endpoint": url, "token": "admin", "compute_node": node, "create_root": True,
                 "devices": devices}, **kw)


def test_check_mode_reads_only_and_diff_tells_the_truth(placement, api, node, devices):
    res = run_module(_args(placement.url, node, devices), check_mode=True, diff=True)
    assert res["changed"] and res["api_calls"]["writes"] == 0
    assert api.find(node) is None
    after = res["diff"]["after"]["providers"]
    assert res["diff"]["before"]["providers"] == {}
    applied = run_module(_args(placement.url, node, devices), diff=True)
    assert applied["diff"]["after"] == res["diff"]["after"]
    tree = api.tree(node)
    for name, view in after.items():
        assert tree[name]["uuid"] == view["uuid"]
        assert tree[name]["traits"] == view["traits"]
        for rc, inv in view["inventories"].items():
            assert dict((k, tree[name]["inventories"][rc][k]) for k in inv) == inv
    noop = run_module(_args(placement.url, node, devices), check_mode=True, diff=True)
    assert noop["changed"] is False
    assert noop["diff"]["before"] == noop["diff"]["after"] == applied["diff"]["after"]


def test_per_vf_mode_and_overrides(placement, api, node, devices):
    overrides = [{"match": {"type": "qat"}, "sriov_mode": "per_vf", "resource_class": "CUSTOM_QAT_VF"},
                 {"match": {"type": "nvme"}, "skip": True},
                 {"match": {"address": "0000:5e:00.*", "function": "mgmt"},
                  "traits": ["CUSTOM_XRT_MGMT"], "allocation_ratio": 2.0}]
    res = run_module(_args(placement.url, node, devices, overrides=overrides))
    assert not res["failed"], res
    tree = api.tree(node)
    assert node + "_0000:3d:00.0" not in tree                  # the PF gives way to its VFs
    vf = tree[node + "_0000:3d:01.0"]
    assert vf["inventories"]["CUSTOM_QAT_VF"]["total"] == 1
    assert "CUSTOM_PCI_FUNCTION_VF" in vf["traits"]
    assert not any("_0000:c1:00.0" in n for n in tree)         # skipped
    mgmt = tree[node + "_0000:5e:00.0"]
    assert "CUSTOM_XRT_MGMT" in mgmt["traits"]
    assert mgmt["inventories"]["FPGA"]["allocation_ratio"] == 2.0
    assert "CUSTOM_XRT_MGMT" not in tree[node + "_0000:d8:00.0"]["traits"]
    assert "CUSTOM_QAT_VF" in res["new_resource_classes"]


def test_purge_false_keeps_and_absent_removes(placement, api, node, devices):
    run_module(_args(placement.url, node, devices))
    fewer = devices[:5]
    res = run_module(_args(placement.url, node, fewer, purge=False))
    assert res["changed"] is False and len(api.tree(node)) == 21
    res = run_module(_args(placement.url, node, fewer, state="absent"))
    assert sorted(res["providers"]["delete"]) == sorted(
        node + "_" + d["address"] for d in fewer)
    assert len(api.tree(node)) == 16
    res = run_module(_args(placement.url, node, [], state="absent"))
    assert len(res["providers"]["delete"]) == 16
    assert api.tree(node) == {}
    res = run_module(_args(placement.url, node, [], state="absent"))
    assert res["changed"] is False and res["api_calls"]["writes"] == 0


def test_only_owned_providers_are_purged(placement, api, node, devices):
    run_module(_args(placement.url, node, devices))
    root = api.find(node)
    # Someone else's child provider whose name looks like ours
    status, other = api.call("POST", "/resource_providers", {
        "name": node + "_0000:ff:00.0", "parent_provider_uuid": root["uuid"]})
    api.call("PUT", "/resource_providers/%s/inventories" % other["uuid"], {
        "resource_provider_generation": other["generation"],
        "inventories": {"PCI_DEVICE": {"total": 1}}})
    res = run_module(_args(placement.url, node, devices[:3]))
    assert not res["failed"], res
    assert node + "_0000:ff:00.0" not in res["providers"]["delete"]
    assert node + "_0000:ff:00.0" in api.tree(node)


def test_absent_with_create_root_removes_our_root_only(placement, api, node, devices):
    run_module(_args(placement.url, node, devices[:3]))
    res = run_module(_args(placement.url, node, [], state="absent"), check_mode=True)
    assert res["changed"] and res["compute_node_deleted"] and api.find(node) is not None
    res = run_module(_args(placement.url, node, [], state="absent"))
    assert res["compute_node_deleted"] and api.find(node) is None
    # a root made by somebody else (no ownership trait) stays
    api.call("POST", "/resource_providers", {"name": node})
    res = run_module(_args(placement.url, node, [], state="absent"))
    assert res["changed"] is False and api.find(node) is not None
