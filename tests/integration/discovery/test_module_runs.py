# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""accelerator_facts run by Ansible itself (AnsiballZ, argument spec, facts, failures)."""

import json
import os
import sys

import pytest

from tests.integration.ansible_run import json_results_env, run_json, run_module_json
from tests.integration.discovery.conftest import REPO

BIN = os.path.dirname(sys.executable)
NVML_SHIM = os.path.join(REPO, "tests", "fixtures", "nvml_shim")


def ansible_env(**extra):
    return json_results_env(extra)


def run_playbook(inventory, *args, **env):
    return run_json([os.path.join(BIN, "ansible-playbook"), "-i", inventory,
                     "openaccel.cyborg.discover"] + list(args), ansible_env(**env))


def run_module(args, **env):
    return run_module_json("openaccel.cyborg.accelerator_facts", args, ansible_env(**env))


@pytest.fixture
def inventory(tree, tmp_path):
    path = tmp_path / "hosts.yml"
    path.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "hosts": {
            "sim-h100": {"accelerators_sysfs_root": tree("h100_8gpu")},
            "sim-mixed": {"accelerators_sysfs_root": tree("mixed_all")},
        }}}))
    return str(path)


def test_four_runs_check_apply_check_apply_change_nothing(inventory):
    nvml = dict(PYTHONPATH=REPO + os.pathsep + NVML_SHIM, OPENACCEL_FAKE_NVML_CAPTURE="h100_8gpu")
    for args in (["--check"], [], ["--check", "--diff"], []):
        code, out = run_playbook(inventory, *args, **nvml)
        assert code == 0
        for host, stats in out["stats"].items():
            assert (stats["changed"], stats["failures"], stats["unreachable"]) == (0, 0, 0), host
    facts = out["plays"][0]["tasks"][0]["hosts"]["sim-h100"]["ansible_facts"]
    gpus = [r for r in facts["accelerators"] if r["type"] == "gpu"]
    assert len(gpus) == 8 and all(g["gpu"]["source"] == "nvml" for g in gpus)
    assert gpus[0]["gpu"]["driver_version"] == "535.183.01"
    assert gpus[0]["gpu"]["memory_total_mib"] == 81559
    assert any(node.startswith("/dev/nvidia") for node in gpus[0]["dev_nodes"])
    table = out["plays"][0]["tasks"][1]["hosts"]["sim-mixed"]["msg"]
    assert table[0].split() == ["TYPE", "ADDRESS", "PRODUCT", "NUMA", "DRIVER", "SR-IOV", "DETAILS"]
    assert any(" fpga " in " %s " % line for line in table)


def _host_without_accelerators(root):
    """A sysfs tree with one host bridge and nothing else."""
    dev = root / "devices" / "pci0000:00" / "0000:00:00.0"
    dev.mkdir(parents=True)
    (dev / "modalias").write_text("pci:v00008086d000009A2sv00000000sd00000000bc06sc00i00\n")
    (root / "bus" / "pci" / "devices").mkdir(parents=True)
    (root / "bus" / "pci" / "devices" / "0000:00:00.0").symlink_to(
        "../../../devices/pci0000:00/0000:00:00.0")
    return str(root)


def test_read_only_playbook_with_a_report_dir_reports_no_change(tree, tmp_path):
    """The report files are written (in --check runs too) and rewritten only when their
    content differs, and no run reports a change: discovery changes nothing."""
    reports = tmp_path / "reports"
    reports.mkdir()
    path = tmp_path / "hosts.yml"
    path.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "accelerators_report_dir": str(reports)},
        "hosts": {"sim-nvme": {"accelerators_sysfs_root": tree("nvme")},
                  "sim-empty": {"accelerators_sysfs_root": _host_without_accelerators(
                      tmp_path / "empty")}}}}))
    mtimes = []
    for args in (["--check"], [], []):
        code, out = run_playbook(str(path), *args)
        assert code == 0
        for host, stats in out["stats"].items():
            assert (stats["changed"], stats["failures"]) == (0, 0), (host, args)
        mtimes.append((reports / "sim-nvme.accelerators.txt").stat().st_mtime_ns)
    assert mtimes[1] == mtimes[2] == mtimes[0]     # same content: written once
    assert (reports / "sim-empty.accelerators.txt").read_text() == \
        "no accelerators (1 PCI function)\n"
    assert (reports / "sim-nvme.accelerators.txt").read_text().startswith("TYPE")
    shown = out["plays"][0]["tasks"][1]["hosts"]["sim-empty"]["msg"]
    assert shown == ["no accelerators (1 PCI function)"]


def test_missing_sysfs_root_names_the_option(tmp_path):
    code, result = run_module({"sysfs_root": str(tmp_path / "missing")})
    assert code != 0 and result["failed"]
    assert result["msg"].startswith("sysfs_root: ")


def test_bad_extra_rule_names_index_and_field(tree):
    code, result = run_module({"sysfs_root": tree("nvme"),
                               "extra_rules": [{"type": "gpu", "vendor_id": "10de"},
                                               {"type": "gpu", "vendor_id": "nvidia"}]})
    assert code != 0
    assert "extra_rules[1].vendor_id: 'nvidia' is not 4 hex digits" in result["msg"]


def test_nvml_required_without_a_driver_fails_clearly(tree):
    # the real pynvml, on a machine without the NVIDIA driver
    code, result = run_module({"sysfs_root": tree("t4"), "nvml": "required"})
    assert code != 0
    assert "nvml=required but NVML cannot be used" in result["msg"]
    assert "NVMLError_LibraryNotFound" in result["msg"]


def test_nvml_auto_without_a_driver_keeps_the_gpu_with_the_reason(tree):
    code, result = run_module({"sysfs_root": tree("t4")})
    assert code == 0 and result["changed"] is False
    gpu = [r for r in result["ansible_facts"]["accelerators"] if r["type"] == "gpu"][0]
    assert gpu["gpu"]["source"] == "sysfs" and "LibraryNotFound" in gpu["gpu"]["nvml_error"]
    assert result["ansible_facts"]["accelerator_discovery"]["nvml"]["available"] is False
