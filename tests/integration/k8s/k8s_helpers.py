"""Helpers for the Kubernetes tests: fake hosts, device records, module and playbook runners."""
import copy
import functools
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.integration.ansible_run import run_playbook_for_result  # noqa: E402
from tests.k8s_apiserver import rules  # noqa: E402
from tests.k8s_apiserver.openapi import OpenAPI  # noqa: E402

NVML_CAPTURES = {"h100_8gpu": "hgx-h100-8gpu-b.nvidia-smi-q.txt"}
_TREES = tempfile.mkdtemp(prefix="k8s-hwsim-")


@functools.lru_cache(maxsize=None)
def sysfs_tree(scenario):
    """A fake sysfs tree built by tests.fixtures.hwsim (once per test session)."""
    dest = os.path.join(_TREES, scenario)
    subprocess.run([sys.executable, "-m", "tests.fixtures.hwsim", "build", scenario, dest],
                   cwd=ROOT, check=True, capture_output=True)
    return dest


@functools.lru_cache(maxsize=None)
def _records(scenario):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
    from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.enrich import enrich_nvidia
    records, _summary = discover(sysfs_tree(scenario), use_udev=False)
    if scenario in NVML_CAPTURES:
        from tests.fixtures.nvml.fake_pynvml import make_fake_pynvml
        fake = make_fake_pynvml(NVML_CAPTURES[scenario])
        enrich_nvidia(records, "required", import_module=lambda name: fake)
    return json.dumps(records)


def records(scenario):
    """Device records of a hwsim scenario from the real discovery (NVML faked where captured)."""
    return json.loads(_records(scenario))


class ModuleResult(Exception):
    def __init__(self, result, failed):
        super(ModuleResult, self).__init__(result.get("msg"))
        self.result = dict(result, failed=failed)


def run_module(params, check_mode=False, diff=False):
    """Run k8s_node_accelerators in-process; returns its result dict (with failed, warnings)."""
    from ansible.module_utils import basic
    from ansible_collections.openaccel.cyborg.plugins.modules import k8s_node_accelerators as mod

    args = dict(copy.deepcopy(params), _ansible_check_mode=check_mode, _ansible_diff=diff)
    warnings = []

    def exit_json(self, **kw):
        raise ModuleResult(kw, False)

    def fail_json(self, **kw):
        raise ModuleResult(kw, True)

    def warn(self, msg):
        warnings.append(msg)

    saved = [(n, getattr(basic.AnsibleModule, n)) for n in ("exit_json", "fail_json", "warn")]
    for name, func in (("exit_json", exit_json), ("fail_json", fail_json), ("warn", warn)):
        setattr(basic.AnsibleModule, name, func)
    try:
        with _module_args(basic, args):
            mod.main()
    except ModuleResult as res:
        res.result["warnings"] = warnings
        return res.result
    finally:
        for name, func in saved:
            setattr(basic.AnsibleModule, name, func)
    raise AssertionError("module returned without exit_json/fail_json")


class _module_args(object):
    def __init__(self, basic, args):
        self.basic, self.args, self.cm = basic, args, None

    def __enter__(self):
        try:
            from ansible.module_utils.testing import patch_module_args
            self.cm = patch_module_args(self.args)
            self.cm.__enter__()
        except ImportError:  # ansible-core < 2.19
            from ansible.module_utils.common.text.converters import to_bytes
            self.old = self.basic._ANSIBLE_ARGS
            self.basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": self.args}))

    def __exit__(self, *exc):
        if self.cm:
            return self.cm.__exit__(*exc)
        self.basic._ANSIBLE_ARGS = self.old
        return False


def run_playbook(tmp_path, playbook, extra_vars, check=False, diff=False, env=None):
    """Run a playbook text; returns (parsed results file, stdout)."""
    return run_playbook_for_result(tmp_path, "play.yml", playbook, extra_vars, check=check,
                                   diff=diff, env=env)


def validate(version, kind, obj, old=None):
    """Schema (OpenAPI document of ``version``) and API-server rule errors of an object."""
    errors = OpenAPI.get(version).validate(obj, kind)
    errors += rules.resource_slice(obj, old) if kind == "ResourceSlice" else rules.node(obj)
    return errors


def slices_of(server, node):
    return sorted((copy.deepcopy(s) for s in server.store.objects["resourceslices"].values()
                   if s["spec"].get("nodeName") == node), key=lambda s: s["metadata"]["name"])


def node_of(server, name):
    return copy.deepcopy(server.store.objects["nodes"][name])
