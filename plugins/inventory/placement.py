# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: placement
short_description: Compute nodes from OpenStack Placement, grouped by their accelerators
version_added: 0.1.0
description:
  - Reads the resource provider trees of OpenStack Placement and makes one host per
    compute node (root provider) that has device providers below it.
  - "Groups: C(accel_<resource class>) per resource class found on a device provider, with
    C(CUSTOM_) dropped and lower case (C(accel_pgpu), C(accel_fpga), C(accel_qat)), and
    C(trait_<trait>) per custom trait (lower case, C(CUSTOM_) dropped) when
    O(trait_groups) is on."
  - "Host variables: C(placement_uuid), C(placement_accelerators) (per resource class: number of
    providers, C(total), C(reserved) and, with O(with_usages), C(used)), C(placement_devices)
    (one entry per device provider) and C(placement_accelerator_count)."
  - The file must be named C(*.placement.yml) or C(*.placement.yaml).
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.openstack_auth
  - openaccel.cyborg.placement
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as an inventory for this plugin.
    type: str
    required: true
    choices: [openaccel.cyborg.placement]
  managed_only:
    description:
      - Count only device providers that carry O(owner_trait) (registered by this
        collection). When off, every non-root provider with an inventory counts, so devices
        registered by Cyborg or Nova's PCI-in-Placement show up too.
    type: bool
    default: false
  owner_trait:
    description: Ownership trait of this collection, see O(managed_only).
    type: str
    default: CUSTOM_OPENACCEL_MANAGED
  trait_groups:
    description: Make C(trait_<trait>) groups from the custom traits of device providers.
    type: bool
    default: true
  with_usages:
    description: Also read each device provider's usages (one more call per provider).
    type: bool
    default: false
  group_prefix:
    description: Prefix of the resource class groups.
    type: str
    default: accel_
'''

EXAMPLES = r'''
# inventories/cloud.placement.yml
plugin: openaccel.cyborg.placement
cloud: overcloud
with_usages: true
keyed_groups:
  - key: placement_accelerators.keys() | list
    prefix: rc
compose:
  gpu_count: placement_accelerators.PGPU.total | default(0)
groups:
  big_gpu_nodes: (placement_accelerators.PGPU.total | default(0)) >= 8

# noauth2 test deployment
# plugin: openaccel.cyborg.placement
# endpoint: http://127.0.0.1:8778
# token: admin
'''

import re  # noqa: E402

from ansible.errors import AnsibleError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402

from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack import auth  # noqa: E402
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.http import (  # noqa: E402
    PlacementClient, PlacementError,
)


def _group_part(name):
    return re.sub(r"[^a-z0-9_]", "_", re.sub(r"^CUSTOM_", "", name).lower())


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "openaccel.cyborg.placement"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and \
            path.endswith((".placement.yml", ".placement.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        data = None
        if use_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                data = None
        if data is None:
            data = self._fetch()
            if self.get_option("cache"):
                self._cache[cache_key] = data
        self._populate(data)

    def _fetch(self):
        params = dict((k, self.get_option(k)) for k in auth.AUTH_ARGUMENT_SPEC)
        if not auth.HAS_KEYSTONEAUTH:
            raise AnsibleError("the openaccel.cyborg.placement inventory needs keystoneauth1")
        try:
            client = PlacementClient(auth.build_adapter(params), timeout=params.get("api_timeout"))
            rps = client.get("/resource_providers")["resource_providers"]
            roots = dict((rp["uuid"], rp) for rp in rps
                         if rp.get("root_provider_uuid") in (None, rp["uuid"]))
            hosts = {}
            for rp in rps:
                root = roots.get(rp.get("root_provider_uuid"))
                if root is None or rp["uuid"] == root["uuid"]:
                    continue
                dev = self._device(client, rp)
                if dev is not None:
                    hosts.setdefault(root["name"], {"uuid": root["uuid"], "devices": []})
                    hosts[root["name"]]["devices"].append(dev)
            return hosts
        except (PlacementError, ValueError) as exc:
            raise AnsibleError("Placement inventory: %s" % exc)

    def _device(self, client, rp):
        traits = client.get("/resource_providers/%s/traits" % rp["uuid"])["traits"]
        if self.get_option("managed_only") and self.get_option("owner_trait") not in traits:
            return None
        invs = client.get("/resource_providers/%s/inventories" % rp["uuid"])["inventories"]
        if not invs:
            return None
        usages = {}
        if self.get_option("with_usages"):
            usages = client.get("/resource_providers/%s/usages" % rp["uuid"])["usages"]
        return {"name": rp["name"], "uuid": rp["uuid"], "traits": sorted(traits),
                "inventories": dict((rc, {"total": v["total"], "reserved": v["reserved"],
                                          "used": usages.get(rc)})
                                    for rc, v in invs.items())}

    def _populate(self, hosts):
        prefix = self.get_option("group_prefix")
        strict = self.get_option("strict")
        for host, data in sorted(hosts.items()):
            self.inventory.add_host(host)
            summary = {}
            for dev in data["devices"]:
                for rc, inv in dev["inventories"].items():
                    s = summary.setdefault(rc, {"providers": 0, "total": 0, "reserved": 0})
                    s["providers"] += 1
                    s["total"] += inv["total"]
                    s["reserved"] += inv["reserved"]
                    if inv["used"] is not None:
                        s["used"] = s.get("used", 0) + inv["used"]
                    group = self.inventory.add_group(prefix + _group_part(rc))
                    self.inventory.add_child(group, host)
                if self.get_option("trait_groups"):
                    for trait in dev["traits"]:
                        if trait.startswith("CUSTOM_"):
                            group = self.inventory.add_group("trait_" + _group_part(trait))
                            self.inventory.add_child(group, host)
            hostvars = {"placement_uuid": data["uuid"], "placement_accelerators": summary,
                        "placement_devices": data["devices"],
                        "placement_accelerator_count": sum(s["total"] for s in summary.values())}
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host,
                                              strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host,
                                           strict=strict)
