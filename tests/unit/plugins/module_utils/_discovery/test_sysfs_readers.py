# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for KFD properties, FPGA ids and broken sysfs trees."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.amd_kfd import gfx_target, pci_address
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.classify import RuleError
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import DiscoveryError, discover
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.fpga import normalize_id
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.pci import identity_from_modalias


@pytest.mark.parametrize("version, target", [(90010, "gfx90a"), (90402, "gfx942"),
                                             (90008, "gfx908"), (100300, "gfx1030"), (0, None)])
def test_gfx_target(version, target):
    assert gfx_target(version) == target


def test_kfd_location_id_to_pci_address():
    assert pci_address({"domain": 0, "location_id": 25344}) == "0000:63:00.0"
    assert pci_address({"domain": 1, "location_id": (0xc1 << 8) | (2 << 3) | 1}) == "0001:c1:02.1"


def test_normalize_fpga_ids():
    assert normalize_id("0x23000410010310AB\n") == "23000410010310ab"
    assert normalize_id("f3c99413-5081-4aad-bced-07eb84a6d0bb") == "f3c9941350814aadbced07eb84a6d0bb"
    assert normalize_id("") is None


def _function(root, address, files):
    dev = os.path.join(root, "devices", "pci0000:00", address)
    os.makedirs(dev)
    for name, content in files.items():
        with open(os.path.join(dev, name), "w") as handle:
            handle.write(content)
    links = os.path.join(root, "bus", "pci", "devices")
    if not os.path.isdir(links):
        os.makedirs(links)
    os.symlink(os.path.join("..", "..", "..", "devices", "pci0000:00", address),
               os.path.join(links, address))
    return dev


def test_unreadable_attribute_and_vanished_device_are_reported(tmp_path):
    root = str(tmp_path)
    gpu = _function(root, "0000:01:00.0", {"vendor": "0x10de\n", "device": "0x2330\n",
                                           "class": "0x030200\n", "numa_node": "banana\n"})
    os.mkdir(os.path.join(gpu, "revision"))          # a directory where a file belongs: EISDIR
    os.symlink("../../../devices/pci0000:00/0000:02:00.0",
               os.path.join(root, "bus", "pci", "devices", "0000:02:00.0"))  # dangling: vanished
    _function(root, "0001:00:00.0", {"vendor": "0x1da3\n", "device": "0x1020\n",
                                     "class": "0x120000\n"})
    records, summary = discover(root, pci_ids_path=None)
    by_address = dict((rec["address"], rec) for rec in records)
    assert sorted(by_address) == ["0000:01:00.0", "0000:02:00.0", "0001:00:00.0"]
    assert by_address["0000:01:00.0"]["type"] == "gpu"
    assert any("numa_node" in err for err in by_address["0000:01:00.0"]["errors"])
    assert by_address["0000:01:00.0"]["numa_node"] is None
    assert by_address["0000:02:00.0"]["errors"][-1] == "device vanished during discovery"
    assert by_address["0001:00:00.0"]["type"] == "ai"          # second PCI domain
    assert summary["with_errors"] == 2


def test_missing_root_names_the_option(tmp_path):
    with pytest.raises(DiscoveryError) as err:
        discover(str(tmp_path / "nope"))
    assert str(err.value).startswith("sysfs_root: ")


def test_bad_rule_fails_before_reading(tmp_path):
    os.makedirs(str(tmp_path / "bus" / "pci" / "devices"))
    with pytest.raises(RuleError):
        discover(str(tmp_path), extra_rules=[{"type": "gpu", "vendor_id": "nvidia"}])


def test_modalias_is_parsed_at_the_kernel_offsets():
    ident = identity_from_modalias("pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00")
    assert ident == {"vendor_id": "10de", "device_id": "2330", "subsystem_vendor_id": "10de",
                     "subsystem_device_id": "16c1", "class_code": "030200"}
    assert identity_from_modalias("pci:v000010DEd00002330sv000010DEsd000016C1xx03sc02i00") is None
    assert identity_from_modalias("") is None and identity_from_modalias(None) is None


def _link(dev, name, target_address):
    os.symlink(os.path.join("..", target_address), os.path.join(dev, name))


def test_functions_sharing_a_modalias_keep_their_own_state(tmp_path):
    """Identity is parsed once per modalias; SR-IOV, NUMA and VF lists stay per function,
    and a PF whose sriov_numvfs cannot be read still lists its virtfn links."""
    root = str(tmp_path)
    modalias = "pci:v00008086d00001593sv00008086sd00000002bc02sc00i00\n"
    pf_a = _function(root, "0000:3b:00.0", {"modalias": modalias, "sriov_totalvfs": "8\n",
                                            "sriov_numvfs": "1\n", "numa_node": "0\n"})
    pf_b = _function(root, "0000:5e:00.0", {"modalias": modalias, "sriov_totalvfs": "8\n",
                                            "numa_node": "1\n"})
    vf_modalias = "pci:v00008086d00001889sv00008086sd00000000bc02sc00i00\n"
    vf_a = _function(root, "0000:3b:01.0", {"modalias": vf_modalias, "numa_node": "0\n"})
    vf_b = _function(root, "0000:5e:01.0", {"modalias": vf_modalias, "numa_node": "1\n"})
    vf_c = _function(root, "0000:5e:01.1", {"modalias": vf_modalias, "numa_node": "1\n"})
    _link(pf_a, "virtfn0", "0000:3b:01.0")
    _link(vf_a, "physfn", "0000:3b:00.0")
    for index, (vf_dev, address) in enumerate(((vf_c, "0000:5e:01.1"), (vf_b, "0000:5e:01.0"))):
        _link(pf_b, "virtfn%d" % (1 - index), address)
        _link(vf_dev, "physfn", "0000:5e:00.0")
    records, summary = discover(root, pci_ids_path=None)
    by_address = dict((rec["address"], rec) for rec in records)
    assert by_address["0000:3b:00.0"]["sriov"]["vfs"] == ["0000:3b:01.0"]
    assert by_address["0000:5e:00.0"]["sriov"]["num_vfs"] is None
    assert by_address["0000:5e:00.0"]["sriov"]["vfs"] == ["0000:5e:01.0", "0000:5e:01.1"]
    assert [by_address[a]["numa_node"] for a in ("0000:3b:00.0", "0000:5e:00.0")] == [0, 1]
    assert by_address["0000:5e:01.1"]["sriov"]["physfn"] == "0000:5e:00.0"
    assert by_address["0000:3b:01.0"]["sriov"]["physfn"] == "0000:3b:00.0"
    assert all(by_address[a]["function"] == "vf" for a in ("0000:3b:01.0", "0000:5e:01.1"))
    assert summary["accelerator_count"] == 5


def test_an_odd_modalias_is_never_shared_between_functions(tmp_path):
    """Identities read from the attribute files (modalias unusable) stay per function."""
    root = str(tmp_path)
    odd = "pci:garbage\n"
    _function(root, "0000:01:00.0", {"modalias": odd, "vendor": "0x10de\n", "device": "0x2330\n",
                                     "class": "0x030200\n"})
    _function(root, "0000:02:00.0", {"modalias": odd, "vendor": "0x1da3\n", "device": "0x1020\n",
                                     "class": "0x120000\n"})
    records, _summary = discover(root, pci_ids_path=None)
    assert [(r["address"], r["vendor_id"], r["type"]) for r in records] == [
        ("0000:01:00.0", "10de", "gpu"), ("0000:02:00.0", "1da3", "ai")]
