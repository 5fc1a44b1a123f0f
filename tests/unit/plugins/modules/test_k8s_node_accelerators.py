"""Module documentation and argument spec agree; a missing kubernetes library is reported."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import yaml

from ansible_collections.openaccel.cyborg.plugins.doc_fragments import k8s_auth
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import client as _k8s_client
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import runner as _k8s_run
from ansible_collections.openaccel.cyborg.plugins.modules import k8s_node_accelerators as mod


def test_documented_options_match_the_argument_spec():
    doc = yaml.safe_load(mod.DOCUMENTATION)
    fragment = yaml.safe_load(k8s_auth.ModuleDocFragment.DOCUMENTATION)
    documented = set(doc["options"]) | set(fragment["options"])
    assert documented == set(_k8s_run.ARGSPEC.argument_spec)
    for name, spec in _k8s_run.ARGSPEC.argument_spec.items():
        opt = doc["options"].get(name) or fragment["options"][name]
        assert opt.get("type", "str") == spec.get("type", "str"), name
        assert opt.get("default") == spec.get("default"), name
        assert sorted(opt.get("choices") or []) == sorted(spec.get("choices") or []), name
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}
    yaml.safe_load(mod.EXAMPLES)
    yaml.safe_load(mod.RETURN)


def test_secrets_are_no_log():
    assert _k8s_client.AUTH_ARG_SPEC["api_key"]["no_log"]
    assert _k8s_client.AUTH_ARG_SPEC["password"]["no_log"]


def test_missing_kubernetes_library(monkeypatch):
    import sys
    sys.path.insert(0, "tests/integration/k8s")
    from k8s_helpers import run_module
    monkeypatch.setattr(_k8s_client, "KUBERNETES_IMPORT_ERROR", "Traceback: no kubernetes")
    res = run_module({"node": "n1", "host": "https://127.0.0.1:1", "api_key": "x"})
    assert res["failed"], res
    assert "Failed to import the required Python library (kubernetes)" in res["msg"]


def test_argspec_holds_every_constraint():
    constraints = _k8s_run.ARGSPEC.constraints()
    assert constraints["required_if"] == [("target", "manifests", ["manifest_dir"])]
    assert sorted(constraints["required_together"]) == [("client_cert", "client_key"),
                                                        ("username", "password")]
    assert set(_k8s_client.AUTH_ARG_SPEC) <= set(_k8s_run.ARGSPEC.argument_spec)
