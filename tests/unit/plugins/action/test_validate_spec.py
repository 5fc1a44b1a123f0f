"""validate_spec: the schema, the bad-spec corpus, the semantic checks, the action plugin."""
import glob
import json
import os
import subprocess
import sys

import jinja2
import pytest
import yaml

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import match
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import module_checks
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import schema
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import stages as converge
from ansible_collections.openaccel.cyborg.tests.unit.plugins.modules.documented_options import (
    assert_spec_matches_docs, documented_options)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fixtures", "bad_specs")
BAD = sorted(glob.glob(os.path.join(CORPUS, "[0-9]*.yml")))
EXAMPLE_SPECS = [os.path.join(ROOT, "inventories", d, "group_vars", "all", "accelerators.yml")
                 for d in ("demo", "openstack-example", "k8s-example")]
SHA = "sha256:" + "ab" * 32


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def _devices(case):
    if case.get("devices") == "common":
        return _load(os.path.join(CORPUS, "_devices.yml"))
    return case.get("devices")


def check(spec, devices=None, protected=()):
    """The stages of the action plugin: schema, the modules' spec checks, the devices."""
    errors = schema.validate_schema(spec) or module_checks.spec_errors(spec)
    if errors or devices is None:
        return errors
    assignments, _selectors, errors = match.resolve(spec, devices, protected)
    return errors or module_checks.device_errors(spec, assignments, devices)


def test_schema_is_valid_2020_12():
    import jsonschema
    jsonschema.Draft202012Validator.check_schema(schema.load_schema())


def test_corpus_is_big_enough():
    assert len(BAD) >= 20


@pytest.mark.parametrize("path", BAD, ids=[os.path.basename(p) for p in BAD])
def test_bad_spec_rejected_with_path(path):
    case = _load(path)
    errors = check(case["spec"], _devices(case), case.get("protected_devices", ()))
    assert errors, "accepted: %s" % path
    paths = [e["path"] for e in errors]
    assert case["expect"]["path"] in paths, errors
    hit = [e for e in errors if e["path"] == case["expect"]["path"]][0]
    assert case["expect"].get("message", "") in hit["message"], hit


def test_error_names_bad_value():
    errors = check({"version": 1, "devices": [
        {"name": "q", "select": {"type": "qat"}, "sriov": {"num_vfs": -3}}]})
    assert errors == [{"path": "$.devices[0].sriov.num_vfs", "value": -3, "validator": "minimum",
                       "message": "-3 is less than the minimum of 0"}]


def test_good_spec_resolves():
    devices = _load(os.path.join(CORPUS, "_devices.yml"))
    spec = {"version": 1, "devices": [
        {"name": "a100", "select": {"device_id": "20b2"},
         "mig": {"config": {"version": "v1", "mig-configs": {"all-1g": []}},
                 "selected_config": "all-1g"},
         "register": {"traits": ["CUSTOM_A100"], "resource_class": "CUSTOM_A100"}},
        {"name": "t4", "select": {"product": "*t4*"}, "vfio": True},
        {"name": "fpga", "select": {"type": "fpga", "numa_node": 1},
         "bitstream": {"src": "/opt/nlb0.gbs", "checksum": SHA}},
        {"name": "qat", "select": {"type": "qat"}, "sriov": {"num_vfs": 16}},
        {"name": "h100", "select": {"device_id": "2330"}, "optional": True},
    ], "register": {"placement": {"endpoint": "http://127.0.0.1:8778", "token": "admin"},
                    "kubernetes": {"target": "manifests", "manifest_dir": "/tmp/m"}}}
    assert schema.validate_schema(spec) == []
    assignments, selectors, errors = match.resolve(spec, devices, ["0000:01:00.0"])
    assert errors == []
    assert selectors == {"a100": ["0000:5e:00.0"], "t4": ["0000:3b:00.0"],
                         "fpga": ["0000:af:00.0"], "qat": ["0000:d8:00.0"], "h100": []}
    work = match.summary(assignments)
    assert [w["address"] for w in work["vfio"]] == ["0000:3b:00.0"]
    assert work["sriov"] == [{"address": "0000:d8:00.0", "num_vfs": 16}]
    assert match.placement_overrides(assignments) == [
        {"match": {"address": "0000:5e:00.0"}, "resource_class": "CUSTOM_A100",
         "traits": ["CUSTOM_A100"]}]


def test_virtual_functions_need_opt_in():
    vf = {"address": "0000:d8:00.1", "type": "qat", "is_virtual_function": True}
    assert not match.matches({"type": "qat"}, vf)
    assert match.matches({"type": "qat", "virtual_functions": True}, vf)


# what the inventories leave to the run: the demo's Placement URL (scripts/demo.sh passes it with
# -e) and its build directory (inventories/demo/hosts.yml)
RUN_VARS = {"openaccel_placement_endpoint": "http://127.0.0.1:8778", "openaccel_demo_dir": "/tmp/demo"}


def _rendered(value):
    """The spec as Ansible hands it over: Jinja expressions rendered (undefined ones fail)."""
    if isinstance(value, dict):
        return dict((k, _rendered(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_rendered(v) for v in value]
    if isinstance(value, str) and "{{" in value:
        return jinja2.Template(value, undefined=jinja2.StrictUndefined).render(RUN_VARS)
    return value


@pytest.mark.parametrize("path", [p for p in EXAMPLE_SPECS if os.path.exists(p)])
def test_example_inventories_are_valid(path):
    spec = _rendered(_load(path)["accelerators_spec"])
    assert schema.validate_schema(spec) == []
    assert module_checks.spec_errors(spec) == []


def _collections_path():
    """The directory holding ansible_collections/: the checkout itself (through its
    ansible_collections/openaccel/cyborg link), or above a staged ansible-test copy."""
    parent = os.path.dirname(os.path.dirname(ROOT))
    if os.path.basename(parent) == "ansible_collections":
        return os.path.dirname(parent)
    return ROOT


def _run_playbook(tmp_path, spec, devices=None, discover=None):
    out = tmp_path / "result.json"
    args = {"spec": spec}
    for key, value in (("devices", devices), ("discover", discover)):
        if value is not None:
            args[key] = value
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "validate", "openaccel.cyborg.validate_spec": args, "register": "r",
         "ignore_errors": True},
        {"name": "save", "ansible.builtin.copy": {
            "content": "{{ r | combine({'facts_set': ansible_facts.accelerators | default(None)})"
                       " | to_json }}", "dest": str(out), "mode": "0644"}}]}]
    book = tmp_path / "play.yml"
    book.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_collections_path())
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", "localhost,", "-c", "local", "-e",
                           "ansible_python_interpreter=" + sys.executable, str(book)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_action_plugin_fails_with_path(tmp_path):
    res = _run_playbook(tmp_path, {"version": 1, "devices": [
        {"name": "g", "select": {"vendor_id": "10DE"}}]})
    assert res["failed"] and res["valid"] is False
    assert "$.devices[0].select.vendor_id" in res["msg"]
    assert res["errors"][0]["value"] == "10DE"


def test_action_plugin_matches_devices(tmp_path):
    devices = _load(os.path.join(CORPUS, "_devices.yml"))
    res = _run_playbook(tmp_path, {"version": 1, "devices": [
        {"name": "g", "select": {"type": "gpu"}}]}, devices)
    assert not res.get("failed") and res["valid"] and not res["changed"]
    assert res["selectors"] == {"g": ["0000:3b:00.0", "0000:5e:00.0"]}


def test_k8s_example_claims_each_gpu_once():
    spec = _load(EXAMPLE_SPECS[2])["accelerators_spec"]
    devices = _load(os.path.join(CORPUS, "_devices.yml"))
    _assignments, selectors, errors = match.resolve(spec, devices)
    assert errors == []
    assert selectors == {"mig-gpus": ["0000:5e:00.0"], "inference-gpus": ["0000:3b:00.0"]}


def test_discover_runs_facts_on_the_host_then_matches(tmp_path):
    from tests.fixtures.hwsim import build
    root = tmp_path / "host"
    build("qat_c62x").write(root)
    spec = {"version": 1, "devices": [
        {"name": "qat", "select": {"type": "qat"}, "sriov": {"num_vfs": 4}}],
        "register": {"placement": {"endpoint": "http://127.0.0.1:1", "token": "admin"},
                     "kubernetes": {"enabled": False, "target": "manifests",
                                    "manifest_dir": "/tmp/x"}}}
    res = _run_playbook(tmp_path, spec, discover={"sysfs_root": str(root), "nvml": "disabled"})
    assert not res.get("failed") and res["valid"], res
    addresses = [d["address"] for d in res["facts_set"]]
    assert res["selectors"]["qat"] and set(res["selectors"]["qat"]) <= set(addresses)
    # configure work, so the devices are read again, then Placement (Kubernetes is disabled)
    assert res["stages"] == ["configure", "rediscover", "placement"]


def test_discover_is_not_run_for_a_spec_that_fails_the_schema(tmp_path):
    res = _run_playbook(tmp_path, {"version": 1, "devices": [{"name": "g"}]},
                        discover={"sysfs_root": str(tmp_path / "absent")})
    # the schema error, not the discovery error of the missing sysfs_root: the host was
    # never contacted
    assert res["failed"] and res["stage"] == "schema" and res["facts_set"] is None, res
    assert "$.devices[0]" in res["msg"]


def test_discover_failure_is_reported_as_such(tmp_path):
    res = _run_playbook(tmp_path, {"version": 1, "devices": []},
                        discover={"sysfs_root": str(tmp_path / "absent")})
    assert res["failed"] and res["msg"].startswith("discovery on the host failed: "), res
    assert "sysfs_root" in res["msg"]


def test_devices_and_discover_are_mutually_exclusive(tmp_path):
    res = _run_playbook(tmp_path, {"version": 1, "devices": []}, devices=[], discover={})
    assert res["failed"] and "mutually exclusive" in res["msg"], res


@pytest.mark.parametrize("work, register, stages", [
    ({}, {}, []),
    ({"drivers": ["d"]}, {}, ["drivers"]),
    ({"drivers": ["d"], "mig": [{}]}, {}, ["drivers", "configure", "rediscover"]),
    ({"flash": [{}]}, {"placement": {}}, ["flash", "rediscover", "placement"]),
    ({"native": [{}]}, {"kubernetes": {}, "placement": {"enabled": False}},
     ["configure", "rediscover", "kubernetes"]),
    ({}, {"placement": None, "kubernetes": {"enabled": True}}, ["placement", "kubernetes"]),
])
def test_converge_stages(work, register, stages):
    full = dict(match.summary([]), **work)
    assert converge.converge_stages({"register": register}, full) == stages


def test_work_lists_flash_under_both_names_and_the_distinct_mig_layouts():
    layout = {"config_file": "/etc/mig.yaml", "selected_config": "all-1g.10gb"}
    work = match.summary([
        {"address": "0000:5e:00.0", "mig": layout}, {"address": "0000:5f:00.0", "mig": layout},
        {"address": "0000:60:00.0", "mig": {"config_file": "/etc/mig.yaml"}},
        {"address": "0000:af:00.0", "bitstream": {"src": "/opt/nlb0.gbs", "checksum": SHA}}])
    assert sorted(work) == ["bitstream", "drivers", "flash", "mig", "mig_layouts", "native",
                            "skip_register", "sriov", "vfio"]
    assert work["flash"] == work["bitstream"] == [
        {"address": "0000:af:00.0", "src": "/opt/nlb0.gbs", "checksum": SHA}]
    assert [m["address"] for m in work["mig"]] == ["0000:5e:00.0", "0000:5f:00.0", "0000:60:00.0"]
    assert work["mig_layouts"] == [layout, {"config_file": "/etc/mig.yaml"}]


@pytest.mark.parametrize("work, register, expected", [
    ({}, {"placement": {}}, False),
    ({}, {"placement": {}, "kubernetes": {}}, False),
    ({"drivers": ["d"]}, {"placement": {}}, True),
    ({"sriov": [{}]}, {}, True),
])
def test_plan_says_whether_the_host_converges(work, register, expected):
    plan = converge.plan({"register": register}, dict(match.summary([]), **work))
    assert plan["converge"] is expected
    assert plan["stages"] == converge.converge_stages({"register": register},
                                                      dict(match.summary([]), **work))
    assert plan["device_results"] == ["_accelerators_sriov", "_accelerators_vfio",
                                      "_accelerators_native", "_accelerators_mig",
                                      "_accelerators_flash"]


def test_documented_options_match_the_argument_spec():
    from ansible_collections.openaccel.cyborg.plugins.action import validate_spec as action
    from ansible_collections.openaccel.cyborg.plugins.modules import validate_spec as module
    _doc, opts = documented_options(module)
    assert_spec_matches_docs(action.ARGSPEC.argument_spec, opts)
    assert action.ARGSPEC.mutually_exclusive == [["devices", "discover"]]


# -- the modules' own checks (plugin_utils/_spec/module_checks.py) -----------------------------
# Every row of module_checks.CHECKS has a corpus case ("check: <name>") whose error path fits
# the row, and the module named by the row refuses the same value with the same message.
