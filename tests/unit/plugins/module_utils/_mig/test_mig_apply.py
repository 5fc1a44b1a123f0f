# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVML executor against the MIG state machine: writes, activation, resets, faults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.apply import (
    Applier, ApplyError, device_summary, matches)
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import MigSession
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import plan_gpu
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml_mig import (
    make_fake_mig_pynvml, mig_state)


def setup(capture="a100_8gpu", **gpu0):
    fake = make_fake_mig_pynvml(capture)
    fake.fake.state["gpus"][0].update(gpu0)
    fake.nvmlInit()
    return fake, MigSession(fake)


def fake_reset(fake):
    def reset(gpu):
        ok, message = mig_state.reset_gpu(fake.fake.state, gpu["index"])
        return ok, message
    return reset


def apply(fake, session, desired, allow_reset=False):
    applier = Applier(session, fake_reset(fake), allow_reset)
    gpu = session.read_gpu(0)
    applier.apply_gpu(gpu, plan_gpu(gpu, desired))
    return applier, session.read_gpu(0)


def want(devices=None, enabled=True):
    return {"mig_enabled": enabled, "devices": devices or {}, "where": "t"}


def test_enable_and_partition_idle_gpu_in_one_go():
    fake, session = setup()
    applier, gpu = apply(fake, session, want({"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}))
    assert matches(gpu, want({"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}))
    assert applier.pending == [] and applier.done[0].endswith("requested MIG mode enabled")
    assert device_summary(gpu) == ["1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb"]
    # written exactly as the log says: 1 mode + 4 GI + 4 CI
    assert len(fake.fake.state["log"]) == 9


def test_busy_gpu_stays_pending_and_is_not_reset():
    fake, session = setup(processes=[{"pid": 77, "gi": None, "ci": None}])
    applier, gpu = apply(fake, session, want({"7g.80gb": 1}), allow_reset=True)
    assert gpu["mode_current"] is False and gpu["mode_pending"] is True
    assert applier.pending[0]["processes"] == [{"pid": 77, "gpu_instance_id": None,
                                                "compute_instance_id": None}]
    assert "not reset: the GPU is busy, processes 77" in applier.pending[0]["reason"]
    assert not any(entry[0] == "gpu-reset" for entry in fake.fake.state["log"])
    assert "activation status 19: NVMLError_InUse" in applier.done[0]


def test_pass_through_gpu_needs_reset_and_allow_reset_resets_it():
    fake, session = setup(activation="reset_required")
    applier, gpu = apply(fake, session, want({"7g.80gb": 1}))
    assert gpu["mode_pending"] is True and gpu["mode_current"] is False
    assert "(allow_reset is false)" in applier.pending[0]["reason"]
    # next run with allow_reset: reset, then the instances
    applier, gpu = apply(fake, session, want({"7g.80gb": 1}), allow_reset=True)
    assert applier.pending == [] and matches(gpu, want({"7g.80gb": 1}))
    assert any(line.endswith("reset the GPU") for line in applier.done)


def test_reset_not_supported_means_reboot():
    fake, session = setup(activation="reset_required", reset_supported=False)
    applier, gpu = apply(fake, session, want({"7g.80gb": 1}), allow_reset=True)
    assert "GPU reset failed: Resetting GPU 00000000:07:00.0 is not supported." in \
        applier.pending[0]["reason"] and "a reboot is required" in applier.pending[0]["reason"]


def test_compute_instance_failure_rolls_back_its_gpu_instance():
    fake, session = setup()
    fake.fake.state["faults"] = [{"call": "nvmlGpuInstanceCreateComputeInstance", "after": 1,
                                  "code": 23, "times": 1}]
    with pytest.raises(ApplyError) as err:
        apply(fake, session, want({"3g.40gb": 2}))
    assert "creating the 3-slice compute instance of 3g.40gb in GPU instance 2 failed: " \
           "NVMLError_InsufficientResources" in err.value.message
    gpu = session.read_gpu(0)
    assert device_summary(gpu) == ["3g.40gb"]          # the first one, complete
    # the next run converges
    applier, gpu = apply(fake, session, want({"3g.40gb": 2}))
    assert matches(gpu, want({"3g.40gb": 2}))


def test_gpu_instance_failure_is_reported_with_placement():
    fake, session = setup(mig_current=True, mig_pending=True)
    fake.fake.state["faults"] = [{"call": "nvmlDeviceCreateGpuInstanceWithPlacement",
                                  "after": 2, "code": 23, "times": 1}]
    with pytest.raises(ApplyError, match=r"creating GPU instance 1g.10gb at placement 2:1 failed: "
                                         r"NVMLError_InsufficientResources"):
        apply(fake, session, want({"1g.10gb": 7}))
    assert device_summary(session.read_gpu(0)) == ["1g.10gb", "1g.10gb"]


def test_disable_destroys_then_turns_mode_off():
    fake, session = setup("a100_mig")
    applier, gpu = apply(fake, session, want(enabled=False))
    assert gpu["mode_current"] is False and gpu["instances"] == []
    assert sum("destroyed GPU instance" in line for line in applier.done) == 4


def test_gpu_instance_with_compute_instance_cannot_be_destroyed_directly():
    fake, session = setup("a100_mig")
    with pytest.raises(fake.NVMLError_InUse):
        session.destroy_gpu_instance(0, 3)
    with pytest.raises(fake.NVMLError_InUse):
        session.set_mig_mode(0, False)
