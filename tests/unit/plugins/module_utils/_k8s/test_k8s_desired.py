"""Desired labels, extended resources and ResourceSlices built from device records."""
import copy

import pytest

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
    errors = desired.check_options("Bad_Node", "x", "p", "openaccel.io", "k8s.io", 200)
    assert len(errors) == 3


def test_fpga_labels():
    fpga = {"address": "0000:3b:00.0", "type": "fpga", "vendor_label": "intel",
            "product_label": "d5005", "class_code": "120000", "vendor_id": "8086",
            "fpga": {"interface_id": "a195b6f7cf235a2b8ef91161e184ec4e", "afu_id": None}}
    labels = desired.own_labels([fpga], "openaccel.io")
    assert labels["openaccel.io/fpga.region-id"] == "a195b6f7cf235a2b8ef91161e184ec4e"
    assert "openaccel.io/fpga.function-id" not in labels
