"""Helpers for the Placement integration tests: module runners and direct API reads."""
import os
import sys

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.integration.ansible_run import (  # noqa: E402
    ensure_collection_link, run_playbook_for_result)

DEVICES_FILE = os.path.join(HERE, "host-devices.json")
HEADERS = {"x-auth-token": "admin", "OpenStack-API-Version": "placement 1.39"}


ensure_collection_link()


class Api:
    """Direct reads and writes, to check the server's state and to play other clients."""

    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None, version="1.39"):
        headers = dict(HEADERS, **{"OpenStack-API-Version": "placement %s" % version})
        r = requests.request(method, self.url + path, json=body, headers=headers, timeout=30)
        return r.status_code, (r.json() if r.content else None)

    def get(self, path):
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def find(self, name):
        rps = self.get("/resource_providers?name=%s" % name)["resource_providers"]
        return rps[0] if rps else None

    def tree(self, root_name):
        """{name: {uuid, generation, traits, inventories}} of every provider below the root."""
        root = self.find(root_name)
        if root is None:
            return {}
        out = {}
        for rp in self.get("/resource_providers?in_tree=%s" % root["uuid"])["resource_providers"]:
            if rp["uuid"] == root["uuid"]:
                continue
            out[rp["name"]] = {
                "uuid": rp["uuid"], "generation": rp["generation"],
                "traits": sorted(self.get("/resource_providers/%s/traits" % rp["uuid"])["traits"]),
                "inventories": self.get("/resource_providers/%s/inventories"
                                        % rp["uuid"])["inventories"]}
        return out

    def total_providers(self):
        return len(self.get("/resource_providers")["resource_providers"])


def run_module(params, check_mode=False, diff=False, client_factory=None):
    """Run placement_provider_tree's body in-process, as the action plugin does on the
    controller (argument validation, no_log masking); returns its result dict (with 'failed'
    and 'warnings').

    ``client_factory(adapter, params) -> PlacementClient`` lets fault tests interpose.
    """
    from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack import auth
    from ansible_collections.openaccel.cyborg.plugins.module_utils._placement import runner as body
    from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.http import (
        PlacementClient,
    )
    from ansible_collections.openaccel.cyborg.plugins.plugin_utils._action_module import (
        run_in_process,
    )

    def reconcile(module):
        client = None
        if client_factory:
            client = client_factory(auth.build_adapter(module.params), module.params)
        elif module.params.get("endpoint"):
            client = PlacementClient(auth.build_adapter(module.params),
                                     retries=module.params["retries"], retry_delay=0.05)
        return body.run(module, client=client)

    result = run_in_process(reconcile, body.ARGSPEC, params, check_mode, diff)
    result.setdefault("failed", False)
    result.setdefault("warnings", [])
    return result


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Register the devices
      openaccel.cyborg.placement_provider_tree:
%(args)s
      environment: "{{ task_environment }}"
      register: result
      ignore_errors: true
    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ result_file }}"
      check_mode: false
      diff: false
"""


def task_args(module_args, indent=8):
    """Explicit ``key: "{{ module_args.key }}"`` lines (a templated args dict is unsafe)."""
    return "\n".join('%s%s: "{{ module_args.%s }}"' % (" " * indent, k, k)
                     for k in sorted(module_args))


def run_playbook(tmp_path, module_args, check=False, diff=False, env=None, in_process=True,
                 task_environment=None):
    """Run the module through ansible-playbook; returns (result dict, stdout).

    The task runs on the controller (localhost), so the action plugin runs the module's body
    in-process unless ``in_process`` is false (openaccel_cyborg_in_process=false: a module
    process, as for any other target).  ``task_environment``: the task's ``environment:``.
    """
    variables = {"module_args": module_args, "task_environment": task_environment or {},
                 "openaccel_cyborg_in_process": in_process}
    return run_playbook_for_result(tmp_path, "register.yml",
                                   PLAYBOOK % {"args": task_args(module_args)},
                                   variables, check=check, diff=diff, env=env)
