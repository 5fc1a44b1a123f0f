# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Xilinx XRT container (xclbin / xsabin, "axlf") header, after XRT's ``xclbin.h``.

    struct axlf {                         offset
        char     m_magic[8];              0     "xclbin2\\0"
        int32_t  m_signature_length;      8
        uchar    reserved[28];            12
        uchar    m_keyBlock[256];         40
        uint64_t m_uniqueId;              296
        struct axlf_header {              304   (152 bytes)
            uint64_t m_length;            304   total file size
            uint64_t m_timeStamp;         312
            uint64_t m_featureRomTimeStamp; 320
            uint16_t m_versionPatch;      328
            uint8_t  m_versionMajor;      330
            uint8_t  m_versionMinor;      331
            uint16_t m_mode;              332   XCLBIN_MODE
            uint16_t m_actionMask;        334
            uchar    m_interface_uuid[16];336
            uchar    m_platformVBNV[64];  352
            xuid_t   uuid;                416   the xclbin's UUID (icap.*/xclbinuuid)
            char     m_debug_bin[16];     432
            uint32_t m_numSections;       448   (+4 bytes padding)
        } m_header;
        struct axlf_section_header m_sections[];  456, 40 bytes each:
            uint32_t kind; char name[16]; (4 pad); uint64_t offset; uint64_t size;
    };

Shells (.xsabin) use the same container; their PARTITION_METADATA section (JSON) carries
the logic and interface UUIDs. All integers are little endian.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import struct

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream_gbs import (
    BitstreamError, normalize_uuid)

XCLBIN_MAGIC = b"xclbin2\x00"
HEADER_OFFSET = 304
SECTIONS_OFFSET = 456
SECTION_HEADER_LEN = 40
MAX_SECTIONS = 0x10000
MODES = {0: "flat", 1: "pr", 2: "tandem_stage2", 3: "tandem_stage2_with_pr", 4: "hw_emu",
         5: "sw_emu", 6: "hw_emu_pr"}
SECTION_KINDS = {0: "BITSTREAM", 1: "CLEARING_BITSTREAM", 2: "EMBEDDED_METADATA",
                 6: "MEM_TOPOLOGY", 7: "CONNECTIVITY", 8: "IP_LAYOUT", 11: "CLOCK_FREQ_TOPOLOGY",
                 12: "MCS", 13: "BMC", 14: "BUILD_METADATA", 18: "PDI",
                 19: "BITSTREAM_PARTIAL_PDI", 20: "PARTITION_METADATA", 22: "SYSTEM_METADATA"}
PARTITION_METADATA = 20


def is_xclbin(head):
    return head[:7] == XCLBIN_MAGIC[:7]


def _uuid(raw):
    text = raw.hex() if hasattr(raw, "hex") else "".join("%02x" % b for b in bytearray(raw))
    return None if set(text) == {"0"} else text


def _cstr(raw):
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _sections(head, count):
    sections = []
    for index in range(count):
        start = SECTIONS_OFFSET + index * SECTION_HEADER_LEN
        if len(head) < start + SECTION_HEADER_LEN:
            break  # the caller read only the start of the file; the rest is not needed
        kind, name = struct.unpack("<I16s", head[start:start + 20])
        offset, size = struct.unpack("<QQ", head[start + 24:start + 40])
        sections.append({"kind": kind, "kind_name": SECTION_KINDS.get(kind, str(kind)),
                         "name": _cstr(name), "offset": offset, "size": size})
    return sections


def _partition_metadata(read_at, sections):
    """logic/interface UUIDs from PARTITION_METADATA JSON, when present and readable."""
    for section in sections:
        if section["kind"] != PARTITION_METADATA or read_at is None or section["size"] > 1 << 20:
            continue
        try:
            meta = json.loads(read_at(section["offset"], section["size"]).rstrip(b"\x00"))
        except (ValueError, UnicodeDecodeError):
            raise BitstreamError("xclbin PARTITION_METADATA section is not valid JSON")
        part = meta.get("partition_metadata", meta) if isinstance(meta, dict) else {}
        logic = normalize_uuid(part.get("logic_uuid") or "")
        interfaces = [normalize_uuid(i.get("interface_uuid") or "")
                      for i in part.get("interfaces") or [] if isinstance(i, dict)]
        return logic, [i for i in interfaces if i]
    return None, []


def parse_xclbin(head, size=None, read_at=None):
    """Identity of an xclbin/xsabin from its first bytes (at least the section table).

    ``read_at(offset, length)`` optionally reads further into the file (for the
    PARTITION_METADATA section of shells). Raises BitstreamError naming what is wrong.
    """
    if not is_xclbin(head):
        raise BitstreamError("not an xclbin: the file does not start with the 'xclbin2' magic")
    if head[:8] != XCLBIN_MAGIC:
        raise BitstreamError("xclbin magic is not NUL-terminated 'xclbin2'")
    if len(head) < SECTIONS_OFFSET:
        raise BitstreamError("xclbin truncated inside the axlf header (%d bytes, need %d)"
                             % (len(head), SECTIONS_OFFSET))
    (length,) = struct.unpack("<Q", head[HEADER_OFFSET:HEADER_OFFSET + 8])
    patch, major, minor, mode = struct.unpack("<HBBH", head[328:334])
    num_sections = struct.unpack("<I", head[448:452])[0]
    if size is not None and length != size:
        raise BitstreamError("xclbin header says the file is %d bytes but it is %d bytes "
                             "(truncated or corrupt download?)" % (length, size))
    if num_sections > MAX_SECTIONS:
        raise BitstreamError("xclbin header lists %d sections (corrupt file?)" % num_sections)
    uuid = _uuid(head[416:432])
    if uuid is None:
        raise BitstreamError("xclbin header uuid is all zeros: not a loadable xclbin")
    sections = _sections(head, num_sections)
    logic, interfaces = _partition_metadata(read_at, sections)
    header_interface = _uuid(head[336:352])
    if header_interface and header_interface not in interfaces:
        interfaces.insert(0, header_interface)
    kinds = set(s["kind"] for s in sections)
    return {
        "format": "xclbin", "uuid": uuid, "platform_vbnv": _cstr(head[352:416]),
        "interface_id": interfaces[0] if interfaces else None, "interface_ids": interfaces,
        "logic_uuid": logic, "mode": MODES.get(mode, str(mode)),
        "version": "%d.%d.%d" % (major, minor, patch), "num_sections": num_sections,
        "sections": [s["kind_name"] for s in sections],
        "is_shell": bool(logic) or (PARTITION_METADATA in kinds and 0 not in kinds and 19 not in kinds),
        "length": length,
    }
