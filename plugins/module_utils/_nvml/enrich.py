# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Enrich NVIDIA GPU device records with data from NVML (pynvml).

Entry point: enrich_nvidia(records, mode): device, MIG and process data of every GPU NVML
enumerates, matched to the device records by PCI bus id. pynvml is loaded
(``_nvml/session.py``) only when mode is not "disabled" and, in mode "auto", only when a
record is an NVIDIA GPU; the MIG part of a record comes from ``_nvml/mig.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import MIB, mig_facts
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.session import (
    Session, error_name, load, normalize_bus_id, text)

MODES = ("auto", "required", "disabled")


class NvmlRequiredError(Exception):
    """NVML was required (mode "required") but is not usable."""

    def __init__(self, reason):
        super(NvmlRequiredError, self).__init__(reason)
        self.reason = reason


def is_nvidia_gpu(record):
    return record.get("vendor_id") == "10de" and record.get("type") == "gpu"


def status(available, reason, **kwargs):
    """The accelerator_discovery.nvml fact: whether NVML was used, why not, what it matched."""
    result = {"available": available, "reason": reason, "driver_version": None,
              "cuda_driver_version": None, "device_count": 0, "matched": 0,
              "unmatched_nvml_bus_ids": [], "unmatched_records": []}
    result.update(kwargs)
    return result


def mark_unavailable(records, reason):
    for record in records:
        if is_nvidia_gpu(record):
            gpu = record.get("gpu") if isinstance(record.get("gpu"), dict) else {}
            gpu.update({"source": "sysfs", "nvml_error": reason})
            record["gpu"] = gpu


def _unavailable(records, mode, reason):
    if mode == "required":
        raise NvmlRequiredError(reason)
    mark_unavailable(records, reason)
    return status(False, reason)


def system_info(session):
    """(driver version, CUDA driver version 'major.minor') or None for each."""
    driver = text(session.call(None, "driver_version", "nvmlSystemGetDriverVersion"))
    cuda = session.call(None, "cuda_driver_version", "nvmlSystemGetCudaDriverVersion_v2")
    if cuda is None:
        cuda = session.call(None, "cuda_driver_version", "nvmlSystemGetCudaDriverVersion")
    if cuda:
        cuda = "%d.%d" % (cuda // 1000, (cuda % 1000) // 10)
    return driver, cuda or None


def bus_id(session, handle):
    """The device's PCI address in the sysfs form, or None."""
    info = session.call(None, "pci", "nvmlDeviceGetPciInfo", handle)
    if info is None:
        return None
    for attr in ("busId", "busIdLegacy"):
        address = normalize_bus_id(getattr(info, attr, None))
        if address:
            return address
    return None


def device_info(session, handle, errors, driver, cuda):
    """The record's ``gpu`` data of one device; failing calls go to `errors`."""
    call = session.call
    memory = call(errors, "memory_total_mib", "nvmlDeviceGetMemoryInfo", handle)
    total = getattr(memory, "total", None)
    cc = call(errors, "compute_capability", "nvmlDeviceGetCudaComputeCapability", handle)
    persistence = call(errors, "persistence_mode", "nvmlDeviceGetPersistenceMode", handle)
    return {
        "source": "nvml",
        "nvml_error": None,
        "uuid": text(call(errors, "uuid", "nvmlDeviceGetUUID", handle)),
        "name": text(call(errors, "name", "nvmlDeviceGetName", handle)),
        "serial": text(call(errors, "serial", "nvmlDeviceGetSerial", handle)),
        "index": call(errors, "index", "nvmlDeviceGetIndex", handle),
        "minor_number": call(errors, "minor_number", "nvmlDeviceGetMinorNumber", handle),
        "memory_total_mib": int(total) // MIB if total is not None else None,
        "driver_version": driver,
        "cuda_driver_version": cuda,
        "compute_capability": "%d.%d" % tuple(cc[:2]) if cc else None,
        "persistence_mode": bool(persistence) if persistence is not None else None,
        "mig": mig_facts(session, handle, errors, total),
    }


def _add_dev_node(record, minor):
    if minor is None:
        return
    nodes = set(record.get("dev_nodes") or [])
    nodes.add("/dev/nvidia%d" % minor)
    record["dev_nodes"] = sorted(nodes)


def enrich(session, records):
    """Match every device NVML enumerates to its record and add its data (NVML is up)."""
    driver, cuda = system_info(session)
    by_address = {}
    for record in records:
        if is_nvidia_gpu(record):
            by_address[normalize_bus_id(record.get("address")) or record.get("address")] = record
    count = session.call(None, "count", "nvmlDeviceGetCount") or 0
    unmatched, matched = [], set()
    for index in range(count):
        handle = session.call(None, "handle", "nvmlDeviceGetHandleByIndex", index)
        if handle is None:
            unmatched.append("index %d: no handle" % index)
            continue
        address = bus_id(session, handle)
        record = by_address.get(address)
        if record is None:
            unmatched.append(address or "index %d: no PCI bus id" % index)
            continue
        errors = record.setdefault("errors", [])
        gpu = record.get("gpu") if isinstance(record.get("gpu"), dict) else {}
        gpu.update(device_info(session, handle, errors, driver, cuda))
        record["gpu"] = gpu
        _add_dev_node(record, gpu["minor_number"])
        matched.add(address)
    left = sorted(a for a in by_address if a not in matched)
    for address in left:
        record = by_address[address]
        reason = "not enumerated by NVML"
        if record.get("driver"):
            reason += " (bound to %s)" % record["driver"]
        mark_unavailable([record], reason)
    return status(True, None, driver_version=driver, cuda_driver_version=cuda,
                  device_count=count, matched=len(matched),
                  unmatched_nvml_bus_ids=unmatched, unmatched_records=left)


def enrich_nvidia(records, mode="auto", import_module=None):
    """Add NVML data (record["gpu"]) to the NVIDIA GPU records, in place.

    mode: "auto" (use NVML when it works), "required" (raise NvmlRequiredError
    when it does not), "disabled" (do nothing). Returns a status dict.
    """
    if mode not in MODES:
        raise ValueError("mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if mode == "disabled":
        return status(False, "disabled")
    if mode == "auto" and not any(is_nvidia_gpu(record) for record in records):
        # Loading NVML could add nothing; "required" still insists on it.
        return status(False, "skipped: no NVIDIA GPU among the PCI functions")
    try:
        session = Session(load(import_module))
    except ImportError as exc:
        return _unavailable(records, mode, "pynvml is not importable: %s" % exc)
    try:
        session.init()
    except session.error as exc:  # pylint: disable=catching-non-exception
        return _unavailable(records, mode, "nvmlInit failed: %s" % error_name(exc))
    try:
        return enrich(session, records)
    finally:
        session.shutdown()
