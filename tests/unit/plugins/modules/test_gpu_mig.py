# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpu_mig module: documentation matches the argument spec; facts agree with what it made;
the body (_mig/runner.py run) returns its result or raises ModuleFailure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

import pytest
import yaml

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml import enrich as _nvml
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig import runner
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.apply import Applier
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import MigSession
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import plan_gpu
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.runner import ARGSPEC
from ansible_collections.openaccel.cyborg.plugins.modules import gpu_mig
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml import capture_bus_ids, real_pynvml
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml_mig import make_fake_mig_pynvml


def test_documentation_is_yaml_and_matches_the_options():
    doc = yaml.safe_load(gpu_mig.DOCUMENTATION)
    assert doc["module"] == "gpu_mig"
    assert doc["extends_documentation_fragment"] == ["openaccel.cyborg.attributes"]
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}
    assert set(doc["options"]) == {"config", "config_file", "selected_config", "allow_reset"}
    assert doc["options"]["allow_reset"]["default"] is False
    for key in ("description", "notes", "requirements"):
        assert all(isinstance(line, str) for line in doc[key]), key     # no stray "x: y"
    assert yaml.safe_load(gpu_mig.EXAMPLES)
    returned = yaml.safe_load(gpu_mig.RETURN)
    assert {"actions", "gpus", "pending_reset", "reboot_required"} <= set(returned)


def test_accelerator_facts_see_the_instances_gpu_mig_made():
    fake = make_fake_mig_pynvml("h100_8gpu")
    fake.nvmlInit()
    session = MigSession(fake)
    gpu = session.read_gpu(0)
    desired = {"mig_enabled": True, "devices": {"3g.40gb": 1, "2g.20gb": 1, "1c.2g.20gb": 1},
               "where": "t"}
    Applier(session, None, False).apply_gpu(gpu, plan_gpu(gpu, desired))
    fake.nvmlShutdown()
    records = [{"address": a, "vendor_id": "10de", "type": "gpu"}
               for a in capture_bus_ids("h100_8gpu")]
    _nvml.enrich_nvidia(records, "required", import_module=lambda name: fake)
    mig = records[0]["gpu"]["mig"]
    assert mig["mode_current"] is True
    assert sorted(i["profile"] for i in mig["instances"]) == ["1c.2g.20gb", "2g.20gb", "3g.40gb"]
    assert records[1]["gpu"]["mig"]["instances"] == []


class FakeModule(object):
    """What runner.run reads of an AnsibleModule (the body contract of _module.py)."""

    def __init__(self, check_mode=False, **params):
        self.params = dict(config=None, config_file=None, selected_config=None,
                           allow_reset=False)
        self.params.update(params)
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def get_bin_path(self, name):
        return None

    def fail_json(self, **kwargs):
        raise AssertionError("the body called fail_json: %r" % kwargs)

    exit_json = fail_json


def _config(devices, index=(0,)):
    return {"version": "v1", "mig-configs": {"c": [
        {"devices": list(index), "mig-enabled": True, "mig-devices": devices}]}}


def test_argspec_matches_the_documentation_and_keeps_the_constraints():
    doc = yaml.safe_load(gpu_mig.DOCUMENTATION)
    assert set(ARGSPEC.argument_spec) == set(doc["options"])
    for name, option in doc["options"].items():
        assert ARGSPEC.argument_spec[name]["type"] == option["type"], name
    assert ARGSPEC.argument_spec["selected_config"]["aliases"] == ["name"]
    assert ARGSPEC.constraints() == {"required_one_of": [("config", "config_file")],
                                     "mutually_exclusive": [("config", "config_file")]}


def test_run_returns_the_result(monkeypatch):
    fake = make_fake_mig_pynvml("a100_8gpu")
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    module = FakeModule(check_mode=True, config=_config({"3g.40gb": 2}))
    result = runner.run(module)
    assert result["changed"] is True and result["selected_config"] == "c"
    assert result["gpus"][0]["status"] == "would_change" and fake.fake.state["log"] == []
    assert module.warnings          # the mode change may wait for a reset
    module = FakeModule(config=_config({"3g.40gb": 2}))
    result = runner.run(module)
    assert result["changed"] is True and result["gpus"][0]["status"] == "changed"
    assert len(result["gpus"][0]["instances"]) == 2
    assert runner.run(FakeModule(config=_config({"3g.40gb": 2})))["changed"] is False
    assert fake.fake.initialized == 0                  # NVML shut down after each run


def test_run_raises_module_failure_with_what_was_done(monkeypatch):
    fake = make_fake_mig_pynvml("a100_8gpu")
    fake.fake.state["faults"] = [{"call": "nvmlDeviceCreateGpuInstanceWithPlacement",
                                  "after": 1, "code": 23, "times": 1}]
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    with pytest.raises(ModuleFailure) as info:
        runner.run(FakeModule(config=_config({"3g.40gb": 2})))
    failure = info.value
    assert "NVMLError_InsufficientResources" in failure.msg
    assert "Done before the failure: GPU 0" in failure.msg
    assert failure.result["changed"] is True and failure.result["actions"] == [
        line for line in failure.result["actions"] if line.startswith("GPU 0 ")]
    assert len(failure.result["gpus"][0]["instances"]) == 1
    assert fake.fake.initialized == 0


def test_run_fails_before_nvml_on_bad_input(monkeypatch, tmp_path):
    def no_nvml(name):
        raise AssertionError("NVML loaded for an invalid configuration")
    monkeypatch.setattr(runner, "load", no_nvml)
    with pytest.raises(ModuleFailure, match="invalid MIG configuration"):
        runner.run(FakeModule(config={"version": "v2", "mig-configs": {}}))
    with pytest.raises(ModuleFailure, match="config_file .* cannot be read"):
        runner.run(FakeModule(config_file=str(tmp_path / "missing.yaml")))


def test_run_without_pynvml_or_driver(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with pytest.raises(ModuleFailure) as info:
        runner.run(FakeModule(config=_config({"7g.80gb": 1})))
    assert "nvidia-ml-py (pynvml)" in info.value.msg and "exception" in info.value.result
    fake = make_fake_mig_pynvml("a100_8gpu")
    fake.fake.init_error = real_pynvml.NVML_ERROR_DRIVER_NOT_LOADED
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    with pytest.raises(ModuleFailure, match="NVML cannot be initialised .*DriverNotLoaded"):
        runner.run(FakeModule(config=_config({"7g.80gb": 1})))


def test_main_runs_the_body_through_execute(monkeypatch):
    seen = {}
    monkeypatch.setattr(gpu_mig, "execute", lambda module, body: seen.update(body=body))
    monkeypatch.setattr(gpu_mig.ARGSPEC, "create_ansible_module", lambda: "module")
    gpu_mig.main()
    assert seen["body"] is runner.run
