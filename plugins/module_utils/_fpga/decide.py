# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's "is work needed?" decision: pure functions over device records
(schemas/device.schema.json) and a bitstream identity (bitstream.identify()).

No I/O here: the module runs decide() before the lock (check mode stops there), again under
the lock, and loaded_id() after the tool to verify.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.fpga import normalize_id
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream import identity_of
from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import (
    AddressError, card_of, normalize_address as _normalize_address)

METHOD_OF_FRAMEWORK = {"dfl": "opae", "xrt": "xrt", "fpga_manager": "fpga_manager"}
KINDS_OF_METHOD = {"opae": ("partial", "fim", "bmc"), "xrt": ("partial", "base"),
                   "fpga_manager": ("partial",)}
TOOLS = {("opae", "partial"): "fpgaconf", ("opae", "fim"): "fpgasupdate",
         ("opae", "bmc"): "fpgasupdate", ("xrt", "partial"): "xbutil",
         ("xrt", "base"): "xbmgmt", ("fpga_manager", "partial"): "fpga_manager"}
# Where the loaded id lives after programming: (record role, fpga block field).
ID_FIELDS = {("opae", "partial"): ("pf", "afu_id"), ("opae", "fim"): ("pf", "bitstream_id"),
             ("opae", "bmc"): (None, None), ("xrt", "partial"): ("user", "xclbin_uuid"),
             ("xrt", "base"): ("mgmt", "logic_uuid"), ("fpga_manager", "partial"): (None, None)}


class DecisionError(ValueError):
    """The request cannot be carried out safely; the message names the field and the fix."""


def normalize_address(text):
    """The ``device`` option in the sysfs form (the shared PCI address grammar)."""
    try:
        return _normalize_address(text, "device")
    except AddressError as exc:
        raise DecisionError(str(exc))


def _by_address(records):
    return dict((r["address"], r) for r in records)


def _find(records, address):
    rec = _by_address(records).get(address)
    if rec is None:
        raise DecisionError("device: %s is not an accelerator below sysfs_root (check the "
                            "address with 'lspci -D' or the accelerator_facts module)" % address)
    if rec.get("type") != "fpga":
        raise DecisionError("device: %s is a %s, not an FPGA" % (address, rec.get("type")))
    return rec


def _sibling(records, address, driver):
    for rec in records:
        same_card = card_of(rec["address"]) == card_of(address)
        if same_card and rec.get("driver") == driver and rec.get("type") == "fpga":
            return rec
    return None


def _fpga(rec):
    return rec.get("fpga") or {}


def resolve_method(rec, method):
    if method != "auto":
        return method
    framework = _fpga(rec).get("framework")
    if framework not in METHOD_OF_FRAMEWORK:
        raise DecisionError(
            "device: %s exposes no FPGA programming interface (driver %s): bind dfl-pci "
            "(Intel OPAE/DFL), xclmgmt+xocl (Xilinx XRT) or a driver with an fpga_manager, "
            "or set method" % (rec["address"], rec.get("driver") or "none"))
    return METHOD_OF_FRAMEWORK[framework]


def resolve_kind(method, kind, info):
    if kind == "auto":
        if method == "xrt" and info.get("is_shell"):
            return "base"
        if method == "opae" and info["format"] == "secure_update":
            raise DecisionError("kind: the file is a signed FIM/BMC update image; set kind: fim "
                                "or kind: bmc to flash it with fpgasupdate")
        return "partial"
    if kind not in KINDS_OF_METHOD[method]:
        raise DecisionError("kind: %s is not possible with method %s (choose one of %s)"
                            % (kind, method, ", ".join(KINDS_OF_METHOD[method])))
    return kind


_FORMATS = {("opae", "partial"): ("gbs",), ("opae", "fim"): ("secure_update",),
            ("opae", "bmc"): ("secure_update",), ("xrt", "partial"): ("xclbin",),
            ("xrt", "base"): ("xclbin",), ("fpga_manager", "partial"): ("raw",)}
_FORMAT_NAMES = {"gbs": "an Intel GBS (OPAE packager)", "xclbin": "a Xilinx xclbin/xsabin",
                 "secure_update": "an Intel signed update image",
                 "raw": "a raw bitstream for the fpga_manager"}


def _check_format(method, kind, info):
    wanted = _FORMATS[(method, kind)]
    if info["format"] not in wanted:
        raise DecisionError("src: the file is %s, but method %s kind %s needs %s"
                            % (_FORMAT_NAMES[info["format"]], method, kind,
                               " or ".join(_FORMAT_NAMES[f] for f in wanted)))
    if method == "xrt" and kind == "partial" and info.get("is_shell"):
        raise DecisionError("src: the file is a shell (xsabin), not a user xclbin; set "
                            "kind: base and allow_base_flash: true to flash the shell")
    if method == "xrt" and kind == "base" and not info.get("is_shell"):
        raise DecisionError("src: kind base needs a shell image (xsabin with "
                            "PARTITION_METADATA); this file is a user xclbin")


def _roles_opae(records, rec):
    if not _fpga(rec).get("fme"):
        physfn = (rec.get("sriov") or {}).get("physfn")
        hint = (" (its physical function is %s)" % physfn) if physfn else ""
        raise DecisionError("device: %s has no FPGA Management Engine; OPAE programs through "
                            "the card's physical function%s" % (rec["address"], hint))
    return {"pf": rec}


def _roles_xrt(records, rec, kind):
    mgmt = rec if rec.get("driver") == "xclmgmt" else _sibling(records, rec["address"], "xclmgmt")
    user = rec if rec.get("driver") == "xocl" else _sibling(records, rec["address"], "xocl")
    if kind == "partial" and user is None:
        raise DecisionError("device: card %s has no user function bound to xocl; load the XRT "
                            "drivers (xocl) before programming an xclbin" % card_of(rec["address"]))
    if kind == "base" and mgmt is None:
        raise DecisionError("device: card %s has no management function bound to xclmgmt; "
                            "load xclmgmt before flashing the shell" % card_of(rec["address"]))
    return {"user": user, "mgmt": mgmt}


def _check_compat_opae(rec, info):
    have = _fpga(rec).get("interface_id")
    if have is None:
        raise DecisionError("device: %s does not report its PR interface id (compat_id); "
                            "refusing to load a GBS that may not fit the FIM" % rec["address"])
    if info["interface_id"] != have:
        raise DecisionError(
            "src: GBS interface-uuid %s does not match the FPGA's PR interface id (compat_id) "
            "%s on %s: the AFU was built for another FIM. Rebuild the AFU against this FIM, "
            "or update the FIM first (kind: fim); nothing was programmed"
            % (info["interface_id"], have, rec["address"]))


def _check_compat_xrt(roles, info):
    dev = roles["user"] or roles["mgmt"]
    vbnv = _fpga(dev).get("vbnv")
    if vbnv and info.get("platform_vbnv") and info["platform_vbnv"] != vbnv:
        raise DecisionError(
            "src: the xclbin was built for platform %s but card %s runs shell %s; use an "
            "xclbin built for %s (or flash that shell first: kind base); nothing was programmed"
            % (info["platform_vbnv"], card_of(dev["address"]), vbnv, vbnv))
    mgmt_interface = _fpga(roles["mgmt"]).get("interface_uuid") if roles["mgmt"] else None
    if mgmt_interface and info.get("interface_ids") and mgmt_interface not in info["interface_ids"]:
        raise DecisionError(
            "src: xclbin interface uuid %s does not match the shell's interface uuid %s on "
            "card %s; nothing was programmed"
            % (info["interface_id"], mgmt_interface, card_of(dev["address"])))


def _wanted_id(method, kind, info, expected_id, sha256):
    if kind == "fim":
        if not expected_id:
            raise DecisionError("expected_id: kind fim needs the FME bitstream_id the update "
                                "brings (see the image's release notes), to know whether the "
                                "card already runs it")
        return normalize_id(expected_id)
    if method == "fpga_manager" or kind == "bmc":
        return sha256
    return identity_of(info, kind)


def decide(records, params, info, sha256, staged=None):
    """The plan: action 'none' | 'program' | 'pending' (flashed, waiting for a reboot).

    ``params``: device, method, kind, allow_base_flash, expected_id.
    ``staged``: the state file entry for this card and kind ({sha256, ...}), None, or a
    callable kind -> entry.
    Raises DecisionError when the request is unsafe or impossible.
    """
    address = normalize_address(params["device"])
    rec = _find(records, address)
    method = resolve_method(rec, params.get("method") or "auto")
    if method not in KINDS_OF_METHOD:
        raise DecisionError("method: %r is not one of opae, xrt, fpga_manager" % method)
    kind = resolve_kind(method, params.get("kind") or "auto", info)
    _check_format(method, kind, info)
    if method == "opae":
        roles = _roles_opae(records, rec)
        if kind == "partial":
            _check_compat_opae(rec, info)
        target = rec
    elif method == "xrt":
        roles = _roles_xrt(records, rec, kind)
        if kind == "base" and not params.get("allow_base_flash"):
            raise DecisionError("allow_base_flash: flashing the shell (kind base) rewrites the "
                                "card's flash and needs a cold reboot; set allow_base_flash: "
                                "true to allow it")
        if kind == "partial":
            _check_compat_xrt(roles, info)
        target = roles["user"] if kind == "partial" else roles["mgmt"]
    else:
        if not _fpga(rec).get("managers"):
            raise DecisionError("method: %s has no fpga_manager in sysfs" % address)
        roles, target = {"dev": rec}, rec
    role, field = ID_FIELDS[(method, kind)]
    staged = staged(kind) if callable(staged) else staged
    if method == "fpga_manager" and _fpga(rec)["managers"][0].get("state") != "operating":
        staged = None  # a failed or reset manager lost what an earlier run loaded
    loaded = _fpga(roles[role]).get(field) if role else None
    wanted = _wanted_id(method, kind, info, params.get("expected_id"), sha256)
    if method == "fpga_manager" and staged and staged.get("sha256") == sha256:
        loaded = wanted  # loaded by an earlier run since the last boot (no id in sysfs)
    if loaded is not None and loaded == wanted:
        action, reason = "none", "the device already runs %s" % wanted
    elif staged and staged.get("sha256") == sha256 and kind in ("base", "fim", "bmc"):
        action, reason = "pending", ("this image was flashed since the last boot; it becomes "
                                     "active after a cold reboot")
    else:
        action, reason = "program", "loaded %s, wanted %s" % (loaded, wanted)
    return {
        "action": action, "reason": reason, "method": method, "kind": kind,
        "tool": TOOLS[(method, kind)], "device": address, "card": card_of(address),
        "target": target["address"], "id_role": role, "id_field": field,
        "roles": dict((k, v["address"]) for k, v in roles.items() if v),
        "loaded_id": loaded, "wanted_id": wanted,
        "interface_id": _fpga(target).get("interface_id") or _fpga(target).get("interface_uuid"),
        "dev_nodes": list(target.get("dev_nodes") or []),
        "reboot_required": action == "pending",
    }


def loaded_id(records, plan):
    """Re-read the plan's id field from fresh records (None when it has no sysfs id)."""
    if not plan["id_role"]:
        return None
    rec = _by_address(records).get(plan["roles"][plan["id_role"]])
    return _fpga(rec).get(plan["id_field"]) if rec else None
