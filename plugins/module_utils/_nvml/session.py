# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVML queries behind ``_nvml.enrich_nvidia``: device, MIG and process data of every GPU
NVML enumerates, matched to the device records by PCI bus id.

Private to the collection; imported by ``enrich_nvidia`` only once NVML is initialised.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.enrich import (
    MIB, error_name, is_nvidia_gpu, mark_unavailable, mig_profile_name, normalize_bus_id, status,
    nvml_text)

# NVML return codes (stable ABI values, see nvml.h) meaning "this attribute does not apply
# here" (the field becomes None without an entry in record["errors"]); used when the binding
# lacks the constant.
_ERR_NOT_SUPPORTED = 3
_ERR_FUNCTION_NOT_FOUND = 13


class Session(object):
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
                errors.append("gpu.%s: %s failed: %s" % (field, func_name, error_name(exc)))
            return None

    def system_info(self):
        driver = nvml_text(self.call(None, "driver_version", "nvmlSystemGetDriverVersion"))
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
            "uuid": nvml_text(call(errors, "uuid", "nvmlDeviceGetUUID", handle)),
            "name": nvml_text(call(errors, "name", "nvmlDeviceGetName", handle)),
            "serial": nvml_text(call(errors, "serial", "nvmlDeviceGetSerial", handle)),
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
                name = nvml_text(getattr(profile, "name", None))
                name = name[4:] if name and name.startswith("MIG ") else (name or None)
            instances.append({
                "gpu_instance_id": gi_id,
                "compute_instance_id": ci_id,
                "profile": name,
                "profile_id": profile_id,
                "placement_start": getattr(placement, "start", None),
                "placement_size": getattr(placement, "size", None),
                "uuid": nvml_text(call(errors, "mig.uuid", "nvmlDeviceGetUUID", mig)),
                "memory_mib": int(memory_mib) if memory_mib is not None else None,
                "multiprocessor_count": getattr(attrs, "multiprocessorCount", None),
            })
        instances.sort(key=lambda x: (x["gpu_instance_id"], x["compute_instance_id"] or 0))
        return instances


def _add_dev_node(record, minor):
    if minor is None:
        return
    nodes = set(record.get("dev_nodes") or [])
    nodes.add("/dev/nvidia%d" % minor)
    record["dev_nodes"] = sorted(nodes)


def enrich(nvml, records):
    session = Session(nvml)
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
        mark_unavailable([record], reason)
    return status(True, None, driver_version=driver, cuda_driver_version=cuda,
                  device_count=count, matched=len(matched),
                  unmatched_nvml_bus_ids=unmatched, unmatched_records=left)
