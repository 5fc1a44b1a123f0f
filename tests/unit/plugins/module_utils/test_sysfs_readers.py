# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for KFD properties, FPGA ids and broken sysfs trees."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._amd_kfd import gfx_target, pci_address
from ansible_collections.openaccel.cyborg.plugins.module_utils._classify import RuleError
from ansible_collections.openaccel.cyborg.plugins.module_utils._devices import DiscoveryError, discover
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga import normalize_id
from ansible_collections.openaccel.cyborg.plugins.module_utils._pci import _identity_from_modalias


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
    ident = _identity_from_modalias("pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00")
    assert ident == {"vendor_id": "10de", "device_id": "2330", "subsystem_vendor_id": "10de",
                     "subsystem_device_id": "16c1", "class_code": "030200"}
    with pytest.raises(ValueError):
        _identity_from_modalias("pci:v000010DEd00002330sv000010DEsd000016C1xx03sc02i00")
