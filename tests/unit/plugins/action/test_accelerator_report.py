"""accelerator_report: which hosts one run reports on, what it writes, how it fails."""
import json
import os
from types import SimpleNamespace

import pytest

from ansible_collections.openaccel.cyborg.plugins.action.accelerator_report import ActionModule
from ansible_collections.openaccel.cyborg.tests.unit.plugins.modules.documented_options import (
    assert_spec_matches_docs, documented_options)


class _Templar:
    @staticmethod
    def template(value):
        return value


def _action(args, run_once=True, strategy="linear", check_mode=False):
    action = ActionModule.__new__(ActionModule)
    play = SimpleNamespace(strategy=strategy)
    action._task = SimpleNamespace(args=args, action="openaccel.cyborg.accelerator_report", run_once=run_once, check_mode=check_mode,
                                   async_val=0, get_play=lambda: play)
    action._templar = _Templar()
    action._connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/nowhere"))
    action._supports_check_mode = True
    action._supports_async = False
    action._VALID_ARGS = frozenset()
    return action


def _task_vars():
    sriov = {"changed": True, "results": [{"changed": True, "ansible_loop_var": "_accelerators_item",
                                           "_accelerators_item": {"address": "0000:3d:00.0"}}]}
    hostvars = {
        "a": {"_accelerators_plan": {"selectors": {"qat": ["0000:3d:00.0"]}},
              "_accelerators_sriov": sriov, "ansible_facts": {"accelerators": [{"type": "qat"}]}},
        "b": {"_accelerators_plan": {"selectors": {}}, "ansible_facts": {"accelerators": []}},
    }
    return {"inventory_hostname": "a", "hostvars": hostvars}


@pytest.mark.parametrize("strategy, run_once, hosts, expected", [
    ("linear", True, ["a", "b"], ["a", "b"]),
    ("ansible.builtin.linear", True, ["a", "b"], ["a", "b"]),
    (None, True, ["a", "b"], ["a", "b"]),                  # the default strategy (linear)
    ("mitogen_linear", True, ["a", "b"], ["a", "b"]),
    ("free", True, ["a", "b"], ["a"]),                     # run once per host: its own only
    ("host_pinned", True, ["a", "b"], ["a"]),
    ("linear", False, ["a", "b"], ["a"]),                  # not run_once: its own host
    ("linear", True, None, ["a"]),
])
def test_hosts_reported(strategy, run_once, hosts, expected):
    args = {"hosts": hosts} if hosts else {}
    result = _action(args, run_once=run_once, strategy=strategy).run(task_vars=_task_vars())
    assert not result.get("failed") and sorted(result["reports"]) == expected, result


def test_reports_from_the_role_variables_and_files_written(tmp_path):
    dest = tmp_path / "reports" / "new"
    result = _action({"hosts": ["a", "b"], "dest": str(dest), "show": True}).run(
        task_vars=_task_vars())
    a = result["reports"]["a"]
    assert a["drift"] == ["sriov"] and a["stages"]["sriov"]["targets"] == ["0000:3d:00.0"]
    assert a["devices"] == {"qat": 1} and a["selectors"] == {"qat": ["0000:3d:00.0"]}
    assert result["reports"]["b"]["drift"] == [] and result["changed"] is False
    assert json.loads((dest / "a.json").read_text()) == a
    assert result["paths"]["b"] == str(dest / "b.json")
    assert oct(os.stat(dest / "a.json").st_mode & 0o777) == "0o644"
    assert result["_ansible_verbose_always"] is True
    assert not [p for p in os.listdir(dest) if p.startswith(".")]   # no temp files left


def test_variables_rename_and_unknown_key():
    task_vars = _task_vars()
    task_vars["hostvars"]["a"]["mine"] = task_vars["hostvars"]["a"].pop("_accelerators_sriov")
    result = _action({"hosts": ["a"], "variables": {"sriov": "mine"}}).run(task_vars=task_vars)
    assert result["reports"]["a"]["drift"] == ["sriov"]
    bad = _action({"variables": {"sriovv": "x"}}).run(task_vars=_task_vars())
    assert bad["failed"] and "sriovv" in bad["msg"] and "sriov" in bad["msg"]


def test_check_mode_makes_a_plan():
    result = _action({}, check_mode=True).run(task_vars=_task_vars())
    assert result["reports"]["a"]["mode"] == "plan"


def test_unwritable_dest_and_bad_host_name_fail_clearly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _action({"dest": str(blocker / "sub")}).run(task_vars=_task_vars())
    assert result["failed"] and result["msg"].startswith("dest: cannot write the report of a")
    task_vars = _task_vars()
    task_vars["hostvars"]["../x"] = task_vars["hostvars"]["b"]
    out = tmp_path / "out"
    result = _action({"hosts": ["a", "../x"], "dest": str(out)}).run(task_vars=task_vars)
    assert result["failed"] and "../x" in result["msg"] and not out.exists()   # nothing written


def test_documented_options_match_the_argument_spec():
    from ansible_collections.openaccel.cyborg.plugins.action import accelerator_report as action
    from ansible_collections.openaccel.cyborg.plugins.modules import accelerator_report as module
    _doc, opts = documented_options(module)
    assert_spec_matches_docs(action.ARGSPEC.argument_spec, opts)


def test_variables_default_to_the_role_registered_names():
    from ansible_collections.openaccel.cyborg.plugins.action import accelerator_report as action
    assert action.ROLE_VARIABLES == {
        "plan": "_accelerators_plan", "sriov": "_accelerators_sriov",
        "vfio": "_accelerators_vfio", "native": "_accelerators_native",
        "mig": "_accelerators_mig", "flash": "_accelerators_flash",
        "placement": "_accelerators_placement_result", "kubernetes": "_accelerators_k8s_result"}
    assert list(action.ROLE_VARIABLES) == ["plan", "sriov", "vfio", "native", "mig", "flash",
                                           "placement", "kubernetes"]
