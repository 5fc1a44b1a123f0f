# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the rules table: what is an accelerator, what kind, and rule validation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.rules import BUILTIN_RULES
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.classify import (
    Classifier, RuleError, normalize_rule, resource_class_for)


def fn(vendor, device, klass, sriov=False, sv=None, sd=None):
    return {"vendor_id": vendor, "device_id": device, "class_code": klass,
            "sriov_capable": sriov, "subsystem_vendor_id": sv, "subsystem_device_id": sd}


@pytest.mark.parametrize("function, rule_id, type_, label", [
    (fn("10de", "2330", "030200"), "nvidia-h100", "gpu", "h100"),
    (fn("10de", "1eb8", "030200"), "nvidia-t4", "gpu", "t4"),
    (fn("10de", "9999", "030000"), "nvidia-gpu", "gpu", None),
    (fn("1002", "740f", "038000"), "amd-mi210", "gpu", "mi210"),
    (fn("1002", "74a1", "120000"), "amd-mi300x", "gpu", "mi300x"),
    (fn("1da3", "1020", "120000"), "habana-gaudi2", "ai", "gaudi2"),
    (fn("19e5", "d801", "120000"), "huawei-ascend910", "ai", "ascend910"),
    (fn("1b36", "0005", "120000"), "processing-accelerator", "ai", None),
    (fn("10ee", "5000", "058000"), "xilinx-u200-mgmt", "fpga", "u200"),
    (fn("10ee", "5001", "118000"), "xilinx-u200-user", "fpga", "u200"),
    (fn("8086", "bcce", "120000", sv="8086", sd="138d"), "intel-ofs-d5005-pf", "fpga", "d5005"),
    (fn("8086", "bcce", "120000", sv="8086", sd="1770"), "intel-ofs-n6000-pf", "fpga", "n6000"),
    (fn("8086", "bcce", "120000", sv="8086", sd="0000"), "intel-ofs-pf", "fpga", "ofs"),
    (fn("8086", "bccf", "120000"), "intel-ofs-vf", "fpga", "ofs"),
    (fn("8086", "0b30", "120000"), "intel-pac-n3000-pf", "fpga", "n3000"),
    (fn("8086", "37c8", "0b4000"), "intel-qat-c62x-pf", "qat", "c62x"),
    (fn("8086", "37c9", "0b4000"), "intel-qat-c62x-vf", "qat", "c62x"),
    (fn("8086", "4940", "0b4000"), "intel-qat-4xxx-pf", "qat", "4xxx"),
    (fn("8086", "0b25", "088000"), "intel-dsa", "dsa", "dsa"),
    (fn("8086", "0cfe", "088000"), "intel-iaa", "iaa", "iaa"),
    (fn("c0a9", "540a", "010802"), "nvme", "nvme", None),
    (fn("8086", "159b", "020000", sriov=True), "intel-e810", "nic", "e810"),
    (fn("15b3", "101d", "020000", sriov=True), "mellanox-nic-sriov", "nic", None),
    (fn("15b3", "a2dc", "020000"), "nvidia-bluefield3", "nic", "bluefield3"),
    (fn("1234", "0001", "0b4000"), "co-processor", "other", None),
])
def test_builtin_classification(function, rule_id, type_, label):
    rule = Classifier().match(function)
    assert (rule["id"], rule["type"], rule.get("product_label")) == (rule_id, type_, label)


@pytest.mark.parametrize("function", [
    fn("10de", "22a3", "068000"),            # NVSwitch
    fn("10de", "22ba", "040300"),            # GPU audio function
    fn("8086", "159b", "020000"),            # E810 without SR-IOV
    fn("14e4", "165f", "020000"),            # plain NIC
    fn("8086", "2021", "088000"),            # uncore / system peripheral
    fn("8086", "a1af", "0c0330"),            # USB controller
    fn("1a03", "2000", "030000"),            # BMC VGA
    fn("8086", "3e92", "030000"),            # Intel integrated graphics
])
def test_not_accelerators(function):
    rule = Classifier().match(function)
    assert rule is None or rule.get("accelerator") is False


def test_user_rule_overrides_builtin_and_adds_devices():
    classifier = Classifier([
        {"vendor_id": "0x10DE", "device_ids": ["1EB8"], "type": "gpu", "accelerator": False},
        {"id": "acme", "vendor_id": "1e24", "device_id": "0101", "type": "fpga",
         "vendor_label": "acme", "resource_class": "CUSTOM_ACME"},
    ])
    assert classifier.match(fn("10de", "1eb8", "030200"))["accelerator"] is False
    acme = classifier.match(fn("1e24", "0101", "120000"))
    assert acme["id"] == "acme" and resource_class_for(acme) == "CUSTOM_ACME"
    assert classifier.match(fn("10de", "2330", "030200"))["id"] == "nvidia-h100"


@pytest.mark.parametrize("rules, message", [
    ([{"vendor_id": "10de", "type": "tpu"}], "extra_rules[0].type: 'tpu'"),
    ([{"type": "gpu"}], "extra_rules[0].vendor_id"),
    ([{"type": "gpu", "vendor_id": "10de"}, {"type": "gpu", "vendor_id": "xyz1"}],
     "extra_rules[1].vendor_id: 'xyz1' is not 4 hex digits"),
    ([{"type": "gpu", "vendor_id": "10de", "device_ids": ["12345"]}], "extra_rules[0].device_ids"),
    ([{"type": "gpu", "vendor_id": "10de", "class_prefix": "123"}], "extra_rules[0].class_prefix"),
    ([{"type": "gpu", "vendor_id": "10de", "resource_class": "bad name"}],
     "extra_rules[0].resource_class"),
    ([{"type": "gpu", "vendor_id": "10de", "colour": "red"}], "extra_rules[0].colour"),
    (["not a dict"], "extra_rules[0]: a rule must be a mapping"),
])
def test_bad_rules_name_index_and_field(rules, message):
    with pytest.raises(RuleError) as err:
        Classifier(rules)
    assert message in str(err.value)


def test_builtin_rules_are_valid_and_unique():
    ids = [rule["id"] for rule in BUILTIN_RULES]
    assert len(ids) == len(set(ids))
    for index, rule in enumerate(BUILTIN_RULES):
        normalize_rule(dict((k, v) for k, v in rule.items() if v is not None), index)
    seen = {}
    for rule in BUILTIN_RULES:
        for dev in rule.get("device_ids", []):
            key = (rule["vendor_id"], dev, rule.get("subsystem_device_id"))
            assert key not in seen, "device id %s listed by %s and %s" % (key, seen.get(key), rule["id"])
            seen[key] = rule["id"]
