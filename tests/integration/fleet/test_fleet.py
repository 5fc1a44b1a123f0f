"""One ansible-playbook run converges a simulated fleet (openaccel.cyborg.site) against a real
Placement and the Kubernetes test API server; drift made by hand is found by
openaccel.cyborg.report and healed by the next converge."""
import json
import os
import re
import subprocess
import sys
import time

import requests
import yaml

from conftest import FLEET, ROOT

HEADERS = {"x-auth-token": "admin", "OpenStack-API-Version": "placement 1.39"}
QAT_PF = "0000:3b:00.0"


def _inventory(fleet):
    base = fleet["base"]
    spec = {"version": 1, "devices": [
        {"name": "gpus", "select": {"type": "gpu"}, "optional": True,
         "register": {"traits": ["CUSTOM_FLEET_GPU"]}},
        {"name": "qat", "select": {"type": "qat"}, "optional": True, "sriov": {"num_vfs": 16}},
        {"name": "fpga", "select": {"type": "fpga"}, "optional": True},
    ], "register": {
        "placement": {"endpoint": fleet["placement"].url, "token": "admin", "create_root": True},
        "kubernetes": {"target": "api", "kubeconfig": fleet["k8s"].kubeconfig("admin"),
                       "publish": ["labels", "extended_resources"]}}}
    inv = {"all": {"vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "accelerators_nvml": "disabled", "accelerators_report_dir": str(base / "reports"),
        "accelerators_sysfs_root": str(base / "hosts") + "/{{ inventory_hostname }}",
        "accelerators_spec": spec},
        "hosts": dict((h, {}) for h in FLEET)}}
    (base / "reports").mkdir(exist_ok=True)
    path = base / "hosts.yml"
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def _play(inventory, playbook, *extra, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections")
               + ":" + ROOT, ANSIBLE_FORKS="10", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", inventory, playbook] + list(extra),
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
                          check=False)
    assert (proc.returncode == 0) != kwargs.get("fails", False), \
        proc.stdout[-6000:] + proc.stderr[-3000:]
    recap = dict((m.group(1), int(m.group(2))) for m in re.finditer(
        r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.M))
    return recap, proc.stdout


def _api(fleet, method, path, body=None):
    r = requests.request(method, fleet["placement"].url + path, json=body, headers=HEADERS,
                         timeout=30)
    assert r.status_code < 300, (path, r.status_code, r.text)
    return r.json() if r.content else None


def _provider(fleet, name):
    return _api(fleet, "GET", "/resource_providers?name=%s" % name)["resource_providers"][0]


def _report(fleet, host):
    return json.loads((fleet["base"] / "reports" / (host + ".json")).read_text())


def _numvfs(fleet):
    path = os.path.join(fleet["roots"]["sim-qat"], "bus", "pci", "devices", QAT_PF, "sriov_numvfs")
    with open(path) as handle:
        return int(handle.read())


def _set_numvfs(fleet, count):
    """What an operator would do by hand (0 first: the kernel refuses n -> m)."""
    pf = os.path.join(fleet["roots"]["sim-qat"], "bus", "pci", "devices", QAT_PF)
    steps = [(0, "virtfn0")] + ([(count, "virtfn%d" % (count - 1))] if count else [])
    for value, link in steps:
        with open(os.path.join(pf, "sriov_numvfs"), "w") as handle:
            handle.write(str(value))
        deadline = time.time() + 20
        while os.path.lexists(os.path.join(pf, link)) != bool(value) and time.time() < deadline:
            time.sleep(0.05)


def test_converge_drift_heal(fleet):
    inv = _inventory(fleet)
    hosts = sorted(FLEET)

    # 1. converge the fleet in one run (the QAT PF starts without VFs: the converge makes 16)
    _set_numvfs(fleet, 0)
    recap, out = _play(inv, "openaccel.cyborg.site")
    assert all(recap[h] > 0 for h in hosts), recap
    assert _numvfs(fleet) == 16
    gpu = _provider(fleet, "sim-t4_0000:00:1e.0")
    traits = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])["traits"]
    assert "CUSTOM_FLEET_GPU" in traits and "CUSTOM_OPENACCEL_MANAGED" in traits
    node = fleet["k8s"].store.get("nodes", "sim-t4", "Node")
    assert any(k.startswith("openaccel.io/") for k in node["metadata"]["labels"]), node
    summary = (fleet["base"] / "reports" / "fleet-summary.md").read_text()
    assert all("| %s |" % h in summary or "**%s**" % h in summary for h in hosts), summary

    # 2. a second converge changes nothing
    recap, out = _play(inv, "openaccel.cyborg.site")
    assert all(recap[h] == 0 for h in hosts), (recap, out[-4000:])

    # 3. drift by hand: a trait removed from a provider, the VF count changed
    body = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])
    _api(fleet, "PUT", "/resource_providers/%s/traits" % gpu["uuid"], {
        "traits": [t for t in body["traits"] if t != "CUSTOM_FLEET_GPU"],
        "resource_provider_generation": body["resource_provider_generation"]})
    # (VFs removed: the heal is one write; n -> m goes through 0, which races kernel_sim under load)
    _set_numvfs(fleet, 0)
    assert _numvfs(fleet) == 0
    recap, out = _play(inv, "openaccel.cyborg.report")
    assert recap["sim-qat"] > 0 and recap["sim-a100"] == 0, recap  # check mode: "would change"
    assert _numvfs(fleet) == 0  # ... and the report changed nothing
    t4, qat = _report(fleet, "sim-t4"), _report(fleet, "sim-qat")
    assert t4["mode"] == "plan" and t4["drift"] == ["placement"], t4
    assert t4["stages"]["placement"]["update"] == ["sim-t4_0000:00:1e.0"]
    assert "sriov" in qat["drift"] and qat["stages"]["sriov"]["targets"] == [QAT_PF], qat
    assert _report(fleet, "sim-a100")["drift"] == []
    summary = (fleet["base"] / "reports" / "fleet-summary.md").read_text()
    assert "**sim-t4**" in summary and "**sim-qat**" in summary and "**sim-a100**" not in summary

    # 4. the next converge heals it, and the report is clean again
    recap, out = _play(inv, "openaccel.cyborg.site")
    assert recap["sim-t4"] > 0 and recap["sim-qat"] > 0 and recap["sim-a100"] == 0, recap
    assert _numvfs(fleet) == 16
    assert "CUSTOM_FLEET_GPU" in _api(
        fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])["traits"]
    _play(inv, "openaccel.cyborg.report")
    assert all(_report(fleet, h)["drift"] == [] for h in hosts)

    # 5. a bad spec (from the corpus) is rejected with its JSON path and changes nothing
    with open(os.path.join(ROOT, "tests", "fixtures", "bad_specs", "31-too-many-vfs.yml")) as f:
        bad = yaml.safe_load(f)["spec"]
    bad["devices"][0].update(optional=True, sriov={"num_vfs": 2})
    bad["devices"].append({"name": "gpu", "select": {"type": "gpu"}, "optional": True,
                           "sriov": {"num_vfs": "2"}})
    before = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])
    recap, out = _play(inv, "openaccel.cyborg.site", "-e", json.dumps({"accelerators_spec": bad}),
                       fails=True)
    assert "$.devices[1].sriov.num_vfs" in out, out[-3000:]
    assert all(recap[h] == 0 for h in hosts), recap
    assert _numvfs(fleet) == 16
    assert _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"]) == before
