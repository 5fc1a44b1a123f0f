"""Unit tests: desired state from device records (no server)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import uuid

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
    build_desired, custom, provider_uuid,
)

GPU = {"address": "0000:3b:00.0", "vendor_id": "10de", "device_id": "20b5", "type": "gpu",
       "vendor_label": "nvidia", "product_label": "a100", "resource_class": "PGPU",
       "numa_node": 0, "function": None, "is_virtual_function": False, "sriov": None}
QAT_PF = {"address": "0000:3d:00.0", "vendor_id": "8086", "device_id": "37c8", "type": "qat",
          "vendor_label": "intel", "product_label": "c62x", "numa_node": 1,
          "is_virtual_function": False,
          "sriov": {"num_vfs": 2, "total_vfs": 16, "vfs": ["0000:3d:01.0", "0000:3d:01.1"],
                    "physfn": None}}


def _vf(addr):
    return {"address": addr, "vendor_id": "8086", "device_id": "37c9", "type": "qat",
            "vendor_label": "intel", "numa_node": 1, "is_virtual_function": True,
            "function": "vf", "sriov": {"physfn": "0000:3d:00.0", "vfs": []}}


def test_uuid_is_cyborgs_uuid3_of_the_name():
    assert provider_uuid("node1_0000:3b:00.0") == str(uuid.uuid3(uuid.NAMESPACE_DNS,
                                                                 "node1_0000:3b:00.0"))


def test_gpu_provider_and_cyborg_traits():
    d = build_desired("node1", [GPU])
    p = d["node1_0000:3b:00.0"]
    assert p["inventories"] == {"PGPU": {"total": 1, "reserved": 0, "min_unit": 1,
                                         "max_unit": 1, "step_size": 1,
                                         "allocation_ratio": 1.0}}
    assert {"CUSTOM_OPENACCEL_MANAGED", "OWNER_CYBORG", "CUSTOM_GPU_NVIDIA",
            "CUSTOM_GPU_PRODUCT_ID_20B5", "CUSTOM_GPU_NVIDIA_A100",
            "CUSTOM_NUMA_NODE_0"} == set(p["traits"])


def test_cyborg_compat_off_drops_owner_cyborg():
    p = build_desired("n", [GPU], cyborg_compat=False)["n_0000:3b:00.0"]
    assert "OWNER_CYBORG" not in p["traits"]


def test_per_pf_folds_vfs_and_per_vf_splits_them():
    recs = [QAT_PF, _vf("0000:3d:01.0"), _vf("0000:3d:01.1")]
    d = build_desired("n", recs)
    assert list(d) == ["n_0000:3d:00.0"]
    assert d["n_0000:3d:00.0"]["inventories"]["CUSTOM_QAT"]["total"] == 2
    d = build_desired("n", recs, defaults={"sriov_mode": "per_vf"})
    assert sorted(d) == ["n_0000:3d:01.0", "n_0000:3d:01.1"]


def test_default_class_for_unknown_type_follows_nova():
    rec = dict(GPU, type="other", resource_class=None, vendor_label="acme")
    rec.pop("resource_class")
    p = build_desired("n", [rec])["n_0000:3b:00.0"]
    assert list(p["inventories"]) == ["CUSTOM_PCI_10DE_20B5"]


def test_overrides_apply_in_order_and_traits_add_up():
    ovs = [{"match": {"type": "gpu"}, "traits": ["CUSTOM_A"], "reserved": 1},
           {"match": {"product_label": ["h100", "a1*"]}, "traits": ["CUSTOM_B"],
            "resource_class": "VGPU", "total": 4}]
    p = build_desired("n", [GPU], ovs)["n_0000:3b:00.0"]
    assert {"CUSTOM_A", "CUSTOM_B"} <= set(p["traits"])
    assert p["inventories"]["VGPU"]["total"] == 4 and p["inventories"]["VGPU"]["reserved"] == 1


def test_fpga_region_and_function_traits():
    rec = dict(GPU, type="fpga", vendor_label="intel", product_label="d5005",
               resource_class="FPGA",
               fpga={"interface_id": "abcd" * 8, "ports": [{"name": "p0", "afu_id": "ef01" * 8}]})
    traits = build_desired("n", [rec])["n_0000:3b:00.0"]["traits"]
    assert "CUSTOM_FPGA_INTEL" in traits
    assert "CUSTOM_FPGA_REGION_INTEL_" + ("ABCD" * 8) in traits
    assert "CUSTOM_FPGA_FUNCTION_ID_INTEL_" + ("EF01" * 8) in traits


@pytest.mark.parametrize("mutate,text", [
    (lambda r: r.update(address="0000:3B:00.0"), "bad PCI address"),
    (lambda r: r.update(address=None), "bad PCI address"),
    (lambda r: r.update(resource_class="FANCY"), "unknown resource class"),
    (lambda r: r.update(resource_class="CUSTOM_x"), "invalid custom resource class"),
])
def test_bad_records_are_rejected(mutate, text):
    rec = copy.deepcopy(GPU)
    mutate(rec)
    with pytest.raises(ValueError, match=text):
        build_desired("n", [rec])


def test_bad_traits_and_match_keys_are_rejected():
    with pytest.raises(ValueError, match="standard trait known to os-traits"):
        build_desired("n", [GPU], defaults={"traits": ["HW_CPU_NOPE_NOPE"]})
    with pytest.raises(ValueError, match="unknown key"):
        build_desired("n", [GPU], [{"match": {"colour": "red"}}])
    with pytest.raises(ValueError, match="owner_trait"):
        build_desired("n", [GPU], owner_trait="MINE")
    # a real standard trait is fine
    build_desired("n", [GPU], defaults={"traits": ["HW_GPU_API_VULKAN"]})


def test_every_error_is_reported_at_once():
    with pytest.raises(ValueError) as err:
        build_desired("n", [dict(GPU, address="x"), dict(GPU, address="y")])
    assert "'x'" in str(err.value) and "'y'" in str(err.value)


def test_custom_name_sanitising():
    assert custom("gpu", "nvidia", "rtx 6000-ada") == "CUSTOM_GPU_NVIDIA_RTX_6000_ADA"


def test_nic_pf_without_vfs_is_one_pci_device_not_a_vf():
    """SRIOV_NET_VF=1 would promise a VF that does not exist."""
    nic = {"address": "0000:af:00.0", "vendor_id": "8086", "device_id": "159b", "type": "nic",
           "vendor_label": "intel", "product_label": "e810", "resource_class": "SRIOV_NET_VF",
           "numa_node": 1, "is_virtual_function": False,
           "sriov": {"num_vfs": 0, "total_vfs": 64, "vfs": [], "physfn": None}}
    assert list(build_desired("n", [nic])["n_0000:af:00.0"]["inventories"]) == ["PCI_DEVICE"]
    with_vfs = dict(nic, sriov=dict(nic["sriov"], num_vfs=4))
    inv = build_desired("n", [with_vfs])["n_0000:af:00.0"]["inventories"]
    assert inv["SRIOV_NET_VF"]["total"] == 4
    override = build_desired("n", [nic], overrides=[{"match": {"type": "nic"},
                                                     "resource_class": "CUSTOM_NIC_PF"}])
    assert list(override["n_0000:af:00.0"]["inventories"]) == ["CUSTOM_NIC_PF"]


def test_unlabelled_vendor_is_named_by_pci_ids_not_other():
    nvme = {"address": "0000:c1:00.0", "vendor_id": "144d", "device_id": "a80a", "type": "nvme",
            "vendor_label": "other", "vendor": "Samsung Electronics Co Ltd",
            "is_virtual_function": False, "sriov": None}
    traits = build_desired("n", [nvme])["n_0000:c1:00.0"]["traits"]
    assert "CUSTOM_NVME_SAMSUNG_ELECTRONICS_CO_LTD" in traits
    assert not any(t.endswith("_OTHER") for t in traits), traits
    nameless = dict(nvme, vendor=None)
    assert "CUSTOM_NVME_144D" in build_desired("n", [nameless])["n_0000:c1:00.0"]["traits"]
    labelled = build_desired("n", [GPU])["n_0000:3b:00.0"]["traits"]
    assert "CUSTOM_GPU_NVIDIA" in labelled          # a rule's label stays (Cyborg's names)


def _dfl(addr, afu, vf):
    return {"address": addr, "vendor_id": "8086", "device_id": "bccf" if vf else "bcce",
            "type": "fpga", "vendor_label": "intel", "is_virtual_function": vf,
            "function": "vf" if vf else None,
            "sriov": ({"physfn": "0000:3b:00.0", "vfs": []} if vf else
                      {"num_vfs": 2, "total_vfs": 3, "vfs": ["0000:3b:00.1", "0000:3b:00.2"],
                       "physfn": None}),
            "fpga": {"framework": "dfl", "interface_id": None if vf else "ab12",
                     "ports": [{"afu_id": afu}] if afu else [], "afu_id": afu}}


def test_fpga_vf_function_ids_and_pf_region_are_never_lost():
    recs = [_dfl("0000:3b:00.0", None, False), _dfl("0000:3b:00.1", "f1", True),
            _dfl("0000:3b:00.2", "f2", True)]
    per_pf = build_desired("n", recs)
    assert list(per_pf) == ["n_0000:3b:00.0"]
    traits = per_pf["n_0000:3b:00.0"]["traits"]
    assert {"CUSTOM_FPGA_REGION_INTEL_AB12", "CUSTOM_FPGA_FUNCTION_ID_INTEL_F1",
            "CUSTOM_FPGA_FUNCTION_ID_INTEL_F2"} <= set(traits)
    per_vf = build_desired("n", recs, defaults={"sriov_mode": "per_vf"})
    assert sorted(per_vf) == ["n_0000:3b:00.1", "n_0000:3b:00.2"]
    for addr, fid in (("0000:3b:00.1", "F1"), ("0000:3b:00.2", "F2")):
        vf_traits = set(per_vf["n_" + addr]["traits"])
        assert "CUSTOM_FPGA_REGION_INTEL_AB12" in vf_traits
        assert "CUSTOM_FPGA_FUNCTION_ID_INTEL_" + fid in vf_traits
        assert len([t for t in vf_traits if "FUNCTION_ID" in t]) == 1    # only its own AFU
