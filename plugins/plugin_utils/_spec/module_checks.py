# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The modules' own input checks, run by validate_spec on the spec (and the device records).

Every value a later stage's module would refuse is refused here first, with the same
function (``module_utils/<capability>/checks.py``: the one exception to the layer rule,
docs/docsite/rst/architecture.rst) and the same message, named by its spec path, before anything
changes.  ``CHECKS`` is the table: one row per spec field and the module option it feeds.

``spec_errors(spec)`` needs the spec only (the schema stage: no host is touched);
``device_errors(spec, assignments, devices)`` needs the matched device records (the
devices stage).  Both return errors ``{path, value, message, validator}``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

import ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.checks as k8s
import ansible_collections.openaccel.cyborg.plugins.module_utils._mig.checks as mig
import ansible_collections.openaccel.cyborg.plugins.module_utils._placement.checks as placement
import ansible_collections.openaccel.cyborg.plugins.module_utils._sriov.checks as sriov
import ansible_collections.openaccel.cyborg.plugins.module_utils._vfio.checks as vfio

VALIDATOR = "module"

# name, module, option the spec field feeds, spec path (``*``: each index), stage
Check = namedtuple("Check", "name module option path stage")
CHECKS = (
    Check("k8s_label_prefix", "k8s_node_accelerators", "label_prefix",
          "$.register.kubernetes.label_prefix", "schema"),
    Check("k8s_resource_prefix", "k8s_node_accelerators", "resource_prefix",
          "$.register.kubernetes.resource_prefix", "schema"),
    Check("k8s_publish", "k8s_node_accelerators", "publish",
          "$.register.kubernetes.publish", "schema"),
    Check("vfio_driver", "vfio_bind", "vfio_driver", "$.devices[*].vfio.vfio_driver", "schema"),
    Check("native_driver", "vfio_bind", "native_driver", "$.devices[*].vfio.native_driver",
          "schema"),
    Check("placement_traits", "placement_provider_tree", "traits",
          "$.register.placement.traits[*]", "schema"),
    Check("device_traits", "placement_provider_tree", "overrides[].traits",
          "$.devices[*].register.traits[*]", "schema"),
    Check("device_resource_class", "placement_provider_tree", "overrides[].resource_class",
          "$.devices[*].register.resource_class", "schema"),
    Check("mig_config", "gpu_mig", "config, selected_config", "$.devices[*].mig", "schema"),
    Check("mig_profiles", "gpu_mig", "config", "$.devices[*].mig.config", "devices"),
    Check("sriov_function", "pci_sriov", "address", "$.devices[*].sriov", "devices"),
    Check("sriov_num_vfs", "pci_sriov", "num_vfs", "$.devices[*].sriov.num_vfs", "devices"),
)


def _error(path, value, messages):
    return [{"path": path, "value": value, "message": m, "validator": VALIDATOR}
            for m in messages]


def _enabled(block):
    return isinstance(block, dict) and block.get("enabled", True) is not False


def _k8s_errors(kube):
    out = []
    base = "$.register.kubernetes"
    for key, check in (("label_prefix", k8s.check_label_prefix),
                       ("resource_prefix", k8s.check_resource_prefix)):
        if key in kube:
            out += _error("%s.%s" % (base, key), kube[key], check(kube[key]))
    out += _error(base + ".publish", kube.get("publish"),
                  k8s.check_publish(kube.get("target", "api"), kube.get("publish")))
    return out


def _placement_errors(spec):
    out = []

    def names(check, value, path):
        try:
            return _error(path, value, check(value, path))
        except ImportError as exc:       # the placement module needs them on the controller too
            return _error(path, value, ["%s cannot be checked: %s (pip install os-traits "
                                        "os-resource-classes)" % (path, exc)])
    place = (spec.get("register") or {}).get("placement") or {}
    for index, name in enumerate(place.get("traits") or []):
        out += names(placement.trait_errors, name, "$.register.placement.traits[%d]" % index)
    for i, entry in enumerate(spec.get("devices") or []):
        reg = entry.get("register") or {}
        base = "$.devices[%d].register" % i
        if reg.get("skip"):
            continue
        if "resource_class" in reg:
            out += names(placement.rc_errors, reg["resource_class"], base + ".resource_class")
        for index, name in enumerate(reg.get("traits") or []):
            out += names(placement.trait_errors, name, "%s.traits[%d]" % (base, index))
    return out


def spec_errors(spec):
    """Errors of the settings a module checks that the spec alone decides."""
    out = []
    register = spec.get("register") or {}
    if _enabled(register.get("kubernetes")):
        out += _k8s_errors(register["kubernetes"])
    if "placement" in register and (register["placement"] is None or _enabled(register["placement"])):
        out += _placement_errors(spec)
    for i, entry in enumerate(spec.get("devices") or []):
        base = "$.devices[%d]" % i
        setting = entry.get("vfio")
        if isinstance(setting, dict):
            state = "vfio" if setting.get("enabled") else "native"
            key = "vfio_driver" if state == "vfio" else "native_driver"
            out += _error("%s.vfio.%s" % (base, key), setting.get(key),
                          vfio.check_options(state, setting.get("vfio_driver"),
                                             setting.get("native_driver")))
        layout = entry.get("mig") or {}
        if "config" in layout:
            out += _error(base + ".mig", layout.get("selected_config"),
                          mig.check_config(layout["config"], layout.get("selected_config"))[2])
    return out


def _pci_device_id(record):
    try:
        return int(record.get("device_id"), 16) << 16 | int(record.get("vendor_id"), 16)
    except (TypeError, ValueError):
        return None


def _sriov_errors(item, record, base):
    """pci_sriov's checks of the VF count a claimed device is asked for (a VF, a function
    without SR-IOV, more VFs than it has)."""
    messages = sriov.check_num_vfs(sriov.state_from_record(record), item["sriov"]["num_vfs"])
    return [e for m in messages
            for e in _error(base + (".sriov.num_vfs" if m.startswith("num_vfs:") else ".sriov"),
                            item["address"], [m])]


def device_errors(spec, assignments, devices):
    """Errors of the module checks that need the device records: the VF counts (pci_sriov),
    and the MIG profiles each claimed GPU is asked for against those it offers
    (``gpu.mig.profiles`` of the record; a record without that list is left to gpu_mig)."""
    out = []
    by_address = dict((d.get("address"), d) for d in devices or [])
    index_of = dict((e["name"], i) for i, e in enumerate(spec.get("devices") or []))
    for item in assignments:
        if "sriov" in item:
            out += _sriov_errors(item, by_address.get(item["address"]) or {},
                                 "$.devices[%d]" % index_of[item["selector"]])
        layout = item.get("mig") or {}
        record = by_address.get(item["address"]) or {}
        gpu = record.get("gpu") or {}
        offered = (gpu.get("mig") or {}).get("profiles")
        if "config" not in layout or offered is None:
            continue
        _name, entries, errors = mig.check_config(layout["config"], layout.get("selected_config"))
        if errors:
            continue
        label = "GPU %s (%s, %s)" % (gpu.get("index"), item["address"], gpu.get("name"))
        path = "$.devices[%d].mig.config" % index_of[item["selector"]]
        for entry in entries:
            if not entry["mig_enabled"] or \
                    not mig.entry_selects(entry, gpu.get("index"), _pci_device_id(record)):
                continue
            messages = mig.check_profiles(label, mig.sort_offered(offered), entry["mig_devices"])[0]
            out += _error(path, item["address"], messages)
    return out
