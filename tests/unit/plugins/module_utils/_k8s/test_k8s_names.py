"""Name, label, semver and quantity helpers of the Kubernetes registration."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import names


@pytest.mark.parametrize("text, expected", [
    ("535.183.01", "535.183.1"), ("12.2", "12.2.0"), ("v1", "1.0.0"), ("1.2.3-rc.1", "1.2.3-rc.1"),
    ("2.12.427", "2.12.427"), ("n/a", None), (None, None), ("1.2.3.4", None)])
def test_semver(text, expected):
    assert names.semver(text) == expected
    if expected:
        assert names.SEMVER.match(expected)


@pytest.mark.parametrize("text, canonical", [
    ("81920Mi", "80Gi"), ("81559Mi", "81559Mi"), ("1024", "1024"), ("1000", "1k"),
    ("1.5Gi", "1536Mi"),
    ("0.5", "500m"), ("8", "8"), ("1e3", "1k"), ("512Ki", "512Ki"), (4, "4")])
def test_canonical_quantity(text, canonical):
    assert names.canonical_quantity(text) == canonical
    assert names.same_quantity(text, canonical)


def test_bad_quantity():
    with pytest.raises(ValueError):
        names.parse_quantity("80 GB")
    assert not names.same_quantity("1Gi", "1G")


@pytest.mark.parametrize("text", ["GH100 [H100 SXM5 80GB]", "x" * 100, "-a-", "ü", ""])
def test_label_value_always_valid(text):
    value = names.label_value(text)
    assert names.is_label_value(value)


def test_dns_names():
    assert names.dns_label("gpu-0000:3b:00.0") == "gpu-0000-3b-00-0"
    assert names.is_dns_label(names.dns_label("A" * 80))
    assert names.is_dns_subdomain(names.dns_subdomain("node-1-accel.openaccel.io-0"))
    assert len(names.dns_subdomain("n" * 300)) <= 253
    assert names.is_qualified_name("openaccel.io/gpu.count")
    assert not names.is_qualified_name("bad prefix/x")
