"""Unit tests: pci_sriov and vfio_bind documentation matches the argument specs; check mode
writes nothing (run in-process against a fixture tree with a fake AnsibleModule)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
import yaml

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute
from ansible_collections.openaccel.cyborg.plugins.module_utils._sriov import runner as _sriov_runner
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio import runner as _vfio_runner
from ansible_collections.openaccel.cyborg.plugins.modules import pci_sriov, vfio_bind
from tests.fixtures.hwsim import build
from tests.fixtures.kernel_sim import KernelSim, tree


@pytest.mark.parametrize("mod,spec", [(pci_sriov, _sriov_runner.ARGSPEC.argument_spec),
                                      (vfio_bind, _vfio_runner.ARGSPEC.argument_spec)])
def test_docs_match_the_argument_spec(mod, spec):
    doc = yaml.safe_load(mod.DOCUMENTATION)
    assert doc["extends_documentation_fragment"] == ["openaccel.cyborg.attributes"]
    assert {"check_mode", "diff_mode", "idempotent"} <= set(doc["attributes"])
    assert set(doc["options"]) == set(spec)
    for name, s in spec.items():
        opt = doc["options"][name]
        assert opt["type"] == s["type"], name
        assert opt.get("default") == s.get("default"), name
        assert opt.get("choices") == s.get("choices"), name
        assert opt.get("aliases", []) == s.get("aliases", []), name
        assert bool(opt.get("required")) == bool(s.get("required")), name
    assert yaml.safe_load(mod.EXAMPLES) and yaml.safe_load(mod.RETURN)


class Done(Exception):
    pass


class FakeModule(object):
    def __init__(self, params, spec, check_mode=False, diff=False):
        self.params = dict((k, v.get("default")) for k, v in spec.items())
        self.params.update(params)
        self.check_mode, self._diff = check_mode, diff
        self.result, self.warnings = None, []

    def exit_json(self, **kw):
        self.result = dict(kw, failed=False)
        raise Done()

    def fail_json(self, **kw):
        self.result = dict(kw, failed=True)
        raise Done()

    def warn(self, msg):
        self.warnings.append(msg)


def _run(runner, module):
    """Run a body the way main() does: its result or ModuleFailure reach exit/fail_json."""
    with pytest.raises(Done):
        execute(module, runner)
    return module.result


def test_check_mode_writes_nothing(tmp_path):
    build("e810_sriov").write(str(tmp_path))
    sim = KernelSim(str(tmp_path))  # not started: any write would stay visible in the files
    before = sorted(p.name for p in (tmp_path / "bus" / "pci" / "devices").iterdir())
    m = FakeModule({"address": "0000:a2:00.0", "num_vfs": 16, "sysfs_root": str(tmp_path)},
                   _sriov_runner.ARGSPEC.argument_spec, check_mode=True, diff=True)
    result = _run(_sriov_runner.run, m)
    assert result["changed"] and result["actions"] == ["sriov_numvfs=0", "sriov_numvfs=16"]
    assert len(result["diff"]["after"]["vfs"]) == 16
    m = FakeModule({"devices": ["0000:a2:01.0"], "sysfs_root": str(tmp_path),
                    "proc_root": str(tmp_path / "noproc")}, _vfio_runner.ARGSPEC.argument_spec,
                   check_mode=True)
    result = _run(_vfio_runner.run, m)
    assert result["changed"] and len(result["actions"]) == 3
    sim.tick()
    assert sim.log == [] and tree.driver_of(str(tmp_path), "0000:a2:01.0") == "iavf"
    assert sorted(p.name for p in (tmp_path / "bus" / "pci" / "devices").iterdir()) == before
