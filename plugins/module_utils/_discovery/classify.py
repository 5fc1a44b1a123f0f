# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Apply the classification rules (built-in table + user ``extra_rules``)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.rules import (
    BUILTIN_RULES, RESOURCE_CLASS_BY_TYPE)

TYPES = ("gpu", "ai", "fpga", "qat", "dsa", "iaa", "nvme", "nic", "other")
_HEX4 = re.compile(r"^[0-9a-f]{4}$")
_CLASS_PREFIX = re.compile(r"^(?:[0-9a-f]{2}){1,3}$")
_LABEL = re.compile(r"^[a-z0-9_]+$")
_RESOURCE_CLASS = re.compile(r"^(?:CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$")
_RULE_KEYS = frozenset((
    "id", "vendor_id", "device_ids", "device_id", "subsystem_vendor_id",
    "subsystem_device_id", "class_prefix", "requires_sriov", "type", "vendor_label",
    "product_label", "function", "resource_class", "accelerator"))


class RuleError(ValueError):
    """A user rule is malformed; the message names the rule index and the field."""


def _hex(value):
    text = str(value).strip().lower()
    return text[2:] if text.startswith("0x") else text


def _check(condition, index, field, value, expected):
    if not condition:
        raise RuleError("extra_rules[%d].%s: %r is not %s" % (index, field, value, expected))


def normalize_rule(rule, index):
    """Validate one user rule and return it in the built-in rules' shape."""
    if not isinstance(rule, dict):
        raise RuleError("extra_rules[%d]: a rule must be a mapping, got %s"
                        % (index, type(rule).__name__))
    unknown = sorted(set(rule) - _RULE_KEYS)
    _check(not unknown, index, unknown[0] if unknown else "", "present",
           "a known field (one of %s)" % ", ".join(sorted(_RULE_KEYS)))
    out = dict(rule)
    out["id"] = str(rule.get("id") or "extra-%d" % index)
    _check(rule.get("type") in TYPES, index, "type", rule.get("type"), "one of " + ", ".join(TYPES))
    vendor = rule.get("vendor_id")
    out["vendor_id"] = None if vendor is None else _hex(vendor)
    _check(out["vendor_id"] is None or _HEX4.match(out["vendor_id"]), index, "vendor_id",
           vendor, "4 hex digits such as 10de")
    devices = rule.get("device_ids", [])
    if rule.get("device_id") is not None:
        devices = [rule["device_id"]] + list(devices)
    _check(isinstance(devices, list), index, "device_ids", devices, "a list of 4-hex-digit ids")
    out["device_ids"] = [_hex(d) for d in devices]
    for dev in out["device_ids"]:
        _check(_HEX4.match(dev), index, "device_ids", dev, "4 hex digits such as 2330")
    for field in ("subsystem_vendor_id", "subsystem_device_id"):
        if rule.get(field) is not None:
            out[field] = _hex(rule[field])
            _check(_HEX4.match(out[field]), index, field, rule[field], "4 hex digits")
    if rule.get("class_prefix") is not None:
        out["class_prefix"] = _hex(rule["class_prefix"])
        _check(_CLASS_PREFIX.match(out["class_prefix"]), index, "class_prefix",
               rule["class_prefix"], "2, 4 or 6 hex digits such as 12 or 0b40")
    _check(out["vendor_id"] or out["device_ids"] or out.get("class_prefix"), index, "vendor_id",
           None, "set (a rule needs vendor_id or class_prefix)")
    out["vendor_label"] = str(rule.get("vendor_label") or out["vendor_id"] or "other").lower()
    _check(_LABEL.match(out["vendor_label"]), index, "vendor_label", rule.get("vendor_label"),
           "a lower-case label of letters, digits and _")
    if rule.get("resource_class") is not None:
        _check(_RESOURCE_CLASS.match(str(rule["resource_class"])), index, "resource_class",
               rule["resource_class"], "a resource class name such as PGPU or CUSTOM_MY_CARD")
    out["accelerator"] = bool(rule.get("accelerator", True))
    out["requires_sriov"] = bool(rule.get("requires_sriov", False))
    return out


class Classifier(object):
    """Index the rules once, then classify each function with a few dictionary lookups.

    Order of precedence: rules naming the device id, then vendor rules, then
    class-only rules; within a level the longest matching class prefix first, and at
    equal keys user rules before built-in ones.
    """

    def __init__(self, extra_rules=None):
        user = [normalize_rule(rule, i) for i, rule in enumerate(extra_rules or [])]
        self._by_device = {}
        self._by_vendor_class = {}
        for rule in user + list(BUILTIN_RULES):
            prefix = rule.get("class_prefix") or ""
            if rule.get("device_ids"):
                for dev in rule["device_ids"]:
                    self._by_device.setdefault((rule["vendor_id"], dev), []).append(rule)
            else:
                self._by_vendor_class.setdefault((rule["vendor_id"], prefix), []).append(rule)

    @staticmethod
    def _matches(rule, fn):
        prefix = rule.get("class_prefix")
        if prefix and not (fn.get("class_code") or "").startswith(prefix):
            return False
        for field in ("subsystem_vendor_id", "subsystem_device_id"):
            if rule.get(field) and rule[field] != fn.get(field):
                return False
        if rule.get("requires_sriov") and not fn.get("sriov_capable"):
            return False
        return True

    def _candidates(self, fn):
        vendor, klass = fn.get("vendor_id"), fn.get("class_code") or ""
        yield self._by_device.get((vendor, fn.get("device_id")), ())
        for owner in (vendor, None):
            for prefix in (klass[:6], klass[:4], klass[:2], ""):
                yield self._by_vendor_class.get((owner, prefix), ())

    def match(self, fn):
        """The first matching rule for a function dict (vendor_id, device_id, class_code,
        subsystem ids, sriov_capable), or None."""
        for candidates in self._candidates(fn):
            for rule in candidates:
                if self._matches(rule, fn):
                    return rule
        return None


def resource_class_for(rule):
    return rule.get("resource_class") or RESOURCE_CLASS_BY_TYPE[rule["type"]]
