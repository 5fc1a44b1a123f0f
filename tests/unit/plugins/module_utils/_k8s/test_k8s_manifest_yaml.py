"""Manifest YAML that every reader reads back as written (YAML 1.1, YAML 1.2, Go/kubectl), and
the kustomization of a node directory."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
import yaml

from tests.unit.plugins.module_utils._k8s.yaml_readers import (
    KUBECTL, kubectl_label_read, kubectl_read, misread_scalars, not_a_string_somewhere)

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import files

# one of each way a plain string turns into something else in some reader
TRICKY = ["088000", "0880", "1e24", "1E5", "-1e-3", ".5", "1.", "0x1F", "0o17", "0b101",
          "017", "1_000", "1:20", "190:20:30.15", "y", "Y", "n", "N", "yes", "No", "on", "OFF",
          "true", "False", "~", "null", "NULL", "", ".inf", "-.Inf", ".nan", "=", "<<",
          "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "+12",
          "0", "-0", "123", "3.14", "6.8523015e+5", "0000:3b:00.0", "535.129.3", "10de"]
SAFE = ["gpu", "h100", "accel.openaccel.io", "pci0000:3a", "gpu-0000-3b-00-0", "x1e24",
        "nvidia", "GPU-1", "d5005", "yes-please", "onboard"]


def test_the_reader_table_knows_the_tricky_strings():
    # the oracle itself: every tricky string but two harmless ones is caught (535.129.3 is a
    # float by the YAML 1.1 regular expression, which allows several dots)
    assert [t for t in TRICKY if not not_a_string_somewhere(t)] == ["0000:3b:00.0", "10de"]
    assert not [s for s in SAFE if not_a_string_somewhere(s)]


@pytest.mark.parametrize("text", TRICKY + SAFE)
def test_strings_are_quoted_when_a_reader_could_misread_them(text):
    assert files.needs_quotes(text) or not not_a_string_somewhere(text), text


def _object(values):
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
            "metadata": {"name": "s1", "labels": dict(("l%d" % i, v) for i, v in
                                                      enumerate(values)),
                         "annotations": dict((v or "empty", v) for v in values if v)},
            "spec": {"driver": "accel.openaccel.io", "nodeName": "n1",
                     "pool": {"name": "n1", "generation": 1, "resourceSliceCount": 1},
                     "devices": [{"name": "d%d" % i, "attributes": {"a": {"string": v}}}
                                 for i, v in enumerate(values)]}}


def test_dump_reads_back_identically_in_every_reader(tmp_path):
    obj = _object(TRICKY + SAFE)
    text = files.dump([obj])
    assert misread_scalars(text) == []
    assert yaml.safe_load(text) == obj
    assert files.load(text) == [obj]
    if KUBECTL:
        path = tmp_path / "obj.yaml"
        path.write_text(text)
        assert kubectl_read(str(path)) == [obj]
        assert kubectl_label_read(str(path)) == [obj]


def test_plain_pyyaml_would_be_misread():
    # what the quoting prevents: PyYAML alone writes these plain (1_000 it quotes itself)
    text = yaml.safe_dump({"a": "088000", "b": "1e24", "c": "y", "d": "0o17", "e": "1_000"})
    assert sorted(misread_scalars(text)) == ["088000", "0o17", "1e24", "y"]
    assert misread_scalars(files.dump([{"a": "088000", "b": "1e24", "c": "y"}])) == []


def test_kustomization_lists_what_the_directory_holds():
    assert files.kustomization(False, []) is None
    assert files.kustomization(False, [{"x": 1}]) == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [files.SLICES]}
    assert files.kustomization(True, []) == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [files.NODE], "patches": [{"path": files.METADATA_PATCH}]}
