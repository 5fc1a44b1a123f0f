# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Read the compute node's provider tree and work out what has to change ("the plan").

Reads only; check mode stops after this.  Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
    provider_uuid,
)

try:
    from urllib.parse import quote
except ImportError:  # Python 2 controller-side sanity only
    from urllib import quote  # type: ignore

# nova-compute puts it on every provider of its PCI-in-Placement reporting
# (nova/compute/pci_placement_translator.py, os_traits.COMPUTE_MANAGED_PCI_DEVICE)
NOVA_PCI_TRAIT = "COMPUTE_MANAGED_PCI_DEVICE"
INV_KEYS = ("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio")


def norm_inventories(invs):
    return dict((rc, dict((k, (float(v[k]) if k == "allocation_ratio" else int(v[k])))
                          for k in INV_KEYS if k in v))
                for rc, v in (invs or {}).items())


def drained(invs):
    return dict((rc, dict(v, reserved=v["total"])) for rc, v in norm_inventories(invs).items())


class Plan:
    def __init__(self, compute_node):
        self.compute_node = compute_node
        self.root = None            # {"uuid", "name", "create": bool}
        self.providers = []         # per device provider: see _entry()
        self.new_traits = []
        self.new_resource_classes = []
        self.conflicts = []         # foreign providers holding one of our names
        self.warnings = []

    @property
    def changes(self):
        root = self.root or {}
        pending = (root.get("create"), root.get("delete"), self.new_traits, self.new_resource_classes)
        return any(pending) or any(p["op"] != "none" for p in self.providers)

    def diff(self):
        before, after = {}, {}
        for p in self.providers:
            if p["current"] is not None:
                before[p["name"]] = _view(p["uuid"], p["current"])
            if p["op"] != "delete":
                after[p["name"]] = _view(p["uuid"], p["target"])
        return {"before": {"compute_node": self.compute_node, "providers": before},
                "after": {"compute_node": self.compute_node, "providers": after}}

    def summary(self):
        out = {"create": [], "update": [], "delete": [], "drain": [], "unchanged": []}
        for p in self.providers:
            out["unchanged" if p["op"] == "none" else p["op"]].append(p["name"])
        return out


def _view(uuid, state):
    return {"uuid": uuid, "inventories": state["inventories"], "traits": sorted(state["traits"])}


def _entry(name, uuid, op, current, target, generation):
    return {"name": name, "uuid": uuid, "op": op, "current": current, "target": target,
            "generation": generation,
            "set_traits": current is None or set(current["traits"]) != set(target["traits"]),
            "set_inventories": current is None or current["inventories"] != target["inventories"]}


def find_root(client, compute_node, create_root, root_uuid=None):
    found = client.get("/resource_providers?name=%s" % quote(compute_node, safe=""))
    rps = found.get("resource_providers") or []
    if rps:
        return {"uuid": rps[0]["uuid"], "name": compute_node, "create": False,
                "generation": rps[0]["generation"],
                "is_root": rps[0].get("root_provider_uuid") in (None, rps[0]["uuid"])}
    if not create_root:
        raise LookupError(
            "compute node resource provider %r not found in Placement; it is created by "
            "nova-compute (check the name matches the hypervisor hostname), or set "
            "create_root=true for a standalone Placement" % compute_node)
    return {"uuid": root_uuid or provider_uuid(compute_node), "name": compute_node,
            "create": True, "generation": None, "is_root": True}


def read_tree(client, plan, desired, owner_trait):
    """Current state of every provider under the root that could be ours.

    Returns ``{name: {"uuid", "generation", "traits", "inventories", "managed"}}``.
    """
    root = plan.root
    if root["create"]:
        return {}
    tree = client.get("/resource_providers?in_tree=%s" % root["uuid"])["resource_providers"]
    root["tree_size"] = len(tree)
    prefix = (plan.compute_node + "_").lower()
    wanted = set(n.lower() for n in desired)
    seen = {}
    for rp in tree:
        name = rp["name"]
        # Nova names its PCI providers <hypervisor>_<ADDRESS IN UPPER CASE>: compare names
        # without case, so a device Nova already reports is seen (as foreign) under ours
        key = name.lower()
        if rp["uuid"] == root["uuid"] or not (key in wanted or key.startswith(prefix)):
            continue
        tr = client.get("/resource_providers/%s/traits" % rp["uuid"])
        state = {"uuid": rp["uuid"], "generation": tr["resource_provider_generation"],
                 "traits": sorted(tr["traits"]), "inventories": None,
                 "parent": rp.get("parent_provider_uuid")}
        if owner_trait in tr["traits"] or (not tr["traits"] and rp["uuid"] == provider_uuid(name)):
            inv = client.get("/resource_providers/%s/inventories" % rp["uuid"])
            state["generation"] = inv["resource_provider_generation"]
            state["inventories"] = norm_inventories(inv["inventories"])
            # no traits and no inventory, with our UUID: our own create that was interrupted
            state["managed"] = owner_trait in tr["traits"] or not state["inventories"]
        else:
            state["managed"] = False
        seen[name] = state
    return seen


def foreign_holders(current, desired):
    """{our provider name: (name, state)} of the providers we do not manage that already
    report one of our devices: one holding our name, exactly or in another case, and a
    nova-compute PCI provider (NOVA_PCI_TRAIT) named after the device or its PF (Nova counts
    the VFs of a PF in one provider named after the PF)."""
    by_key = dict((name.lower(), name) for name in desired)
    by_address = {}
    for name, want in desired.items():
        for address in (want.get("address"), want.get("pf_address")):
            if address:
                by_address.setdefault(address.lower(), []).append(name)
    found = {}
    for name, st in sorted(current.items()):
        if st["managed"]:
            continue
        ours = [by_key[name.lower()]] if name.lower() in by_key else []
        if NOVA_PCI_TRAIT in st["traits"]:
            ours.extend(by_address.get(name.rsplit("_", 1)[-1].lower(), []))
        for own in ours:
            found.setdefault(own, (name, st))
    return found


def conflict_message(ours, name, st, owner_trait):
    traits = ", ".join(st["traits"]) or "none"
    if name == ours:
        text = ("provider %s (%s) already exists and is not managed by this collection (no %s "
                "trait; traits: %s); left untouched" % (name, st["uuid"], owner_trait, traits))
    elif name.lower() != ours.lower():
        text = ("provider %s (%s) already reports the device of our provider %s (Nova names "
                "the provider of a VF after its physical function) and is not managed by this collection (no %s "
                "trait; traits: %s); left untouched, %s not created" % (
                    name, st["uuid"], ours, owner_trait, traits, ours))
    else:
        text = ("provider %s (%s) already reports the device of our provider %s (the same name "
                "in another case) and is not managed by this collection (no %s trait; traits: "
                "%s); left untouched, %s not created" % (name, st["uuid"], ours, owner_trait,
                                                         traits, ours))
    if NOVA_PCI_TRAIT in st["traits"]:
        text += ("; it is nova-compute's own PCI-in-Placement provider ([pci] "
                 "report_in_placement): register the device through one of the two only (an "
                 "override with skip: true here, or drop it from Nova's [pci] device_spec)")
    return text


def build_plan(client, compute_node, desired, owner_trait, state="present", purge=True,
               create_root=False, root_uuid=None, only_listed=False):
    plan = Plan(compute_node)
    try:
        plan.root = find_root(client, compute_node, create_root and state == "present", root_uuid)
    except LookupError:
        if state == "present":
            raise
        plan.root = {"uuid": None, "name": compute_node, "create": False, "missing": True}
        return plan         # absent, and the compute node is not even there: nothing to do
    if not plan.root.get("is_root", True):
        plan.warnings.append("provider %r is not a root provider; device providers are "
                             "created under it anyway" % compute_node)
    current = read_tree(client, plan, desired, owner_trait)

    foreign = foreign_holders(current, desired)
    for ours, (name, st) in sorted(foreign.items()):
        plan.conflicts.append(conflict_message(ours, name, st, owner_trait))

    if state == "present":
        for name, want in sorted(desired.items()):
            if name in foreign:
                continue    # the device is someone else's provider: never a second one
            st = current.get(name)
            target = {"inventories": want["inventories"], "traits": want["traits"]}
            if st is None:
                plan.providers.append(_entry(name, want["uuid"], "create", None, target, None))
            elif st["managed"]:
                cur = {"inventories": st["inventories"], "traits": st["traits"]}
                e = _entry(name, st["uuid"], "update", cur, target, st["generation"])
                if not (e["set_traits"] or e["set_inventories"]):
                    e["op"] = "none"
                plan.providers.append(e)

    gone = []
    for name, st in sorted(current.items()):
        if not st["managed"]:
            continue
        if state == "absent" and (name in desired or not only_listed):
            gone.append((name, st))
        elif state == "present" and purge and name not in desired:
            gone.append((name, st))
    for name, st in gone:
        _plan_removal(client, plan, name, st)

    if state == "absent" and create_root and not only_listed:
        _plan_root_removal(client, plan, owner_trait)
    _plan_new_names(client, plan, current, owner_trait)
    return plan


def _plan_removal(client, plan, name, st):
    cur = {"inventories": st["inventories"], "traits": st["traits"]}
    allocs = client.get("/resource_providers/%s/allocations" % st["uuid"])["allocations"]
    if not allocs:
        plan.providers.append(_entry(name, st["uuid"], "delete", cur, cur, st["generation"]))
        return
    consumers = sorted(allocs)
    target = {"inventories": drained(st["inventories"]), "traits": st["traits"]}
    e = _entry(name, st["uuid"], "drain", cur, target, st["generation"])
    e["consumers"] = consumers
    if not e["set_inventories"]:
        e["op"] = "none"
    plan.providers.append(e)
    plan.warnings.append(
        "device provider %s (%s) is gone but still has allocations from consumer(s) %s: kept "
        "with reserved = total (drained); delete it once they are gone"
        % (name, st["uuid"], ", ".join(consumers)))


def _plan_root_removal(client, plan, owner_trait):
    """Delete a compute node provider we created, once nothing else is below it."""
    root = plan.root
    if root["create"]:
        return
    leaving = [p for p in plan.providers if p["op"] == "delete"]
    if root["tree_size"] != 1 + len(leaving):
        return          # drained, foreign or other children stay: keep the root
    if owner_trait in client.get("/resource_providers/%s/traits" % root["uuid"])["traits"]:
        root["delete"] = True


def _plan_new_names(client, plan, current, owner_trait):
    """Custom traits and resource classes our writes need that may not exist yet."""
    known_traits, known_rcs = set(), set()
    for st in current.values():
        known_traits.update(st["traits"])
        known_rcs.update((st["inventories"] or {}).keys())
    want_traits, want_rcs = set([owner_trait]) if plan.root["create"] else set(), set()
    for p in plan.providers:
        if p["op"] in ("create", "update"):
            if p["set_traits"]:
                want_traits.update(t for t in p["target"]["traits"] if t.startswith("CUSTOM_"))
            if p["set_inventories"]:
                want_rcs.update(r for r in p["target"]["inventories"] if r.startswith("CUSTOM_"))
    want_traits -= known_traits
    want_rcs -= known_rcs
    names = sorted(want_traits)
    existing = set()
    for i in range(0, len(names), 50):
        chunk = names[i:i + 50]
        existing.update(client.get("/traits?name=in:%s" % ",".join(chunk))["traits"])
    plan.new_traits = sorted(want_traits - existing)
    if want_rcs:
        rcs = client.get("/resource_classes")["resource_classes"]
        plan.new_resource_classes = sorted(want_rcs - set(r["name"] for r in rcs))
