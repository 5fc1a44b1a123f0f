# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovery on fake hosts built from real captures: the device records must be right."""

import jsonschema
import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
from tests.integration.discovery.conftest import ALL_SCENARIOS


def by_address(records):
    return dict((rec["address"], rec) for rec in records)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_every_record_matches_the_schema(tree, device_schema, scenario):
    records, summary = discover(tree(scenario))
    assert records, "no accelerator found on %s" % scenario
    for record in records:
        jsonschema.validate(record, device_schema)
    assert summary["accelerator_count"] == len(records)
    assert summary["total_pci_functions"] == len(records) + sum(summary["non_accelerators"].values())
    assert summary["with_errors"] == 0
    # every tree nests its functions below devices/pci<domain>:<bus>/ with captured revisions
    assert all(r["pcie_root"] and r["pcie_root"].startswith("pci") for r in records)
    assert all(r["revision"] is not None and len(r["revision"]) == 2 for r in records)


def test_pcie_topology_of_the_h100_bays(tree):
    """Each HGX bay: root port -> PEX890xx -> GPU + NIC + NVMe; the bay's functions share
    the switch (pcie_switch) and root complex (pcie_root, as resource.kubernetes.io/pcieRoot)."""
    records, _summary = discover(tree("h100_8gpu"))
    gpus = [r for r in records if r["type"] == "gpu"]
    assert all(g["pcie_root"].startswith("pci0000:") and g["pcie_switch"] for g in gpus)
    assert len(set(g["pcie_switch"] for g in gpus)) == 8
    first = gpus[0]
    bay = [r for r in records if r["pcie_switch"] == first["pcie_switch"]]
    assert sorted(r["type"] for r in bay) == ["gpu", "nic", "nvme"]
    assert all(r["pcie_root"] == first["pcie_root"] for r in bay)
    assert first["revision"] == "a1"                        # hgx-h100 capture: rev a1


def test_mi300x_cpx_partitions_are_one_gpu_each(tree, device_schema):
    records, summary = discover(tree("mi300x_cpx"))
    assert summary["by_type"] == {"gpu": 8}
    assert [r["address"] for r in records] == [
        "0000:%s:00.0" % b for b in ("0c", "22", "38", "5c", "9f", "af", "bf", "df")]
    for rec in records:
        jsonschema.validate(rec, device_schema)
        gpu = rec["gpu"]
        assert (gpu["source"], gpu["gfx_target"]) == ("kfd", "gfx942")
        assert (gpu["partitions"]["count"], gpu["partitions"]["mode"]) == (8, "CPX")
        assert gpu["compute_units"] == 304 and gpu["simd_count"] == 8 * 152   # whole GPU
        assert gpu["vram_bytes"] == 192 * 1024 ** 3          # NPS1: not 8x the partition view
        locations = [n["location"] for n in gpu["partitions"]["nodes"]]
        assert locations == [rec["address"][:-1] + str(i) for i in range(8)]
        assert rec["product_label"] == "mi300x" and rec["product"]
    recs = by_address(records)
    assert recs["0000:22:00.0"]["pcie_switch"] is None                 # on its root port
    assert recs["0000:38:00.0"]["pcie_switch"] == "0000:36:00.0"
    assert recs["0000:22:00.0"]["pcie_root"] == recs["0000:38:00.0"]["pcie_root"] == "pci0000:20"


def test_hgx_h100(tree):
    records, summary = discover(tree("h100_8gpu"))
    gpus = [r for r in records if r["type"] == "gpu"]
    assert [g["address"] for g in gpus] == [
        "0000:%s:00.0" % b for b in ("53", "64", "75", "86", "97", "a8", "b9", "ca")]
    assert all(g["product_label"] == "h100" and g["resource_class"] == "PGPU" and
               g["driver"] == "nvidia" for g in gpus)
    # the fixture puts buses below 0x80 on socket 0, the rest on socket 1
    assert [g["numa_node"] for g in gpus] == [0, 0, 0, 1, 1, 1, 1, 1]
    assert sum(summary["by_numa_node"].values()) == len(records)
    # NVSwitches (class 0680) are bridges, never accelerators
    assert not [r for r in records if r["device_id"] == "22a3"]
    assert summary["non_accelerators"]["bridge"] >= 4


def test_a100_mig_host_without_nvml_keeps_the_gpu(tree):
    records, _summary = discover(tree("a100_mig"))
    assert [(r["type"], r["product_label"]) for r in records] == [("gpu", "a100")]


def test_qat_pf_and_vfs(tree):
    records, summary = discover(tree("qat_c62x"))
    recs = by_address(records)
    pf = recs["0000:3b:00.0"]
    assert (pf["type"], pf["function"], pf["driver"]) == ("qat", "pf", "c6xx")
    assert pf["sriov"]["total_vfs"] == 16 and pf["sriov"]["num_vfs"] == 16
    assert len(pf["sriov"]["vfs"]) == 16
    vf = recs[pf["sriov"]["vfs"][0]]
    assert (vf["type"], vf["function"], vf["is_virtual_function"]) == ("qat", "vf", True)
    assert vf["sriov"]["physfn"] == "0000:3b:00.0" and vf["driver"] == "c6xxvf"
    assert summary["by_type"]["qat"] == 17


def test_sriov_nics(tree):
    records, _summary = discover(tree("e810_sriov"))
    recs = by_address(records)
    e810 = recs["0000:a2:00.0"]
    assert (e810["type"], e810["product_label"], e810["driver"]) == ("nic", "e810", "ice")
    assert e810["sriov"]["total_vfs"] == 128 and e810["sriov"]["num_vfs"] == 4
    assert [recs[vf]["driver"] for vf in e810["sriov"]["vfs"]] == ["iavf"] * 4
    i350 = [r for r in records if r["device_id"] == "1521"]
    assert i350 and all(r["product_label"] == "i350" for r in i350)
    assert all(r["resource_class"] == "SRIOV_NET_VF" for r in records)


def test_nvme(tree):
    records, _summary = discover(tree("nvme"))
    assert [(r["type"], r["dev_nodes"]) for r in records] == [("nvme", ["/dev/nvme0"])]


def test_mi210_from_kfd(tree):
    records, summary = discover(tree("mi210_8gpu"))
    assert summary["by_type"] == {"gpu": 8}
    for rec in records:
        gpu = rec["gpu"]
        assert (gpu["source"], gpu["gfx_target"], gpu["compute_units"]) == ("kfd", "gfx90a", 104)
        assert rec["product_label"] == "mi210"
        assert any(node.startswith("/dev/dri/renderD") for node in rec["dev_nodes"])
    assert len(set(r["gpu"]["kfd_node"] for r in records)) == 8
    assert all(r["gpu"]["partitions"]["count"] == 1 and r["gpu"]["partitions"]["mode"] == "SPX"
               for r in records)


def test_d5005_dfl_identity_is_exact(tree):
    records, _summary = discover(tree("d5005_dfl"))
    recs = by_address(records)
    pf = recs["0000:3b:00.0"]
    assert (pf["rule"], pf["product_label"], pf["function"]) == ("intel-ofs-d5005-pf", "d5005", "pf")
    fpga = pf["fpga"]
    assert fpga["framework"] == "dfl" and fpga["fme"] == "dfl-fme.0"
    assert fpga["bitstream_id"] == "4010002183c88a9"              # fpgainfo fme: Bitstream Id
    assert fpga["interface_id"] == "a195b6f7cf235a2b8ef91161e184ec4e"  # fpgainfo fme: Pr Interface Id
    assert "/dev/dfl-fme.0" in pf["dev_nodes"]
    vfs = [recs[address] for address in pf["sriov"]["vfs"]]
    assert len(vfs) == 3 and all(vf["function"] == "vf" for vf in vfs)
    assert all(len(vf["fpga"]["afu_id"]) == 32 for vf in vfs)


def test_alveo_u200_mgmt_and_user(tree):
    records, _summary = discover(tree("alveo_u200"))
    roles = sorted((r["address"], r["function"], r["driver"]) for r in records)
    assert roles == [("0000:17:00.0", "mgmt", "xclmgmt"), ("0000:17:00.1", "user", "xocl"),
                     ("0000:65:00.0", "mgmt", "xclmgmt"), ("0000:65:00.1", "user", "xocl")]
    mgmt = by_address(records)["0000:17:00.0"]
    assert mgmt["fpga"]["vbnv"] == "xilinx_u200_gen3x16_xdma_base_1"
    assert mgmt["fpga"]["ready"] is True
    assert any(node.startswith("/dev/xclmgmt") for node in mgmt["dev_nodes"])


def test_gaudi_and_class_12(tree):
    gaudi, _summary = discover(tree("gaudi"))
    assert len(gaudi) == 8 and all(r["product_label"] == "gaudi2" for r in gaudi)
    assert all(r["dev_nodes"] and r["dev_nodes"][0].startswith("/dev/accel/accel") for r in gaudi)
    testdev, _summary = discover(tree("pci_testdev_accel"))
    assert [(r["type"], r["rule"]) for r in testdev] == [("ai", "processing-accelerator")]


def test_dsa(tree):
    records, _summary = discover(tree("dsa_spr"))
    assert [(r["type"], r["driver"]) for r in records] == [("dsa", "idxd")]


def test_big_host(tree):
    records, summary = discover(tree("big_host"))
    assert summary["total_pci_functions"] >= 500
    assert summary["by_type"]["gpu"] == 8
    assert summary["non_accelerators"]["system_peripheral"] > 200   # uncore functions


def test_extra_rules_reclassify_and_exclude(tree):
    records, summary = discover(tree("h100_8gpu"), extra_rules=[
        {"vendor_id": "10de", "device_ids": ["22a3"], "type": "other", "vendor_label": "nvidia",
         "product_label": "nvswitch", "resource_class": "CUSTOM_NVSWITCH"},
        {"vendor_id": "144d", "class_prefix": "0108", "type": "nvme", "accelerator": False},
    ])
    switches = [r for r in records if r["device_id"] == "22a3"]
    assert len(switches) == 4 and switches[0]["resource_class"] == "CUSTOM_NVSWITCH"
    assert "nvme" not in summary["by_type"]
