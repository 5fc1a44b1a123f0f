"""Unit tests: vfio_bind decisions (plans, done-ness, IOMMU groups, safety)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_function import (
    is_vfio_driver)
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio import state as vs
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs
from tests.fixtures.hwsim import build
from tests.fixtures.kernel_sim import tree


def dev(driver="iavf", override=None, group=11, num_vfs=0):
    return {"address": "0000:a2:01.0", "exists": True, "driver": driver,
            "driver_override": override, "iommu_group": group, "num_vfs": num_vfs}


@pytest.mark.parametrize("device,state,native,steps", [
    (dev(), "vfio", None, [("driver_override", "vfio-pci"), ("unbind", "iavf"),
                           ("probe", "vfio-pci")]),
    (dev(None), "vfio", None, [("driver_override", "vfio-pci"), ("probe", "vfio-pci")]),
    (dev("vfio-pci", "vfio-pci"), "vfio", None, []),
    (dev("vfio-pci"), "vfio", None, [("driver_override", "vfio-pci")]),
    (dev("vfio-pci", "vfio-pci"), "native", None, [("driver_override", ""),
                                                   ("unbind", "vfio-pci"), ("probe", None)]),
    (dev("vfio-pci", "vfio-pci"), "native", "iavf", [("driver_override", ""),
                                                     ("unbind", "vfio-pci"), ("bind", "iavf")]),
    (dev(), "native", None, []),
    (dev(None), "native", None, []),  # nothing known to bind: not a change every run
    (dev(None), "native", "iavf", [("bind", "iavf")]),
    (dev(None, "vfio-pci"), "native", None, [("driver_override", ""), ("probe", None)]),
    (dev("igb"), "native", "iavf", [("unbind", "igb"), ("bind", "iavf")]),
])
def test_plan_device(device, state, native, steps):
    assert vs.plan_device(device, state, "vfio-pci", native) == steps
    assert vs.is_done(device, state, "vfio-pci", native) is (steps == [])


def test_vendor_vfio_variants():
    assert is_vfio_driver("mlx5_vfio_pci") and is_vfio_driver("nvgrace-gpu-vfio-pci")
    assert not is_vfio_driver("iavf") and not is_vfio_driver(None)


def test_describe_matches_check_and_apply():
    assert vs.describe("driver_override", "") == "driver_override=(cleared)"
    assert vs.describe("probe", "vfio-pci") == "drivers_probe (vfio-pci)"


@pytest.fixture
def e810(tmp_path):
    build("e810_sriov").write(str(tmp_path))
    return str(tmp_path)


def test_group_conflicts_and_allowed_drivers(e810):
    sysfs = Sysfs(e810)
    tree.join_iommu_group(e810, "0000:a2:01.2", "0000:a2:01.0")
    tree.join_iommu_group(e810, "0000:00:01.0", "0000:a2:01.0")  # a pcieport bridge: allowed
    devices = [vs.read_device(sysfs, "0000:a2:01.0")]
    assert vs.group_conflicts(sysfs, devices, {"0000:a2:01.0"}, "vfio-pci") == [
        "0000:a2:01.2 (driver iavf, IOMMU group 11 of 0000:a2:01.0)"]
    assert vs.group_conflicts(sysfs, devices, {"0000:a2:01.0", "0000:a2:01.2"}, "vfio-pci") == []
    tree.unbind(e810, "0000:a2:01.2")
    assert vs.group_conflicts(sysfs, devices, {"0000:a2:01.0"}, "vfio-pci") == []


def test_check_iommu(e810):
    sysfs = Sysfs(e810)
    vs.check_iommu(sysfs, [vs.read_device(sysfs, "0000:a2:01.0")])
    tree.strip_iommu(e810)
    with pytest.raises(vs.VfioError, match=r"^devices: 0000:a2:01.0 has no IOMMU group.*"
                                           r"the IOMMU is off.*intel_iommu=on"):
        vs.check_iommu(sysfs, [vs.read_device(sysfs, "0000:a2:01.0")])


def test_check_safe_order_of_refusals():
    plans = {"0000:a2:01.0": [("unbind", "vfio-pci")]}
    devs = {"0000:a2:01.0": dev("vfio-pci", "vfio-pci")}
    vs.check_safe(plans, devs, {}, lambda group: [])
    with pytest.raises(vs.VfioError, match="it backs /"):
        vs.check_safe(plans, devs, {"0000:a2:01.0": "backs /"}, lambda group: [])
    with pytest.raises(vs.VfioError, match=r"VFIO group 11 is open by 9 \(qemu\)"):
        vs.check_safe(plans, devs, {}, lambda group: ["9 (qemu)"])
    with pytest.raises(vs.VfioError, match="it has 2 VFs"):
        vs.check_safe({"0000:a2:01.0": [("unbind", "ice")]}, {"0000:a2:01.0": dev(num_vfs=2)},
                      {}, lambda group: [])
    vs.check_safe({"0000:a2:01.0": [("driver_override", "vfio-pci")]}, devs,
                  {"0000:a2:01.0": "backs /"}, lambda group: [])  # no unbind: nothing at risk
