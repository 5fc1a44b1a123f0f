"""Unit tests: fpga_program's decision ("is work needed?") on records from hwsim trees."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream import identify
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.decide import (
    DecisionError, card_of, decide, loaded_id, normalize_address)
from tests.fixtures import bitstreams as fx
from tests.fixtures.hwsim import build

U1 = "11111111-2222-3333-4444-555555555555"
SHA = "ab" * 32


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = {}
    for name in ("d5005_dfl", "alveo_u200"):
        root = tmp_path_factory.mktemp(name)
        build(name).write(str(root))
        out[name] = discover(str(root))[0]
    return out


@pytest.fixture
def info(tmp_path):
    def _info(data):
        return identify(fx.write(tmp_path / "f.bin", data))
    return _info


def params(device, **kw):
    p = dict(device=device, method="auto", kind="auto", allow_base_flash=False, expected_id=None)
    p.update(kw)
    return p


def with_fpga(records, address, **fields):
    recs = copy.deepcopy(records)
    for r in recs:
        if r["address"] == address:
            r["fpga"].update(fields)
    return recs


def test_addresses_are_normalized():
    assert normalize_address("3B:00.0") == "0000:3b:00.0"
    assert card_of("0000:3b:00.1") == "0000:3b:00"
    with pytest.raises(DecisionError, match="device: "):
        normalize_address("3b:00")


def test_dfl_gbs_needs_programming_then_not(records, info):
    gbs = info(fx.gbs_bytes())
    plan = decide(records["d5005_dfl"], params("3b:00.0"), gbs, SHA)
    assert (plan["action"], plan["method"], plan["kind"], plan["tool"]) == (
        "program", "opae", "partial", "fpgaconf")
    assert plan["loaded_id"] is None and plan["wanted_id"] == gbs["afu_id"]
    done = with_fpga(records["d5005_dfl"], "0000:3b:00.0", afu_id=gbs["afu_id"])
    plan = decide(done, params("0000:3b:00.0"), gbs, SHA)
    assert plan["action"] == "none" and loaded_id(done, plan) == gbs["afu_id"]


def test_dfl_interface_mismatch_is_refused(records, info):
    gbs = info(fx.gbs_bytes(interface_id=U1))
    with pytest.raises(DecisionError) as err:
        decide(records["d5005_dfl"], params("0000:3b:00.0"), gbs, SHA)
    assert "compat_id" in str(err.value) and "nothing was programmed" in str(err.value)


def test_dfl_unknown_interface_is_refused(records, info):
    recs = with_fpga(records["d5005_dfl"], "0000:3b:00.0", interface_id=None)
    with pytest.raises(DecisionError, match="does not report its PR interface id"):
        decide(recs, params("0000:3b:00.0"), info(fx.gbs_bytes()), SHA)


def test_dfl_vf_points_at_the_pf(records, info):
    with pytest.raises(DecisionError, match=r"physical function is 0000:3b:00\.0"):
        decide(records["d5005_dfl"], params("0000:3b:00.1"), info(fx.gbs_bytes()), SHA)


def test_wrong_format_for_the_method(records, info):
    with pytest.raises(DecisionError, match="needs an Intel GBS"):
        decide(records["d5005_dfl"], params("0000:3b:00.0"), info(fx.xclbin_bytes(U1)), SHA)
    with pytest.raises(DecisionError, match="kind: fim or kind: bmc"):
        decide(records["d5005_dfl"], params("0000:3b:00.0"), info(fx.secure_update_bytes()), SHA)
    with pytest.raises(DecisionError, match="not possible with method xrt"):
        decide(records["alveo_u200"], params("0000:17:00.1", kind="fim"),
               info(fx.xclbin_bytes(U1)), SHA)


def test_fim_needs_expected_id_and_compares_bitstream_id(records, info):
    image = info(fx.secure_update_bytes())
    with pytest.raises(DecisionError, match="expected_id: "):
        decide(records["d5005_dfl"], params("0000:3b:00.0", kind="fim"), image, SHA)
    plan = decide(records["d5005_dfl"], params("0000:3b:00.0", kind="fim",
                                               expected_id="0x4010002183C88A9"), image, SHA)
    assert plan["action"] == "none" and plan["id_field"] == "bitstream_id"
    plan = decide(records["d5005_dfl"], params("0000:3b:00.0", kind="fim", expected_id="0x5"),
                  image, SHA)
    assert plan["action"] == "program" and plan["tool"] == "fpgasupdate"
    staged = {"sha256": SHA}
    plan = decide(records["d5005_dfl"], params("0000:3b:00.0", kind="fim", expected_id="0x5"),
                  image, SHA, staged=lambda kind: staged if kind == "fim" else None)
    assert plan["action"] == "pending" and plan["reboot_required"]


def test_xrt_user_xclbin_targets_the_user_pf_from_either_function(records, info):
    xclbin = info(fx.xclbin_bytes(U1))
    for address in ("0000:17:00.0", "0000:17:00.1"):
        plan = decide(records["alveo_u200"], params(address), xclbin, SHA)
        assert (plan["action"], plan["tool"], plan["target"]) == ("program", "xbutil",
                                                                  "0000:17:00.1")
        assert plan["loaded_id"] is None and plan["id_field"] == "xclbin_uuid"
    done = with_fpga(records["alveo_u200"], "0000:17:00.1", xclbin_uuid=xclbin["uuid"])
    assert decide(done, params("0000:17:00.0"), xclbin, SHA)["action"] == "none"


def test_xrt_platform_and_interface_mismatch_refused(records, info):
    with pytest.raises(DecisionError, match="built for platform xilinx_u200_xdma_201830_2"):
        decide(records["alveo_u200"], params("0000:17:00.1"),
               info(fx.xclbin_bytes(U1, vbnv=fx.U200_201830_VBNV)), SHA)
    recs = with_fpga(records["alveo_u200"], "0000:17:00.0", interface_uuid="ab" * 16)
    with pytest.raises(DecisionError, match="interface uuid"):
        decide(recs, params("0000:17:00.1"),
               info(fx.xclbin_bytes(U1, interface_uuid=fx.D5005_INTERFACE)), SHA)


def test_xrt_base_needs_allow_base_flash(records, info):
    shell = info(fx.xclbin_bytes(U1, shell=True, logic_uuid="aa" * 16, interface_uuid=U1))
    with pytest.raises(DecisionError, match="allow_base_flash: "):
        decide(records["alveo_u200"], params("0000:17:00.1"), shell, SHA)
    plan = decide(records["alveo_u200"], params("0000:17:00.1", allow_base_flash=True), shell, SHA)
    assert (plan["kind"], plan["tool"], plan["target"], plan["id_field"]) == (
        "base", "xbmgmt", "0000:17:00.0", "logic_uuid")
    with pytest.raises(DecisionError, match="kind: base"):
        decide(records["alveo_u200"], params("0000:17:00.1", kind="partial"), shell, SHA)


def test_not_found_and_not_fpga(records, info):
    with pytest.raises(DecisionError, match="not an accelerator below sysfs_root"):
        decide(records["d5005_dfl"], params("0000:99:00.0"), info(fx.gbs_bytes()), SHA)
    recs = copy.deepcopy(records["d5005_dfl"])
    recs[0]["type"] = "gpu"
    with pytest.raises(DecisionError, match="not an FPGA"):
        decide(recs, params(recs[0]["address"]), info(fx.gbs_bytes()), SHA)


def test_no_framework_names_the_drivers(records, info):
    recs = copy.deepcopy(records["d5005_dfl"])
    recs[0]["fpga"] = {"framework": None, "state": None}
    with pytest.raises(DecisionError, match="bind dfl-pci"):
        decide(recs, params(recs[0]["address"]), info(fx.gbs_bytes()), SHA)


def test_fpga_manager_uses_the_recorded_load_only_while_operating(records, info):
    recs = copy.deepcopy(records["d5005_dfl"])
    pf = [r for r in recs if r["address"] == "0000:3b:00.0"][0]
    raw = info(b"\x00\x09\x0f\xf0" * 64)
    plan = decide(recs, params(pf["address"], method="fpga_manager"), raw, SHA)
    assert plan["action"] == "program" and plan["wanted_id"] == SHA
    plan = decide(recs, params(pf["address"], method="fpga_manager"), raw, SHA,
                  staged={"sha256": SHA})
    assert plan["action"] == "none"
    pf["fpga"]["managers"][0]["state"] = "write error"
    plan = decide(recs, params(pf["address"], method="fpga_manager"), raw, SHA,
                  staged={"sha256": SHA})
    assert plan["action"] == "program"
