"""The module checks validate_spec shares with the modules: every check has a corpus case, and
the module refuses the same value with the same message."""
import os
import sys

import pytest

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import module_checks
from tests.unit.plugins.action.test_validate_spec import BAD, _devices, _load, check


def _cases_of(name):
    return [(p, _load(p)) for p in BAD if _load(p).get("check") == name]


def _path_re(pattern):
    import re
    return "^" + re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]") + "$"


@pytest.mark.parametrize("row", module_checks.CHECKS, ids=[c.name for c in module_checks.CHECKS])
def test_every_module_check_has_a_corpus_case_with_its_path(row):
    import re
    cases = _cases_of(row.name)
    assert cases, "no tests/fixtures/bad_specs case with check: %s" % row.name
    for path, case in cases:
        assert re.match(_path_re(row.path), case["expect"]["path"]), (path, row.path)
        errors = check(case["spec"], _devices(case), case.get("protected_devices", ()))
        hit = [e for e in errors if e["path"] == case["expect"]["path"]]
        assert hit and hit[0]["validator"] == module_checks.VALIDATOR, errors


class _Module(object):
    """What a runner reads of an AnsibleModule (the body contract of _module.py)."""

    def __init__(self, argspec, **params):
        self.params = dict((k, v.get("default")) for k, v in argspec.argument_spec.items())
        self.params.update(params)
        self.check_mode = False
        self._diff = False

    def warn(self, message):
        pass


def _k8s_run(spec, devices, tmp_path):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import runner
    kube = dict(spec["register"]["kubernetes"])
    kube.setdefault("manifest_dir", str(tmp_path / "m"))
    runner.run(_Module(runner.ARGSPEC, node="node1", devices=devices or [], **kube))


def _vfio_run(spec, devices, tmp_path):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio import runner
    setting = spec["devices"][0]["vfio"]
    params = dict(devices=["0000:3b:00.0"], sysfs_root=str(tmp_path / "sys"),
                  proc_root=str(tmp_path / "proc"),
                  state="vfio" if setting["enabled"] else "native")
    params.update((k, v) for k, v in setting.items() if k != "enabled")
    runner.run(_Module(runner.ARGSPEC, **params))


def _placement_run(spec, devices, tmp_path):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._placement import runner
    overrides = []
    for entry in spec["devices"]:
        reg = dict(entry.get("register") or {})
        if reg:
            overrides.append(dict(reg, match={"address": "0000:3b:00.0"}))
    place = spec["register"]["placement"]
    runner.run(_Module(runner.ARGSPEC, compute_node="node1", devices=devices or [],
                       overrides=overrides, traits=place.get("traits") or []), client=object())


def _mig_run(spec, devices, tmp_path, monkeypatch):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._mig import runner
    from ansible_collections.openaccel.cyborg.tests.fixtures.nvml_mig import make_fake_mig_pynvml
    monkeypatch.setitem(sys.modules, "pynvml", make_fake_mig_pynvml("a100_8gpu"))
    layout = spec["devices"][0]["mig"]
    runner.run(_Module(runner.ARGSPEC, config=layout["config"],
                       selected_config=layout.get("selected_config")))


def _sysfs_of(devices, root):
    """A sysfs tree with the SR-IOV state of the records: a PF's sriov_totalvfs/numvfs, a
    VF's physfn link."""
    pci = root / "devices" / "pci0000:00"
    for record in devices:
        dev = pci / record["address"]
        dev.mkdir(parents=True)
        sriov = record.get("sriov") or {}
        if sriov.get("total_vfs") is not None:
            (dev / "sriov_totalvfs").write_text("%d\n" % sriov["total_vfs"])
            (dev / "sriov_numvfs").write_text("%d\n" % (sriov.get("num_vfs") or 0))
        if sriov.get("physfn"):
            os.symlink("../" + sriov["physfn"], str(dev / "physfn"))
    links = root / "bus" / "pci" / "devices"
    links.mkdir(parents=True)
    for record in devices:
        os.symlink("../../../devices/pci0000:00/" + record["address"],
                   str(links / record["address"]))
    return str(root)


def _sriov_run(spec, devices, tmp_path):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._sriov import runner
    from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.match import matches
    entry = spec["devices"][0]
    address = [d["address"] for d in devices if matches(entry["select"], d)][0]
    runner.run(_Module(runner.ARGSPEC, address=address, num_vfs=entry["sriov"]["num_vfs"],
                       sysfs_root=_sysfs_of(devices, tmp_path / ("sys-%s" % address)),
                       wait_method="poll"))


RUNNERS = {"k8s_node_accelerators": _k8s_run, "vfio_bind": _vfio_run,
           "placement_provider_tree": _placement_run, "gpu_mig": _mig_run,
           "pci_sriov": _sriov_run}


def _core(message):
    """A message without the leading place it names (a spec path, a device, an option path,
    an NVML GPU label): validate_spec and the module name the place each in its own terms."""
    import re
    message = re.sub(r"^(\$\S*|overrides\[\d+\]\S*|traits\[\d+\]): ", "", message)
    return re.sub(r"^GPU \d+ \([^)]*\) ", "", message)


@pytest.mark.parametrize("row", module_checks.CHECKS, ids=[c.name for c in module_checks.CHECKS])
def test_the_module_refuses_what_validate_spec_refuses_with_the_same_message(
        row, tmp_path, monkeypatch):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
    assert row.module in RUNNERS, "no runner case for module %s" % row.module
    for path, case in _cases_of(row.name):
        devices = _devices(case)
        errors = check(case["spec"], devices)
        message = [e for e in errors if e["path"] == case["expect"]["path"]][0]["message"]
        kwargs = {"monkeypatch": monkeypatch} if row.module == "gpu_mig" else {}
        with pytest.raises(ModuleFailure) as failure:
            RUNNERS[row.module](case["spec"], devices if row.module != "gpu_mig" else None,
                                tmp_path, **kwargs)
        assert _core(message) in failure.value.msg, (path, message, failure.value.msg)
        assert not failure.value.result.get("changed"), failure.value.result
        assert not (tmp_path / "m").exists()           # no manifest was written
