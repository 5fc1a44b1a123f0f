"""The in-process stand-in for AnsibleModule, and when an action plugin uses it."""
import os
import sys
from types import SimpleNamespace

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.plugin_utils import _action_module
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._action_module import run_in_process

SPEC = ArgumentSpec(dict(name=dict(type="str", required=True),
                         password=dict(type="str", no_log=True, aliases=["pass"]),
                         count=dict(type="int", default=1),
                         endpoint=dict(type="str"), cloud=dict(type="str")),
                    mutually_exclusive=[["endpoint", "cloud"]])


def _run(body, args, check_mode=False, diff=False, environment=None):
    return run_in_process(body, SPEC, args, check_mode, diff, environment=environment)


def test_validated_params_check_and_diff_reach_the_body():
    seen = {}

    def body(module):
        seen.update(params=dict(module.params), check=module.check_mode, diff=module._diff)
        return {"changed": True}

    result = _run(body, {"name": "x", "count": "3"}, check_mode=True, diff=True)
    assert result["changed"] and not result.get("failed")
    assert seen["params"]["count"] == 3 and seen["check"] and seen["diff"]
    assert result["invocation"]["module_args"]["name"] == "x"


def test_bad_arguments_fail_before_the_body_runs():
    calls = []
    result = _run(calls.append, {"count": "many", "endpoint": "e", "cloud": "c"})
    assert result["failed"] and not calls
    for part in ("name", "count", "mutually exclusive"):
        assert part in result["msg"], result["msg"]


def test_unknown_option_is_named_as_ansiblemodule_names_it():
    """A module_defaults group default the module lacks, a typo: the same words as a module
    process (AnsibleModule: "Unsupported parameters for (NAME) module: ...")."""
    result = run_in_process(lambda module: {}, SPEC, {"name": "x", "sysfs_root": "/sys"}, False, False,
                            name="openaccel.cyborg.example")
    assert result["failed"], result
    assert result["msg"].startswith("Unsupported parameters for (openaccel.cyborg.example) module: sysfs_root. "
                                    "Supported parameters include: "), result["msg"]


def test_no_log_values_are_masked_everywhere():
    def body(module):
        module.warn("connecting with %s" % module.params["password"])
        raise ModuleFailure("login with %s refused" % module.params["password"],
                            detail={"echo": module.params["password"]})

    result = _run(body, {"name": "x", "pass": "hunter22"})
    assert result["failed"] and "hunter22" not in str(result)
    assert result["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["warnings"] == ["connecting with ********"]


def test_alias_and_option_both_set_warns_as_ansiblemodule_does():
    result = _run(lambda module: {}, {"name": "x", "password": "zq9", "pass": "zq9"})
    assert any("alias pass" in w for w in result["warnings"]), result


def test_unexpected_exception_is_a_failure_with_traceback_and_masked():
    def body(module):
        raise RuntimeError("boom with %s" % module.params["password"])

    result = _run(body, {"name": "x", "password": "s3cr3t-pw"})
    assert result["failed"] and "RuntimeError: boom" in result["msg"]
    assert "Traceback" in result["exception"] and "s3cr3t-pw" not in str(result)


def test_task_environment_is_applied_then_restored(monkeypatch):
    monkeypatch.setenv("OPENACCEL_KEEP", "before")
    monkeypatch.delenv("OPENACCEL_NEW", raising=False)
    seen = {}

    def body(module):
        seen.update(keep=os.environ["OPENACCEL_KEEP"], new=os.environ["OPENACCEL_NEW"])
        raise ValueError("stop")

    _run(body, {"name": "x"}, environment={"OPENACCEL_KEEP": "during", "OPENACCEL_NEW": 1})
    assert seen == {"keep": "during", "new": "1"}
    assert os.environ["OPENACCEL_KEEP"] == "before" and "OPENACCEL_NEW" not in os.environ


class _Templar:
    @staticmethod
    def template(value):
        return value


def _action(transport="local", become=False, async_val=0, delegate_to=None):
    action = _action_module.HostDefaultsAction.__new__(_action_module.HostDefaultsAction)
    action.BODY = len
    action._connection = SimpleNamespace(transport=transport)
    action._play_context = SimpleNamespace(become=become)
    action._task = SimpleNamespace(async_val=async_val, delegate_to=delegate_to)
    action._templar = _Templar()
    return action


@pytest.mark.parametrize("case, action, task_vars, expected", [
    ("implicit localhost", _action(), {"ansible_python_interpreter": sys.executable}, True),
    ("ssh target", _action(transport="ssh"), {"ansible_python_interpreter": sys.executable}, False),
    ("become", _action(become=True), {"ansible_python_interpreter": sys.executable}, False),
    ("async", _action(async_val=30), {"ansible_python_interpreter": sys.executable}, False),
    ("other python", _action(), {"ansible_python_interpreter": "/usr/bin/python3.9"}, False),
    ("no interpreter set", _action(), {}, False),
    ("turned off", _action(), {"ansible_python_interpreter": sys.executable,
                               "openaccel_cyborg_in_process": "false"}, False),
    ("delegated: the delegate's vars count", _action(delegate_to="localhost"),
     {"ansible_python_interpreter": "/usr/bin/python3.9", "ansible_delegated_vars": {
         "localhost": {"ansible_python_interpreter": sys.executable}}}, True),
    ("delegated elsewhere", _action(delegate_to="db1"),
     {"ansible_python_interpreter": sys.executable, "ansible_delegated_vars": {
         "db1": {"ansible_python_interpreter": "/opt/py/bin/python"}}}, False),
])
def test_runs_in_process_only_where_a_module_process_would_be_this_python(
        case, action, task_vars, expected):
    assert action.runs_in_process(task_vars) is expected, case
