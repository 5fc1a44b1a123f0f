"""Steps that take minutes run as async jobs polled by the play, so no SSH or connection
timeout can cut them, and the play says how long they took:

- every task of the roles that programs an FPGA (fpga_program);
- every package install (apt/dnf with packages) of the driver roles, where DKMS or a vendor
  post-install builds kernel modules.

Both ``async`` and ``poll`` come from role variables the role documents."""
import os

from ansible_collections.openaccel.cyborg.tests.unit.roles.role_files import (
    ROLES_DIR, argument_spec_options, role_tasks)

DRIVER_ROLES = ("nvidia_driver", "intel_opae", "xilinx_xrt")
PACKAGE_MODULES = ("ansible.builtin.apt", "ansible.builtin.dnf")


def is_long(role, task):
    """The rule: FPGA programming anywhere; a package install (not a cache refresh) in a driver role."""
    if "openaccel.cyborg.fpga_program" in task:
        return True
    if role not in DRIVER_ROLES:
        return False
    for module in PACKAGE_MODULES:
        args = task.get(module)
        if isinstance(args, dict) and ("name" in args or "deb" in args):
            return True
    return False


def long_tasks():
    for role in sorted(os.listdir(ROLES_DIR)):
        for path, task in role_tasks(role):
            if is_long(role, task):
                yield role, path, task


def test_the_rule_finds_both_kinds():
    roles = set(role for role, _path, _task in long_tasks())
    assert "accelerators" in roles and set(DRIVER_ROLES) <= roles, roles


def test_the_rule_tells_installs_from_cache_refreshes():
    assert is_long("nvidia_driver", {"ansible.builtin.apt": {"name": ["x"], "state": "present"}})
    assert is_long("xilinx_xrt", {"ansible.builtin.apt": {"deb": "/tmp/x.deb"}})
    assert not is_long("nvidia_driver", {"ansible.builtin.apt": {"update_cache": True}})
    assert not is_long("sriov", {"ansible.builtin.apt": {"name": ["x"]}})


def test_long_steps_are_async_jobs_polled_by_the_play_with_documented_variables():
    for role, path, task in long_tasks():
        documented = argument_spec_options(role)
        for key in ("async", "poll"):
            value = str(task.get(key))
            assert "{{" in value, (path, task.get("name"), key)
            variable = value.strip("{} ")
            assert variable in documented, (path, task.get("name"), variable)


def test_driver_roles_say_how_long_the_installation_took():
    for role in DRIVER_ROLES:
        messages = [str(task.get("ansible.builtin.debug", {}).get("msg"))
                    for _path, task in role_tasks(role) if "ansible.builtin.debug" in task]
        assert any("took" in m and "_install_started" in m for m in messages), role
