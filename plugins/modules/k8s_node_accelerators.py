#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: k8s_node_accelerators
short_description: Publish a node's accelerators to Kubernetes (labels, extended resources, DRA)
version_added: 0.1.0
description:
  - Makes the accelerators of one Kubernetes node known to the cluster, from the device
    records of M(openaccel.cyborg.accelerator_facts), declaratively.
  - "B(Labels): node-feature-discovery compatible
    C(feature.node.kubernetes.io/pci-<class>_<vendor>.present=true) (fields per
    O(nfd_label_fields), plus C(.sriov.capable) for SR-IOV devices), and per device type
    C(<label_prefix>/<type>.present), C(.count), C(.vendor), C(.product) (V(mixed) when the
    devices differ), for GPUs C(.memory) (MiB, the smallest GPU), C(.mig.capable),
    C(.mig.enabled), for FPGAs C(.region-id) and C(.function-id)."
  - The label keys the module set are recorded in the node annotation
    C(cyborg.openaccel.io/managed-labels). Labels it set earlier and no longer wants are
    removed; a label that exists without being recorded there belongs to someone else (for
    example node-feature-discovery itself) and is never changed or removed (a warning says so
    when its value differs).
  - "B(Extended resources): C(<resource_prefix>/<type>-<vendor>-<product>) (or
    C(<resource_prefix>/<type>) with O(resource_naming=type)) in the node's C(status.capacity),
    written with a JSON patch on the C(nodes/{name}/status) subresource and recorded in the
    annotation C(cyborg.openaccel.io/managed-resources). Extended resources only give the
    scheduler something to count: they do not put the device into the container (no device
    node, no driver libraries). Use them with a device plugin, or for placement and quota
    only. The kubelet copies them to C(allocatable) and may zero them after the node object
    is re-created; the next run sets them again."
  - "B(Dynamic Resource Allocation): C(resource.k8s.io/v1) ResourceSlices (Kubernetes 1.34+)
    with C(spec.nodeName), one pool per node (O(pool_name)) of driver O(driver_name), one
    device per record named C(<type>-<pci address>), with attributes (C(type), C(vendor),
    C(product), C(pciAddress), the standard C(resource.kubernetes.io/pcieRoot) and
    C(resource.kubernetes.io/pciBusID), C(pcieSwitch), C(vendorID), C(deviceID), C(numaNode),
    C(driver), C(driverVersion) and C(cudaDriverVersion) as semver C(version) values, C(uuid),
    C(migCapable), C(regionID), C(functionID), ...) and capacity C(memory) for GPUs; values
    the records do not know are left out (the same holds for labels). At most
    O(max_devices_per_slice) devices per slice (API limit 128) with C(resourceSliceCount) set;
    at most 32 attributes and capacities per device; strings cut to 64 characters. Any change
    rewrites every slice of the pool with the next pool generation; slices the module owns
    (label C(app.kubernetes.io/managed-by=openaccel.cyborg)) and no longer needs are deleted."
  - ResourceSlices describe devices for the scheduler; preparing an allocated device for a
    container is the job of a DRA kubelet plugin registered under the same O(driver_name).
  - "O(target=manifests) writes the same content as files for GitOps tools, without any
    cluster access, one kustomize directory per node that C(kubectl apply -k), Argo CD and
    Flux apply as is: C(<manifest_dir>/<node>/kustomization.yaml) listing C(node.yaml) (the
    Node by name) and C(resourceslices.yaml) as resources and C(node-metadata.patch.yaml)
    (labels, a patch of the Node) as a patch. C(node-status.patch.yaml) (extended resources,
    the status subresource, which GitOps tools cannot write) is outside the kustomization,
    for C(kubectl patch --subresource status). Strings that YAML 1.1 or Go readers would take
    for numbers or booleans are quoted. The previous files tell which labels to remove and
    which pool generation comes next."
  - O(target=nfd_feature_file) writes the labels to a node-feature-discovery feature file
    (C(features.d/<nfd_feature_file>)) instead; node-feature-discovery then owns and publishes
    them. Extended resources and ResourceSlices cannot be expressed there.
  - Conflicts (HTTP 409, another writer changed the node or a slice since it was read) are
    retried after reading again. A 403 names the verb and resource the credentials lack; the
    minimal ClusterRole is in C(docs/k8s-clusterrole.yaml) of the collection.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
  - openaccel.cyborg.k8s_auth
attributes:
  check_mode:
    support: full
    description: Only reads (GET the node, LIST the slices; reads files) and reports the changes.
  diff_mode:
    support: full
    description: Before and after of the managed labels, capacity and slices (or of the files).
  idempotent:
    support: full
    description: A second run with the same records writes nothing and reports no change.
options:
  node:
    description:
      - Name of the Kubernetes node. Defaults to the inventory host name (filled in on the
        controller by the module's action plugin, so it stays right when the task is delegated
        to localhost); without it, the lower-cased host name of the machine the module runs on.
    type: str
  devices:
    description:
      - Device records, as in C(ansible_facts.accelerators) from
        M(openaccel.cyborg.accelerator_facts) (C(schemas/device.schema.json)).
    type: list
    elements: dict
    default: []
  state:
    description:
      - V(present) publishes O(devices); V(absent) removes everything the module published for
        the node (its labels, extended resources and slices of O(driver_name); the feature
        file with O(target=nfd_feature_file)).
    type: str
    choices: [present, absent]
    default: present
  target:
    description:
      - V(api) talks to the cluster; V(manifests) writes files to O(manifest_dir);
        V(nfd_feature_file) writes the labels for node-feature-discovery.
    type: str
    choices: [api, manifests, nfd_feature_file]
    default: api
  publish:
    description:
      - What to manage. A kind left out is not touched in the cluster (with V(api)) and
        not written (with V(manifests)).
    type: list
    elements: str
    choices: [labels, extended_resources, resource_slices]
    default: [labels, extended_resources, resource_slices]
  types:
    description:
      - Publish only records of these types. Add V(nic), V(nvme) or V(other) to publish those
        too; an empty list publishes every record.
    type: list
    elements: str
    default: [gpu, ai, fpga, qat, dsa, iaa]
  include_virtual_functions:
    description: Publish SR-IOV virtual function records too (each as a device).
    type: bool
    default: false
  label_prefix:
    description: Domain of the collection's own labels.
    type: str
    default: openaccel.io
  nfd_labels:
    description: Also set the node-feature-discovery style C(pci-*) labels.
    type: bool
    default: true
  nfd_label_fields:
    description:
      - Fields of the C(pci-*) labels, like node-feature-discovery's C(deviceLabelFields).
      - Joined in node-feature-discovery's own fixed order (class, vendor, device,
        subsystem_vendor, subsystem_device) whatever the order of the list, so the label
        names match the ones NFD itself publishes.
    type: list
    elements: str
    choices: [class, vendor, device, subsystem_vendor, subsystem_device]
    default: [class, vendor]
  resource_prefix:
    description: Domain of the extended resources (not C(kubernetes.io) or C(k8s.io)).
    type: str
    default: openaccel.io
  resource_naming:
    description: V(product) gives one extended resource per type, vendor and product; V(type) one per type.
    type: str
    choices: [product, type]
    default: product
  driver_name:
    description:
      - DRA driver name of the ResourceSlices (a DNS subdomain you own, at most 63 characters).
        Changing it leaves the slices of the old name behind; remove them first with
        O(state=absent) and the old name.
    type: str
    default: accel.openaccel.io
  pool_name:
    description: Name of the node's resource pool. Defaults to the node name.
    type: str
  max_devices_per_slice:
    description: Devices per ResourceSlice (1 to 128); more devices give more slices.
    type: int
    default: 128
  manifest_dir:
    description: Directory for O(target=manifests); one sub-directory per node.
    type: path
  nfd_features_dir:
    description: node-feature-discovery's C(features.d) directory on the node.
    type: path
    default: /etc/kubernetes/node-feature-discovery/features.d
  nfd_feature_file:
    description: File name inside O(nfd_features_dir).
    type: str
    default: openaccel-cyborg
  retries:
    description: How many times a write that met a conflict (409) is planned and tried again.
    type: int
    default: 5
  field_manager:
    description: Field manager name sent with every write.
    type: str
    default: openaccel-cyborg
  request_timeout:
    description: Timeout of one API request, in seconds.
    type: int
    default: 30
notes:
  - "RBAC: C(get), C(patch) on C(nodes); C(patch) on C(nodes/status); C(list), C(get),
    C(create), C(update), C(delete) on C(resourceslices.resource.k8s.io). Check mode needs
    C(get) on nodes and C(list) on resourceslices only."
seealso:
  - name: Dynamic Resource Allocation
    description: How ResourceSlices publish devices to the scheduler.
    link: https://kubernetes.io/docs/concepts/scheduling-eviction/dynamic-resource-allocation/
  - name: Advertise extended resources for a node
    description: What extended resources in node status do (accounting, not device injection).
    link: https://kubernetes.io/docs/tasks/administer-cluster/extended-resource-node/
  - name: node-feature-discovery feature files
    description: The features.d format the nfd_feature_file target writes.
    link: https://kubernetes-sigs.github.io/node-feature-discovery/stable/usage/customization-guide.html#feature-files
'''

EXAMPLES = r'''
- name: Discover accelerators
  openaccel.cyborg.accelerator_facts:

- name: Publish them for this node (kubeconfig of the control host)
  openaccel.cyborg.k8s_node_accelerators:
    node: "{{ inventory_hostname }}"
    devices: "{{ ansible_facts.accelerators }}"
    kubeconfig: ~/.kube/config
  delegate_to: localhost

- name: GPUs only, DRA slices only, custom driver name
  openaccel.cyborg.k8s_node_accelerators:
    node: "{{ inventory_hostname }}"
    devices: "{{ ansible_facts.accelerators }}"
    types: [gpu]
    publish: [resource_slices]
    driver_name: gpu.example.com
  delegate_to: localhost

- name: GitOps - write the manifests into the repository checkout
  openaccel.cyborg.k8s_node_accelerators:
    node: "{{ inventory_hostname }}"
    devices: "{{ ansible_facts.accelerators }}"
    target: manifests
    manifest_dir: "{{ playbook_dir }}/clusters/prod/accelerators"
  delegate_to: localhost

- name: Let node-feature-discovery publish the labels (runs on the node itself)
  openaccel.cyborg.k8s_node_accelerators:
    devices: "{{ ansible_facts.accelerators }}"
    target: nfd_feature_file
  become: true

- name: Remove everything published for the node
  openaccel.cyborg.k8s_node_accelerators:
    node: "{{ inventory_hostname }}"
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
node:
  description: The node name used.
  returned: always
  type: str
  sample: gpu-node-1
labels:
  description: The labels published (before ownership checks; see RV(foreign)).
  returned: always
  type: dict
  sample: {"feature.node.kubernetes.io/pci-0302_10de.present": "true", "openaccel.io/gpu.count": "8"}
extended_resources:
  description: Extended resources and their counts.
  returned: always
  type: dict
  sample: {"openaccel.io/gpu-nvidia-h100": "8"}
resource_slices:
  description: The ResourceSlices of the pool (name, pool generation, number of devices).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "node1-accel.openaccel.io-0", "generation": 3, "devices": 8}]
device_count:
  description: Number of records published (after O(types) and O(include_virtual_functions)).
  returned: always
  type: int
generation:
  description: The pool generation after the run.
  returned: when ResourceSlices are published with target api or manifests
  type: int
foreign:
  description: Keys the module wanted but found owned by someone else, with their current values.
  returned: target api and labels or extended resources published
  type: dict
actions:
  description: The API writes made (or that would be made in check mode, as far as planned).
  returned: target api
  type: list
  elements: str
conflicts_retried:
  description: How many 409 conflicts were met and retried.
  returned: target api
  type: int
files:
  description: The files the module manages.
  returned: target manifests or nfd_feature_file
  type: list
  elements: str
changed_files:
  description: The files written or removed (or that would be in check mode).
  returned: target manifests or nfd_feature_file
  type: list
  elements: str
'''

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import execute
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.runner import (
    ARGSPEC, run)


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
