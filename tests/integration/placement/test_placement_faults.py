"""Faults against a real Placement: concurrent writers, outages, 5xx, allocations, strangers."""
import time
import uuid

from tests.integration.placement.placement_helpers import run_module

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.http import (
    PlacementClient,
)
from tests.servers.flaky_proxy import FlakyProxy


def _args(url, node, devices, **kw):
    return dict({"endpoint": url, "token": "admin", "compute_node": node, "create_root": True,
                 "devices": devices, "retries": 2}, **kw)


class HookedClient(PlacementClient):
    """PlacementClient that calls before(method, path) / after(method, path) around calls."""

    def __init__(self, adapter, before=None, after=None, **kw):
        kw.setdefault("retry_delay", 0.05)
        super().__init__(adapter, **kw)
        self.before, self.after = before, after

    def request(self, method, path, body=None, ok=(200,), allow=()):
        if self.before:
            self.before(method, path)
        out = super().request(method, path, body=body, ok=ok, allow=allow)
        if self.after:
            self.after(method, path)
        return out


def _hooked(before=None, after=None, retries=2):
    return lambda adapter, params: HookedClient(adapter, before=before, after=after,
                                                retries=retries)


def test_concurrent_writer_bumps_generation(placement, api, node, devices):
    assert not run_module(_args(placement.url, node, devices))["failed"]
    bumped = set()

    def intruder(method, path):
        # Another client writes to the provider between our read and our write.
        if method == "PUT" and path.startswith("/resource_providers/") and path not in bumped:
            bumped.add(path)
            rp = path.split("/")[2]
            cur = api.get("/resource_providers/%s/traits" % rp)
            status, _body = api.call("PUT", "/resource_providers/%s/traits" % rp, {
                "resource_provider_generation": cur["resource_provider_generation"],
                "traits": cur["traits"] + ["CUSTOM_INTRUDER"]})
            assert status == 200

    api.call("PUT", "/traits/CUSTOM_INTRUDER")
    overrides = [{"match": {"type": "gpu"}, "traits": ["CUSTOM_GPU_TEAM_A"], "reserved": 1}]
    res = run_module(_args(placement.url, node, devices, overrides=overrides),
                     client_factory=_hooked(before=intruder))
    assert not res["failed"], res
    assert res["api_calls"]["retries"] >= 8          # 8 GPUs, each hit at least once
    assert len(res["providers"]["update"]) == 8
    tree = api.tree(node)
    for name, rp in tree.items():
        if "CUSTOM_GPU_NVIDIA" in rp["traits"]:
            assert "CUSTOM_GPU_TEAM_A" in rp["traits"]
            assert rp["inventories"]["PGPU"]["reserved"] == 1
    # The intruder's last trait write landed after ours: the next run heals that drift ...
    drifted = [n for n, rp in tree.items() if "CUSTOM_INTRUDER" in rp["traits"]]
    healed = run_module(_args(placement.url, node, devices, overrides=overrides))
    assert sorted(healed["providers"]["update"]) == sorted(drifted)
    assert healed["api_calls"]["writes"] == len(drifted)
    assert not any("CUSTOM_INTRUDER" in rp["traits"] for rp in api.tree(node).values())
    # ... and the one after is a no-op.
    again = run_module(_args(placement.url, node, devices, overrides=overrides))
    assert again["changed"] is False and again["api_calls"]["writes"] == 0


def test_server_stopped_mid_run_then_restarted(placement, api, node, devices):
    posts = []

    def stop_after_fifth_create(method, path):
        if method == "POST" and path == "/resource_providers":
            posts.append(path)
            if len(posts) == 6:                      # root + 5 devices created
                placement.stop()                    # dies between POST and the traits PUT

    t0 = time.time()
    try:
        res = run_module(_args(placement.url, node, devices),
                         client_factory=_hooked(after=stop_after_fifth_create))
    finally:
        if not placement.running:
            placement.start()
    assert res["failed"]
    assert "cannot reach Placement" in res["msg"] and "gave up after 3 attempts" in res["msg"]
    assert time.time() - t0 < 20
    half = api.tree(node)
    assert 0 < len(half) < 21
    res = run_module(_args(placement.url, node, devices))
    assert not res["failed"], res
    assert res["changed"]
    tree = api.tree(node)
    assert len(tree) == 21                          # no orphans, no duplicates
    for rp in tree.values():
        assert "CUSTOM_OPENACCEL_MANAGED" in rp["traits"] and rp["inventories"]
    res = run_module(_args(placement.url, node, devices))
    assert res["changed"] is False and res["api_calls"]["writes"] == 0


def test_connection_refused_is_bounded_and_clear(node, devices):
    from tests.servers.servers import free_port
    url = "http://127.0.0.1:%d" % free_port()
    t0 = time.time()
    res = run_module(_args(url, node, devices, retries=3))
    assert res["failed"]
    assert "cannot reach Placement" in res["msg"] and "gave up after 4 attempts" in res["msg"]
    assert res["api_calls"]["writes"] == 0 and res["api_calls"]["reads"] == 4
    assert time.time() - t0 < 10


def test_5xx_retried_then_converges(placement, api, node, devices):
    proxy = FlakyProxy(placement.url).start()
    try:
        proxy.fail(2, 503)
        res = run_module(_args(proxy.url, node, devices))
        assert not res["failed"], res
        assert res["api_calls"]["retries"] == 2
        assert len(api.tree(node)) == 21
        proxy.fail(-1, 500)                          # the server is broken for good
        res = run_module(_args(proxy.url, node, devices, retries=2))
        assert res["failed"]
        assert "Placement answered 500" in res["msg"] and "gave up after 3 attempts" in res["msg"]
    finally:
        proxy.stop()


def test_allocation_held_keeps_and_drains(placement, api, node, devices):
    assert not run_module(_args(placement.url, node, devices))["failed"]
    victim = node + "_0000:db:00.0"
    rp = api.find(victim)
    consumer = str(uuid.uuid4())
    status, body = api.call("PUT", "/allocations/%s" % consumer, {
        "allocations": {rp["uuid"]: {"resources": {"PGPU": 1}}},
        "project_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()),
        "consumer_generation": None}, version="1.28")
    assert status == 204, body
    remaining = [d for d in devices if d["address"] != "0000:db:00.0"]

    res = run_module(_args(placement.url, node, remaining))
    assert not res["failed"], res
    assert res["providers"]["drain"] == [victim]
    assert any(consumer in w for w in res["warnings"]), res["warnings"]
    inv = api.tree(node)[victim]["inventories"]["PGPU"]
    assert inv["reserved"] == inv["total"] == 1
    res = run_module(_args(placement.url, node, remaining))      # stays drained, no writes
    assert res["changed"] is False and res["api_calls"]["writes"] == 0
    assert any(consumer in w for w in res["warnings"])

    status, _body = api.call("DELETE", "/allocations/%s" % consumer)
    assert status == 204
    res = run_module(_args(placement.url, node, remaining))
    assert res["providers"]["delete"] == [victim]
    assert victim not in api.tree(node)


def test_foreign_provider_with_our_name_is_left_alone(placement, api, node, devices):
    # Nova (PCI in Placement) got there first: same name, other UUID, its own traits.
    status, root = api.call("POST", "/resource_providers", {"name": node})
    name = node + "_0000:18:00.0"
    status, foreign = api.call("POST", "/resource_providers", {
        "name": name, "parent_provider_uuid": root["uuid"]})
    assert status == 200
    api.call("PUT", "/traits/CUSTOM_NOVA_PCI")
    api.call("PUT", "/resource_providers/%s/traits" % foreign["uuid"], {
        "resource_provider_generation": 0, "traits": ["COMPUTE_MANAGED_PCI_DEVICE"]})
    before = api.tree(node)[name]

    res = run_module(_args(placement.url, node, devices, create_root=False))
    assert res["failed"]
    assert name in res["msg"] and "not managed by this collection" in res["msg"]
    assert api.tree(node)[name] == before           # untouched
    assert len(res["providers"]["create"]) == 20    # the others were registered anyway
    assert len(api.tree(node)) == 21


def _nova_pci_provider(api, root_uuid, name):
    """A provider as nova-compute's PCI-in-Placement reporting makes it (its own UUID, the
    COMPUTE_MANAGED_PCI_DEVICE trait, one PGPU)."""
    status, rp = api.call("POST", "/resource_providers", {
        "name": name, "parent_provider_uuid": root_uuid})
    assert status == 200, rp
    status, _body = api.call("PUT", "/resource_providers/%s/traits" % rp["uuid"], {
        "resource_provider_generation": 0, "traits": ["COMPUTE_MANAGED_PCI_DEVICE"]})
    assert status == 200
    status, _body = api.call("PUT", "/resource_providers/%s/inventories" % rp["uuid"], {
        "resource_provider_generation": 1, "inventories": {"PGPU": {"total": 1, "max_unit": 1}}})
    assert status == 200
    return rp


def test_nova_provider_named_in_upper_case_is_foreign(placement, api, node, devices):
    # nova/compute/pci_placement_translator.py names providers <hypervisor>_<ADDRESS.upper()>:
    # for an address with hex letters, the name differs from ours only in case
    status, root = api.call("POST", "/resource_providers", {"name": node})
    ours = node + "_0000:2a:00.0"
    novas = node + "_0000:2A:00.0"
    nova = _nova_pci_provider(api, root["uuid"], novas)
    before = api.tree(node)[novas]

    for check_mode in (True, False):
        res = run_module(_args(placement.url, node, devices, create_root=False),
                         check_mode=check_mode)
        assert res["failed"], res
        assert novas in res["msg"] and "another case" in res["msg"], res["msg"]
        assert "nova-compute's own PCI-in-Placement provider" in res["msg"], res["msg"]
        assert ours not in res["providers"]["create"], res["providers"]
        assert len(res["providers"]["create"]) == 20     # the 21 desired, less ours
    tree = api.tree(node)
    assert ours not in tree                            # never a second provider for the device
    assert tree[novas] == before and tree[novas]["uuid"] == nova["uuid"]
    assert len(tree) == 21


def test_nova_provider_of_a_pf_holds_its_vfs(placement, api, node, devices):
    # Nova counts the VFs of a PF in one provider named after the PF: with per_vf, our VF
    # providers would report the same VFs a second time
    status, root = api.call("POST", "/resource_providers", {"name": node})
    novas = node + "_0000:3D:00.0"
    _nova_pci_provider(api, root["uuid"], novas)
    res = run_module(_args(placement.url, node, devices, create_root=False,
                           sriov_mode="per_vf"))
    assert res["failed"], res
    vfs = [node + "_0000:3d:01.%d" % i for i in range(4)]
    for name in vfs:
        assert name in res["msg"] and name not in api.tree(node), name
    assert "after its physical function" in res["msg"], res["msg"]
    assert not set(vfs) & set(res["providers"]["create"])


def test_twin_run_that_created_our_provider_first_converges(placement, api, node, devices):
    # Two runs for one host race: the twin creates a provider between our read and our create.
    assert not run_module(_args(placement.url, node, devices[:1]))["failed"]
    twin_done = []

    def twin(method, path):
        if method == "POST" and path == "/resource_providers" and not twin_done:
            twin_done.append(True)
            res = run_module(_args(placement.url, node, devices[:3]))
            assert not res["failed"], res

    res = run_module(_args(placement.url, node, devices[:3]), client_factory=_hooked(before=twin))
    assert twin_done and not res["failed"], res
    assert sorted(res["providers"]["create"]) == sorted(
        node + "_" + d["address"] for d in devices[1:3])
    again = run_module(_args(placement.url, node, devices[:3]))
    assert not again["failed"] and not again["changed"], again


def test_stranger_holding_our_uuid_still_fails_clearly(placement, api, node, devices):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
        provider_uuid)
    name = node + "_" + devices[0]["address"]
    # the same UUID under another name, outside the tree: not ours to converge
    status, _body = api.call("POST", "/resource_providers", {
        "name": "stranger-" + node, "uuid": provider_uuid(name)})
    assert status == 200
    res = run_module(_args(placement.url, node, devices[:1]))
    assert res["failed"] and "outside the compute node's tree" in res["msg"], res


def test_bad_inputs_rejected_before_any_call(placement, api, node, devices):
    before = api.total_providers()
    cases = [
        ([dict(devices[0], address="0000:18:00")], {}, "bad PCI address"),
        ([dict(devices[0], address="0000:18:00.0")], {"overrides": [
            {"match": {"type": "gpu"}, "resource_class": "GPU_THING"}]}, "unknown resource class"),
        (devices, {"overrides": [{"match": {}, "resource_class": "CUSTOM_lower"}]},
         "invalid custom resource class"),
        (devices, {"traits": ["HW_GPU_NOT_A_REAL_TRAIT"]}, "standard trait known to os-traits"),
        (devices, {"traits": ["CUSTOM_bad-name"]}, "invalid custom trait"),
        (devices + [devices[0]], {}, "duplicate PCI address"),
    ]
    for devs, extra, text in cases:
        res = run_module(_args(placement.url, node, devs, **extra))
        assert res["failed"], text
        assert text in res["msg"] and "nothing was sent" in res["msg"], res["msg"]
        assert res["api_calls"] == {"reads": 0, "writes": 0, "retries": 0}
    assert api.total_providers() == before


def test_missing_compute_node_is_a_clear_error(placement, node, devices):
    res = run_module(_args(placement.url, node, devices, create_root=False))
    assert res["failed"] and "not found in Placement" in res["msg"]
    assert res["api_calls"]["writes"] == 0


def test_too_old_microversion_is_a_clear_error(placement):
    from keystoneauth1 import adapter, session
    from keystoneauth1.token_endpoint import Token
    client = PlacementClient(adapter.Adapter(session.Session(auth=Token(placement.url, "admin")),
                                             endpoint_override=placement.url),
                             microversion="1.45")
    try:
        client.get("/resource_providers")
    except Exception as exc:  # noqa: BLE001
        assert "supports microversions up to 1.39; this module needs 1.45" in str(exc)
    else:
        raise AssertionError("no error")
