# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Body of openaccel.cyborg.placement_provider_tree: options in, result dict out.

``run`` follows the body contract of ``module_utils/_module.py``: it takes an AnsibleModule,
or the action plugin's in-process stand-in for one (``plugin_utils/_action_module.py``),
reads ``params``, ``check_mode`` and ``_diff``, calls ``warn``, and returns the result or
raises ModuleFailure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack import auth
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
    build_desired,
)
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.http import (
    PlacementClient, PlacementError,
)
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.plan import (
    build_plan,
)
from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.apply import (
    apply_plan,
)

OVERRIDE_SPEC = dict(
    match=dict(type="dict"), resource_class=dict(type="str"),
    traits=dict(type="list", elements="str", no_log=False), total=dict(type="int"),
    reserved=dict(type="int"), allocation_ratio=dict(type="float"), max_unit=dict(type="int"),
    sriov_mode=dict(type="str", choices=["per_pf", "per_vf"]), skip=dict(type="bool"),
)

ARGSPEC = ArgumentSpec(dict(
    compute_node=dict(type="str"),
    devices=dict(type="list", elements="dict", default=[]),
    overrides=dict(type="list", elements="dict", default=[], options=OVERRIDE_SPEC),
    sriov_mode=dict(type="str", choices=["per_pf", "per_vf"], default="per_pf"),
    traits=dict(type="list", elements="str", default=[], no_log=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    purge=dict(type="bool", default=True),
    create_root=dict(type="bool", default=False),
    owner_trait=dict(type="str", default="CUSTOM_OPENACCEL_MANAGED", no_log=False),
    cyborg_compat=dict(type="bool", default=True),
    retries=dict(type="int", default=4),
)).merged(auth.AUTH_ARGSPEC)

LIBRARIES = (("os_traits", "os-traits"), ("os_resource_classes", "os-resource-classes"))


def missing_library():
    """(pip package, import traceback) of the first library this run needs but cannot
    import, or None when all are there."""
    for lib, pkg in LIBRARIES:
        try:
            __import__(lib)
        except ImportError:
            return pkg, None
    if not auth.HAS_KEYSTONEAUTH:
        return "keystoneauth1", auth.KSA_IMP_ERR
    return None


def run(module, client=None):
    """Reconcile; returns the result dict, or raises ModuleFailure."""
    missing = missing_library()
    if missing:
        raise ModuleFailure(missing_required_lib(missing[0]), exception=missing[1])
    p = module.params
    if not p["compute_node"]:
        raise ModuleFailure("compute_node: not set; give the compute node's provider name (the "
                            "action plugin fills in inventory_hostname when the option is left out)")
    overrides = [dict((k, v) for k, v in o.items() if v is not None) for o in p["overrides"]]
    try:
        desired = build_desired(p["compute_node"], p["devices"], overrides,
                                defaults={"sriov_mode": p["sriov_mode"], "traits": p["traits"]},
                                owner_trait=p["owner_trait"], cyborg_compat=p["cyborg_compat"])
    except ValueError as exc:
        raise ModuleFailure("invalid input, nothing was sent to Placement: %s" % exc,
                            api_calls={"reads": 0, "writes": 0, "retries": 0})
    if client is None:
        try:
            adapter = auth.build_adapter(p)
        except ValueError as exc:
            raise ModuleFailure(str(exc))
        client = PlacementClient(adapter, retries=p["retries"], timeout=p["api_timeout"])
    result = dict(changed=False, api_calls=client.api_calls())
    try:
        plan = build_plan(client, p["compute_node"], desired, p["owner_trait"],
                          state=p["state"], purge=p["purge"], create_root=p["create_root"],
                          only_listed=bool(p["devices"]))
        failures = []
        if plan.changes and not module.check_mode:
            failures = apply_plan(client, plan, p["owner_trait"])
    except (PlacementError, LookupError) as exc:
        extra = exc.to_dict() if isinstance(exc, PlacementError) else {}
        extra.pop("msg", None)
        raise ModuleFailure(str(exc), api_calls=client.api_calls(), error=extra)
    except Exception as exc:  # keystoneauth: auth failures, missing endpoint in the catalog
        if type(exc).__module__.startswith(("keystoneauth1", "openstack")):
            raise ModuleFailure("OpenStack authentication/connection error: %s: %s"
                                % (type(exc).__name__, exc), api_calls=client.api_calls())
        raise

    result.update(
        changed=plan.changes and (module.check_mode or client.writes > 0),
        compute_node_uuid=plan.root["uuid"], providers=plan.summary(),
        new_traits=plan.new_traits, new_resource_classes=plan.new_resource_classes,
        compute_node_deleted=bool(plan.root.get("delete")),
        api_calls=client.api_calls())
    if module._diff:
        result["diff"] = plan.diff()
    for w in plan.warnings:
        module.warn(w)
    if failures or plan.conflicts:
        result.update(failures=failures, conflicts=plan.conflicts)
        msgs = plan.conflicts + ["%s: %s" % (f["provider"], f["msg"]) for f in failures]
        raise ModuleFailure("%d device provider(s) not reconciled: %s"
                            % (len(msgs), "; ".join(msgs)), **result)
    return result
