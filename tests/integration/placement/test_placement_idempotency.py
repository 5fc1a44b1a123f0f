"""Four runs through ansible-playbook (check, apply, check, apply) on a realistic host."""
import json
import os

import jsonschema
import pytest

from tests.integration.placement.placement_helpers import ROOT, run_playbook

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
    provider_uuid,
)


def test_device_records_follow_the_schema(devices):
    with open(os.path.join(ROOT, "schemas", "device.schema.json")) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    for rec in devices:
        validator.validate(rec)
    assert len(devices) >= 20


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "module-process"])
def test_four_runs_check_apply_check_apply(placement, api, node, tmp_path, devices, in_process):
    """Both ways the task can run on the controller: the action plugin running the body in
    its worker (the default there), or a module process (as for any other target)."""
    args = {"endpoint": placement.url, "token": "admin", "compute_node": node,
            "create_root": True, "devices": devices}
    before_total = api.total_providers()

    def play(check=False, diff=False, verbose=False):
        return run_playbook(tmp_path, args, check=check, diff=diff, in_process=in_process,
                            env={"ANSIBLE_VERBOSITY": "3"} if verbose else None)

    # 1. check: the plan, reads only, nothing on the server
    r1, out1 = play(check=True, diff=True, verbose=True)
    assert r1["changed"] is True and not r1.get("failed"), r1
    # -vvv names the module file a module process runs; the in-process body has none
    assert ("AnsiballZ_placement_provider_tree" in out1) is not in_process
    assert r1["api_calls"]["writes"] == 0
    assert api.total_providers() == before_total
    n = len(r1["providers"]["create"])
    assert n >= 20
    assert node + "_0000:18:00.0" in out1            # --diff shows the planned tree

    # 2. apply
    r2, _out = play()
    assert r2["changed"] is True and not r2.get("failed"), r2
    assert sorted(r2["providers"]["create"]) == sorted(r1["providers"]["create"])
    new_names = len(r2["new_traits"]) + len(r2["new_resource_classes"])
    # root: 1 POST + 1 traits PUT; then at most 3 writes per device + 1 per new name
    assert r2["api_calls"]["writes"] <= 2 + 3 * n + new_names, r2["api_calls"]
    tree = api.tree(node)
    assert len(tree) == n
    for name, rp in tree.items():
        assert rp["uuid"] == provider_uuid(name)
        assert "CUSTOM_OPENACCEL_MANAGED" in rp["traits"]
        assert "OWNER_CYBORG" in rp["traits"]
    gpu = tree[node + "_0000:18:00.0"]
    assert gpu["inventories"]["PGPU"]["total"] == 1
    assert {"CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_PRODUCT_ID_2330", "CUSTOM_GPU_NVIDIA_H100",
            "CUSTOM_NUMA_NODE_0"} <= set(gpu["traits"])
    qat = tree[node + "_0000:3d:00.0"]                # PF with 4 VFs, per_pf
    assert qat["inventories"]["CUSTOM_QAT"]["total"] == 4
    assert node + "_0000:3d:01.0" not in tree
    fpga = tree[node + "_0000:3b:00.0"]
    assert fpga["inventories"]["FPGA"]["total"] == 1
    assert "CUSTOM_FPGA_INTEL" in fpga["traits"]
    assert "CUSTOM_FPGA_FUNCTION_ID_INTEL_D8424DC4A4A3C413F89E433683F9040B" in fpga["traits"]
    assert "CUSTOM_FPGA_REGION_INTEL_9346116DA52D5CA8B06AA9A389EF7C8D" in fpga["traits"]
    other = tree[node + "_0000:e3:00.0"]
    assert "CUSTOM_PCI_1E52_0001" in other["inventories"]
    generations = dict((k, v["generation"]) for k, v in tree.items())

    # 3. check again: no change, no writes
    r3, _out = play(check=True, diff=True)
    assert r3["changed"] is False, r3
    assert r3["api_calls"]["writes"] == 0
    # reads: compute node, one in_tree, then traits + inventories per device provider
    assert r3["api_calls"]["reads"] == 2 + 2 * n, r3["api_calls"]

    # 4. apply again: no change, 0 writes, generations untouched
    r4, _out = play()
    assert r4["changed"] is False, r4
    assert r4["api_calls"]["writes"] == 0
    assert dict((k, v["generation"]) for k, v in api.tree(node).items()) == generations


def test_device_change_is_an_update(placement, api, node, tmp_path, devices):
    args = {"endpoint": placement.url, "token": "admin", "compute_node": node,
            "create_root": True, "devices": devices}
    run_playbook(tmp_path, args)
    # a GPU moved to another NUMA node, QAT VFs went from 4 to 2, one NVMe was pulled
    for rec in devices:
        if rec["address"] == "0000:18:00.0":
            rec["numa_node"] = 1
    devices = [d for d in devices if d["address"] not in ("0000:3d:01.2", "0000:3d:01.3",
                                                          "0000:c3:00.0")]
    for rec in devices:
        if rec["address"] == "0000:3d:00.0":
            rec["sriov"]["num_vfs"] = 2
    args["devices"] = devices
    r, out = run_playbook(tmp_path, args, diff=True)
    assert r["changed"] is True
    assert sorted(r["providers"]["update"]) == [node + "_0000:18:00.0", node + "_0000:3d:00.0"]
    assert r["providers"]["delete"] == [node + "_0000:c3:00.0"]
    assert r["api_calls"]["writes"] == 3   # traits PUT, inventory PUT, DELETE
    tree = api.tree(node)
    assert "CUSTOM_NUMA_NODE_1" in tree[node + "_0000:18:00.0"]["traits"]
    assert tree[node + "_0000:3d:00.0"]["inventories"]["CUSTOM_QAT"]["total"] == 2
    assert node + "_0000:c3:00.0" not in tree
    r, _out = run_playbook(tmp_path, args)
    assert r["changed"] is False and r["api_calls"]["writes"] == 0
