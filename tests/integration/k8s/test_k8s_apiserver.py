"""The test API server itself: it must refuse what a real one refuses, or the other tests
prove nothing. Runs against 1.34 and 1.35. Invalid bodies go out as raw HTTPS requests, since
recent kubernetes clients check some of them (pydantic) before sending."""
import copy
import json

import pytest
import requests

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.client import (
    K8sClient, K8sError)

STRATEGIC = "application/strategic-merge-patch+json"


def _slice(node, name="s-0", devices=None):
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "test"}},
            "spec": {"driver": "gpu.example.com", "nodeName": node,
                     "pool": {"name": node, "generation": 1, "resourceSliceCount": 1},
                     "devices": devices if devices is not None else [
                         {"name": "gpu-0", "attributes": {"model": {"string": "h100"}},
                          "capacity": {"memory": {"value": "80Gi"}}}]}}


@pytest.fixture
def client(any_server, node_name):
    any_server.add_node(node_name)
    return K8sClient({"kubeconfig": any_server.kubeconfig("admin")})


def _fails(call, status, text):
    with pytest.raises(K8sError) as info:
        call()
    assert info.value.status == status, str(info.value)
    assert text in str(info.value), str(info.value)


BAD_SLICES = [
    ("129 devices", lambda s: s["spec"].update(devices=[{"name": "d%d" % i} for i in range(129)]),
     422, "must have at most 128"),
    ("33 attributes", lambda s: s["spec"]["devices"][0]["attributes"].update(
        ("a%d" % i, {"int": i}) for i in range(32)), 422, "must not exceed 32"),
    ("long string", lambda s: s["spec"]["devices"][0]["attributes"].update(
        x={"string": "y" * 65}), 422, "Too long"),
    ("bad version", lambda s: s["spec"]["devices"][0]["attributes"].update(
        v={"version": "535.129.03"}), 422, "semver"),
    ("two values", lambda s: s["spec"]["devices"][0]["attributes"].update(
        v={"int": 1, "bool": True}), 422, "exactly one value"),
    ("device name", lambda s: s["spec"]["devices"][0].update(name="GPU_0"), 422, "RFC 1123"),
    ("duplicate device", lambda s: s["spec"]["devices"].append(
        copy.deepcopy(s["spec"]["devices"][0])), 422, "Duplicate"),
    ("attribute name", lambda s: s["spec"]["devices"][0]["attributes"].update(
        {"a/b/c": {"int": 1}}), 422, "more than one slash"),
    ("no node selection", lambda s: s["spec"].pop("nodeName"), 422, "exactly one of"),
    ("slice count", lambda s: s["spec"]["pool"].update(resourceSliceCount=0), 422,
     "greater than zero"),
    ("driver", lambda s: s["spec"].update(driver="-bad-"), 422, "RFC 1123"),
    ("unknown field", lambda s: s["spec"].update(colour="blue"), 400, "unknown field"),
    ("wrong type", lambda s: s["spec"]["pool"].update(generation="1"), 400, "expected integer"),
    ("missing pool", lambda s: s["spec"].pop("pool"), 400, "required field 'pool'"),
    ("bad quantity", lambda s: s["spec"]["devices"][0]["capacity"].update(
        memory={"value": "80 GB"}), 400, "quantities must match"),
]


def raw(server, method, path, body, content_type="application/json", token="admin-token"):
    response = requests.request(method, server.url + path, data=json.dumps(body),
                                headers={"Authorization": "Bearer " + token,
                                         "Content-Type": content_type},
                                verify=server.pki.ca_file, timeout=10)
    return response.status_code, response.json()


@pytest.mark.parametrize("mutate, status, text", [b[1:] for b in BAD_SLICES],
                         ids=[b[0] for b in BAD_SLICES])
def test_invalid_slices_are_refused(any_server, client, node_name, mutate, status, text):
    body = _slice(node_name)
    mutate(body)
    code, answer = raw(any_server, "POST", "/apis/resource.k8s.io/v1/resourceslices", body)
    assert code == status and answer["kind"] == "Status", answer
    assert text in answer["message"], answer["message"]
    assert not any_server.store.objects["resourceslices"]


def test_valid_slice_and_media_types(any_server, client, node_name):
    path = "/apis/resource.k8s.io/v1/resourceslices"
    code, answer = raw(any_server, "POST", path, _slice(node_name, "ok-0"))
    assert code == 201, answer
    code, answer = raw(any_server, "PATCH", path + "/ok-0", {"spec": {}},
                       "application/apply-patch+yaml")
    assert code == 415
    code, answer = raw(any_server, "PATCH", path + "/ok-0", {"metadata": {"labels": {"x": "1"}}},
                       "application/merge-patch+json")
    assert code == 200 and answer["metadata"]["labels"]["x"] == "1"
    code, answer = raw(any_server, "PATCH", path + "/ok-0",
                       [{"op": "replace", "path": "/spec/pool/generation", "value": -1}],
                       "application/json-patch+json")
    assert code == 422 and "greater than or equal to zero" in answer["message"]
    code, _answer = raw(any_server, "DELETE", path + "/ok-0",
                        {"kind": "DeleteOptions", "apiVersion": "v1"})
    assert code == 200


def test_slice_lifecycle(any_server, client, node_name):
    created = client.create_slice(_slice(node_name))
    assert created["spec"]["devices"][0]["capacity"]["memory"]["value"] == "80Gi"
    _fails(lambda: client.create_slice(_slice(node_name)), 409, "already exists")
    stale = copy.deepcopy(created)
    created["spec"]["pool"]["generation"] = 2
    updated = client.replace_slice(created)
    assert updated["metadata"]["generation"] == 2
    _fails(lambda: client.replace_slice(stale), 409, "has been modified")
    changed = copy.deepcopy(updated)
    changed["spec"]["pool"]["name"] = "other"
    _fails(lambda: client.replace_slice(changed), 422, "immutable")
    found = client.list_slices(node_name, "app.kubernetes.io/managed-by=test")
    assert [s["metadata"]["name"] for s in found] == ["s-0"]
    assert client.list_slices(node_name, "app.kubernetes.io/managed-by=other") == []
    _fails(lambda: client.delete_slice("s-0", "1"), 409, "Precondition failed")
    client.delete_slice("s-0", updated["metadata"]["resourceVersion"])
    _fails(lambda: client.get_slice("s-0"), 404, "not found")


def test_node_patches(any_server, client, node_name):
    node = client.get_node(node_name)
    rv = node["metadata"]["resourceVersion"]
    out = client.core.patch_node(node_name, {"metadata": {"labels": {"a.example.com/x": "1"}}},
                                 _content_type=STRATEGIC, _preload_content=False)
    assert out.status == 200
    node = client.get_node(node_name)
    assert node["metadata"]["labels"]["a.example.com/x"] == "1"
    _fails(lambda: client.patch_node(node_name, {"metadata": {"resourceVersion": rv,
                                                              "labels": {"b": "2"}}}),
           409, "has been modified")
    _fails(lambda: client.patch_node(node_name, {"metadata": {"labels": {"b": "not valid!"}}}),
           422, "valid label")
    out = client.patch_node_status(node_name, [
        {"op": "add", "path": "/status/capacity/example.com~1dongle", "value": "4"}])
    assert out["status"]["capacity"]["example.com/dongle"] == "4"
    _fails(lambda: client.patch_node_status(node_name, [
        {"op": "remove", "path": "/status/capacity/example.com~1missing"}]), 422, "nonexistent")
    _fails(lambda: client.patch_node_status(node_name, [
        {"op": "add", "path": "/status/capacity/example.com~1half", "value": "500m"}]),
        422, "must be an integer")
    _fails(lambda: client.patch_node_status(node_name, [{"op": "jump", "path": "/x"}]),
           400, "unexpected JSON patch op")
    conditions = client.core.patch_node_status(
        node_name, {"status": {"conditions": [{"type": "Example", "status": "True"}]}},
        _content_type=STRATEGIC, _preload_content=False)
    assert conditions.status == 200
    types = [c["type"] for c in client.get_node(node_name)["status"]["conditions"]]
    assert types == ["Ready", "Example"]   # merged by the patch merge key "type"
    out = client.patch_node(node_name, {"status": {"capacity": {"cpu": "1"}}})
    assert out["status"]["capacity"]["cpu"] == "64"   # status only changes through /status


def test_rbac_and_authentication(any_server, node_name):
    any_server.add_node(node_name)
    reader = any_server.add_user("reader-" + node_name, {"get nodes"})
    client = K8sClient({"kubeconfig": any_server.kubeconfig(reader)})
    assert client.get_node(node_name)["metadata"]["name"] == node_name
    with pytest.raises(K8sError) as info:
        client.patch_node_status(node_name, [])
    assert info.value.status == 403
    assert 'cannot patch resource "nodes/status"' in str(info.value)
    nobody = K8sClient({"host": any_server.url, "api_key": "wrong",
                        "ca_cert": any_server.pki.ca_file})
    _fails(lambda: nobody.get_node(node_name), 401, "Unauthorized")
