"""Unit tests: GBS and xclbin header parsers, format detection, checksums."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import struct

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga import bitstream as bs
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream_gbs import parse_gbs
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream_xclbin import (
    parse_xclbin)
from tests.fixtures import bitstreams as fx

U1 = "11111111-2222-3333-4444-555555555555"


def test_gbs_identity_from_the_opae_metadata():
    info = parse_gbs(fx.gbs_bytes(), len(fx.gbs_bytes()))
    assert info["format"] == "gbs"
    assert info["afu_id"] == fx.NLB0_AFU.replace("-", "")
    assert info["interface_id"] == "a195b6f7cf235a2b8ef91161e184ec4e"
    assert info["afu_name"] == "nlb0" and info["platform_name"] == "pac_d5005"


def test_gbs_with_several_clusters_keeps_all_ids_first_is_the_identity():
    data = fx.gbs_bytes(extra_clusters=[("he_lb", fx.HE_LB_AFU)])
    info = parse_gbs(data)
    assert info["afu_ids"] == [fx.NLB0_AFU.replace("-", ""), fx.HE_LB_AFU.replace("-", "")]


@pytest.mark.parametrize("data, words", [
    (b"NOTAGBS" * 10, "not a GBS"),
    (fx.GBS_GUID + struct.pack("<I", 0) + b"x" * 10, "no metadata"),
    (fx.GBS_GUID + struct.pack("<I", 500) + b"{}", "truncated"),
    (fx.gbs_bytes(metadata=b"{not json"), "not valid JSON"),
    (fx.gbs_bytes(metadata={"version": 1}), "no 'afu-image'"),
    (fx.gbs_bytes(interface_id="zz"), "interface-uuid"),
    (fx.gbs_bytes(metadata={"afu-image": {"interface-uuid": U1, "accelerator-clusters": []}}),
     "accelerator-clusters is empty"),
    (fx.gbs_bytes(afu_id="nope"), "accelerator-type-uuid"),
])
def test_gbs_errors_say_what_is_wrong(data, words):
    with pytest.raises(bs.BitstreamError) as err:
        parse_gbs(data)
    assert words in str(err.value)


def test_gbs_without_rbf_is_rejected_when_size_is_known():
    data = fx.gbs_bytes(rbf_size=0)
    with pytest.raises(bs.BitstreamError, match="no bitstream"):
        parse_gbs(data, len(data))


def test_xclbin_uuid_vbnv_and_header_offsets():
    data = fx.xclbin_bytes(U1, vbnv=fx.U200_201830_VBNV, interface_uuid=fx.D5005_INTERFACE)
    info = parse_xclbin(data, len(data))
    assert info["uuid"] == U1.replace("-", "")
    assert data[416:432].hex() == info["uuid"]  # the documented offset of m_header.uuid
    assert info["platform_vbnv"] == fx.U200_201830_VBNV
    assert info["interface_id"] == fx.D5005_INTERFACE.replace("-", "")
    assert info["sections"] == ["BITSTREAM", "MEM_TOPOLOGY"] and not info["is_shell"]
    assert info["version"] == "2.14.0" and info["mode"] == "flat"


def test_xsabin_logic_uuid_comes_from_partition_metadata(tmp_path):
    data = fx.xclbin_bytes(U1, shell=True, logic_uuid="15fb8da1-f552-a9f9-23de-6dc54aa8968f",
                           interface_uuid="862c7020-a250-293e-32d3-f31e7d1ba4ad")
    info = bs.identify(fx.write(tmp_path / "shell.xsabin", data))
    assert info["is_shell"] and info["logic_uuid"] == "15fb8da1f552a9f923de6dc54aa8968f"
    assert info["interface_ids"] == ["862c7020a250293e32d3f31e7d1ba4ad"]
    assert bs.identity_of(info, "base") == info["logic_uuid"]
    assert bs.identity_of(info, "partial") == info["uuid"]


@pytest.mark.parametrize("mutate, words", [
    (lambda d: b"xclbin1\x00" + d[8:], "'xclbin2' magic"),
    (lambda d: d[:300], "truncated"),
    (lambda d: d[:416] + b"\x00" * 16 + d[432:], "all zeros"),
    (lambda d: d[:-8], "header says the file is"),
])
def test_xclbin_errors(mutate, words):
    data = mutate(fx.xclbin_bytes(U1))
    with pytest.raises(bs.BitstreamError) as err:
        parse_xclbin(data, len(data))
    assert words in str(err.value)


def test_identify_formats(tmp_path):
    assert bs.identify(fx.write(tmp_path / "a", fx.secure_update_bytes()))["format"] == "secure_update"
    assert bs.identify(fx.write(tmp_path / "b", b"\x00\x09\x0f\xf0" * 64))["format"] == "raw"
    with pytest.raises(bs.BitstreamError, match="empty"):
        bs.identify(fx.write(tmp_path / "c", b""))
    meta = fx.gbs_metadata(fx.NLB0_AFU, fx.D5005_INTERFACE, name="x" * 2000)
    big = fx.gbs_bytes(metadata=json.loads(json.dumps(meta)))
    assert bs.identify(fx.write(tmp_path / "d", big))["afu_name"] == "x" * 2000


def test_checksums(tmp_path):
    path = fx.write(tmp_path / "f", b"hello")
    good = fx.sha256(b"hello")
    assert bs.verify_checksum(path, good)[0] == "sha256"
    assert bs.verify_checksum(path, "SHA512=" + bs.file_digests(path, ["sha512"])["sha512"].upper())
    with pytest.raises(bs.ChecksumError, match="not touched"):
        bs.verify_checksum(path, "sha256:" + "0" * 64)
    for bad in ("md5:abc", "sha256:abc", "", "sha256"):
        with pytest.raises(bs.ChecksumError, match="checksum"):
            bs.parse_checksum(bad)
