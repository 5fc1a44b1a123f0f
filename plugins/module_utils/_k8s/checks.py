# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Input checks of k8s_node_accelerators: the option values it refuses before any write.

Pure (no I/O): the module's runner calls them first, and validate_spec calls the same
functions on the spec's ``register.kubernetes`` settings (``plugin_utils/_spec/module_checks.py``)
so that a bad value fails there, naming the spec path, before any stage has written.
Each returns a list of messages (empty: fine), worded as the module reports them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import names

PUBLISH = ["labels", "extended_resources", "resource_slices"]
MAX_DEVICES_PER_SLICE = 128


def check_label_prefix(value):
    if not names.is_dns_subdomain(value):
        return ["label_prefix: %r is not a DNS subdomain" % (value,)]
    return []


def check_resource_prefix(value):
    errors = []
    if not names.is_dns_subdomain(value):
        errors.append("resource_prefix: %r is not a DNS subdomain" % (value,))
    if isinstance(value, str) and (value.endswith("kubernetes.io") or value.endswith("k8s.io")):
        errors.append("resource_prefix: extended resources may not use the kubernetes.io "
                      "or k8s.io domains")
    return errors


def check_publish(target, publish):
    """target=nfd_feature_file writes labels only; ``publish`` None means the default."""
    if target != "nfd_feature_file" or publish is None:
        return []
    unsupported = [p for p in publish if p != "labels"]
    if list(publish) != PUBLISH and unsupported:
        return ["target=nfd_feature_file publishes labels only; %s need target=api or "
                "target=manifests" % ", ".join(unsupported)]
    return []


def check_options(node, driver, pool, label_prefix, resource_prefix, max_devices):
    """Messages for options that cannot give valid objects (empty list when all are fine)."""
    errors = []
    if not names.is_dns_subdomain(node):
        errors.append("node: %r is not a valid node name (DNS subdomain)" % node)
    if not names.is_dns_subdomain(driver, 63):
        errors.append("driver_name: %r must be a lower-case DNS subdomain of at most 63 "
                      "characters, ending in a domain you own" % driver)
    if not pool or len(pool) > 253 or not all(names.is_dns_subdomain(p) for p in pool.split("/")):
        errors.append("pool_name: %r must be DNS subdomains separated by slashes" % pool)
    errors += check_label_prefix(label_prefix)
    errors += check_resource_prefix(resource_prefix)
    if not 1 <= max_devices <= MAX_DEVICES_PER_SLICE:
        errors.append("max_devices_per_slice: must be 1 to %d" % MAX_DEVICES_PER_SLICE)
    return errors
