# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Carry out a plan from ``plan.py`` with generation-guarded writes.

``409 placement.concurrent_update`` is retried after re-reading the generation (bounded,
with jitter); every other failure of one provider is recorded and the run goes on with the
other providers, so one bad device does not block the host.  Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.http import (
    CONCURRENT_UPDATE, PlacementError,
)
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.plan import drained

CONFLICT_RETRIES = 5


class ConcurrencyGaveUp(PlacementError):
    pass


def _guarded_put(client, uuid, what, payload_key, value, generation, owner_trait):
    """PUT traits or inventories with the generation; re-read and retry on concurrent update.

    Returns the provider's new generation.
    """
    path = "/resource_providers/%s/%s" % (uuid, what)
    for attempt in range(CONFLICT_RETRIES + 1):
        body = {"resource_provider_generation": generation, payload_key: value}
        status, resp = client.put(path, body, ok=(200,), allow=(409,))
        if status == 200:
            return resp["resource_provider_generation"]
        code = _code(resp)
        if code != CONCURRENT_UPDATE:
            raise PlacementError("PUT %s refused (409 %s): %s" % (path, code, _detail(resp)),
                                 status=409, code=code, method="PUT", path=path,
                                 detail=_detail(resp))
        if attempt == CONFLICT_RETRIES:
            break
        client.wait(attempt)
        fresh = client.get(path)
        if what == "traits" and owner_trait not in fresh["traits"] and \
                owner_trait in (value or []) and fresh["traits"]:
            raise PlacementError("provider %s lost the %s trait while we were updating it "
                                 "(another writer owns it now); left alone" % (uuid, owner_trait),
                                 status=409, code=code, method="PUT", path=path)
        generation = fresh["resource_provider_generation"]
    raise ConcurrencyGaveUp("PUT %s: generation kept changing (%d concurrent updates in a row)"
                            % (path, CONFLICT_RETRIES + 1), status=409, code=CONCURRENT_UPDATE,
                            method="PUT", path=path)


def _code(resp):
    try:
        return resp["errors"][0].get("code")
    except (TypeError, KeyError, IndexError):
        return None


def _detail(resp):
    try:
        return resp["errors"][0].get("detail", "").strip()
    except (TypeError, KeyError, IndexError):
        return str(resp)


def _create(client, p, parent_uuid, owner_trait):
    body = {"name": p["name"], "uuid": p["uuid"], "parent_provider_uuid": parent_uuid}
    status, resp = client.post("/resource_providers", body, ok=(200,), allow=(409,))
    if status == 409:
        gen = _twin_created(client, p, parent_uuid, owner_trait)
        if gen is None:
            raise PlacementError(
                "cannot create provider %s (%s): %s. Another provider already holds this name "
                "or UUID outside the compute node's tree; left untouched"
                % (p["name"], p["uuid"], _detail(resp)),
                status=409, code=_code(resp), method="POST", path="/resource_providers")
    else:
        gen = resp["generation"]
    # Ownership trait first: an interrupted run leaves a provider we recognise as ours.
    gen = _guarded_put(client, p["uuid"], "traits", "traits", p["target"]["traits"], gen,
                       owner_trait)
    if p["target"]["inventories"]:
        _guarded_put(client, p["uuid"], "inventories", "inventories",
                     p["target"]["inventories"], gen, owner_trait)


def _twin_created(client, p, parent_uuid, owner_trait):
    """Generation of the provider a concurrent run of ours created between our read and our
    create (same name and UUID, under the same parent, with the ownership trait or still
    without traits and inventories: a create in progress); None when it is someone else's."""
    status, rp = client.request("GET", "/resource_providers/%s" % p["uuid"], allow=(404,))
    if status != 200 or rp.get("name") != p["name"] or \
            rp.get("parent_provider_uuid") != parent_uuid:
        return None
    traits = client.get("/resource_providers/%s/traits" % p["uuid"])
    if owner_trait not in traits["traits"]:
        inv = client.get("/resource_providers/%s/inventories" % p["uuid"])
        if traits["traits"] or inv["inventories"]:
            return None
    return traits["resource_provider_generation"]


def _update(client, p, owner_trait):
    gen = p["generation"]
    if p["set_traits"]:
        gen = _guarded_put(client, p["uuid"], "traits", "traits", p["target"]["traits"], gen,
                           owner_trait)
    if p["set_inventories"]:
        _guarded_put(client, p["uuid"], "inventories", "inventories",
                     p["target"]["inventories"], gen, owner_trait)


def _delete(client, p, owner_trait, warnings):
    path = "/resource_providers/%s" % p["uuid"]
    status, resp = client.delete(path, ok=(204,), allow=(404, 409))
    if status != 409:
        return "delete"
    if _code(resp) != "placement.resource_provider.inuse":
        raise PlacementError("DELETE %s refused (409 %s): %s" % (path, _code(resp), _detail(resp)),
                             status=409, code=_code(resp), method="DELETE", path=path)
    # A consumer allocated between our read and the delete: keep and drain instead.
    allocs = client.get(path + "/allocations")
    consumers = sorted(allocs["allocations"])
    warnings.append("device provider %s (%s) gained allocations from %s during the run: kept "
                    "and drained instead of deleted" % (p["name"], p["uuid"], ", ".join(consumers)))
    inv = client.get(path + "/inventories")
    _guarded_put(client, p["uuid"], "inventories", "inventories", drained(inv["inventories"]),
                 inv["resource_provider_generation"], owner_trait)
    return "drain"


def apply_plan(client, plan, owner_trait):
    """Execute the plan.  Returns a list of per-provider failures (dicts)."""
    failures = []
    root = plan.root
    for trait in plan.new_traits:
        client.put("/traits/%s" % trait, ok=(201, 204))
    for rc in plan.new_resource_classes:
        client.put("/resource_classes/%s" % rc, ok=(201, 204))
    if root.get("create"):
        status, resp = client.post("/resource_providers",
                                   {"name": root["name"], "uuid": root["uuid"]}, ok=(200,))
        _guarded_put(client, root["uuid"], "traits", "traits", [owner_trait],
                     resp["generation"], owner_trait)
        root["create"] = False
    for p in plan.providers:
        try:
            if p["op"] == "create":
                _create(client, p, root["uuid"], owner_trait)
            elif p["op"] in ("update", "drain"):
                _update(client, p, owner_trait)
            elif p["op"] == "delete":
                p["op"] = _delete(client, p, owner_trait, plan.warnings)
        except PlacementError as exc:
            if exc.status is None or (exc.status and exc.status >= 500):
                raise  # the server is gone: stop, a rerun converges
            failures.append(dict(exc.to_dict(), provider=p["name"], uuid=p["uuid"]))
            p["failed"] = True
    if root.get("delete") and not failures and all(p["op"] == "delete" for p in plan.providers):
        client.delete("/resource_providers/%s" % root["uuid"], ok=(204, 404))
    return failures
