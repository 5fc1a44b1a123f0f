# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults through Ansible: each one reports exactly what happened, and the next run converges."""

from tests.integration.mig.conftest import doc

SEVEN = doc({"1g.10gb": 7}, index=[0])


def test_profile_not_supported_fails_before_any_write(host):
    h = host("h100_8gpu")
    code, result = h.module({"config": doc({"1g.5gb": 7, "7g.80gb": 0}, index=[0, 1])})
    assert code != 0 and result["failed"] and result["changed"] is False
    assert "GPU 0 (0000:53:00.0, NVIDIA H100 80GB HBM3) does not offer MIG profile 1g.5gb " \
           "(offered: 1g.10gb, 1g.20gb" in result["msg"]
    assert "GPU 1 (0000:64:00.0, NVIDIA H100 80GB HBM3) does not offer MIG profile 1g.5gb" \
        in result["msg"]
    assert h.state["log"] == []


def test_not_mig_capable_gpu(host):
    h = host("t4")
    code, result = h.module({"config": doc({"1g.5gb": 1})})
    assert code != 0 and "GPU 0 (0000:00:1e.0, Tesla T4) does not support MIG" in result["msg"]


def test_reset_pending_reported_then_allow_reset_converges(host):
    h = host("a100_8gpu")
    h.edit(lambda s: s["gpus"][0].update(activation="reset_required"))   # pass-through GPU
    code, result = h.module({"config": SEVEN})
    assert code == 0 and result["changed"] is True and result["reboot_required"] is True
    pending = result["pending_reset"][0]
    assert (pending["index"], pending["bus_id"]) == (0, "0000:07:00.0")
    assert "MIG mode is disabled, enabled is pending until the GPU is reset " \
           "(allow_reset is false)" in pending["reason"]
    assert result["gpus"][0]["status"] == "reset_pending"
    assert result["gpus"][0]["mig_enabled"] is False and result["gpus"][0]["mig_pending"] is True
    assert any("pending until the GPU is reset" in w for w in result["warnings"])
    # again: nothing to write, still pending, no change
    code, result = h.module({"config": SEVEN})
    assert code == 0 and result["changed"] is False and result["reboot_required"] is True
    # allowed to reset the idle GPU: the stub nvidia-smi resets it, then instances are made
    code, result = h.module({"config": SEVEN, "allow_reset": True})
    assert code == 0 and result["changed"] is True and result["reboot_required"] is False
    assert result["actions"][0] == "GPU 0 (0000:07:00.0, NVIDIA A100-SXM4-80GB): reset the GPU"
    assert len(result["gpus"][0]["instances"]) == 7
    assert ["gpu-reset", [0]] in h.state["log"]
    code, result = h.module({"config": SEVEN, "allow_reset": True})
    assert code == 0 and result["changed"] is False and result["pending_reset"] == []


def test_busy_gpu_is_never_reset(host):
    h = host("a100_8gpu")
    h.edit(lambda s: s["gpus"][0].update(processes=[{"pid": 31337, "gi": None, "ci": None}]))
    code, result = h.module({"config": SEVEN, "allow_reset": True})
    assert code == 0 and result["reboot_required"] is True
    assert "not reset: the GPU is busy, processes 31337" in result["pending_reset"][0]["reason"]
    assert result["pending_reset"][0]["processes"][0]["pid"] == 31337
    assert not any(entry[0] == "gpu-reset" for entry in h.state["log"])
    # the process ends: the next run resets and converges
    h.edit(lambda s: s["gpus"][0].update(processes=[]))
    code, result = h.module({"config": SEVEN, "allow_reset": True})
    assert code == 0 and result["changed"] is True and len(result["gpus"][0]["instances"]) == 7


def test_busy_instance_that_must_go_fails_before_writes(host):
    h = host("a100_mig")
    h.edit(lambda s: s["gpus"][0].update(processes=[{"pid": 999, "gi": 6, "ci": 0}]))
    before = h.writes()
    code, result = h.module({"config": doc({"7g.80gb": 1})})
    assert code != 0 and result["changed"] is False
    assert "processes 999 run on MIG instances that must be destroyed (GPU instance 3, 4, 5, 6)" \
        not in result["msg"]
    assert "processes 999 run on MIG instances that must be destroyed (GPU instance 6)" \
        in result["msg"]
    assert h.writes() == before


def test_creation_failure_midway_reports_what_exists_then_converges(host):
    h = host("h100_8gpu")
    h.edit(lambda s: s.update(faults=[{"call": "nvmlDeviceCreateGpuInstanceWithPlacement",
                                       "after": 3, "code": 23, "times": 1}]))
    code, result = h.module({"config": SEVEN})
    assert code != 0 and result["failed"] and result["changed"] is True
    assert "GPU 0 (0000:53:00.0, NVIDIA H100 80GB HBM3): creating GPU instance 1g.10gb at " \
           "placement 3:1 failed: NVMLError_InsufficientResources" in result["msg"]
    assert "Done before the failure: " in result["msg"]
    assert len(result["gpus"][0]["instances"]) == 3          # re-read: exactly what exists
    assert sum("created compute instance" in a for a in result["actions"]) == 3
    code, result = h.module({"config": SEVEN})
    assert code == 0 and result["changed"] is True
    assert len(result["gpus"][0]["instances"]) == 7
    assert sum(a.startswith("GPU 0") and "created GPU instance" in a
               for a in result["actions"]) == 4
    code, result = h.module({"config": SEVEN})
    assert code == 0 and result["changed"] is False


def test_compute_instance_failure_leaves_no_orphan(host):
    h = host("a100_8gpu")
    h.edit(lambda s: s.update(faults=[{"call": "nvmlGpuInstanceCreateComputeInstance",
                                       "after": 0, "code": 23, "times": 1}]))
    code, result = h.module({"config": doc({"3g.40gb": 2}, index=[0])})
    assert code != 0 and result["changed"] is True
    assert "destroyed GPU instance 1 again (it has no compute instance)" in result["msg"]
    assert result["gpus"][0]["instances"] == [] and result["gpus"][0]["mig_enabled"] is True
    code, result = h.module({"config": doc({"3g.40gb": 2}, index=[0])})
    assert code == 0 and len(result["gpus"][0]["instances"]) == 2


def test_config_file_yaml_and_bad_documents(host, tmp_path):
    h = host("a100_8gpu")
    path = tmp_path / "config.yaml"
    path.write_text("version: v1\nmig-configs:\n  all-7g:\n    - devices: all\n"
                    "      mig-enabled: true\n      mig-devices:\n        \"7g.80gb\": 1\n")
    code, result = h.module({"config_file": str(path), "selected_config": "all-7g"}, "--check")
    assert code == 0 and result["changed"] is True and len(result["actions"]) == 24
    code, result = h.module({"config_file": str(path), "selected_config": "other"})
    assert code != 0 and "selected_config 'other' is not in mig-configs (available: all-7g)" \
        in result["msg"]
    code, result = h.module({"config": {"version": "v2", "mig-configs": {}}})
    assert code != 0 and result["msg"].startswith("invalid MIG configuration: version:")
    code, result = h.module({"config_file": str(tmp_path / "missing.yaml")})
    assert code != 0 and "config_file %s cannot be read" % (tmp_path / "missing.yaml") \
        in result["msg"]
