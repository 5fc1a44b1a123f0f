# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fpga_program four-run idempotency (check, apply, check, apply) through ansible-playbook,
for Intel DFL (fpgaconf) and Xilinx XRT (xbutil), plus the flash and fpga_manager paths."""

import json
import os

from tests.fixtures import bitstreams as fx
from tests.integration.fpga.conftest import PrivateCopyOf

XCLBIN_UUID = "3f8c1b2a-9e47-4d21-8a55-0c6b7e9d1f30"


def write_playbook(host, task_args):
    path = str(host.tmp / "play.yml")
    with open(path, "w") as handle:
        json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "program", "openaccel.cyborg.fpga_program": host.args(**task_args),
             "register": "prog"}]}], handle)
    return path


def four_runs(host, task_args):
    play = write_playbook(host, task_args)
    results = []
    for flags in (["--check", "--diff"], ["--diff"], ["--check", "--diff"], []):
        code, out = host.playbook(play, *flags)
        assert code == 0, out
        stats = out["stats"]["localhost"]
        results.append((stats["changed"], out["plays"][0]["tasks"][0]["hosts"]["localhost"]))
    assert [changed for changed, _res in results] == [1, 1, 0, 0]
    return [res for _changed, res in results]


def test_dfl_four_runs(dfl, gbs):
    path, afu = gbs
    check1, apply1, check2, apply2 = four_runs(dfl, {"device": "0000:3b:00.0", "src": path})
    assert check1["diff"]["before"]["afu_id"] is None
    assert check1["diff"]["after"]["afu_id"] == afu
    assert check1["tool"] == "fpgaconf" and check1["action"] == "program"
    assert "tool_result" not in check1  # check mode ran nothing
    assert apply1["verified"] and apply1["loaded_id_after"] == afu
    assert apply1["tool_result"]["argv"][1:] == ["--segment", "0x0000", "--bus", "0x3b",
                                                 "--device", "0x00", "--function", "0x0",
                                                 PrivateCopyOf(path)]
    assert check2["action"] == apply2["action"] == "none"
    assert apply2["loaded_id_before"] == apply2["loaded_id_after"] == afu
    assert [c["tool"] for c in dfl.calls("programmed")] == ["fpgaconf"]
    assert dfl.read("0000:3b:00.0", "afu_id") == afu


def test_xrt_four_runs_naming_the_management_function(xrt):
    path = xrt.file("vadd.xclbin", fx.xclbin_bytes(XCLBIN_UUID))
    check1, apply1, _check2, apply2 = four_runs(xrt, {"device": "0000:17:00.0", "src": path})
    assert check1["target"] == "0000:17:00.1" and check1["tool"] == "xbutil"
    assert apply1["tool_result"]["argv"][1:] == ["program", "--device", "0000:17:00.1",
                                                 "--user", PrivateCopyOf(path)]
    assert apply1["diff"]["after"]["xclbin_uuid"] == XCLBIN_UUID.replace("-", "")
    assert apply2["loaded_id_after"] == XCLBIN_UUID.replace("-", "")
    assert xrt.read("0000:17:00.1", "xclbinuuid") == XCLBIN_UUID
    assert len(xrt.calls("programmed")) == 1
    # the other card was not touched
    assert xrt.read("0000:65:00.1", "xclbinuuid") == "00000000-0000-0000-0000-000000000000"


def test_xrt_shell_flash_needs_permission_then_waits_for_reboot(xrt):
    shell = xrt.file("base.xsabin", fx.xclbin_bytes(
        XCLBIN_UUID, shell=True, logic_uuid="0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        interface_uuid="862c7020-a250-293e-32d3-f31e7d1ba4ad"))
    code, res = xrt.module({"device": "0000:17:00.0", "src": shell})
    assert code != 0 and res["msg"].startswith("allow_base_flash: ") and not xrt.calls()
    args = {"device": "0000:17:00.0", "src": shell, "allow_base_flash": True}
    code, res = xrt.module(args)
    assert code == 0 and res["changed"] and res["reboot_required"] and not res["verified"]
    assert res["tool_result"]["argv"][1:] == ["program", "--device", "0000:17:00.0", "--base",
                                              "--image", PrivateCopyOf(shell), "--force"]
    assert res["loaded_id_after"] == res["loaded_id_before"] == "15fb8da1f552a9f923de6dc54aa8968f"
    for check in (True, False):  # flashed since this boot: no change, still pending
        code, res = xrt.module(args, check=check)
        assert code == 0 and not res["changed"] and res["action"] == "pending"
        assert res["reboot_required"]
    assert len(xrt.calls("flashed")) == 1


def test_xrt_shell_flash_verified_when_it_becomes_active(xrt):
    shell = xrt.file("base.xsabin", fx.xclbin_bytes(
        XCLBIN_UUID, shell=True, logic_uuid="0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"))
    args = {"device": "0000:17:00.1", "src": shell, "allow_base_flash": True}
    code, res = xrt.module(args, env={"OPENACCEL_STUB_APPLY_FLASH": "1"})
    assert code == 0 and res["changed"] and res["verified"] and not res["reboot_required"]
    code, res = xrt.module(args)
    assert code == 0 and not res["changed"] and res["action"] == "none"


def test_dfl_fim_update_uses_fpgasupdate_only_for_kind_fim(dfl):
    image = dfl.file("fim.bin", fx.secure_update_bytes())
    code, res = dfl.module({"device": "0000:3b:00.0", "src": image})
    assert code != 0 and "kind: fim" in res["msg"] and not dfl.calls()
    args = {"device": "0000:3b:00.0", "src": image, "kind": "fim", "expected_id": "0x50200aa"}
    code, res = dfl.module(args)
    assert code == 0 and res["changed"] and res["reboot_required"] and res["tool"] == "fpgasupdate"
    assert res["tool_result"]["argv"][1:] == ["--log-level", "info", PrivateCopyOf(image),
                                              "0000:3b:00.0"]
    code, res = dfl.module(args)
    assert code == 0 and not res["changed"] and res["action"] == "pending"
    code, res = dfl.module(dict(args, expected_id="0x4010002183c88a9"))
    assert code == 0 and not res["changed"] and res["action"] == "none"  # already runs it
    assert len(dfl.calls("flashed")) == 1


def test_fpga_manager_four_runs(dfl):
    """A function with only an fpga_manager (no DFL regions): the image goes through the
    manager's firmware attribute."""
    import shutil
    pf = os.path.join(dfl.sysfs, "bus", "pci", "devices", "0000:3b:00.0")
    shutil.rmtree(os.path.join(os.path.realpath(pf), "fpga_region"))
    with open(os.path.join(pf, "fpga_manager", "fpga0", "firmware"), "w") as handle:
        handle.write("\n")
    image = dfl.file("design.bin", b"\xff" * 32 + b"\xaa\x99\x55\x66" + b"\x00" * 200)
    fw = str(dfl.tmp / "firmware")
    results = [dfl.module({"device": "0000:3b:00.0", "src": image, "firmware_dir": fw},
                          check=check) for check in (True, False, True, False)]
    assert [r[0] for r in results] == [0, 0, 0, 0]
    assert [r[1]["changed"] for r in results] == [True, True, False, False]
    assert results[1][1]["tool"] == "fpga_manager" and results[1][1]["verified"]
    name = dfl.attr("0000:3b:00.0", "fpga_manager", "fpga0", "firmware")
    assert os.path.exists(os.path.join(fw, name))
