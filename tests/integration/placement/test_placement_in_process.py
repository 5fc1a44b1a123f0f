"""The Placement task on the controller: in the action plugin's worker (the default) or in a
module process, with the same validation, secrets masking and failure reports."""
import pytest

from tests.integration.placement.placement_helpers import run_playbook

SECRET = "tok-not-admin-4711"
PATHS = pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "module-process"])


@PATHS
def test_secret_is_masked_in_results_and_output(placement, node, tmp_path, devices, in_process):
    # noauth2 Placement gives a token other than "admin" no admin role: 403 on every call
    args = {"endpoint": placement.url, "token": SECRET, "compute_node": node,
            "create_root": True, "devices": devices[:2]}
    r, out = run_playbook(tmp_path, args, in_process=in_process, env={"ANSIBLE_VERBOSITY": "3"})
    assert r["failed"] and "403" in r["msg"], r
    # -vvv prints the failed task's invocation: the token is masked there too
    assert '"token": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in out, out[-3000:]
    assert SECRET not in out and SECRET not in str(r)


@PATHS
def test_bad_option_is_named_and_nothing_is_sent(placement, api, node, tmp_path, in_process):
    before = api.total_providers()
    args = {"endpoint": placement.url, "token": "admin", "compute_node": node,
            "create_root": True, "devices": [], "sriov_mode": "per_gpu"}
    r, _out = run_playbook(tmp_path, args, in_process=in_process)
    assert r["failed"] and "sriov_mode" in r["msg"] and "per_gpu" in r["msg"], r
    assert api.total_providers() == before


@PATHS
def test_endpoint_and_cloud_are_mutually_exclusive(placement, node, tmp_path, in_process):
    args = {"endpoint": placement.url, "token": "admin", "cloud": "somecloud",
            "compute_node": node, "devices": []}
    r, _out = run_playbook(tmp_path, args, in_process=in_process)
    assert r["failed"] and "mutually exclusive" in r["msg"] and "cloud" in r["msg"], r
