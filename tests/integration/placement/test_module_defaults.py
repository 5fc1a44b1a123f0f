"""module_defaults by group (meta/runtime.yml action_groups), as a playbook uses them: the
OpenStack auth of group/openaccel.cyborg.openstack reaches placement_provider_tree (a real
Placement: openstacksdk's admin_token auth against its noauth2 API), the sysfs root of
group/openaccel.cyborg.host reaches accelerator_facts (a simulated host), the Kubernetes options
of group/openaccel.cyborg.kubernetes reach k8s_node_accelerators, and an option only some modules
have, set for group/openaccel.cyborg.accelerators, is refused by a module without it."""
import json

from tests.fixtures.hwsim.scenarios import build
from tests.integration.ansible_run import run_playbook_for_result

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/openaccel.cyborg.host:
      sysfs_root: "{{ tree }}"
    group/openaccel.cyborg.openstack:
      auth_type: admin_token
      auth: {endpoint: "{{ placement_url }}", token: admin}
    group/openaccel.cyborg.kubernetes:
      target: manifests
      manifest_dir: "{{ manifest_dir }}"
  tasks:
    - openaccel.cyborg.accelerator_facts:
        nvml: disabled
    - openaccel.cyborg.placement_provider_tree:
        compute_node: "{{ node }}"
        create_root: true
        devices: "{{ ansible_facts.accelerators | openaccel.cyborg.registered_devices }}"
      register: placement
    - openaccel.cyborg.k8s_node_accelerators:
        node: "{{ node }}"
        devices: "{{ ansible_facts.accelerators }}"
      register: k8s
    - openaccel.cyborg.validate_spec:
        spec: {version: 1}
      module_defaults:
        group/openaccel.cyborg.accelerators: {sysfs_root: /sys}
      register: refused
      ignore_errors: true
    - ansible.builtin.copy:
        dest: "{{ result_file }}"
        content: "{{ {'facts': ansible_facts.accelerators, 'placement': placement, 'k8s': k8s,
                      'refused': refused} | to_json }}"
        mode: "0600"
"""


def test_group_defaults_reach_the_modules(placement, api, node, tmp_path):
    tree = tmp_path / "sys"
    build("t4").write(str(tree))
    variables = {"tree": str(tree), "placement_url": placement.url, "node": node,
                 "manifest_dir": str(tmp_path / "manifests")}
    result, _out = run_playbook_for_result(tmp_path, "defaults.yml", PLAYBOOK, variables)
    gpus = [d for d in result["facts"] if d["type"] == "gpu"]
    assert len(gpus) == 1, json.dumps(result["facts"])[:2000]
    assert result["placement"]["changed"], result["placement"]
    root = api.get("/resource_providers?name=%s" % node)["resource_providers"]
    assert len(root) == 1, root
    tree_providers = api.get("/resource_providers?in_tree=%s" % root[0]["uuid"])["resource_providers"]
    assert len(tree_providers) == 2, tree_providers   # the compute node and its T4
    assert (tmp_path / "manifests" / node / "kustomization.yaml").is_file(), result["k8s"]
    refused = result["refused"]
    assert refused["failed"] and "sysfs_root" in refused["msg"], refused
