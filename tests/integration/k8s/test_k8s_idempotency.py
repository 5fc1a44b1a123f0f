"""Four runs through ansible-playbook (check, apply, check, apply), Kubernetes 1.34 and 1.35.

The records come from the real discovery (plugins/module_utils/_devices.discover) of the hwsim
HGX H100 tree, enriched through the fake NVML of the nvidia-smi capture.
"""
from k8s_helpers import node_of, records, run_playbook, slices_of, validate

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Publish to Kubernetes
      openaccel.cyborg.k8s_node_accelerators:
        node: "{{ node }}"
        devices: "{{ devices }}"
        kubeconfig: "{{ kubeconfig }}"
      register: result
    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ result_file }}"
      check_mode: false
      diff: false
"""


def test_four_runs(any_server, node_name, tmp_path):
    server = any_server
    server.add_node(node_name, labels={"team.example.com/owner": "ml-infra"})
    extra = {"devices": records("h100_8gpu"), "node": node_name,
             "kubeconfig": server.kubeconfig("admin")}
    env = {}
    before = len(server.requests(writes=True))

    first, out = run_playbook(tmp_path, PLAYBOOK, extra, check=True, diff=True, env=env)
    assert first["changed"], first
    assert len(server.requests(writes=True)) == before, "check mode wrote to the API"
    assert "openaccel.io/gpu.count" in out and "+" in out  # the diff is shown

    second, _out = run_playbook(tmp_path, PLAYBOOK, extra, env=env)
    assert second["changed"] and second["resource_slices"][0]["devices"] == 8
    node = node_of(server, node_name)
    labels = node["metadata"]["labels"]
    assert labels["openaccel.io/gpu.count"] == "8"
    assert labels["openaccel.io/gpu.product"] == "h100"
    assert labels["openaccel.io/gpu.memory"] == "81559"
    assert labels["feature.node.kubernetes.io/pci-0302_10de.present"] == "true"
    assert labels["team.example.com/owner"] == "ml-infra"
    assert node["status"]["capacity"]["openaccel.io/gpu-nvidia-h100"] == "8"
    [slice_] = slices_of(server, node_name)
    assert not validate(server.version, "ResourceSlice", slice_)
    dev = slice_["spec"]["devices"][0]
    assert dev["attributes"]["driverVersion"] == {"version": "535.183.1"}
    assert dev["capacity"]["memory"]["value"] == "81559Mi"
    writes = len(server.requests(writes=True))

    third, _out = run_playbook(tmp_path, PLAYBOOK, extra, check=True, diff=True, env=env)
    assert not third["changed"], third
    fourth, _out = run_playbook(tmp_path, PLAYBOOK, extra, env=env)
    assert not fourth["changed"], fourth
    assert len(server.requests(writes=True)) == writes, "an idempotent run wrote to the API"
    assert slices_of(server, node_name)[0]["spec"]["pool"]["generation"] == 1
