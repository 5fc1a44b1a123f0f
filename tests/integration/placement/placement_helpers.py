"""Helpers for the Placement integration tests: module runners and direct API reads."""
import json
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


class ModuleResult(Exception):
    def __init__(self, result, failed):
        super().__init__(result.get("msg"))
        self.result = dict(result, failed=failed)


def run_module(params, check_mode=False, diff=False, client_factory=None):
    """Run placement_provider_tree in-process; returns its result dict (with 'failed').

    ``client_factory(adapter_or_params) -> PlacementClient`` lets fault tests interpose.
    """
    from ansible.module_utils import basic
    from ansible_collections.openaccel.cyborg.plugins.modules import placement_provider_tree as mod
    from ansible_collections.openaccel.cyborg.plugins.module_utils import _placement_auth
    from ansible_collections.openaccel.cyborg.plugins.module_utils._placement_http import (
        PlacementClient,
    )

    args = dict(params, _ansible_check_mode=check_mode, _ansible_diff=diff)
    warnings = []

    def exit_json(self, **kw):
        raise ModuleResult(kw, False)

    def fail_json(self, **kw):
        raise ModuleResult(kw, True)

    def warn(self, msg):
        warnings.append(msg)

    patches = [("exit_json", exit_json), ("fail_json", fail_json), ("warn", warn)]
    saved = [(n, getattr(basic.AnsibleModule, n)) for n, _func in patches]
    for n, f in patches:
        setattr(basic.AnsibleModule, n, f)
    try:
        with _module_args(basic, args):
            module = basic.AnsibleModule(argument_spec=mod.argument_spec(),
                                         supports_check_mode=True,
                                         mutually_exclusive=_placement_auth.AUTH_MUTUALLY_EXCLUSIVE)
            client = None
            if client_factory:
                adapter = _placement_auth.build_adapter(module.params)
                client = client_factory(adapter, module.params)
            elif module.params.get("endpoint"):
                client = PlacementClient(_placement_auth.build_adapter(module.params),
                                         retries=module.params["retries"], retry_delay=0.05)
            mod.run(module, client=client)
    except ModuleResult as res:
        res.result["warnings"] = warnings
        return res.result
    finally:
        for n, f in saved:
            setattr(basic.AnsibleModule, n, f)
    raise AssertionError("module returned without exit_json/fail_json")


class _module_args:
    def __init__(self, basic, args):
        self.basic, self.args = basic, args

    def __enter__(self):
        try:
            from ansible.module_utils.testing import patch_module_args
            self.cm = patch_module_args(self.args)
            self.cm.__enter__()
        except ImportError:  # ansible-core < 2.19
            from ansible.module_utils.common.text.converters import to_bytes
            self.cm = None
            self.old = self.basic._ANSIBLE_ARGS
            self.basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": self.args}))

    def __exit__(self, *exc):
        if self.cm:
            return self.cm.__exit__(*exc)
        self.basic._ANSIBLE_ARGS = self.old
        return False


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Register the devices
      openaccel.cyborg.placement_provider_tree:
%(args)s
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


def run_playbook(tmp_path, module_args, check=False, diff=False, env=None):
    """Run the module through ansible-playbook; returns (result dict, stdout)."""
    return run_playbook_for_result(tmp_path, "register.yml",
                                   PLAYBOOK % {"args": task_args(module_args)},
                                   {"module_args": module_args}, check=check, diff=diff,
                                   env=env)
