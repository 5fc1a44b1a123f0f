"""The module against the test API server (in-process runs): removal, >128 devices, ownership,
conflicts, RBAC errors, and the authentication variants of kubernetes.core."""
import pytest

from k8s_helpers import node_of, records, run_module, slices_of, validate

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.plan import (
    OWNED_LABELS, OWNED_RESOURCES)


def gpus():
    return [r for r in records("h100_8gpu") if r["type"] == "gpu"]


def test_removing_devices_bumps_generation_and_cleans_up(server, params):
    res = run_module(dict(params, devices=gpus()))
    assert res["changed"] and not res["failed"], res
    res = run_module(dict(params, devices=gpus()[:6]), diff=True)
    assert res["changed"], res
    assert res["diff"]["before"]["labels"]["openaccel.io/gpu.count"] == "8"
    assert res["diff"]["after"]["labels"]["openaccel.io/gpu.count"] == "6"
    node = node_of(server, params["node"])
    assert node["status"]["capacity"]["openaccel.io/gpu-nvidia-h100"] == "6"
    [slice_] = slices_of(server, params["node"])
    assert len(slice_["spec"]["devices"]) == 6
    assert slice_["spec"]["pool"]["generation"] == 2
    assert not run_module(dict(params, devices=gpus()[:6]))["changed"]

    res = run_module(dict(params, state="absent"))
    assert res["changed"], res
    node = node_of(server, params["node"])
    assert not [k for k in node["metadata"]["labels"] if k.startswith("openaccel.io/")
                or k.startswith("feature.node.kubernetes.io/")]
    assert "openaccel.io/gpu-nvidia-h100" not in node["status"]["capacity"]
    assert OWNED_LABELS not in node["metadata"].get("annotations", {})
    assert OWNED_RESOURCES not in node["metadata"].get("annotations", {})
    assert node["metadata"]["labels"]["team.example.com/owner"] == "ml-infra"
    assert node["status"]["capacity"]["cpu"] == "64"
    assert slices_of(server, params["node"]) == []
    assert not run_module(dict(params, state="absent"))["changed"]


def test_more_than_128_devices_split_into_slices(server, params):
    devices = records("big_host")
    args = dict(params, devices=devices, types=[], include_virtual_functions=True)
    res = run_module(args)
    assert res["device_count"] == len(devices) > 128
    slices = slices_of(server, params["node"])
    assert [len(s["spec"]["devices"]) for s in slices] == [128, len(devices) - 128]
    for slice_ in slices:
        assert slice_["spec"]["pool"] == {"name": params["node"], "generation": 1,
                                          "resourceSliceCount": 2}
        assert not validate(server.version, "ResourceSlice", slice_)
    names = [d["name"] for s in slices for d in s["spec"]["devices"]]
    assert len(set(names)) == len(names)
    assert not run_module(args)["changed"]

    res = run_module(dict(args, max_devices_per_slice=50))
    assert [s["devices"] for s in res["resource_slices"]] == [50, 50, 50, 50, len(devices) - 200]
    assert set(s["spec"]["pool"]["generation"] for s in slices_of(server, params["node"])) == {2}

    res = run_module(dict(args, include_virtual_functions=False))
    [slice_] = slices_of(server, params["node"])
    assert slice_["spec"]["pool"] == {"name": params["node"], "generation": 3,
                                      "resourceSliceCount": 1}
    assert "delete resourceslice %s-accel.openaccel.io-4" % params["node"] in res["actions"]


def test_foreign_labels_and_resources_are_never_touched(server, node_name):
    foreign = {"feature.node.kubernetes.io/pci-0302_10de.present": "true",
               "openaccel.io/gpu.product": "set-by-hand", "nvidia.com/gpu.count": "8"}
    server.add_node(node_name, labels=foreign,
                    capacity={"cpu": "64", "memory": "512Gi", "pods": "110", "nvidia.com/gpu": "8",
                              "openaccel.io/gpu-nvidia-h100": "3"})
    params = {"node": node_name, "kubeconfig": server.kubeconfig("admin"), "devices": gpus()}
    res = run_module(params)
    assert not res["failed"], res
    node = node_of(server, node_name)
    for key, value in foreign.items():
        assert node["metadata"]["labels"][key] == value
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "8"
    assert node["status"]["capacity"]["openaccel.io/gpu-nvidia-h100"] == "3"
    assert set(res["foreign"]) == {"feature.node.kubernetes.io/pci-0302_10de.present",
                                   "openaccel.io/gpu.product", "openaccel.io/gpu-nvidia-h100"}
    assert any("openaccel.io/gpu.product" in w for w in res["warnings"])
    assert not any("pci-0302_10de" in w for w in res["warnings"])  # same value: no warning
    owned = node["metadata"]["annotations"][OWNED_LABELS].split(",")
    assert "openaccel.io/gpu.count" in owned and "openaccel.io/gpu.product" not in owned
    res = run_module(dict(params, state="absent"))
    node = node_of(server, node_name)
    for key, value in foreign.items():
        assert node["metadata"]["labels"][key] == value
    assert node["status"]["capacity"]["openaccel.io/gpu-nvidia-h100"] == "3"


def test_conflicts_are_retried(server, params):
    server.conflicts[("nodes", params["node"])] = 2
    res = run_module(dict(params, devices=gpus()))
    assert not res["failed"], res
    assert res["conflicts_retried"] == 2
    assert [r["code"] for r in server.log if r["method"] == "PATCH"
            and params["node"] in r["path"]].count(409) == 2
    slice_name = res["resource_slices"][0]["name"]
    server.conflicts[("resourceslices", slice_name)] = 1
    res = run_module(dict(params, devices=gpus()[:4]))
    assert not res["failed"] and res["conflicts_retried"] == 1, res
    assert slices_of(server, params["node"])[0]["spec"]["pool"]["generation"] == 2

    server.conflicts[("nodes", params["node"])] = 50
    res = run_module(dict(params, devices=gpus()[:2], retries=2))
    server.conflicts[("nodes", params["node"])] = 0
    assert res["failed"] and "still conflicting after 2 retries" in res["msg"], res
    # the partial result: three tries, all conflicting, so nothing written
    assert res["conflicts_retried"] == 3 and not res["changed"], res
    assert res["actions"], res


@pytest.mark.parametrize("grants, verb, resource", [
    ({"get nodes"}, "patch", "nodes"),
    ({"get nodes", "patch nodes"}, "patch", "nodes/status"),
    ({"get nodes", "patch nodes", "patch nodes/status"}, "list", "resourceslices"),
    ({"get nodes", "patch nodes", "patch nodes/status", "list resourceslices"},
     "create", "resourceslices"),
])
def test_forbidden_names_verb_and_resource(server, params, grants, verb, resource):
    user = server.add_user("limited-%s-%s" % (verb, resource.replace("/", "-")), grants)
    res = run_module(dict(params, devices=gpus(), kubeconfig=server.kubeconfig(user)))
    assert res["failed"] and res["status"] == 403, res
    assert "may not '%s' on resource '%s'" % (verb, resource) in res["msg"]
    assert "docs/k8s-clusterrole.yaml" in res["msg"]
    # the node writes allowed before the refusal are reported
    assert res["changed"] is (resource != "nodes"), res


def test_check_mode_needs_only_read_access(server, params):
    user = server.add_user("reader", {"get nodes", "list resourceslices"})
    res = run_module(dict(params, devices=gpus(), kubeconfig=server.kubeconfig(user)),
                     check_mode=True, diff=True)
    assert res["changed"] and not res["failed"], res
    assert "create resourceslice %s-accel.openaccel.io-0" % params["node"] in res["actions"]
    assert res["diff"]["after"]["capacity"] == {"openaccel.io/gpu-nvidia-h100": "8"}


def test_missing_node_and_unreachable_server(server, params):
    res = run_module(dict(params, node="no-such-node", devices=gpus()))
    assert res["failed"] and "does not exist in the cluster" in res["msg"]
    res = run_module({"node": params["node"], "host": "https://127.0.0.1:9", "api_key": "x",
                      "ca_cert": server.pki.ca_file, "devices": gpus()})
    assert res["failed"] and "cannot reach the Kubernetes API" in res["msg"]


def test_auth_client_certificate_and_env(server, params, monkeypatch):
    cert, key = server.pki.client("cert-user")
    server.add_user("cert-user", {"*"})
    res = run_module(dict(params, devices=gpus(),
                          kubeconfig=server.kubeconfig("cert-user", client_cert=(cert, key))))
    assert res["changed"] and not res["failed"], res
    assert any(r["user"] == "cert-user" for r in server.log)

    server.add_user("env-user", {"*"}, token="env-token")
    for var, value in (("K8S_AUTH_HOST", server.url), ("K8S_AUTH_API_KEY", "env-token"),
                       ("K8S_AUTH_SSL_CA_CERT", server.pki.ca_file)):
        monkeypatch.setenv(var, value)
    res = run_module({"node": params["node"], "devices": gpus()})
    assert not res["failed"] and not res["changed"], res
    assert server.log[-1]["user"] == "env-user"

    res = run_module({"node": params["node"], "devices": gpus(), "validate_certs": False,
                      "ca_cert": None})
    assert not res["failed"], res
    monkeypatch.delenv("K8S_AUTH_SSL_CA_CERT")
    res = run_module({"node": params["node"], "devices": gpus()})
    assert res["failed"] and "certificate" in res["msg"].lower(), res

    server.basic[("alice", "s3cret")] = "alice"
    server.add_user("alice", {"*"})
    monkeypatch.delenv("K8S_AUTH_API_KEY")
    res = run_module({"node": params["node"], "devices": gpus(), "username": "alice",
                      "password": "s3cret", "ca_cert": server.pki.ca_file})
    assert not res["failed"], res
    assert server.log[-1]["user"] == "alice"


def test_publish_subset_leaves_other_kinds_alone(server, params):
    run_module(dict(params, devices=gpus()))
    res = run_module(dict(params, devices=gpus()[:1], publish=["resource_slices"]))
    assert res["changed"]
    node = node_of(server, params["node"])
    assert node["metadata"]["labels"]["openaccel.io/gpu.count"] == "8"
    assert node["status"]["capacity"]["openaccel.io/gpu-nvidia-h100"] == "8"
    assert len(slices_of(server, params["node"])[0]["spec"]["devices"]) == 1


def test_invalid_options_fail_before_any_call(server, params):
    before = len(server.log)
    res = run_module(dict(params, devices=gpus(), driver_name="Not_A_Domain"))
    assert res["failed"] and "driver_name" in res["msg"]
    res = run_module(dict(params, devices=gpus(), resource_prefix="kubernetes.io"))
    assert res["failed"] and "resource_prefix" in res["msg"]
    res = run_module(dict(params, devices=[{"type": "gpu"}]))
    assert res["failed"] and "address" in res["msg"]
    assert len(server.log) == before
