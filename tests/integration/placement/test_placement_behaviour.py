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


# The D5005 of the OFS docs (shared hw capture intel-d5005-ofs-docs.lspci-s-sriov.txt and
# intel-fpga-af00-vfs.fpgainfo-port.txt): PF 3b:00.0 (bcce) and three VFs (bccf), each VF's
# port carrying its own AFU.
D5005_VF_AFUS = {"0000:3b:00.1": "56e203e9864f49a7b94b12284c31e02b",
                 "0000:3b:00.2": "8568ab4e6ba54616bb652a578330a8eb",
                 "0000:3b:00.3": "43425ee692b24742b03abd8d4a533812"}


def _d5005(devices):
    pf = dict(next(d for d in devices if d["address"] == "0000:3b:00.0"))
    pf["sriov"] = {"total_vfs": 3, "num_vfs": 3, "vfs": sorted(D5005_VF_AFUS), "physfn": None}
    pf["fpga"] = dict(pf["fpga"], ports=[], afu_id=None)     # the ports moved to the VFs
    vfs = []
    for address, afu in sorted(D5005_VF_AFUS.items()):
        vfs.append(dict(pf, address=address, device_id="bccf", is_virtual_function=True,
                        function="vf", sriov={"physfn": pf["address"], "total_vfs": None,
                                              "num_vfs": None, "vfs": []},
                        fpga={"framework": "dfl", "fme": None, "interface_id": None,
                              "ports": [{"name": "dfl-port.%s" % address[-1], "id": 0,
                                         "afu_id": afu}], "afu_id": afu,
                              "state": "programmed"}))
    return [pf] + vfs


def _candidates(api, root, *groups):
    """Providers of the tree of ``root`` that Placement offers for the granular request groups
    a Cyborg device profile becomes in Nova (resourcesN / requiredN, one group per
    device-profile group)."""
    query = ["group_policy=isolate"]
    for index, (rc, traits) in enumerate(groups, 1):
        query.append("resources%d=%s:1" % (index, rc))
        query.append("required%d=%s" % (index, ",".join(traits)))
        query.append("in_tree%d=%s" % (index, root))
    status, body = api.call("GET", "/allocation_candidates?" + "&".join(query))
    assert status == 200, body
    return [sorted(ar["allocations"]) for ar in body["allocation_requests"]]


def test_fpga_region_and_function_ids_reach_a_device_profile_either_way(
        placement, api, node, devices):
    records = _d5005(devices)
    region = "CUSTOM_FPGA_REGION_INTEL_9346116DA52D5CA8B06AA9A389EF7C8D"
    afu = "CUSTOM_FPGA_FUNCTION_ID_INTEL_8568AB4E6BA54616BB652A578330A8EB"
    # device profile: [{"resources:FPGA": "1", "trait:<region>": "required",
    #                   "trait:<function id>": "required"}]
    for mode in ("per_pf", "per_vf"):
        run = run_module(_args(placement.url, node, records, sriov_mode=mode))
        assert not run["failed"], run
        tree = api.tree(node)
        root = api.find(node)["uuid"]
        found = _candidates(api, root, ("FPGA", [region, afu]))
        assert found, (mode, tree)
        holders = set(uuid for request in found for uuid in request)
        names = [n for n, p in tree.items() if p["uuid"] in holders]
        if mode == "per_pf":
            assert names == [node + "_0000:3b:00.0"], names
            pf = tree[node + "_0000:3b:00.0"]
            assert pf["inventories"]["FPGA"]["total"] == 3
            for vf_afu in D5005_VF_AFUS.values():
                assert "CUSTOM_FPGA_FUNCTION_ID_INTEL_" + vf_afu.upper() in pf["traits"]
        else:
            assert names == [node + "_0000:3b:00.2"], names       # the VF with that AFU
            assert all(region in tree[node + "_" + a]["traits"] for a in D5005_VF_AFUS)
        # two FPGAs of that region, isolated: per_vf offers two VFs, per_pf one PF of 3
        two = _candidates(api, root, ("FPGA", [region]), ("FPGA", [region]))
        assert bool(two) is (mode == "per_vf"), (mode, two)
        gone = run_module(_args(placement.url, node, records, sriov_mode=mode, state="absent"))
        assert not gone["failed"], gone
