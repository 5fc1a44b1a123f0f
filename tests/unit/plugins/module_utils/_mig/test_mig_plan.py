# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The "is work needed?" decision, on GPU data read through the MIG fake NVML
(profiles and placements of the real A100-80GB / H100 MIG tables)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import MigSession
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import (
    needs_work, plan_gpu, plan_text, solve_placements)
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml_mig import make_fake_mig_pynvml


def read(capture, index=0, mutate=None):
    fake = make_fake_mig_pynvml(capture)
    if mutate:
        mutate(fake.fake.state)
    fake.nvmlInit()
    return MigSession(fake).read_gpu(index)


def want(devices=None, enabled=True):
    return {"mig_enabled": enabled, "devices": devices or {}, "where": "mig-configs.t[0]"}


def test_unselected_gpu_needs_nothing():
    plan = plan_gpu(read("a100_8gpu"), None)
    assert not needs_work(plan) and plan["errors"] == [] and plan_text(plan) == []


def test_enable_from_disabled_plans_mode_and_layout():
    plan = plan_gpu(read("a100_8gpu"), want({"3g.40gb": 2}))
    assert plan["set_mode"] is True and plan["reset_needed"] is True
    assert [(c["profile"], c["placement"]) for c in plan["create"]] == [
        ("3g.40gb", [0, 4]), ("3g.40gb", [4, 4])]
    assert needs_work(plan)


def test_matching_state_needs_no_work():
    # the captured A100 has four 1g.20gb devices, MIG on
    plan = plan_gpu(read("a100_mig"), want({"1g.20gb": 4}))
    assert not needs_work(plan) and not plan["reset_needed"] and len(plan["keep"]) == 4


def test_keeps_matching_instances_and_adds_the_rest():
    plan = plan_gpu(read("a100_mig"), want({"1g.20gb": 2, "2g.20gb": 1}))
    assert [gi["gpu_instance_id"] for gi in plan["keep"]] == [3, 4]
    assert [gi["gpu_instance_id"] for gi in plan["destroy"]] == [5, 6]
    assert [(c["profile"], c["placement"]) for c in plan["create"]] == [("2g.20gb", [4, 2])]


def test_relayout_when_kept_instances_block_the_rest():
    # 1g.20gb at 0:2 .. 6:2 fill the A100; a 4g.40gb needs 0:4, and 3g.40gb 4:4
    plan = plan_gpu(read("a100_mig"), want({"4g.40gb": 1, "3g.40gb": 1}))
    assert plan["keep"] == [] and len(plan["destroy"]) == 4
    assert [(c["profile"], c["placement"]) for c in plan["create"]] == [
        ("4g.40gb", [0, 4]), ("3g.40gb", [4, 4])]


def test_disable_destroys_everything_first():
    plan = plan_gpu(read("a100_mig"), want(enabled=False))
    assert plan["set_mode"] is False and len(plan["destroy"]) == 4
    text = plan_text(plan)
    assert text[0].startswith("GPU 0 (0000:01:00.0, NVIDIA A100-SXM4-80GB): destroy GPU instance 3")
    assert "disable MIG mode" in text[4]


def test_profile_not_offered_names_gpu_and_profile():
    plan = plan_gpu(read("h100_8gpu"), want({"1g.5gb": 7}))
    assert plan["errors"] == [
        "GPU 0 (0000:53:00.0, NVIDIA H100 80GB HBM3) does not offer MIG profile 1g.5gb "
        "(offered: 1g.10gb, 1g.20gb, 1g.10gb+me, 2g.20gb, 1c.2g.20gb, 3g.40gb, 1c.3g.40gb, "
        "2c.3g.40gb, 4g.40gb, 1c.4g.40gb, 2c.4g.40gb, 3c.4g.40gb, 7g.80gb, 1c.7g.80gb, "
        "2c.7g.80gb, 3c.7g.80gb, 4c.7g.80gb)"]


def test_too_many_instances_do_not_fit():
    plan = plan_gpu(read("h100_8gpu"), want({"3g.40gb": 2, "1g.10gb": 2}))
    assert "cannot hold 1g.10gb, 1g.10gb, 3g.40gb, 3g.40gb at the same time" in plan["errors"][0]
    assert "3g.40gb at 0:3,4:3" in plan["errors"][0]


def test_instance_count_limit():
    # 1g.10gb+me: one per GPU (InstanceCount 1 in NVIDIA's table)
    plan = plan_gpu(read("a100_8gpu"), want({"1g.10gb+me": 2}))
    assert plan["errors"] and "cannot hold" in plan["errors"][0]


def test_h100_seven_1g_and_mixed_layout():
    plan = plan_gpu(read("h100_8gpu"), want({"1g.10gb": 7}))
    assert [c["placement"][0] for c in plan["create"]] == list(range(7))
    plan = plan_gpu(read("h100_8gpu"), want({"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}))
    assert plan["errors"] == []
    assert sorted(c["placement"][0] for c in plan["create"]) == [0, 3, 4, 6]


def test_not_mig_capable():
    plan = plan_gpu(read("t4"), want({"1g.5gb": 1}))
    assert plan["errors"] == ["GPU 0 (0000:00:1e.0, Tesla T4) does not support MIG "
                              "(requested by mig-configs.t[0])"]
    assert plan_gpu(read("t4"), want(enabled=False))["errors"] == []


def test_pending_mode_is_not_work_but_reset_is_needed():
    def pending(state):
        state["gpus"][0]["mig_pending"] = True
    plan = plan_gpu(read("a100_8gpu", mutate=pending), want({"7g.80gb": 1}))
    assert plan["set_mode"] is None and plan["reset_needed"] is True
    assert not needs_work(plan) or plan["create"]       # instances wait for the mode


def test_busy_instance_that_must_go_is_an_error():
    def busy(state):
        state["gpus"][0]["processes"] = [{"pid": 4242, "gi": 5, "ci": 0}]
    plan = plan_gpu(read("a100_mig", mutate=busy), want({"1g.20gb": 2, "2g.20gb": 1}))
    assert plan["errors"] and "processes 4242 run on MIG instances that must be destroyed " \
        "(GPU instance 5)" in plan["errors"][0]
    # a busy instance that is kept is fine
    plan = plan_gpu(read("a100_mig", mutate=lambda s: s["gpus"][0].update(
        processes=[{"pid": 1, "gi": 3, "ci": 0}])), want({"1g.20gb": 2, "2g.20gb": 1}))
    assert plan["errors"] == []


@pytest.mark.parametrize("needed, expected", [
    (["7g.80gb"], [[0, 8]]),
    (["1g.10gb"] * 8, None),
    (["4g.40gb", "2g.20gb", "1g.10gb"], [[0, 4], [4, 2], [6, 1]]),
])
def test_solver(needed, expected):
    profiles = read("a100_8gpu")["profiles"]
    assert solve_placements(needed, profiles, []) == expected
