# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Bitstream files: format detection, identity (through the format parsers) and checksums.

Formats: ``gbs`` (Intel OPAE green bitstream, partial reconfiguration), ``xclbin`` (Xilinx
XRT axlf container: user xclbin or shell xsabin), ``secure_update`` (Intel PAC/OFS signed
FIM/BMC update image, "Block0" magic 0xb6eafd19, for fpgasupdate) and ``raw`` (anything
else, for the Linux fpga_manager).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import re
import struct

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream_gbs import (
    GBS_HEADER_LEN, MAX_METADATA_LEN, BitstreamError, is_gbs, parse_gbs)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream_xclbin import (
    SECTION_HEADER_LEN, SECTIONS_OFFSET, is_xclbin, parse_xclbin)

SECURE_UPDATE_MAGIC = 0xB6EAFD19
CHECKSUM_ALGORITHMS = ("sha256", "sha512")
_HEX_LEN = {"sha256": 64, "sha512": 128}
_CHUNK = 1 << 20

__all__ = ["BitstreamError", "ChecksumError", "parse_checksum", "file_digests",
           "verify_checksum", "identify"]


class ChecksumError(ValueError):
    """A checksum option is malformed or the file does not match it."""


def parse_checksum(text, option="checksum"):
    """'sha256:<hex>' -> ('sha256', '<hex>'); raises ChecksumError naming the option."""
    match = re.match(r"^\s*(sha256|sha512)\s*[:=]\s*([0-9a-fA-F]+)\s*$", text or "", re.IGNORECASE)
    if not match:
        raise ChecksumError("%s: %r is not '<algorithm>:<hex digest>' with algorithm sha256 or "
                            "sha512 (for example sha256:9f86d0...)" % (option, text))
    algo, digest = match.group(1).lower(), match.group(2).lower()
    if len(digest) != _HEX_LEN[algo]:
        raise ChecksumError("%s: a %s digest has %d hex digits, got %d"
                            % (option, algo, _HEX_LEN[algo], len(digest)))
    return algo, digest


def file_digests(path, algorithms=("sha256",)):
    """{algorithm: hexdigest} of a file, read once."""
    hashes = dict((name, hashlib.new(name)) for name in set(algorithms))
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            for h in hashes.values():
                h.update(chunk)
    return dict((name, h.hexdigest()) for name, h in hashes.items())


def verify_checksum(path, checksum, option="checksum", digests=None):
    """Raise ChecksumError unless the file matches ``checksum`` ('sha256:...'). ``digests``
    ({algo: hex}, computed from the bytes of ``path`` as they were copied) are used instead of
    reading the file again where they hold the algorithm."""
    algo, expected = parse_checksum(checksum, option)
    actual = (digests or {}).get(algo) or file_digests(path, (algo,))[algo]
    if actual != expected:
        raise ChecksumError("%s mismatch for %s: expected %s:%s, the file has %s:%s; the file "
                            "was not used and the device was not touched (re-download it or "
                            "fix %s)" % (option, path, algo, expected, algo, actual, option))
    return algo, actual


def _read_at(path):
    def read(offset, length):
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)
    return read


def _head(path, size):
    with open(path, "rb") as handle:
        head = handle.read(SECTIONS_OFFSET)
        if is_gbs(head) and len(head) >= GBS_HEADER_LEN:
            (length,) = struct.unpack("<I", head[16:GBS_HEADER_LEN])
            need = min(length, MAX_METADATA_LEN) + GBS_HEADER_LEN - len(head)
            if need > 0:
                head += handle.read(need)
        elif is_xclbin(head) and len(head) >= SECTIONS_OFFSET:
            (count,) = struct.unpack("<I", head[448:452])
            head += handle.read(min(count, 4096) * SECTION_HEADER_LEN)
    return head


def identify(path):
    """Format and identity of the file at ``path``.

    Returns {format, size, ...format fields}. Raises BitstreamError for a file that claims
    a format (magic) but is malformed, and OSError when it cannot be read.
    """
    size = os.path.getsize(path)
    if size == 0:
        raise BitstreamError("%s is empty" % path)
    head = _head(path, size)
    if is_gbs(head):
        info = parse_gbs(head, size)
    elif is_xclbin(head):
        info = parse_xclbin(head, size, _read_at(path))
    elif len(head) >= 4 and struct.unpack("<I", head[:4])[0] == SECURE_UPDATE_MAGIC:
        info = {"format": "secure_update"}
    else:
        info = {"format": "raw"}
    info["size"] = size
    return info


def identity_of(info, kind):
    """The id that the device reports once ``info`` is loaded as ``kind`` (None: no id)."""
    if info["format"] == "gbs":
        return info["afu_id"]
    if info["format"] == "xclbin":
        return info["logic_uuid"] if kind == "base" else info["uuid"]
    return None
