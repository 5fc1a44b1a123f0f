# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fpga_program under faults. After each: nothing is claimed that did not happen (changed
and loaded_id_after match what the fake device reports), and the next clean run converges."""

import fcntl
import os
import time

from tests.fixtures import bitstreams as fx

PF = "0000:3b:00.0"


def converges(host, args, expected_id, address=PF, attr="afu_id"):
    """The next clean run programs and verifies; the one after reports no change."""
    code, res = host.module(args)
    assert code == 0 and res["changed"] and res["verified"], res
    assert res["loaded_id_after"] == expected_id
    assert host.read(address, attr).replace("-", "") == expected_id
    code, res = host.module(args)
    assert code == 0 and not res["changed"]


def test_checksum_mismatch_touches_nothing(dfl, gbs):
    path, afu = gbs
    args = {"device": PF, "src": path, "checksum": "sha256:" + "0" * 64}
    code, res = dfl.module(args)
    assert code != 0 and not res["changed"]
    assert res["msg"].startswith("checksum mismatch") and "not touched" in res["msg"]
    assert dfl.calls() == [] and "loaded_id_after" not in res
    with open(path, "rb") as handle:
        converges(dfl, dict(args, checksum=fx.sha256(handle.read())), afu)


def test_wrong_interface_id_is_refused(dfl):
    path = dfl.file("other-fim.gbs", fx.gbs_bytes(interface_id="11111111-2222-3333-4444-555555555555"))
    for check in (True, False):
        code, res = dfl.module({"device": PF, "src": path}, check=check)
        assert code != 0 and not res["changed"]
        assert "(compat_id) a195b6f7cf235a2b8ef91161e184ec4e" in res["msg"]
    assert dfl.calls() == []
    assert dfl.read(PF, "compat_id") == "a195b6f7cf235a2b8ef91161e184ec4e"


def test_xrt_platform_mismatch_is_refused(xrt):
    path = xrt.file("old.xclbin", fx.xclbin_bytes("3f8c1b2a-9e47-4d21-8a55-0c6b7e9d1f30",
                                                  vbnv=fx.U200_201830_VBNV))
    code, res = xrt.module({"device": "0000:17:00.1", "src": path})
    assert code != 0 and "runs shell xilinx_u200_gen3x16_xdma_base_1" in res["msg"]
    assert xrt.calls() == []
    code, res = xrt.module({"device": "0000:65:00.1", "src": path})  # the card it fits
    assert code == 0 and res["changed"] and res["verified"]


def test_tool_failure_before_programming_claims_nothing(dfl, gbs):
    path, afu = gbs
    code, res = dfl.module({"device": PF, "src": path}, env={"OPENACCEL_STUB_FAIL": "fpgaconf"})
    assert code != 0 and not res["changed"]
    assert "fpgaconf failed (rc=1)" in res["msg"] and "injected failure" in res["msg"]
    assert res["loaded_id_after"] is None
    converges(dfl, {"device": PF, "src": path}, afu)


def test_tool_failure_midway_reports_the_half_state(dfl, gbs):
    path, afu = gbs
    code, res = dfl.module({"device": PF, "src": path}, env={"OPENACCEL_STUB_MIDWAY": "fpgaconf"})
    assert code != 0 and res["changed"]  # the port's AFU is gone: that did happen
    assert res["loaded_id_after"] == "0" * 32 == dfl.read(PF, "afu_id")
    assert "PR operation error" in res["msg"] and "now reports afu_id=" + "0" * 32 in res["msg"]
    converges(dfl, {"device": PF, "src": path}, afu)


def test_xrt_failure_midway_then_converges(xrt):
    path = xrt.file("vadd.xclbin", fx.xclbin_bytes("3f8c1b2a-9e47-4d21-8a55-0c6b7e9d1f30"))
    args = {"device": "0000:17:00.1", "src": path}
    code, res = xrt.module(args, env={"OPENACCEL_STUB_MIDWAY": "xbutil"})
    assert code != 0 and not res["changed"]  # zero uuid reads as "nothing loaded", as before
    assert res["loaded_id_after"] is None and "Input/output error" in res["msg"]
    converges(xrt, args, "3f8c1b2a9e474d218a550c6b7e9d1f30", "0000:17:00.1", "xclbinuuid")


def test_tool_hang_is_killed_at_the_timeout(dfl, gbs):
    path, afu = gbs
    start = time.time()
    code, res = dfl.module({"device": PF, "src": path, "timeout": 2},
                           env={"OPENACCEL_STUB_HANG": "fpgaconf"})
    assert code != 0 and not res["changed"] and res["tool_result"]["timed_out"]
    assert "did not finish within timeout=2s and was killed" in res["msg"]
    assert time.time() - start < 30
    hung = dfl.calls("hang")[0]["pid"]
    time.sleep(0.3)
    assert not _running(hung)
    converges(dfl, {"device": PF, "src": path}, afu)


def _running(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (IOError, OSError):
        return False


def test_two_concurrent_programs_of_one_card_are_serialized(dfl, gbs):
    path, afu = gbs
    env = {"OPENACCEL_STUB_DELAY": "2"}
    runs = [dfl.module({"device": PF, "src": path}, env=env, wait=False) for _run in range(2)]
    results = [run.result() for run in runs]
    assert [code for code, _res in results] == [0, 0]
    assert sorted(res["changed"] for _code, res in results) == [False, True]
    waiter = [res for _code, res in results if not res["changed"]][0]
    assert waiter["action"] == "none" and waiter["lock_waited_s"] > 0.5
    assert len(dfl.calls("programmed")) == 1 and dfl.calls("concurrent") == []


def test_lock_timeout_reports_and_touches_nothing(dfl, gbs):
    path, afu = gbs
    os.makedirs(dfl.lock_dir)
    fd = os.open(os.path.join(dfl.lock_dir, "openaccel-fpga-0000:3b:00.lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        code, res = dfl.module({"device": PF, "src": path, "lock_timeout": 1})
    finally:
        os.close(fd)
    assert code != 0 and not res["changed"] and "being programmed by another run" in res["msg"]
    assert dfl.calls() == []
    converges(dfl, {"device": PF, "src": path}, afu)


def test_device_busy_is_reported_unless_forced(dfl, gbs):
    path, afu = gbs
    env = {"OPENACCEL_STUB_BUSY": "fpgaconf"}
    code, res = dfl.module({"device": PF, "src": path}, env=env)
    assert code != 0 and not res["changed"] and res["msg"].startswith("device busy: ")
    assert "force: true" in res["msg"] and res["loaded_id_after"] is None
    code, res = dfl.module({"device": PF, "src": path, "force": True}, env=env)
    assert code == 0 and res["changed"] and res["verified"]
    assert "--force" in res["tool_result"]["argv"]


def test_verification_mismatch_fails_with_the_tool_output(dfl, gbs):
    path, afu = gbs
    code, res = dfl.module({"device": PF, "src": path}, env={"OPENACCEL_STUB_WRONG_ID": "fpgaconf"})
    assert code != 0 and res["changed"]  # something else got loaded, and that is said
    assert res["msg"].startswith("verification failed: fpgaconf exited 0")
    assert res["loaded_id_after"] == "f" * 32 == dfl.read(PF, "afu_id")
    converges(dfl, {"device": PF, "src": path}, afu)


def test_missing_tool_names_the_package(dfl, gbs):
    path, _afu = gbs
    code, res = dfl.module({"device": PF, "src": path},
                           env={"PATH": os.path.dirname(os.__file__) + ":/usr/bin:/bin"})
    assert code != 0 and "fpgaconf not found" in res["msg"] and "opae-tools" in res["msg"]
    assert not res["changed"]


def test_not_a_bitstream_and_missing_src(dfl):
    junk = dfl.file("junk.gbs", fx.GBS_GUID + b"\x05\x00\x00\x00{oops" + b"x" * 64)
    code, res = dfl.module({"device": PF, "src": junk})
    assert code != 0 and "not a usable bitstream" in res["msg"] and "not valid JSON" in res["msg"]
    code, res = dfl.module({"device": PF, "src": str(dfl.tmp / "nope.gbs")})
    assert code != 0 and res["msg"].startswith("src: ") and dfl.calls() == []


# -- the file flashed is the file verified ------------------------------------------------
# The run checks the bitstream, then may wait up to lock_timeout for the card lock: replacing
# the user's file meanwhile must not change what the tool programs (or what is reported).
# (test_fpga_sources.py does the same to a cache entry of a URL or Glance image.)

def _hex(data):
    return fx.sha256(data)[len("sha256:"):]


def test_replacing_src_while_waiting_for_the_lock_flashes_the_verified_bytes(dfl):
    # the same AFU id (so verification by id alone cannot tell them apart), another payload
    good, evil = fx.gbs_bytes(rbf_size=512), fx.gbs_bytes(rbf_size=4096)
    assert good != evil
    env = dfl.tee_tools()
    for in_place in (False, True):
        path = dfl.file("swap-%d.gbs" % int(in_place), good)
        code, res = dfl.swap_while_waiting(
            {"device": PF, "src": path, "checksum": fx.sha256(good)}, path, evil,
            env=env, in_place=in_place)
        assert code == 0 and res["changed"] and res["verified"], res
        assert dfl.received()[-1] == _hex(good), "the tool was handed the replaced file"
        assert res["bitstream"]["sha256"] == _hex(good) and res["bitstream"]["path"] == path
        copy = res["tool_result"]["argv"][-1]
        assert copy != path and not os.path.exists(copy)  # a private copy, removed afterwards
        dfl.unload_afu(PF)
    assert len(dfl.received()) == 2


def test_replacing_a_flash_image_while_waiting_flashes_the_verified_bytes(xrt):
    shell = dict(shell=True, logic_uuid="0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
                 interface_uuid="862c7020-a250-293e-32d3-f31e7d1ba4ad")
    good = fx.xclbin_bytes("3f8c1b2a-9e47-4d21-8a55-0c6b7e9d1f30", **shell)
    evil = fx.xclbin_bytes("3f8c1b2a-9e47-4d21-8a55-0c6b7e9d1f30", bitstream_size=1024, **shell)
    path = xrt.file("base.xsabin", good)
    code, res = xrt.swap_while_waiting(
        {"device": "0000:17:00.0", "src": path, "allow_base_flash": True}, path, evil,
        env=xrt.tee_tools(), card="0000:17:00")
    assert code == 0 and res["changed"] and res["reboot_required"] and res["tool"] == "xbmgmt"
    assert xrt.received() == [_hex(good)], "xbmgmt was handed the replaced file"
    assert res["bitstream"]["sha256"] == _hex(good)


def test_replacing_src_while_waiting_loads_the_verified_bytes_via_fpga_manager(dfl):
    import shutil
    pf = os.path.join(dfl.sysfs, "bus", "pci", "devices", PF)
    shutil.rmtree(os.path.join(os.path.realpath(pf), "fpga_region"))
    with open(os.path.join(pf, "fpga_manager", "fpga0", "firmware"), "w") as handle:
        handle.write("\n")
    good = b"\xff" * 32 + b"\xaa\x99\x55\x66" + b"\x00" * 200
    evil = b"\xff" * 32 + b"\xaa\x99\x55\x66" + b"\x01" * 200
    path = dfl.file("design.bin", good)
    fw = str(dfl.tmp / "firmware")
    code, res = dfl.swap_while_waiting({"device": PF, "src": path, "firmware_dir": fw},
                                       path, evil)
    assert code == 0 and res["changed"] and res["verified"] and res["tool"] == "fpga_manager"
    name = dfl.attr(PF, "fpga_manager", "fpga0", "firmware")
    with open(os.path.join(fw, name), "rb") as handle:
        assert handle.read() == good, "the firmware copy holds the replaced file"
    assert res["bitstream"]["sha256"] == _hex(good)
