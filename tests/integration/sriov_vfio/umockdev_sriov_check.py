# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run inside umockdev-run by test_pci_sriov_runs.test_udev_wait_under_umockdev (not collected
on its own: it needs the testbed)."""

import os

import pytest

from tests.integration.sriov_vfio.conftest import run_module

pytestmark = pytest.mark.skipif(not os.environ.get("OPENACCEL_UNDER_UMOCKDEV"),
                                reason="runs only inside umockdev-run")


def test_pci_sriov_with_pyudev_monitor_on_the_testbed():
    import pyudev
    names = [d.sys_name for d in pyudev.Context().list_devices(subsystem="pci")]
    assert "0000:a2:00.0" in names
    args = {"address": "0000:a2:00.0", "num_vfs": 6, "vf_driver": "iavf",
            "wait_method": "udev", "timeout": 20}
    rc, result = run_module("pci_sriov", args)
    assert rc == 0, result
    assert result["changed"] and result["wait_method"] == "udev"
    assert result["vf_addresses"] == ["0000:a2:01.%d" % i for i in range(6)]
    assert os.path.islink("/sys/bus/pci/devices/0000:a2:01.5/physfn")
    rc, result = run_module("pci_sriov", args)
    assert rc == 0 and not result["changed"] and result["wait_method"] == "udev"
