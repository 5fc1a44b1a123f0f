"""Unit tests: fpga_program's lock, staged-state record, tool command lines and runner,
device-user detection, and the module's documentation vs argument spec."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os
import subprocess
import sys
import time

import pytest
import yaml


from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga import runner as body
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga import tools
from ansible_collections.openaccel.cyborg.plugins.module_utils._procfs import open_file_users
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.lock import (
    CardLock, LockTimeout, StagedState, lock_path)
from ansible_collections.openaccel.cyborg.plugins.modules import fpga_program as mod
from ansible_collections.openaccel.cyborg.tests.unit.plugins.modules.documented_options import (
    assert_spec_matches_docs, documented_options)


def test_lock_excludes_and_times_out_naming_the_holder(tmp_path):
    with CardLock(str(tmp_path), "0000:3b:00", timeout=5):
        start = time.time()
        with pytest.raises(LockTimeout) as err:
            CardLock(str(tmp_path), "0000:3b:00", timeout=0.3).acquire()
        assert time.time() - start < 2
        assert "pid %d" % os.getpid() in str(err.value) and "lock_timeout" in str(err.value)
    with CardLock(str(tmp_path), "0000:3b:00", timeout=0.3) as lock:
        assert lock.waited < 0.3
    with CardLock(str(tmp_path), "0000:3c:00", timeout=0.3):
        with CardLock(str(tmp_path), "0000:3b:00", timeout=0.3):
            pass  # other cards are independent


def test_lock_is_released_when_the_holder_dies(tmp_path):
    path = lock_path(str(tmp_path), "0000:17:00")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl,os,sys,time\nfd=os.open(%r, os.O_RDWR|os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)") % path],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(LockTimeout):
        CardLock(str(tmp_path), "0000:17:00", timeout=0.2).acquire()
    holder.kill()
    holder.wait()
    with CardLock(str(tmp_path), "0000:17:00", timeout=2):
        pass


def test_lock_dir_error_names_the_option(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LockTimeout, match="lock_dir: "):
        CardLock(str(blocker / "sub"), "0000:3b:00", timeout=1).acquire()


def test_staged_state_is_tied_to_the_boot(tmp_path):
    state = StagedState(str(tmp_path), "0000:17:00", boot="boot-1")
    assert state.get("base") is None
    state.put("base", "ab" * 32, "cd" * 16, "xbmgmt")
    assert state.get("base")["sha256"] == "ab" * 32
    assert StagedState(str(tmp_path), "0000:17:00", boot="boot-2").get("base") is None
    state.clear("base")
    assert state.get("base") is None


@pytest.mark.parametrize("plan, force, argv", [
    ({"tool": "fpgaconf", "target": "0000:3b:00.0"}, False,
     ["fpgaconf", "--segment", "0x0000", "--bus", "0x3b", "--device", "0x00", "--function",
      "0x0", "F"]),
    ({"tool": "fpgaconf", "target": "0001:af:1f.7"}, True,
     ["fpgaconf", "--segment", "0x0001", "--bus", "0xaf", "--device", "0x1f", "--function",
      "0x7", "--force", "F"]),
    ({"tool": "fpgasupdate", "target": "0000:3b:00.0"}, False,
     ["fpgasupdate", "--log-level", "info", "F", "0000:3b:00.0"]),
    ({"tool": "xbutil", "target": "0000:17:00.1"}, False,
     ["xbutil", "program", "--device", "0000:17:00.1", "--user", "F"]),
    ({"tool": "xbmgmt", "target": "0000:17:00.0"}, False,
     ["xbmgmt", "program", "--device", "0000:17:00.0", "--base", "--image", "F", "--force"]),
])
def test_command_lines(plan, force, argv):
    assert tools.command(plan, "F", force) == argv


def test_run_tool_kills_the_whole_group_on_timeout():
    script = ("import subprocess,sys,time\n"
              "child=subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)'])\n"
              "print(child.pid, flush=True)\ntime.sleep(60)")
    start = time.time()
    res = tools.run_tool([sys.executable, "-c", script], timeout=1)
    assert res["timed_out"] and time.time() - start < 10
    child = int(res["stdout"].split()[0])
    time.sleep(0.2)
    assert not alive(child)


def alive(pid):
    """Running (a killed orphan may stay a zombie until init reaps it)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (IOError, OSError):
        return False


def test_run_tool_result_and_missing_executable():
    res = tools.run_tool([sys.executable, "-c", "import sys; print('out'); "
                          "sys.stderr.write('Error: resource busy'); sys.exit(3)"], timeout=10)
    assert (res["rc"], res["stdout"].strip(), res["timed_out"]) == (3, "out", False)
    assert tools.looks_busy(res)
    with pytest.raises(tools.ToolError, match="cannot run"):
        tools.run_tool(["/nonexistent/fpgaconf"], timeout=1)


def test_open_file_users_finds_a_process_holding_the_node(tmp_path):
    node = tmp_path / "dfl-port.0"
    node.write_text("")
    holder = subprocess.Popen([sys.executable, "-c", "import sys,time\nf=open(%r)\n"
                               "print('open', flush=True)\ntime.sleep(60)" % str(node)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert holder.pid in open_file_users([str(node)])
    finally:
        holder.kill()
        holder.wait()
    assert open_file_users([str(node)]) == {}
    assert open_file_users([]) == {}


def test_fpga_manager_without_firmware_attribute_is_refused(tmp_path):
    mgr = tmp_path / "bus/pci/devices/0000:01:00.0/fpga_manager/fpga0"
    mgr.mkdir(parents=True)
    (mgr / "state").write_text("operating\n")
    image = tmp_path / "img.bin"
    image.write_bytes(b"\x00" * 32)
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    with pytest.raises(tools.ToolError, match="no 'firmware' attribute"):
        tools.fpga_manager_load(str(tmp_path), "0000:01:00.0", "fpga0", str(image), digest,
                                str(tmp_path / "fw"))
    (mgr / "firmware").write_text("")
    # the copy below firmware_dir must hold the bytes that were verified, or nothing loads
    with pytest.raises(tools.ToolError, match="changed after it was written .* not loaded"):
        tools.fpga_manager_load(str(tmp_path), "0000:01:00.0", "fpga0", str(image), "ab" * 32,
                                str(tmp_path / "fw"))
    assert (mgr / "firmware").read_text() == ""
    out = tools.fpga_manager_load(str(tmp_path), "0000:01:00.0", "fpga0", str(image),
                                  digest, str(tmp_path / "fw"))
    assert out == {"firmware": "openaccel-%s.bin" % digest[:16], "state": "operating"}
    assert (tmp_path / "fw" / out["firmware"]).read_bytes() == image.read_bytes()
    assert (mgr / "firmware").read_text() == out["firmware"]


def test_every_option_is_documented_with_matching_type_and_default():
    doc, opts = documented_options(mod)
    spec = body.ARGSPEC.argument_spec
    assert_spec_matches_docs(spec, opts)
    assert set(doc["options"]["glance"]["suboptions"]) == set(spec["glance"]["options"])
    assert doc["extends_documentation_fragment"] == ["openaccel.cyborg.attributes",
                                                     "openaccel.cyborg.openstack_auth"]
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}
    assert all(a["support"] == "full" for a in doc["attributes"].values())
    assert yaml.safe_load(mod.EXAMPLES) and yaml.safe_load(mod.RETURN)


def test_secrets_are_no_log():
    spec = body.ARGSPEC.argument_spec
    for name in ("auth", "token", "client_key"):
        assert spec[name].get("no_log") is True, name
    assert "endpoint" not in spec  # Placement's fixed endpoint is not Glance's
