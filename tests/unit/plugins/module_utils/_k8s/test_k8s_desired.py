"""Desired labels, extended resources and ResourceSlices built from device records."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import checks
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import desired

GPU = {"address": "0000:3b:00.0", "type": "gpu", "vendor_id": "10de", "device_id": "2330",
       "subsystem_vendor_id": "10de", "subsystem_device_id": "16c1", "class_code": "030200",
       "vendor": "NVIDIA Corporation", "product": "GH100 [H100 SXM5 80GB]", "vendor_label": "nvidia",
       "product_label": "h100", "driver": "nvidia", "numa_node": 0, "iommu_group": 3,
       "is_virtual_function": False, "sriov": None,
       "gpu": {"memory_total_mib": 81559, "driver_version": "535.129.03",
               "cuda_driver_version": "12.2", "uuid": "GPU-1", "mig": {"capable": True,
                                                                       "mode_current": False}}}
PARAMS = {"publish": ["labels", "extended_resources", "resource_slices"], "types": None,
          "include_virtual_functions": False, "label_prefix": "openaccel.io", "nfd_labels": True,
          "nfd_label_fields": ["class", "vendor"], "resource_prefix": "openaccel.io",
          "resource_naming": "product", "driver_name": "accel.openaccel.io", "pool_name": None,
          "max_devices_per_slice": 128}


def gpus(count):
    out = []
    for i in range(count):
        rec = copy.deepcopy(GPU)
        rec["address"] = "0000:%02x:00.0" % (0x10 + i)
        out.append(rec)
    return out


def test_labels_and_resources():
    state = desired.desired_state(PARAMS, gpus(2), "n1")
    assert state["labels"] == {
        "feature.node.kubernetes.io/pci-0302_10de.present": "true",
        "openaccel.io/gpu.present": "true", "openaccel.io/gpu.count": "2",
        "openaccel.io/gpu.vendor": "nvidia", "openaccel.io/gpu.product": "h100",
        "openaccel.io/gpu.memory": "81559", "openaccel.io/gpu.mig.capable": "true"}
    assert state["capacity"] == {"openaccel.io/gpu-nvidia-h100": "2"}
    fields = desired.nfd_labels(gpus(1), ["vendor", "device", "subsystem_vendor"])
    assert fields == {"feature.node.kubernetes.io/pci-10de_2330_10de.present": "true"}


def test_device_attributes():
    [slice_] = desired.build_slices("n1", "accel.openaccel.io", "n1", gpus(1))
    dev = slice_["spec"]["devices"][0]
    assert dev["name"] == "gpu-0000-10-00-0"
    assert dev["attributes"]["driverVersion"] == {"version": "535.129.3"}
    assert dev["attributes"]["cudaDriverVersion"] == {"version": "12.2.0"}
    assert dev["attributes"]["numaNode"] == {"int": 0}
    assert dev["capacity"] == {"memory": {"value": "81559Mi"}}
    assert all(len(v.get("string", "")) <= 64 for v in dev["attributes"].values())


def test_attribute_limit_and_long_strings():
    rec = copy.deepcopy(GPU)
    rec["product"] = "x" * 200
    dev = desired.device_entry(rec)
    assert dev["attributes"]["productName"]["string"] == "x" * 64
    attrs = desired.device_attributes(rec)
    assert len(dev["attributes"]) + len(dev["capacity"]) <= desired.MAX_ATTRS_AND_CAPS
    assert [a for a, _value in attrs][:4] == ["type", "vendor", "product", "pciAddress"]


@pytest.mark.parametrize("count, per, sizes", [(300, 128, [128, 128, 44]), (5, 2, [2, 2, 1]),
                                               (0, 128, [])])
def test_split(count, per, sizes):
    slices = desired.build_slices("n1", "d.example.com", "n1", gpus(count), 1, per)
    assert [len(s["spec"]["devices"]) for s in slices] == sizes
    assert all(s["spec"]["pool"]["resourceSliceCount"] == len(sizes) for s in slices)


def test_vfs_types_and_errors():
    vf = dict(copy.deepcopy(GPU), address="0000:3b:00.1", is_virtual_function=True)
    assert len(desired.select_records([GPU, vf])) == 1
    assert len(desired.select_records([GPU, vf], include_vfs=True)) == 2
    assert desired.select_records([GPU], types=["fpga"]) == []
    with pytest.raises(desired.DesiredStateError):
        desired.build_slices("n1", "d.example.com", "n1", [GPU, GPU])
    errors = checks.check_options("Bad_Node", "x", "p", "openaccel.io", "k8s.io", 200)
    assert len(errors) == 3


def test_fpga_labels():
    fpga = {"address": "0000:3b:00.0", "type": "fpga", "vendor_label": "intel",
            "product_label": "d5005", "class_code": "120000", "vendor_id": "8086",
            "fpga": {"interface_id": "a195b6f7cf235a2b8ef91161e184ec4e", "afu_id": None}}
    labels = desired.own_labels([fpga], "openaccel.io")
    assert labels["openaccel.io/fpga.region-id"] == "a195b6f7cf235a2b8ef91161e184ec4e"
    assert "openaccel.io/fpga.function-id" not in labels


def test_nfd_fields_follow_nfd_order_not_the_users():
    # NFD joins deviceLabelFields as class, vendor, device, subsystem_vendor, subsystem_device
    reversed_fields = ["subsystem_device", "subsystem_vendor", "device", "vendor", "class"]
    assert desired.nfd_labels(gpus(1), reversed_fields) == {
        "feature.node.kubernetes.io/pci-0302_10de_2330_10de_16c1.present": "true"}
    assert desired.nfd_labels(gpus(1), ["device", "vendor"]) == {
        "feature.node.kubernetes.io/pci-10de_2330.present": "true"}
    state = desired.desired_state(dict(PARAMS, nfd_label_fields=["vendor", "class"]), gpus(1), "n")
    assert "feature.node.kubernetes.io/pci-0302_10de.present" in state["labels"]
    assert desired.nfd_fields([]) == ["class", "vendor"]


def _unknown_gpu():
    """A GPU as discovery gives it without NVML: no gpu data, no product label."""
    rec = copy.deepcopy(GPU)
    rec.update(gpu=None, product_label=None, device_id=None)
    return rec


def test_unknown_values_are_not_published():
    labels = desired.own_labels([_unknown_gpu()], "openaccel.io")
    assert labels == {"openaccel.io/gpu.present": "true", "openaccel.io/gpu.count": "1",
                      "openaccel.io/gpu.vendor": "nvidia"}
    attrs = dict(desired.device_attributes(_unknown_gpu()))
    for name in ("product", "migCapable", "migEnabled", "driverVersion", "uuid", "deviceID"):
        assert name not in attrs, name
    assert desired.device_capacity(_unknown_gpu()) == {}
    # MIG capability known for one GPU only: true when any is capable, never a guessed false
    known_no = dict(copy.deepcopy(GPU), gpu={"mig": {"capable": False}})
    unknown = dict(copy.deepcopy(GPU), gpu={"mig": {"capable": None}})
    assert "openaccel.io/gpu.mig.capable" not in desired.own_labels([known_no, unknown], "p.io")
    assert desired.own_labels([known_no], "p.io")["p.io/gpu.mig.capable"] == "false"
    assert desired.own_labels([GPU, unknown], "p.io")["p.io/gpu.mig.capable"] == "true"
    assert dict(desired.device_attributes(known_no))["migCapable"] == {"bool": False}
    assert "migCapable" not in dict(desired.device_attributes(unknown))
    # SR-IOV: the VF count only when known; virtualFunction only when the record says
    nic = dict(copy.deepcopy(GPU), sriov={"total_vfs": 8, "num_vfs": None})
    del nic["is_virtual_function"]
    attrs = dict(desired.device_attributes(nic))
    assert attrs["sriovTotalVFs"] == {"int": 8}
    assert "sriovNumVFs" not in attrs and "virtualFunction" not in attrs
    nic["sriov"]["num_vfs"] = 0
    assert dict(desired.device_attributes(nic))["sriovNumVFs"] == {"int": 0}
    # extended resources still need a name token
    assert desired.extended_resources([_unknown_gpu()], "p.io") == {
        "p.io/gpu-nvidia-unknown": "1"}


def test_standard_pcie_attributes():
    rec = dict(copy.deepcopy(GPU), pcie_root="pci0000:3a", pcie_switch="0000:39:00.0")
    attrs = dict(desired.device_attributes(rec))
    assert attrs["resource.kubernetes.io/pcieRoot"] == {"string": "pci0000:3a"}
    assert attrs["resource.kubernetes.io/pciBusID"] == {"string": "0000:3b:00.0"}
    assert attrs["pcieSwitch"] == {"string": "0000:39:00.0"}
    # kept within the 32 attributes and capacities even on the fullest record
    rec.update(function="f", fpga={"framework": "opae", "interface_id": "r", "afu_id": "a",
                                   "bitstream_id": "b", "vbnv": "s"},
               sriov={"total_vfs": 4, "num_vfs": 2, "physfn": "0000:3b:00.0"})
    rec["gpu"].update(compute_capability="9.0", gfx_target="gfx90a")
    dev = desired.device_entry(rec)
    assert len(dev["attributes"]) + len(dev["capacity"]) == desired.MAX_ATTRS_AND_CAPS
    assert "resource.kubernetes.io/pcieRoot" in dev["attributes"]
    # unknown or malformed: not published (records from before pcie_root existed included)
    for root in (None, "", "0000:3a", "pci0000"):
        attrs = dict(desired.device_attributes(dict(copy.deepcopy(GPU), pcie_root=root)))
        assert "resource.kubernetes.io/pcieRoot" not in attrs, root
        assert "pcieSwitch" not in attrs
    attrs = dict(desired.device_attributes(dict(copy.deepcopy(GPU), address="3b:00.0")))
    assert "resource.kubernetes.io/pciBusID" not in attrs
