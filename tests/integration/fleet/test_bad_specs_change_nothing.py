"""A bad spec changes nothing anywhere: after the fleet converged once with the good spec, a
spec with one value a later module would refuse (module_checks.CHECKS) fails the run on the
validate/discover task, naming the value's spec path, and leaves the Placement provider tree,
the Kubernetes objects, the hosts' sysfs trees, the kernel simulator's log and the files under
the fleet's directory (reports, fake NVML state, stub tool log) exactly as they were."""
import copy
import gc
import json
import os
import re

import pytest
import yaml

from conftest import FLEET, MIG_HOST
from test_fleet import _api, _inventory, _numvfs, _play, _report, _set_numvfs
from tests.fixtures.kernel_sim import KernelSim

TASK = "TASK [openaccel.cyborg.accelerators : Discover the accelerators and match the spec"
# the fleet's directory: what is compared as files (the servers' own data is read by API)
SERVER_DIRS = ("placement", "k8s", "bad-inventories")


def _kernel_log(fleet):
    """The log of the kernel simulator playing the QAT host (the fixture does not hand it out:
    the one live KernelSim on that host's tree)."""
    sims = [o for o in gc.get_objects() if isinstance(o, KernelSim)
            and o.root == os.fspath(fleet["roots"]["sim-qat"])]
    assert len(sims) == 1, sims
    return list(sims[0].log)


def _placement(fleet):
    """The whole provider tree as the API shows it, and the custom traits and classes."""
    tree = {}
    for rp in _api(fleet, "GET", "/resource_providers")["resource_providers"]:
        path = "/resource_providers/%s" % rp["uuid"]
        tree[rp["name"]] = {
            "uuid": rp["uuid"], "generation": rp["generation"],
            "parent": rp.get("parent_provider_uuid"), "root": rp.get("root_provider_uuid"),
            "traits": sorted(_api(fleet, "GET", path + "/traits")["traits"]),
            "inventories": _api(fleet, "GET", path + "/inventories")["inventories"],
            "aggregates": sorted(_api(fleet, "GET", path + "/aggregates")["aggregates"])}
    return {"providers": tree,
            "traits": sorted(_api(fleet, "GET", "/traits?name=startswith:CUSTOM_")["traits"]),
            "classes": sorted(c["name"] for c in _api(
                fleet, "GET", "/resource_classes")["resource_classes"])}


def _kubernetes(fleet):
    """Every object on the stand-in, whole (labels, capacity, resourceVersions), and its
    global resourceVersion counter (any write moves it)."""
    store = fleet["k8s"].store
    with store.lock:
        return {"rv": store.rv,
                "nodes": store.list("nodes"), "resourceslices": store.list("resourceslices")}


def _tree(root, skip=()):
    """Every directory, link (its target: driver bindings, virtfn, iommu_group) and regular
    file (its content: driver_override, sriov_numvfs, ...) under root."""
    out = {}
    for top, dirs, files in os.walk(root):
        rel = os.path.relpath(top, root)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in skip]
        for name in dirs + files:
            path = os.path.join(top, name)
            key = os.path.normpath(os.path.join(rel, name))
            if os.path.islink(path):
                out[key] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                out[key] = "dir"
            elif os.path.isfile(path):
                with open(path, "rb") as handle:
                    out[key] = handle.read()
            else:
                out[key] = "special"
    return out


def _snapshot(fleet, reran=()):
    """All state a run could change, in one dict; without the reports of the hosts in reran
    (a host the bad value is not on passes the devices stage: it runs, its report and the
    fleet summary are rewritten) but with those of the failing hosts."""
    files = _tree(str(fleet["base"]), SERVER_DIRS)
    for name in ["fleet-summary.md"] * bool(reran) + [h + ".json" for h in reran]:
        assert files.pop(os.path.join("reports", name))
    return {"placement": _placement(fleet), "kubernetes": _kubernetes(fleet),
            "files": files, "kernel_log": _kernel_log(fleet)}


def _set_mig(spec, layout):
    entry = [d for d in spec["devices"] if d["name"] == "a100"][0]
    entry["mig"]["config"]["mig-configs"]["fleet"][0]["mig-devices"] = layout


def _set_vfs(spec, count):
    [d for d in spec["devices"] if d["name"] == "qat"][0]["sriov"]["num_vfs"] = count


def _bad_label_prefix(spec):
    spec["register"]["kubernetes"]["label_prefix"] = "Accel_Labels"


def _bad_vfio_driver(spec):
    spec["devices"][0]["vfio"] = {"enabled": True, "vfio_driver": ".."}


def _bad_vf_trait(spec):
    spec["devices"].append({"name": "qat-vfs", "optional": True,
                            "select": {"type": "qat", "device_id": "37c9",
                                       "virtual_functions": True},
                            "register": {"traits": ["HW_NOT_A_TRAIT"]}})


# case -> (the bad value, its path, the hosts that fail: the schema stage fails all, the
# devices stage the host of the device; the others pass and are in sync, changing nothing)
CASES = {
    "k8s-label-prefix": (_bad_label_prefix, "$.register.kubernetes.label_prefix", sorted(FLEET)),
    "vfio-driver-dotdot": (_bad_vfio_driver, "$.devices[0].vfio.vfio_driver", sorted(FLEET)),
    "vf-trait-not-standard": (_bad_vf_trait, "$.devices[4].register.traits[0]", sorted(FLEET)),
    # the A100 80GB offers no 1g.5gb (that is the 40GB one)
    "mig-profile-not-offered": (lambda spec: _set_mig(spec, {"1g.5gb": 7}),
                                "$.devices[1].mig.config", [MIG_HOST]),
    # the C62x PF has 16 VFs in all
    "sriov-above-total": (lambda spec: _set_vfs(spec, 32), "$.devices[2].sriov.num_vfs",
                          ["sim-qat"]),
}
# Each bad spec also asks for one good change (a trait more on the providers of a host that
# fails), so that "nothing changed" is not only a converged fleet's "nothing to do": the FPGA
# host's (no bad value on it) when the spec alone is bad, else the failing host's.
TRAIT = "CUSTOM_BAD_SPEC_RUN"


def _with_good_change(spec, failing):
    name = "fpga" if len(failing) > 1 else {MIG_HOST: "a100", "sim-qat": "qat"}[failing[0]]
    entry = [d for d in spec["devices"] if d["name"] == name][0]
    entry.setdefault("register", {}).setdefault("traits", []).append(TRAIT)


@pytest.fixture(scope="module")
def converged(fleet):
    """The fleet converged once with the good spec, ResourceSlices published too (the state
    the bad runs must keep)."""
    path = _inventory(fleet)
    with open(path) as handle:
        inv = yaml.safe_load(handle)
    inv["all"]["vars"]["accelerators_spec"]["register"]["kubernetes"]["publish"].append(
        "resource_slices")
    with open(path, "w") as handle:
        yaml.safe_dump(inv, handle)
    _set_numvfs(fleet, 0)
    recap, out = _play(fleet, path, "openaccel.cyborg.site")
    assert all(recap[h] > 0 for h in FLEET), (recap, out[-3000:])
    assert _numvfs(fleet) == 16
    state = _snapshot(fleet)
    assert len(state["placement"]["providers"]) > len(FLEET), state["placement"]
    assert state["kubernetes"]["resourceslices"] and state["kernel_log"], state["kubernetes"]
    assert [k for k in state["files"] if k.endswith("/driver_override")], sorted(state["files"])
    (fleet["base"] / "bad-inventories").mkdir()
    return inv


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_fails_on_validation_and_changes_nothing(fleet, converged, case):
    change, named, failing = CASES[case]
    inv = copy.deepcopy(converged)
    change(inv["all"]["vars"]["accelerators_spec"])
    _with_good_change(inv["all"]["vars"]["accelerators_spec"], failing)
    path = fleet["base"] / "bad-inventories" / (case + ".yml")
    path.write_text(yaml.safe_dump(inv))
    reran = sorted(set(FLEET) - set(failing))
    before = _snapshot(fleet, reran)
    recap, out = _play(fleet, str(path), "openaccel.cyborg.site", fails=True)
    after = _snapshot(fleet, reran)
    failed = dict((m.group(1), int(m.group(2))) for m in re.finditer(
        r"^(\S+)\s+: ok=.*failed=(\d+)", out, re.M))
    assert sorted(h for h in FLEET if failed.get(h)) == failing, (failed, out[-4000:])
    assert all(recap[h] == 0 for h in FLEET), (recap, out[-4000:])
    task = out.split(TASK, 1)[1].split("\nTASK [", 1)[0]
    for host in failing:
        assert re.search(r"^fatal: \[%s\]: FAILED! => .*accelerator spec is invalid .*%s" % (
            re.escape(host), re.escape(named)), task, re.M), task[-4000:]
    # the hosts that passed (the bad value is on none of their devices) are in sync
    assert all(_report(fleet, h)["drift"] == [] for h in reran), out[-4000:]
    assert before == after, json.dumps(_diff(before, after), indent=1, default=repr)[:4000]


def _diff(before, after, where="$"):
    """Where two snapshots differ (for the assertion message)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = {}
        for key in sorted(set(before) | set(after), key=str):
            if before.get(key) != after.get(key):
                out.update(_diff(before.get(key), after.get(key), "%s.%s" % (where, key)))
        return out
    return {where: [before, after]}


def test_missing_spec_is_named_by_the_role_and_changes_nothing(fleet, converged):
    """No accelerators_spec at all (a group_vars file not loaded, a typo in its name): the role's
    argument validation fails every host naming the variable, before any stage runs (not a
    schema error about a field of an empty spec), and nothing changes."""
    inv = copy.deepcopy(converged)
    del inv["all"]["vars"]["accelerators_spec"]
    path = fleet["base"] / "bad-inventories" / "no-spec.yml"
    path.write_text(yaml.safe_dump(inv))
    before = _snapshot(fleet)
    recap, out = _play(fleet, str(path), "openaccel.cyborg.site", fails=True)
    after = _snapshot(fleet)
    assert all(recap[h] == 0 for h in FLEET), (recap, out[-4000:])
    for host in FLEET:
        assert re.search(r"^fatal: \[%s\]: FAILED! => .*missing required arguments: accelerators_spec"
                         % re.escape(host), out, re.M), out[-4000:]
    assert "$.version" not in out and TASK not in out, out[-4000:]
    assert before == after, json.dumps(_diff(before, after), indent=1, default=repr)[:4000]
