"""One ansible-playbook run converges a simulated fleet (openaccel.cyborg.site) against a real
Placement and the Kubernetes test API server; drift made by hand is found by
openaccel.cyborg.report and healed by the next converge."""
import copy
import json
import os
import re
import subprocess
import sys
import time

import requests
import yaml

from conftest import FLEET, FPGA_HOST, FPGA_PF, MIG_HOST, ROOT
from tests.fixtures.nvml_mig import mig_state

HEADERS = {"x-auth-token": "admin", "OpenStack-API-Version": "placement 1.39"}
QAT_PF = "0000:3b:00.0"
MIG_LAYOUT = {"1g.20gb": 2, "2g.20gb": 1}   # the capture runs four 1g.20gb
# the same as NVML GPU-instance profiles (the fake's state): 1g.20gb is the 1-slice REV2 one
MIG_PROFILES = sorted(["GPU_INSTANCE_PROFILE_1_SLICE_REV2"] * 2 + ["GPU_INSTANCE_PROFILE_2_SLICE"])


def _inventory(fleet):
    base = fleet["base"]
    image = fleet["images"]["nlb0"]
    spec = {"version": 1, "devices": [
        {"name": "gpus", "select": {"type": "gpu", "device_id": "1eb8"}, "optional": True,
         "register": {"traits": ["CUSTOM_FLEET_GPU"]}},
        {"name": "a100", "select": {"type": "gpu", "device_id": "20b2"}, "optional": True,
         "mig": {"selected_config": "fleet", "config": {"version": "v1", "mig-configs": {
             "fleet": [{"devices": "all", "device-filter": "0x20B210DE", "mig-enabled": True,
                        "mig-devices": MIG_LAYOUT}]}}},
         "register": {"traits": ["CUSTOM_FLEET_GPU"]}},
        {"name": "qat", "select": {"type": "qat"}, "optional": True, "sriov": {"num_vfs": 16}},
        {"name": "fpga", "select": {"type": "fpga"}, "optional": True,
         "bitstream": {"src": image["src"], "checksum": image["checksum"]}},
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
    # NVML (the MIG fake) on the A100 host only: MIG-capable there, hence the selector's mig
    inv["all"]["hosts"][MIG_HOST] = {"accelerators_nvml": "required"}
    if os.geteuid() != 0:
        # the role runs gpu_mig with become: a no-op as root (same user), but sudo would drop
        # the fake NVML's PYTHONPATH and state file (and ask for a password)
        inv["all"]["hosts"][MIG_HOST]["ansible_become"] = False
    (base / "reports").mkdir(exist_ok=True)
    path = base / "hosts.yml"
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def _play(fleet, inventory, playbook, *extra, **kwargs):
    env = dict(fleet["env"], ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections")
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


def _afu_id(fleet):
    """The AFU id the D5005's port shows (what the kernel's DFL driver exposes); None: none."""
    path = os.path.join(fleet["roots"][FPGA_HOST], "bus", "pci", "devices", FPGA_PF,
                        "fpga_region", "region0", "dfl-port.0", "afu_id")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return handle.read().strip()


def _programmed(fleet):
    """The images the stub vendor tools loaded so far (their call log), oldest first."""
    path = fleet["base"] / "stub-calls.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e["afu_id"] for e in map(json.loads, lines) if e["event"] == "programmed"]


def _fpgaconf(fleet, image):
    """What an operator's other tool does: fpgaconf (the stub, on the fleet PATH) loads
    another GBS into the D5005's PR region."""
    bus = FPGA_PF.split(":")[1]
    proc = subprocess.run(["fpgaconf", "--bus", "0x" + bus, image["src"]], env=fleet["env"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _mig(fleet):
    """The fake NVML's state of the A100 (GPU 0): (MIG mode, its GPU instances as
    [profile, placement start, size] sorted, the number of NVML writes so far)."""
    state = mig_state.load(str(fleet["base"] / "mig-state.json"))
    gpu = state["gpus"][0]
    return (gpu["mig_current"], sorted([gi["profile"]] + gi["placement"] for gi in gpu["gis"]),
            len(mig_state.writes(state)))


def _repartition(fleet):
    """What an operator does with nvidia-smi mig -dci/-dgi/-cgi/-cci: the 2-slice GPU instance
    destroyed, two 1-slice ones (1g.20gb, as the others) made in its place and the free slot
    (the captured layout again). Edits the fake's state, as tests/integration/mig does."""
    path = str(fleet["base"] / "mig-state.json")
    state = mig_state.load(path)
    gpu = state["gpus"][0]
    big = [gi for gi in gpu["gis"] if [ci["slices"] for ci in gi["cis"]] == [2]]
    small = [gi for gi in gpu["gis"] if [ci["slices"] for ci in gi["cis"]] == [1]]
    assert len(big) == 1 and len(small) == 2, gpu["gis"]
    start, size = big[0]["placement"][0], small[0]["placement"][1]
    gpu["gis"].remove(big[0])
    used = [gi["id"] for gi in gpu["gis"]]
    free = [n for n in range(1, 64) if n not in used]
    for number in range(2):
        gpu["gis"].append(dict(copy.deepcopy(small[0]), id=free[number],
                               placement=[start + number * size, size]))
    mig_state.save(path, state)


def test_converge_drift_heal(fleet):
    inv = _inventory(fleet)
    hosts = sorted(FLEET)
    nlb0, he_lb = fleet["images"]["nlb0"], fleet["images"]["he_lb"]

    # 1. converge the fleet in one run (the QAT PF starts without VFs: the converge makes 16;
    #    the D5005 runs no AFU: it gets the spec's; the A100's captured four 1g.20gb become
    #    the spec's layout)
    _set_numvfs(fleet, 0)
    assert _afu_id(fleet) is None
    recap, out = _play(fleet, inv, "openaccel.cyborg.site")
    assert all(recap[h] > 0 for h in hosts), recap
    assert _numvfs(fleet) == 16
    assert _afu_id(fleet) == nlb0["afu_id"] and _programmed(fleet) == [nlb0["afu_id"]]
    enabled, layout, writes = _mig(fleet)
    assert enabled is True and writes > 0
    assert sorted(gi[0] for gi in layout) == MIG_PROFILES, layout
    assert _report(fleet, MIG_HOST)["stages"]["mig"]["targets"] == ["fleet"]
    assert _report(fleet, FPGA_HOST)["stages"]["flash"]["targets"] == [FPGA_PF]
    # programming (an async job, tests/unit/roles/test_long_steps_async.py) says how long it took
    took = re.search(r'"msg": "%s: programmed %s with fpgaconf: afu_id=%s \((\d+\.\d+) s\)"'
                     % (FPGA_PF, FPGA_PF, nlb0["afu_id"]), out)
    assert took and float(took.group(1)) > 0, out[-4000:]
    gpu = _provider(fleet, "sim-t4_0000:00:1e.0")
    traits = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])["traits"]
    assert "CUSTOM_FLEET_GPU" in traits and "CUSTOM_OPENACCEL_MANAGED" in traits
    # no selector claims them: the T4 host's own NVMe disks and the QAT host's NIC PF without
    # VFs are not registered; the accelerators nobody claims are
    for name in ("sim-t4_0000:00:04.0", "sim-t4_0000:00:1f.0", "sim-qat_0000:3f:00.0"):
        found = _api(fleet, "GET", "/resource_providers?name=%s" % name)["resource_providers"]
        assert not found, name
    node = fleet["k8s"].store.get("nodes", "sim-t4", "Node")
    assert any(k.startswith("openaccel.io/") for k in node["metadata"]["labels"]), node
    summary = (fleet["base"] / "reports" / "fleet-summary.md").read_text()
    assert all("| %s |" % h in summary or "**%s**" % h in summary for h in hosts), summary

    # 2. a second converge changes nothing (the image is loaded, the layout is there)
    recap, out = _play(fleet, inv, "openaccel.cyborg.site")
    assert all(recap[h] == 0 for h in hosts), (recap, out[-4000:])
    assert _programmed(fleet) == [nlb0["afu_id"]] and _mig(fleet) == (enabled, layout, writes)

    # 3. drift by hand: a trait removed from a provider, the VF count changed, another
    #    bitstream loaded into the FPGA, the A100 re-partitioned
    body = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])
    _api(fleet, "PUT", "/resource_providers/%s/traits" % gpu["uuid"], {
        "traits": [t for t in body["traits"] if t != "CUSTOM_FLEET_GPU"],
        "resource_provider_generation": body["resource_provider_generation"]})
    # (VFs removed: the heal is one write; n -> m goes through 0, which races kernel_sim under load)
    _set_numvfs(fleet, 0)
    assert _numvfs(fleet) == 0
    _fpgaconf(fleet, he_lb)
    assert _afu_id(fleet) == he_lb["afu_id"]
    _repartition(fleet)
    drifted = _mig(fleet)
    assert drifted[1] != layout and drifted[2] == writes
    recap, out = _play(fleet, inv, "openaccel.cyborg.report")
    assert recap["sim-qat"] > 0 and recap[FPGA_HOST] > 0 and recap[MIG_HOST] > 0, recap
    # ... and the report changed nothing
    assert _numvfs(fleet) == 0
    assert _afu_id(fleet) == he_lb["afu_id"]
    assert _programmed(fleet) == [nlb0["afu_id"], he_lb["afu_id"]]
    assert _mig(fleet) == drifted
    t4, qat = _report(fleet, "sim-t4"), _report(fleet, "sim-qat")
    fpga, a100 = _report(fleet, FPGA_HOST), _report(fleet, MIG_HOST)
    assert t4["mode"] == "plan" and t4["drift"] == ["placement"], t4
    assert t4["stages"]["placement"]["update"] == ["sim-t4_0000:00:1e.0"]
    assert "sriov" in qat["drift"] and qat["stages"]["sriov"]["targets"] == [QAT_PF], qat
    assert fpga["mode"] == "plan" and "flash" in fpga["drift"], fpga
    assert fpga["stages"]["flash"]["targets"] == [FPGA_PF], fpga
    assert a100["mode"] == "plan" and "mig" in a100["drift"], a100
    assert a100["stages"]["mig"]["targets"] == ["fleet"], a100
    # registration drift that only follows from the hardware the converge will change first is
    # marked provisional; the trait removed by hand on the T4 host is not
    assert t4["stages"]["placement"]["provisional"] is False, t4
    assert fpga["stages"]["placement"]["provisional"] is True, fpga
    assert qat["stages"]["kubernetes"]["provisional"] is True, qat
    summary = (fleet["base"] / "reports" / "fleet-summary.md").read_text()
    assert all("**%s**" % h in summary for h in hosts), summary
    assert "\u2020 compared with the devices as they are now" in summary, summary

    # 3b. stages are tags: a plan of only the registration stages, then of all but them
    _play(fleet, inv, "openaccel.cyborg.site", "--check", "--tags", "register,report")
    only = dict((h, _report(fleet, h)["drift"]) for h in hosts)
    assert only["sim-t4"] == ["placement"], only
    assert not any(set(d) & {"sriov", "flash", "mig"} for d in only.values()), only
    _play(fleet, inv, "openaccel.cyborg.site", "--check", "--skip-tags", "register")
    but = dict((h, _report(fleet, h)["drift"]) for h in hosts)
    assert but["sim-t4"] == [] and "sriov" in but["sim-qat"], but
    assert "flash" in but[FPGA_HOST] and "mig" in but[MIG_HOST], but
    assert not any(set(d) & {"placement", "kubernetes"} for d in but.values()), but
    assert _numvfs(fleet) == 0 and _afu_id(fleet) == he_lb["afu_id"] and _mig(fleet) == drifted

    # 4. the next converge heals it, and the report is clean again
    recap, out = _play(fleet, inv, "openaccel.cyborg.site")
    assert all(recap[h] > 0 for h in hosts), recap
    assert _numvfs(fleet) == 16
    assert "CUSTOM_FLEET_GPU" in _api(
        fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])["traits"]
    assert _afu_id(fleet) == nlb0["afu_id"]
    assert _programmed(fleet) == [nlb0["afu_id"], he_lb["afu_id"], nlb0["afu_id"]]
    healed = _mig(fleet)
    assert healed[0] is True and healed[2] > writes, healed
    assert sorted(gi[0] for gi in healed[1]) == MIG_PROFILES, healed
    assert _report(fleet, FPGA_HOST)["stages"]["flash"]["targets"] == [FPGA_PF]
    assert _report(fleet, MIG_HOST)["stages"]["mig"]["targets"] == ["fleet"]
    _play(fleet, inv, "openaccel.cyborg.report")
    assert all(_report(fleet, h)["drift"] == [] for h in hosts), \
        dict((h, _report(fleet, h)["drift"]) for h in hosts)
    assert len(_programmed(fleet)) == 3 and _mig(fleet) == healed

    # 5. a bad spec (from the corpus) is rejected with its JSON path and changes nothing
    with open(os.path.join(ROOT, "tests", "fixtures", "bad_specs", "31-too-many-vfs.yml")) as f:
        bad = yaml.safe_load(f)["spec"]
    bad["devices"][0].update(optional=True, sriov={"num_vfs": 2})
    bad["devices"].append({"name": "gpu", "select": {"type": "gpu"}, "optional": True,
                           "sriov": {"num_vfs": "2"}})
    before = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])
    recap, out = _play(fleet, inv, "openaccel.cyborg.site", "-e",
                       json.dumps({"accelerators_spec": bad}), fails=True)
    assert "$.devices[1].sriov.num_vfs" in out, out[-3000:]
    assert all(recap[h] == 0 for h in hosts), recap
    assert _numvfs(fleet) == 16
    assert _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"]) == before
    assert len(_programmed(fleet)) == 3 and _mig(fleet) == healed

    # 6. "--tags validate" checks the schema on the controller alone: no discovery on a host
    recap, out = _play(fleet, inv, "openaccel.cyborg.site", "--tags", "validate", "-e",
                       json.dumps({"accelerators_spec": bad}), fails=True)
    assert "$.devices[1].sriov.num_vfs" in out, out[-3000:]
    recap, out = _play(fleet, inv, "openaccel.cyborg.site", "--tags", "validate")
    discover = out.split("TASK [openaccel.cyborg.accelerators : Discover", 1)[1].split("TASK [", 1)[0]
    assert "ok: [" not in discover and "skipping: [sim-t4]" in discover, discover
    assert all(recap[h] == 0 for h in hosts), recap


def test_placement_only_host_runs_just_the_placement_task(fleet):
    """A converged host whose only stage is Placement (an OpenStack compute node with nothing
    to configure) runs the role's static Placement task, no include; its registered result
    still reaches the report, so drift there is seen and healed."""
    path = fleet["base"] / "placement-only.yml"
    with open(_inventory(fleet)) as f:
        inv = yaml.safe_load(f)
    spec = inv["all"]["vars"]["accelerators_spec"]
    spec["devices"] = [spec["devices"][0]]              # the T4 selector, no device work
    del spec["register"]["kubernetes"]
    inv["all"]["hosts"] = {"sim-t4": {}}
    path.write_text(yaml.safe_dump(inv))
    gpu = _provider(fleet, "sim-t4_0000:00:1e.0")
    _play(fleet, str(path), "openaccel.cyborg.site")
    recap, out = _play(fleet, str(path), "openaccel.cyborg.site")
    assert recap["sim-t4"] == 0, recap
    assert not re.search(r"^included: .* for sim-t4", out, re.M), out[-3000:]
    assert "TASK [openaccel.cyborg.accelerators : Reconcile the device providers" in out
    body = _api(fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])
    _api(fleet, "PUT", "/resource_providers/%s/traits" % gpu["uuid"], {
        "traits": [t for t in body["traits"] if t != "CUSTOM_FLEET_GPU"],
        "resource_provider_generation": body["resource_provider_generation"]})
    _play(fleet, str(path), "openaccel.cyborg.report")
    report = _report(fleet, "sim-t4")
    assert report["drift"] == ["placement"], report
    assert report["stages"]["placement"]["update"] == ["sim-t4_0000:00:1e.0"], report
    recap, _out = _play(fleet, str(path), "openaccel.cyborg.site")
    assert recap["sim-t4"] > 0
    assert "CUSTOM_FLEET_GPU" in _api(
        fleet, "GET", "/resource_providers/%s/traits" % gpu["uuid"])["traits"]


def test_relative_paths_land_under_the_inventory_and_dotdot_changes_nothing(fleet):
    """A relative manifest_dir and report directory are relative to the inventory the run
    uses (not to the collection's playbooks/ or the working directory); a path with a '..'
    segment is refused by the validation, before anything is written."""
    inv_dir = fleet["base"] / "relative-inventory"
    inv_dir.mkdir()
    with open(_inventory(fleet)) as f:
        inv = yaml.safe_load(f)
    spec = inv["all"]["vars"]["accelerators_spec"]
    spec["devices"] = [spec["devices"][0]]
    spec["register"] = {"kubernetes": {"target": "manifests", "manifest_dir": "gitops/nodes",
                                       "publish": ["labels"]}}
    inv["all"]["vars"]["accelerators_report_dir"] = "reports"
    inv["all"]["hosts"] = {"sim-t4": {}}
    path = inv_dir / "hosts.yml"
    path.write_text(yaml.safe_dump(inv))
    strays = [os.path.join(ROOT, "playbooks", "gitops"), os.path.join(ROOT, "gitops"),
              os.path.join(ROOT, "playbooks", "reports"), os.path.join(ROOT, "reports")]
    before = [p for p in strays if os.path.exists(p)]
    _play(fleet, str(path), "openaccel.cyborg.site")
    assert [f for _d, _s, files in os.walk(str(inv_dir / "gitops" / "nodes")) for f in files]
    assert (inv_dir / "reports" / "sim-t4.json").exists()
    assert (inv_dir / "reports" / "fleet-summary.md").exists()
    assert [p for p in strays if os.path.exists(p)] == before

    for setting, value, named in (
            ("manifest_dir", "../escape/nodes", "$.register.kubernetes.manifest_dir"),
            ("report_dir", "../escape", "accelerators_report_dir")):
        bad = copy.deepcopy(inv)
        if setting == "manifest_dir":
            bad["all"]["vars"]["accelerators_spec"]["register"]["kubernetes"][setting] = value
        else:
            bad["all"]["vars"]["accelerators_report_dir"] = value
        path.write_text(yaml.safe_dump(bad))
        recap, out = _play(fleet, str(path), "openaccel.cyborg.site", fails=True)
        assert named in out and "'..' segment" in out, out[-3000:]
        assert recap["sim-t4"] == 0, recap
        assert not (fleet["base"] / "escape").exists()
