# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""FPGA state from sysfs: Intel DFL, Xilinx XRT (xocl/xclmgmt) and fpga_manager.

Identifiers are normalised to lower-case hex without ``0x`` or dashes (DFL prints
``afu_id`` and ``compat_id`` as 32 hex digits; XRT prints UUIDs with dashes), so the
flashing module can compare them with what it parses from a bitstream header.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.pci import PCI_DEVICES


def normalize_id(value):
    if value is None:
        return None
    text = value.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    text = text.replace("-", "")
    return text or None


def _prefixed(sysfs, parts, prefix):
    return [name for name in sysfs.listdir(*parts) if name.startswith(prefix)]


def _int_or_none(text):
    try:
        return int(text, 0) if text is not None else None
    except ValueError:
        return None


def _dfl_interface_id(sysfs, fme_parts):
    for region in _prefixed(sysfs, fme_parts, "dfl-fme-region."):
        regions = fme_parts + (region, "fpga_region")
        for sub in sysfs.listdir(*regions):
            compat = sysfs.read_optional(*(regions + (sub, "compat_id")))
            if compat:
                return normalize_id(compat)
    return normalize_id(sysfs.read_optional(*(fme_parts + ("pr", "interface_id"))))


def read_dfl(sysfs, address):
    """DFL FME and ports below the PCI function's fpga_region container; None if absent."""
    base = PCI_DEVICES + (address, "fpga_region")
    fme_name, fme_parts, ports = None, None, []
    for region in sysfs.listdir(*base):
        parts = base + (region,)
        for name in sysfs.listdir(*parts):
            if name.startswith("dfl-fme.") and fme_parts is None:
                fme_name, fme_parts = name, parts + (name,)
            elif name.startswith("dfl-port."):
                port = parts + (name,)
                ports.append({"name": name, "id": _int_or_none(sysfs.read_optional(*(port + ("id",)))),
                              "afu_id": normalize_id(sysfs.read_optional(*(port + ("afu_id",))))})
    if fme_parts is None and not ports:
        return None
    info = {"framework": "dfl", "fme": fme_name, "ports": ports,
            "afu_id": ports[0]["afu_id"] if ports else None,
            "bitstream_id": None, "bitstream_metadata": None, "interface_id": None,
            "ports_num": None}
    if fme_parts is not None:
        info.update({
            "bitstream_id": normalize_id(sysfs.read_optional(*(fme_parts + ("bitstream_id",)))),
            "bitstream_metadata": normalize_id(
                sysfs.read_optional(*(fme_parts + ("bitstream_metadata",)))),
            "ports_num": _int_or_none(sysfs.read_optional(*(fme_parts + ("ports_num",)))),
            "interface_id": _dfl_interface_id(sysfs, fme_parts),
        })
    info["state"] = "programmed" if info["afu_id"] else ("ready" if fme_parts else "unknown")
    return info


def _subdev_attr(sysfs, address, subdev, attr):
    for name in _prefixed(sysfs, PCI_DEVICES + (address,), subdev + "."):
        value = sysfs.read_optional(*(PCI_DEVICES + (address, name, attr)))
        if value is not None:
            return value
    return None


def _uuid_list(text):
    return [normalize_id(part) for part in (text or "").split() if normalize_id(part)]


def read_xrt(sysfs, address, driver):
    """XRT state of an Alveo management (xclmgmt) or user (xocl) function."""
    if driver not in ("xclmgmt", "xocl"):
        return None
    base = PCI_DEVICES + (address,)
    ready = _int_or_none(sysfs.read_optional(*(base + ("ready",))))
    logic = _uuid_list(sysfs.read_optional(*(base + ("logic_uuids",))))
    interface = _uuid_list(sysfs.read_optional(*(base + ("interface_uuids",))))
    xclbin = normalize_id(_subdev_attr(sysfs, address, "icap", "xclbinuuid"))
    if xclbin and set(xclbin) == {"0"}:
        xclbin = None
    return {
        "framework": "xrt",
        "ready": None if ready is None else bool(ready),
        "instance": _int_or_none(sysfs.read_optional(*(base + ("instance",)))),
        "vbnv": _subdev_attr(sysfs, address, "rom", "VBNV"),
        "xclbin_uuid": xclbin,
        "logic_uuid": logic[0] if logic else None,
        "interface_uuid": interface[0] if interface else None,
        "state": "programmed" if xclbin else ("ready" if ready else "not_ready"),
    }


def read_fpga_managers(sysfs, address):
    base = PCI_DEVICES + (address, "fpga_manager")
    return [{"name": name,
             "description": sysfs.read_optional(*(base + (name, "name"))),
             "state": sysfs.read_optional(*(base + (name, "state")))}
            for name in sysfs.listdir(*base)]


def read_fpga(sysfs, address, driver):
    """The record's ``fpga`` block; framework None when no driver exposes state."""
    info = read_dfl(sysfs, address) or read_xrt(sysfs, address, driver) or {
        "framework": None, "state": None}
    managers = read_fpga_managers(sysfs, address)
    if managers:
        info["managers"] = managers
        if info["framework"] is None:
            info.update({"framework": "fpga_manager", "state": managers[0]["state"]})
    return info
