"""Manifest mode for GitOps tools: every file reads back as written in YAML 1.1/Go readers and
the real kubectl, a node directory builds with ``kubectl kustomize`` into the intended objects,
and the standard pcieRoot attribute lets a claim align a GPU and a NIC."""
import copy
import os
import re
import textwrap

import pytest
import yaml

from k8s_helpers import ROOT, records, run_module, validate

from tests.unit.plugins.module_utils._k8s.yaml_readers import (
    KUBECTL, kubectl_kustomize, kubectl_read, misread_scalars)

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import files

needs_kubectl = pytest.mark.skipif(not KUBECTL, reason="kubectl is not installed")


def _tricky():
    """A device whose strings look like numbers or bools to Go readers."""
    [dsa] = records("dsa_spr")            # class code 088000: a float for Go
    rec = copy.deepcopy(dsa)
    rec.update(address="0000:6b:01.0", product_label="1e24", product="0x1F", function="y",
               class_code="088000", pcie_root="pci0000:6b")
    return rec


def _devices():
    return records("h100_8gpu") + records("dsa_spr") + [_tricky()]


def _load(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def _intended(base):
    """The objects the directory means: the Node after its patch, and the slices."""
    objects = []
    meta = os.path.join(base, files.METADATA_PATCH)
    if os.path.exists(meta):
        [patch] = _load(meta)
        node = _load(os.path.join(base, files.NODE))[0]
        for key in ("labels", "annotations"):
            merged = dict(node["metadata"].get(key) or {})
            merged.update(patch["metadata"].get(key) or {})
            merged = dict((k, v) for k, v in merged.items() if v is not None)
            if key in patch["metadata"] or key in node["metadata"]:
                node["metadata"][key] = merged      # kustomize keeps an emptied map as {}
        objects.append(node)
    slices = os.path.join(base, files.SLICES)
    if os.path.exists(slices):
        objects.extend(_load(slices))
    return sorted(objects, key=lambda o: (o["kind"], o["metadata"]["name"]))


def _check_files(base, version):
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name)
        with open(path) as handle:
            text = handle.read()
        assert misread_scalars(text) == [], (name, misread_scalars(text))
        if KUBECTL and name != files.KUSTOMIZATION:
            assert kubectl_read(path) == _load(path), name
    if KUBECTL and os.path.exists(os.path.join(base, files.SLICES)):
        for slice_ in kubectl_read(os.path.join(base, files.SLICES)):
            assert not validate(version, "ResourceSlice", slice_), slice_


@pytest.mark.parametrize("version", ["1.34", "1.35"])
def test_every_file_reads_back_identically(tmp_path, version):
    args = {"node": "n1", "devices": _devices(), "types": ["gpu", "nic", "dsa"],
            "target": "manifests", "manifest_dir": str(tmp_path)}
    assert run_module(args)["changed"]
    base = str(tmp_path / "n1")
    text = (tmp_path / "n1" / files.SLICES).read_text()
    assert "'088000'" in text and "'1e24'" in text
    _check_files(base, version)
    for slice_ in _load(os.path.join(base, files.SLICES)):
        assert not validate(version, "ResourceSlice", slice_)


@needs_kubectl
def test_node_directory_builds_with_kustomize(tmp_path):
    args = {"node": "n1", "devices": _devices(), "types": ["gpu", "nic", "dsa"],
            "target": "manifests", "manifest_dir": str(tmp_path)}
    base = str(tmp_path / "n1")
    steps = [{}, {"types": ["dsa"]}, {"publish": ["resource_slices"]}, {"state": "absent"}]
    for step in steps:
        res = run_module(dict(args, **step))
        assert not res["failed"], res
        assert not run_module(dict(args, **step))["changed"]
        if not os.path.exists(os.path.join(base, files.KUSTOMIZATION)):
            break
        _check_files(base, "1.35")
        kust = _load(os.path.join(base, files.KUSTOMIZATION))[0]
        assert set(kust["resources"]) | set(p["path"] for p in kust.get("patches", [])) <= set(
            os.listdir(base))
        built = sorted(kubectl_kustomize(base), key=lambda o: (o["kind"], o["metadata"]["name"]))
        assert built == _intended(base)
        nodes = [o for o in built if o["kind"] == "Node"]
        for node in nodes:
            assert node["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] \
                == "disabled"
            assert "status" not in node
    # absent: the directory keeps the removals (null in the patch), so that applying it takes
    # our labels and annotations off the node; it no longer lists slices
    assert [o["kind"] for o in built] == ["Node"]
    assert built[0]["metadata"]["labels"] == {}
    assert sorted(built[0]["metadata"]["annotations"]) == sorted(files.NODE_ANNOTATIONS)


def _docs_claim():
    with open(os.path.join(ROOT, "docs", "docsite", "rst", "kubernetes.rst")) as handle:
        text = handle.read()
    blocks = re.findall(r"^\.\. code-block:: yaml\n\n((?:   .*\n|\n)+)", text, re.M)
    docs = [d for block in blocks for d in yaml.safe_load_all(textwrap.dedent(block))
            if isinstance(d, dict) and d.get("kind") in ("ResourceClaim", "DeviceClass")]
    return docs


def test_gpu_and_nic_under_one_pcie_root(tmp_path):
    res = run_module({"node": "n1", "devices": records("h100_8gpu"), "types": ["gpu", "nic"],
                      "target": "manifests", "manifest_dir": str(tmp_path)})
    assert not res["failed"], res
    slices = _load(str(tmp_path / "n1" / files.SLICES))
    for version in ("1.34", "1.35"):
        for slice_ in slices:
            assert not validate(version, "ResourceSlice", slice_)
    # the documented claim validates against the official schema ...
    docs = _docs_claim()
    [claim] = [d for d in docs if d["kind"] == "ResourceClaim"]
    for version in ("1.34", "1.35"):
        for doc in docs:
            assert not validate(version, "io.k8s.api.resource.v1." + doc["kind"], doc), doc
    [constraint] = claim["spec"]["devices"]["constraints"]
    assert constraint["matchAttribute"] == "resource.kubernetes.io/pcieRoot"
    # ... and can be satisfied: a GPU and a NIC share a root (matchAttribute semantics)
    by_root = {}
    for dev in (d for s in slices for d in s["spec"]["devices"]):
        attrs = dev["attributes"]
        root = attrs.get("resource.kubernetes.io/pcieRoot")
        if root:
            by_root.setdefault(root["string"], set()).add(attrs["type"]["string"])
    assert any({"gpu", "nic"} <= types for types in by_root.values()), by_root
