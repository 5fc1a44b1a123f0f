"""Manifest mode (validated against the same OpenAPI documents and applied to a test server,
giving the same objects as API mode) and the node-feature-discovery feature file."""
import os

import pytest
import yaml

from k8s_helpers import node_of, records, run_module, slices_of, validate

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.client import K8sClient


def fpgas():
    return records("d5005_dfl") + records("alveo_u200")


def _load(path):
    with open(path) as handle:
        return [d for d in yaml.safe_load_all(handle) if d is not None]


def _apply_manifests(server, node, directory):
    """What kubectl patch / apply would do with the files, through the official client."""
    client = K8sClient({"kubeconfig": server.kubeconfig("admin")})
    base = os.path.join(directory, node)
    meta = os.path.join(base, "node-metadata.patch.yaml")
    if os.path.exists(meta):
        client.patch_node(node, _load(meta)[0])
    status = os.path.join(base, "node-status.patch.yaml")
    if os.path.exists(status):
        client.core.patch_node_status(node, _load(status)[0],
                                      _content_type="application/merge-patch+json")
    wanted = {}
    if os.path.exists(os.path.join(base, "resourceslices.yaml")):
        wanted = dict((s["metadata"]["name"], s)
                      for s in _load(os.path.join(base, "resourceslices.yaml")))
    for old in slices_of(server, node):
        if old["metadata"]["name"] not in wanted:
            client.delete_slice(old["metadata"]["name"])
    for name, body in wanted.items():
        current = [s for s in slices_of(server, node) if s["metadata"]["name"] == name]
        if current:
            body["metadata"]["resourceVersion"] = current[0]["metadata"]["resourceVersion"]
            client.replace_slice(body)
        else:
            client.create_slice(body)


def _published(server, node):
    obj = node_of(server, node)
    labels = dict((k, v) for k, v in obj["metadata"]["labels"].items()
                  if k.startswith(("openaccel.io/", "feature.node.kubernetes.io/")))
    caps = dict((k, v) for k, v in obj["status"]["capacity"].items() if "openaccel" in k)
    slices = [(s["metadata"]["name"], s["spec"]) for s in slices_of(server, node)]
    return labels, caps, obj["metadata"].get("annotations"), slices


@pytest.mark.parametrize("version", ["1.34", "1.35"])
def test_manifests_match_api_mode(tmp_path, version, node_name):
    from tests.k8s_apiserver import K8sTestServer
    api_server = K8sTestServer(str(tmp_path / "api"), version).start()
    file_server = K8sTestServer(str(tmp_path / "files"), version).start()
    try:
        for srv in (api_server, file_server):
            srv.add_node(node_name)
        out = str(tmp_path / "manifests")
        steps = [fpgas(), fpgas()[:2], []]
        for devices in steps:
            res = run_module({"node": node_name, "devices": devices,
                              "kubeconfig": api_server.kubeconfig()})
            assert not res["failed"], res
            res = run_module({"node": node_name, "devices": devices, "target": "manifests",
                              "manifest_dir": out}, diff=True)
            assert res["changed"] and not res["failed"], res
            assert not run_module({"node": node_name, "devices": devices, "target": "manifests",
                                   "manifest_dir": out})["changed"]
            base = os.path.join(out, node_name)
            if os.path.exists(os.path.join(base, "resourceslices.yaml")):
                for slice_ in _load(os.path.join(base, "resourceslices.yaml")):
                    assert not validate(version, "ResourceSlice", slice_), slice_
            _apply_manifests(file_server, node_name, out)
            assert _published(file_server, node_name) == _published(api_server, node_name)
        assert not os.path.exists(os.path.join(out, node_name, "resourceslices.yaml"))
    finally:
        api_server.stop()
        file_server.stop()


def test_manifest_content_and_removals(tmp_path):
    out = str(tmp_path)
    args = {"node": "gpu-1", "devices": records("h100_8gpu"), "target": "manifests",
            "manifest_dir": out}
    res = run_module(args, check_mode=True)
    assert res["changed"] and not os.path.exists(os.path.join(out, "gpu-1"))
    run_module(args)
    meta = _load(os.path.join(out, "gpu-1", "node-metadata.patch.yaml"))[0]
    assert meta["metadata"]["labels"]["openaccel.io/gpu.count"] == "8"
    [slice_] = _load(os.path.join(out, "gpu-1", "resourceslices.yaml"))
    assert slice_["spec"]["pool"]["generation"] == 1
    run_module(dict(args, types=["fpga"]))
    meta = _load(os.path.join(out, "gpu-1", "node-metadata.patch.yaml"))[0]
    assert meta["metadata"]["labels"]["openaccel.io/gpu.count"] is None
    status = _load(os.path.join(out, "gpu-1", "node-status.patch.yaml"))[0]
    assert status["status"]["capacity"] == {"openaccel.io/gpu-nvidia-h100": None}
    assert not os.path.exists(os.path.join(out, "gpu-1", "resourceslices.yaml"))
    assert not run_module(dict(args, types=["fpga"]))["changed"]
    assert not [f for f in os.listdir(os.path.join(out, "gpu-1")) if f.startswith(".")]


def test_nfd_feature_file(tmp_path):
    args = {"node": "fpga-1", "devices": fpgas(), "target": "nfd_feature_file",
            "nfd_features_dir": str(tmp_path / "features.d")}
    res = run_module(args, check_mode=True, diff=True)
    assert res["changed"] and not (tmp_path / "features.d").exists()
    assert "openaccel.io/fpga.count=5" in res["diff"][0]["after"]
    res = run_module(args)
    path = tmp_path / "features.d" / "openaccel-cyborg"
    lines = path.read_text().splitlines()
    assert "pci-1200_10ee.present=true" in lines           # NFD adds its own prefix
    assert "openaccel.io/fpga.count=5" in lines
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert os.listdir(str(tmp_path / "features.d")) == ["openaccel-cyborg"]
    assert not run_module(args)["changed"]
    res = run_module(dict(args, publish=["labels", "resource_slices"]))
    assert res["failed"] and "labels only" in res["msg"]
    assert run_module(dict(args, state="absent"))["changed"]
    assert not path.exists()
