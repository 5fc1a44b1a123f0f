# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enrich NVIDIA GPU device records with data from NVML (pynvml).

Private to the collection. Entry point: enrich_nvidia(records, mode).
pynvml is imported lazily, only when mode is not "disabled". Works with the
old ``pynvml`` (bytes return values) and ``nvidia-ml-py`` (str return values).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import math
import warnings

MODES = ("auto", "required", "disabled")
MIB = 1024 * 1024
GIB = 1024 * 1024 * 1024

# NVML return codes (stable ABI values, see nvml.h); used when the binding
# lacks the constant.
_ERR_INVALID_ARGUMENT = 2
_ERR_NOT_SUPPORTED = 3
_ERR_NOT_FOUND = 6
_ERR_FUNCTION_NOT_FOUND = 13
# Codes meaning "this attribute does not apply here": the field becomes None
# without an entry in record["errors"].
_QUIET_CODES = (_ERR_NOT_SUPPORTED, _ERR_FUNCTION_NOT_FOUND)

# nvmlGpuInstanceProfile enum indices -> suffix nvidia-smi appends to the name
_PROFILE_SUFFIXES = {
    7: "+me",        # NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1
    8: "+me",        # NVML_GPU_INSTANCE_PROFILE_2_SLICE_REV1
    10: "+gfx",      # NVML_GPU_INSTANCE_PROFILE_1_SLICE_GFX
    11: "+gfx",      # NVML_GPU_INSTANCE_PROFILE_2_SLICE_GFX
    12: "+gfx",      # NVML_GPU_INSTANCE_PROFILE_4_SLICE_GFX
    13: "-me",       # NVML_GPU_INSTANCE_PROFILE_1_SLICE_NO_ME
    14: "-me",       # NVML_GPU_INSTANCE_PROFILE_2_SLICE_NO_ME
    15: "+me.all",   # NVML_GPU_INSTANCE_PROFILE_1_SLICE_ALL_ME
    16: "+me.all",   # NVML_GPU_INSTANCE_PROFILE_2_SLICE_ALL_ME
    17: "+gfx",      # NVML_GPU_INSTANCE_PROFILE_3_SLICE_GFX
}


class NvmlRequiredError(Exception):
    """NVML was required (mode "required") but is not usable."""

    def __init__(self, reason):
        super(NvmlRequiredError, self).__init__(reason)
        self.reason = reason


def normalize_bus_id(bus_id):
    """'00000000:3B:00.0' (NVML) or '0000:3b:00.0' -> '0000:3b:00.0'; None if unparsable."""
    text = _text(bus_id)
    if not text:
        return None
    parts = text.strip().lower().split(":")
    try:
        if len(parts) == 2:
            domain, bus, rest = 0, parts[0], parts[1]
        elif len(parts) == 3:
            domain, bus, rest = int(parts[0], 16), parts[1], parts[2]
        else:
            return None
        slot, func = rest.split(".")
        return "%04x:%02x:%02x.%x" % (domain, int(bus, 16), int(slot, 16), int(func, 16))
    except ValueError:
        return None


def is_nvidia_gpu(record):
    return record.get("vendor_id") == "10de" and record.get("type") == "gpu"


def mig_memory_size_gb(total_memory_bytes, mig_memory_mib):
    """Memory part of a MIG profile name, computed the way NVIDIA's tools do.

    The instance memory as a fraction of the whole GPU is rounded up to the
    next 1/8 and multiplied by the GPU memory in whole GiB (rounded up):
    A100-80GB 19968 MiB -> 20, H100 80GB HBM3 9984 MiB -> 10.
    """
    fraction = (float(mig_memory_mib) * MIB) / float(total_memory_bytes)
    fraction = math.ceil(fraction * 8) / 8.0
    total_gb = (int(total_memory_bytes) + GIB - 1) // GIB
    return int(math.floor(fraction * total_gb + 0.5))


def mig_profile_name(gi_slices, memory_mib, total_memory_bytes, ci_slices=None,
                     profile_index=None):
    """nvidia-smi style name: '1g.10gb', '1g.10gb+me', '1c.2g.20gb'."""
    if not gi_slices or not memory_mib or not total_memory_bytes:
        return None
    name = "%dg.%dgb" % (gi_slices, mig_memory_size_gb(total_memory_bytes, memory_mib))
    name += _PROFILE_SUFFIXES.get(profile_index, "")
    if ci_slices and ci_slices < gi_slices:
        name = "%dc.%s" % (ci_slices, name)
    return name


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.rstrip("\x00").strip()


def _import_pynvml(import_module):
    with warnings.catch_warnings():
        # pynvml 12+ warns (FutureWarning) that nvidia-ml-py should be used.
        warnings.simplefilter("ignore")
        return import_module("pynvml")


def _error_name(exc):
    return "%s: %s" % (type(exc).__name__, exc)


class _Session(object):
    """Calls into one initialised pynvml module; errors become None."""

    def __init__(self, nvml):
        self.nvml = nvml
        self.error_class = getattr(nvml, "NVMLError", None) or Exception
        self.quiet = tuple(getattr(nvml, name, code) for name, code in (
            ("NVML_ERROR_NOT_SUPPORTED", _ERR_NOT_SUPPORTED),
            ("NVML_ERROR_FUNCTION_NOT_FOUND", _ERR_FUNCTION_NOT_FOUND)))

    def call(self, errors, field, func_name, *args):
        """Return nvml.<func_name>(*args) or None; loud errors go to `errors`."""
        func = getattr(self.nvml, func_name, None)
        if func is None:
            return None
        try:
            return func(*args)
        except self.error_class as exc:  # pylint: disable=catching-non-exception
            if getattr(exc, "value", None) not in self.quiet and errors is not None:
                errors.append("gpu.%s: %s failed: %s" % (field, func_name, _error_name(exc)))
            return None

    def system_info(self):
        driver = _text(self.call(None, "driver_version", "nvmlSystemGetDriverVersion"))
        cuda = self.call(None, "cuda_driver_version", "nvmlSystemGetCudaDriverVersion_v2")
        if cuda is None:
            cuda = self.call(None, "cuda_driver_version", "nvmlSystemGetCudaDriverVersion")
        if cuda:
            cuda = "%d.%d" % (cuda // 1000, (cuda % 1000) // 10)
        return driver, cuda or None

    def bus_id(self, handle):
        info = self.call(None, "pci", "nvmlDeviceGetPciInfo", handle)
        if info is None:
            return None
        for attr in ("busId", "busIdLegacy"):
            address = normalize_bus_id(getattr(info, attr, None))
            if address:
                return address
        return None

    def device_info(self, handle, errors, driver, cuda):
        call = self.call
        memory = call(errors, "memory_total_mib", "nvmlDeviceGetMemoryInfo", handle)
        total = getattr(memory, "total", None)
        cc = call(errors, "compute_capability", "nvmlDeviceGetCudaComputeCapability", handle)
        persistence = call(errors, "persistence_mode", "nvmlDeviceGetPersistenceMode", handle)
        return {
            "source": "nvml",
            "nvml_error": None,
            "uuid": _text(call(errors, "uuid", "nvmlDeviceGetUUID", handle)),
            "name": _text(call(errors, "name", "nvmlDeviceGetName", handle)),
            "serial": _text(call(errors, "serial", "nvmlDeviceGetSerial", handle)),
            "index": call(errors, "index", "nvmlDeviceGetIndex", handle),
            "minor_number": call(errors, "minor_number", "nvmlDeviceGetMinorNumber", handle),
            "memory_total_mib": int(total) // MIB if total is not None else None,
            "driver_version": driver,
            "cuda_driver_version": cuda,
            "compute_capability": "%d.%d" % tuple(cc[:2]) if cc else None,
            "persistence_mode": bool(persistence) if persistence is not None else None,
            "mig": self.mig_info(handle, errors, total),
        }

    def mig_info(self, handle, errors, total_memory):
        modes = self.call(errors, "mig", "nvmlDeviceGetMigMode", handle)
        if not modes:
            return {"capable": False, "mode_current": None, "mode_pending": None,
                    "instances": []}
        enabled = getattr(self.nvml, "NVML_DEVICE_MIG_ENABLE", 1)
        current, pending = modes[0] == enabled, modes[1] == enabled
        instances = []
        if current:
            instances = self.mig_instances(handle, errors, total_memory)
        return {"capable": True, "mode_current": current, "mode_pending": pending,
                "instances": instances}

    def gi_profiles(self, handle):
        """{profile id: (enum index, profile info)} for the GPU instance profiles."""
        profiles = {}
        count = getattr(self.nvml, "NVML_GPU_INSTANCE_PROFILE_COUNT", 10)
        for index in range(count):
            info = self.call(None, "mig", "nvmlDeviceGetGpuInstanceProfileInfo", handle, index)
            if info is not None and getattr(info, "id", None) is not None:
                profiles[info.id] = (index, info)
        return profiles

    def mig_instances(self, handle, errors, total_memory):
        call = self.call
        count = call(errors, "mig.instances", "nvmlDeviceGetMaxMigDeviceCount", handle) or 0
        profiles = None
        instances = []
        for i in range(count):
            # An empty index raises NotFound/InvalidArgument: not an error.
            mig = call(None, "mig.instances", "nvmlDeviceGetMigDeviceHandleByIndex", handle, i)
            if mig is None:
                continue
            gi_id = call(errors, "mig.gpu_instance_id", "nvmlDeviceGetGpuInstanceId", mig)
            if gi_id is None:
                continue
            ci_id = call(errors, "mig.compute_instance_id", "nvmlDeviceGetComputeInstanceId", mig)
            attrs = call(errors, "mig.attributes", "nvmlDeviceGetAttributes", mig)
            # GPU instance handles need privileges: NoPermission is expected.
            gi_info = None
            gi_handle = call(None, "mig.placement", "nvmlDeviceGetGpuInstanceById", handle, gi_id)
            if gi_handle is not None:
                gi_info = call(None, "mig.placement", "nvmlGpuInstanceGetInfo", gi_handle)
            profile_id = getattr(gi_info, "profileId", None)
            profile_index, profile = None, None
            if profile_id is not None:
                if profiles is None:
                    profiles = self.gi_profiles(handle)
                profile_index, profile = profiles.get(profile_id, (None, None))
            placement = getattr(gi_info, "placement", None)
            gi_slices = getattr(profile, "sliceCount", None) or getattr(
                attrs, "gpuInstanceSliceCount", None)
            memory_mib = getattr(attrs, "memorySizeMB", None) or getattr(
                profile, "memorySizeMB", None)
            name = mig_profile_name(gi_slices, memory_mib, total_memory,
                                    getattr(attrs, "computeInstanceSliceCount", None),
                                    profile_index)
            if name is None and profile is not None:
                name = _text(getattr(profile, "name", None))
                name = name[4:] if name and name.startswith("MIG ") else (name or None)
            instances.append({
                "gpu_instance_id": gi_id,
                "compute_instance_id": ci_id,
                "profile": name,
                "profile_id": profile_id,
                "placement_start": getattr(placement, "start", None),
                "placement_size": getattr(placement, "size", None),
                "uuid": _text(call(errors, "mig.uuid", "nvmlDeviceGetUUID", mig)),
                "memory_mib": int(memory_mib) if memory_mib is not None else None,
                "multiprocessor_count": getattr(attrs, "multiprocessorCount", None),
            })
        instances.sort(key=lambda x: (x["gpu_instance_id"], x["compute_instance_id"] or 0))
        return instances


def _status(available, reason, **kwargs):
    status = {"available": available, "reason": reason, "driver_version": None,
              "cuda_driver_version": None, "device_count": 0, "matched": 0,
              "unmatched_nvml_bus_ids": [], "unmatched_records": []}
    status.update(kwargs)
    return status


def _mark_unavailable(records, reason):
    for record in records:
        if is_nvidia_gpu(record):
            gpu = record.get("gpu") if isinstance(record.get("gpu"), dict) else {}
            gpu.update({"source": "sysfs", "nvml_error": reason})
            record["gpu"] = gpu


def _add_dev_node(record, minor):
    if minor is None:
        return
    nodes = set(record.get("dev_nodes") or [])
    nodes.add("/dev/nvidia%d" % minor)
    record["dev_nodes"] = sorted(nodes)


def _unavailable(records, mode, reason):
    if mode == "required":
        raise NvmlRequiredError(reason)
    _mark_unavailable(records, reason)
    return _status(False, reason)


def enrich_nvidia(records, mode="auto", import_module=None):
    """Add NVML data (record["gpu"]) to the NVIDIA GPU records, in place.

    mode: "auto" (use NVML when it works), "required" (raise NvmlRequiredError
    when it does not), "disabled" (do nothing). Returns a status dict.
    """
    if mode not in MODES:
        raise ValueError("mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if mode == "disabled":
        return _status(False, "disabled")
    if mode == "auto" and not any(is_nvidia_gpu(record) for record in records):
        # Loading NVML could add nothing; "required" still insists on it.
        return _status(False, "skipped: no NVIDIA GPU among the PCI functions")
    try:
        nvml = _import_pynvml(import_module or importlib.import_module)
    except ImportError as exc:
        return _unavailable(records, mode, "pynvml is not importable: %s" % exc)
    error_class = getattr(nvml, "NVMLError", None) or Exception
    try:
        nvml.nvmlInit()
    except error_class as exc:  # pylint: disable=catching-non-exception
        return _unavailable(records, mode, "nvmlInit failed: %s" % _error_name(exc))
    try:
        return _enrich(nvml, records)
    finally:
        try:
            nvml.nvmlShutdown()
        except error_class:  # pylint: disable=catching-non-exception
            pass


def _enrich(nvml, records):
    session = _Session(nvml)
    driver, cuda = session.system_info()
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
        address = session.bus_id(handle)
        record = by_address.get(address)
        if record is None:
            unmatched.append(address or "index %d: no PCI bus id" % index)
            continue
        errors = record.setdefault("errors", [])
        gpu = record.get("gpu") if isinstance(record.get("gpu"), dict) else {}
        gpu.update(session.device_info(handle, errors, driver, cuda))
        record["gpu"] = gpu
        _add_dev_node(record, gpu["minor_number"])
        matched.add(address)
    left = sorted(a for a in by_address if a not in matched)
    for address in left:
        record = by_address[address]
        reason = "not enumerated by NVML"
        if record.get("driver"):
            reason += " (bound to %s)" % record["driver"]
        _mark_unavailable([record], reason)
    return _status(True, None, driver_version=driver, cuda_driver_version=cuda,
                   device_count=count, matched=len(matched),
                   unmatched_nvml_bus_ids=unmatched, unmatched_records=left)
