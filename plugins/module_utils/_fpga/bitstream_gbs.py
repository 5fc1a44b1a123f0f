# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Intel OPAE green bitstream (GBS) header.

Layout, as OPAE's packager writes it (``packager/utils/gbs.py``) and ``libbitstream``
reads it:

    offset 0   16 bytes  GUID 58656f6e-4650-4741-b747-425376303031 (b"XeonFPGA\\xb7GBSv001")
    offset 16   4 bytes  metadata length, unsigned 32-bit little endian
    offset 20   N bytes  JSON metadata
    offset 20+N          the raw bitstream (.rbf)

The metadata's ``afu-image`` carries ``interface-uuid`` (the FIM's PR interface id, what the
FME reports as ``compat_id``) and ``accelerator-clusters[].accelerator-type-uuid`` (the AFU
id that the port reports as ``afu_id`` once the bitstream is loaded).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import struct

GBS_GUID = b"XeonFPGA\xb7GBSv001"
GBS_HEADER_LEN = len(GBS_GUID) + 4
# libbitstream refuses metadata larger than this; a bigger value means a corrupt file.
MAX_METADATA_LEN = 1024 * 1024


class BitstreamError(ValueError):
    """The file is not a valid bitstream of the expected format; the message says why."""


def normalize_uuid(value):
    """'56E203E9-864F-49A7-...' -> '56e203e9864f49a7...' (what _fpga.normalize_id gives)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("-", "")
    if text.startswith("0x"):
        text = text[2:]
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return None
    return text


def is_gbs(head):
    return head[:len(GBS_GUID)] == GBS_GUID


def parse_gbs(head, size=None):
    """Identity of a GBS from its first bytes (``head`` must hold the whole metadata).

    Returns a dict: format, afu_id, afu_ids, interface_id, afu_name, platform_name,
    magic_no, version, metadata_len. Raises BitstreamError naming what is wrong.
    """
    if not is_gbs(head):
        raise BitstreamError("not a GBS file: the first 16 bytes are not the OPAE metadata "
                             "GUID 58656f6e-4650-4741-b747-425376303031")
    if len(head) < GBS_HEADER_LEN:
        raise BitstreamError("GBS file truncated inside the header")
    (length,) = struct.unpack("<I", head[len(GBS_GUID):GBS_HEADER_LEN])
    if length == 0:
        raise BitstreamError("GBS file has no metadata (length 0); repackage it with OPAE's "
                             "'packager create-gbs'")
    if length > MAX_METADATA_LEN:
        raise BitstreamError("GBS metadata length %d is implausible (corrupt file?)" % length)
    end = GBS_HEADER_LEN + length
    if len(head) < end:
        raise BitstreamError("GBS file truncated: metadata says %d bytes, file has %d"
                             % (length, len(head) - GBS_HEADER_LEN))
    if size is not None and size <= end:
        raise BitstreamError("GBS file has metadata but no bitstream after it")
    try:
        meta = json.loads(head[GBS_HEADER_LEN:end].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BitstreamError("GBS metadata is not valid JSON: %s" % exc)
    image = meta.get("afu-image") if isinstance(meta, dict) else None
    if not isinstance(image, dict):
        raise BitstreamError("GBS metadata has no 'afu-image' object")
    interface = normalize_uuid(image.get("interface-uuid"))
    if interface is None:
        raise BitstreamError("GBS metadata afu-image.interface-uuid is missing or not a UUID")
    clusters = image.get("accelerator-clusters") or []
    afu_ids = []
    for index, cluster in enumerate(clusters if isinstance(clusters, list) else []):
        uuid = normalize_uuid((cluster or {}).get("accelerator-type-uuid"))
        if uuid is None:
            raise BitstreamError("GBS metadata afu-image.accelerator-clusters[%d]."
                                 "accelerator-type-uuid is missing or not a UUID" % index)
        afu_ids.append(uuid)
    if not afu_ids:
        raise BitstreamError("GBS metadata afu-image.accelerator-clusters is empty: no AFU id")
    first = clusters[0]
    return {
        "format": "gbs", "afu_id": afu_ids[0], "afu_ids": afu_ids, "interface_id": interface,
        "afu_name": first.get("name"), "platform_name": meta.get("platform-name"),
        "magic_no": image.get("magic-no"), "version": meta.get("version"),
        "metadata_len": length,
    }
