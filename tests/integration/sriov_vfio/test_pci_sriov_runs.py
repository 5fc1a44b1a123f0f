# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openaccel.cyborg.pci_sriov through Ansible, the kernel played by kernel_sim."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.fixtures.kernel_sim import tree
from tests.integration.sriov_vfio.conftest import (
    E810_PF, E810_VFS, REPO, drivers, numvfs, run_module)

EIGHT = ["0000:a2:01.%d" % i for i in range(8)]


def test_four_runs_then_down_to_zero(e810, kernel):
    sim = kernel(vf_delay=0.1)
    args = {"address": "a2:00.0", "num_vfs": 8, "vf_driver": "iavf", "sysfs_root": e810,
            "wait_method": "poll"}
    rc, check1 = run_module("pci_sriov", args, "--check", "--diff")
    assert rc == 0 and check1["changed"]
    assert check1["actions"] == ["sriov_numvfs=0", "sriov_numvfs=8"]
    assert check1["num_vfs"] == 4 and numvfs(e810) == 4 and not sim.log
    assert check1["diff"]["after"]["vfs"] == EIGHT  # predicted from sriov_offset/stride
    rc, apply1 = run_module("pci_sriov", args, "--diff")
    assert rc == 0 and apply1["changed"] and apply1["vf_addresses"] == EIGHT
    assert [vf["driver"] for vf in apply1["vfs"]] == ["iavf"] * 8
    assert apply1["diff"]["after"]["num_vfs"] == 8 and apply1["waited"] > 0
    assert sim.log[:2] == ["numvfs %s 4->0" % E810_PF, "numvfs %s 0->8" % E810_PF]
    for flags in (["--check", "--diff"], []):
        rc, again = run_module("pci_sriov", args, *flags)
        assert rc == 0 and not again["changed"] and again["actions"] == []
        assert again["vf_addresses"] == EIGHT
    assert numvfs(e810) == 8 and drivers(e810, EIGHT) == ["iavf"] * 8
    rc, zero = run_module("pci_sriov", dict(args, num_vfs=0, vf_driver=None))
    assert rc == 0 and zero["changed"] and zero["actions"] == ["sriov_numvfs=0"]
    assert zero["vfs"] == [] and not os.path.exists(os.path.join(e810, "bus/pci/devices", EIGHT[0]))


def test_refuses_above_totalvfs_before_writing(e810, kernel):
    sim = kernel()
    rc, result = run_module("pci_sriov", {"address": E810_PF, "num_vfs": 129, "sysfs_root": e810})
    assert rc != 0 and not result["changed"] and result["actions"] == []
    assert result["msg"] == ("num_vfs: 129 is above sriov_totalvfs of 0000:a2:00.0 (128); "
                             "ask for at most 128 VFs")
    assert numvfs(e810) == 4 and sim.log == []


def test_refuses_a_vf_and_a_function_without_sriov(e810, kernel):
    kernel()
    rc, result = run_module("pci_sriov", {"address": E810_VFS[0], "num_vfs": 1, "sysfs_root": e810})
    assert rc != 0 and "is a virtual function of 0000:a2:00.0" in result["msg"]
    rc, result = run_module("pci_sriov", {"address": "0000:00:01.0", "num_vfs": 1,
                                          "sysfs_root": e810})
    assert rc != 0 and result["msg"].startswith("address: 0000:00:01.0 is not SR-IOV capable")
    rc, result = run_module("pci_sriov", {"address": "zz:00.0", "num_vfs": 1, "sysfs_root": e810})
    assert rc != 0 and result["msg"].startswith("address: 'zz:00.0' is not a PCI address")


def test_vf_creation_timeout_reports_what_happened_and_next_run_converges(e810, kernel):
    sim = kernel(vf_delay=2.5)
    args = {"address": E810_PF, "num_vfs": 8, "sysfs_root": e810, "timeout": 0.5}
    rc, result = run_module("pci_sriov", args)
    assert rc != 0 and result["changed"] is True
    assert result["actions"] == ["sriov_numvfs=0", "sriov_numvfs=8"]
    assert "timeout after 0.5s waiting for 8 VF(s)" in result["msg"]
    assert "0 of 8 VFs present" in result["msg"]
    assert "written so far: sriov_numvfs=0, sriov_numvfs=8" in result["msg"]
    assert "now shows sriov_numvfs=8 with 0 VF(s)" in result["msg"]
    rc, result = run_module("pci_sriov", dict(args, timeout=10))  # the kernel catches up
    assert rc == 0 and not result["changed"] and result["vf_addresses"] == EIGHT


def test_vfs_that_never_all_appear(e810, kernel):
    kernel(stall_vfs={E810_PF: 2})
    rc, result = run_module("pci_sriov", {"address": E810_PF, "num_vfs": 8, "sysfs_root": e810,
                                          "timeout": 0.6})
    assert rc != 0 and "2 of 8 VFs present" in result["msg"]
    assert result["vf_addresses"] == EIGHT[:2] and result["num_vfs"] == 8


def test_autoprobe_off_leaves_vfs_unbound_and_vf_driver_wait_fails(e810, kernel):
    kernel()
    args = {"address": E810_PF, "num_vfs": 2, "drivers_autoprobe": False, "sysfs_root": e810}
    rc, result = run_module("pci_sriov", args)
    assert rc == 0 and result["actions"] == ["sriov_drivers_autoprobe=0", "sriov_numvfs=0",
                                             "sriov_numvfs=2"]
    assert result["drivers_autoprobe"] is False and drivers(e810, EIGHT[:2]) == [None, None]
    rc, result = run_module("pci_sriov", dict(args, vf_driver="iavf", timeout=0.3))
    assert rc != 0 and not result["changed"]
    assert "not bound to iavf: 0000:a2:01.0 (unbound), 0000:a2:01.1 (unbound)" in result["msg"]


def test_refuses_to_remove_vfs_bound_to_vfio_unless_forced(e810, kernel):
    sim = kernel()
    tree.unbind(e810, E810_VFS[1])
    tree.bind(e810, E810_VFS[1], "vfio-pci")
    args = {"address": E810_PF, "num_vfs": 2, "sysfs_root": e810}
    rc, result = run_module("pci_sriov", args)
    assert rc != 0 and "0000:a2:01.1 bound to a vfio driver" in result["msg"]
    assert "set force=true" in result["msg"] and numvfs(e810) == 4
    rc, result = run_module("pci_sriov", dict(args, force=True))
    assert rc == 0 and result["changed"] and numvfs(e810) == 2
    assert "numvfs %s 4->0" % E810_PF in sim.log


UMOCKDEV = shutil.which("umockdev-run")


@pytest.mark.skipif(UMOCKDEV is None, reason="umockdev-run is not installed")
def test_udev_wait_under_umockdev(tmp_path):
    """sysfs_root=/sys and wait_method=udev inside umockdev-run: pyudev's monitor is opened,
    the kernel simulator runs on $UMOCKDEV_DIR/sys, the module sees the VFs it creates."""
    device_file = tmp_path / "e810.umockdev"
    subprocess.run([sys.executable, "-m", "tests.fixtures.hwsim", "umockdev", "e810_sriov",
                    str(device_file)], cwd=REPO, check=True, capture_output=True)
    script = (
        '"$PY" -m tests.fixtures.hwsim overlay e810_sriov "$UMOCKDEV_DIR/sys" >/dev/null && '
        '("$PY" -m tests.fixtures.kernel_sim "$UMOCKDEV_DIR/sys" --vf-delay 0.2 '
        '--ready-file "$UMOCKDEV_DIR/ready" & echo $! > "$UMOCKDEV_DIR/sim.pid") && '
        'while [ ! -e "$UMOCKDEV_DIR/ready" ]; do sleep 0.05; done && '
        '"$PY" -m pytest -q -p no:cacheprovider "$HELPER"; rc=$?; '
        'kill "$(cat "$UMOCKDEV_DIR/sim.pid")"; exit $rc')
    env = dict(os.environ, PY=sys.executable, PYTHONPATH=REPO,
               HELPER=os.path.join(os.path.dirname(__file__), "umockdev_sriov_check.py"),
               OPENACCEL_UNDER_UMOCKDEV="1")
    proc = subprocess.run([UMOCKDEV, "-d", str(device_file), "--", "sh", "-c", script],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
