"""The clouds.yaml + Keystone password path, end to end through ansible-playbook."""
import yaml

from tests.integration.placement.placement_helpers import run_module, run_playbook


def test_keystone_password_auth_via_clouds_yaml(keystone_placement, tmp_path, devices):
    ks, pl = keystone_placement
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump(ks.clouds_yaml("openaccel-test")))
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds)}
    args = {"cloud": "openaccel-test", "compute_node": "ks-node1", "create_root": True,
            "devices": devices, "interface": "internal"}
    r, _out = run_playbook(tmp_path, args, env=env)
    assert not r.get("failed"), r
    assert r["changed"] and len(r["providers"]["create"]) == 21
    r, _out = run_playbook(tmp_path, args, env=env)
    assert r["changed"] is False and r["api_calls"]["writes"] == 0
    # clouds.yaml named by the task's environment: keyword instead of the process environment,
    # in the action plugin's worker and in a module process
    for in_process in (True, False):
        r, _out = run_playbook(tmp_path, args, task_environment=env, in_process=in_process)
        assert not r.get("failed") and r["changed"] is False, r

    # the same through the auth dict (no clouds.yaml), as openstack.cloud allows
    auth = ks.clouds_yaml()["clouds"]["openaccel-test"]["auth"]
    res = run_module({"auth": auth, "auth_type": "password", "region_name": "RegionOne",
                      "compute_node": "ks-node1", "devices": devices})
    assert not res["failed"] and res["changed"] is False, res


def test_keystone_bad_password_is_a_clear_error(keystone_placement, devices):
    ks, _pl = keystone_placement
    auth = dict(ks.clouds_yaml()["clouds"]["openaccel-test"]["auth"], password="wrong")
    res = run_module({"auth": auth, "auth_type": "password", "compute_node": "ks-node1",
                      "devices": devices})
    assert res["failed"]
    assert "authentication" in res["msg"].lower() and "Unauthorized" in res["msg"], res["msg"]
    assert "wrong" not in res["msg"]
