"""The openaccel.cyborg.placement inventory plugin against a real Placement."""
import json
import os
import subprocess
import sys

from tests.integration.placement.placement_helpers import ROOT, run_module


def _inventory(tmp_path, config):
    src = tmp_path / "cloud.placement.yml"
    src.write_text(config)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ROOT, ANSIBLE_INVENTORY_ENABLED="openaccel.cyborg.placement",
               ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"),
                           "-i", str(src), "--list"], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_groups_and_hostvars(placement, api, node, devices, tmp_path):
    gpu_node = node + "-gpu"
    base = {"endpoint": placement.url, "token": "admin", "create_root": True}
    assert not run_module(dict(base, compute_node=node, devices=devices))["failed"]
    gpus = [d for d in devices if d["type"] == "gpu"][:2]
    assert not run_module(dict(base, compute_node=gpu_node, devices=gpus))["failed"]

    inv = _inventory(tmp_path, "plugin: openaccel.cyborg.placement\nendpoint: %s\ntoken: admin\n"
                     "with_usages: true\nmanaged_only: true\n"
                     "compose:\n  gpu_count: placement_accelerators.PGPU.total | default(0)\n"
                     "groups:\n  gpu_rich: (placement_accelerators.PGPU.total | default(0)) >= 8\n"
                     % placement.url)
    assert {node, gpu_node} <= set(inv["accel_pgpu"]["hosts"])
    assert node in inv["accel_fpga"]["hosts"] and gpu_node not in inv["accel_fpga"]["hosts"]
    assert node in inv["accel_qat"]["hosts"]
    assert node in inv["trait_gpu_nvidia_h100"]["hosts"]
    assert node in inv["gpu_rich"]["hosts"] and gpu_node not in inv["gpu_rich"]["hosts"]
    hv = inv["_meta"]["hostvars"]
    assert hv[node]["placement_accelerators"]["PGPU"] == {"providers": 8, "total": 8,
                                                          "reserved": 0, "used": 0}
    assert hv[node]["placement_accelerators"]["CUSTOM_QAT"]["total"] == 8
    assert hv[gpu_node]["gpu_count"] == 2
    uuid = hv[node]["placement_uuid"]
    uuid = uuid.get("__ansible_unsafe", uuid) if isinstance(uuid, dict) else uuid
    assert uuid == api.find(node)["uuid"]
