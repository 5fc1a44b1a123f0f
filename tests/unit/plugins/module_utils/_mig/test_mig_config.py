# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mig-parted documents: parsing, validation messages, selection, GPU matching."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.config import (
    MigConfigError, assign, canonical_profile, parse_document, parse_profile, select_config)

# The shape of NVIDIA's own example (mig-parted examples/config.yaml), abridged.
MIG_PARTED_EXAMPLE = """
version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false

  all-enabled:
    - devices: all
      mig-enabled: true
      mig-devices: {}

  all-1g.10gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 7

  all-balanced:
    - device-filter: ["0x20B010DE", "0x20B110DE", "0x20F110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb": 2
        "2g.10gb": 1
        "3g.20gb": 1
    - device-filter: ["0x20B210DE", "0x20B510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 2
        "2g.20gb": 1
        "3g.40gb": 1

  custom-config:
    - devices: [0,1,2,3]
      mig-enabled: false
    - devices: [4]
      mig-enabled: true
      mig-devices:
        "1g.5gb": 7
    - devices: [5]
      mig-enabled: true
      mig-devices:
        "2g.10gb": 3
    - devices: [6]
      mig-enabled: true
      mig-devices:
        "3g.20gb": 2
    - devices: [7]
      mig-enabled: true
      mig-devices:
        "1g.5gb": 2
        "2g.10gb": 1
        "3g.20gb": 1
"""

A100_80 = 0x20B210DE
H100 = 0x233010DE


def gpus(n, device_id=A100_80):
    return [{"index": i, "bus_id": "0000:%02x:00.0" % i, "pci_device_id": device_id}
            for i in range(n)]


def test_nvidia_example_parses_as_is():
    configs = parse_document(yaml.safe_load(MIG_PARTED_EXAMPLE))
    assert sorted(configs) == ["all-1g.10gb", "all-balanced", "all-disabled", "all-enabled",
                               "custom-config"]
    assert configs["all-1g.10gb"][0]["mig_devices"] == {"1g.10gb": 7}
    assert configs["all-enabled"][0]["mig_devices"] == {}
    assert configs["all-balanced"][1]["device_filter"] == [A100_80, 0x20B510DE]


def test_device_filter_selects_by_pci_device_id():
    configs = parse_document(yaml.safe_load(MIG_PARTED_EXAMPLE))
    desired = assign(configs["all-balanced"], gpus(2) + [
        {"index": 2, "bus_id": "0000:99:00.0", "pci_device_id": H100}])
    assert sorted(desired) == [0, 1]                  # the H100 is left alone
    assert desired[0]["devices"] == {"1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1}
    assert desired[0]["where"] == "mig-configs.all-balanced[1]"


def test_index_lists_and_unknown_index():
    configs = parse_document(yaml.safe_load(MIG_PARTED_EXAMPLE))
    desired = assign(configs["custom-config"], gpus(8))
    assert [desired[i]["mig_enabled"] for i in range(8)] == [False] * 4 + [True] * 4
    with pytest.raises(MigConfigError, match=r"custom-config\[1\].devices: no GPU with index 4"):
        assign(configs["custom-config"], gpus(4))


def test_gpu_selected_twice_is_an_error():
    doc = {"version": "v1", "mig-configs": {"c": [
        {"devices": "all", "mig-enabled": False},
        {"devices": [1], "mig-enabled": True, "mig-devices": {"7g.80gb": 1}}]}}
    with pytest.raises(MigConfigError, match=r"GPU 1 \(0000:01:00.0\) is selected by both "
                                             r"mig-configs.c\[0\] and mig-configs.c\[1\]"):
        assign(parse_document(doc)["c"], gpus(2))


@pytest.mark.parametrize("doc, message", [
    ([], "must be a mapping"),
    ({"mig-configs": {"a": []}}, "version: only mig-parted format 'v1'"),
    ({"version": "v1"}, "mig-configs: must be a non-empty mapping"),
    ({"version": "v1", "mig-configs": {"a": []}}, "mig-configs.a: must be a non-empty list"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all"}]}},
     r"mig-configs.a\[0\]: mig-enabled is required"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "some", "mig-enabled": True}]}},
     r"a\[0\].devices: must be 'all' or a non-empty list"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": "yes"}]}},
     r"a\[0\].mig-enabled: must be true or false"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": True,
                                              "mig-device": {}}]}},
     r"unknown key\(s\) mig-device"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": False,
                                              "mig-devices": {"1g.10gb": 1}}]}},
     "mig-devices is set but mig-enabled is false"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": True,
                                              "mig-devices": {"1g.10gb": -1}}]}},
     r"mig-devices.1g.10gb: count must be an integer >= 0"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": True,
                                              "mig-devices": {"big": 1}}]}},
     "'big' is not a MIG profile name"),
    ({"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": True,
                                              "device-filter": "A100"}]}},
     "device-filter: 'A100' is not a PCI device id"),
])
def test_invalid_documents_name_the_place(doc, message):
    with pytest.raises(MigConfigError, match=message):
        parse_document(doc)


def test_profile_names():
    assert parse_profile("1c.2g.20gb") == {"name": "1c.2g.20gb", "gi_name": "2g.20gb",
                                           "gi_slices": 2, "ci_slices": 1}
    assert canonical_profile("2c.2g.20gb") == "2g.20gb"
    assert canonical_profile("1g.10gb+me") == "1g.10gb+me"
    assert canonical_profile("1G.10GB") == "1g.10gb"
    with pytest.raises(MigConfigError, match="compute slices"):
        parse_profile("3c.2g.20gb")


def test_counts_of_equal_profiles_add_up_and_zero_counts_vanish():
    doc = {"version": "v1", "mig-configs": {"a": [{"devices": "all", "mig-enabled": True,
                                                   "mig-devices": {"2c.2g.20gb": 1, "2g.20gb": 1,
                                                                   "1g.10gb": 0}}]}}
    assert parse_document(doc)["a"][0]["mig_devices"] == {"2g.20gb": 2}


def test_selection():
    configs = parse_document(yaml.safe_load(MIG_PARTED_EXAMPLE))
    assert select_config(configs, "all-disabled")[0] == "all-disabled"
    with pytest.raises(MigConfigError, match="selected_config is required: the document has 5"):
        select_config(configs, None)
    with pytest.raises(MigConfigError, match="'nope' is not in mig-configs"):
        select_config(configs, "nope")
    single = {"only": configs["all-disabled"]}
    assert select_config(single, None)[0] == "only"
