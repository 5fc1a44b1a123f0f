# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MIG state through NVML (pynvml): read GPUs, profiles, instances; low-level writes.

Private to the collection. MigSession wraps an initialised pynvml module. read_gpu()
returns plain data (see its docstring) that _mig_plan.py decides on; the write methods
are the only NVML calls that change anything, and _mig_apply.py is their only caller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.enrich import (
    mig_profile_name, normalize_bus_id)

# nvmlComputeInstanceProfile enum index -> compute slices (nvml.h). The REV1/NVL variants
# (7, 8) are not offered by mig-parted configs and are left out.
CI_PROFILE_SLICES = {0: 1, 1: 2, 2: 3, 3: 4, 4: 7, 5: 8, 6: 6}
# compute slices a config may ask for in a GPU instance (NVIDIA MIG user guide profiles)
OFFERED_CI_SLICES = (1, 2, 3, 4, 7)
NO_ID = 0xFFFFFFFF                       # gpuInstanceId of a process outside MIG


def error_name(exc):
    return "%s: %s" % (type(exc).__name__, exc)


def text(value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.rstrip("\x00").strip() if value is not None else None


def gpu_label(gpu):
    """'GPU 0 (0000:07:00.0, NVIDIA A100-SXM4-80GB)' -- how messages name a GPU."""
    return "GPU %s (%s, %s)" % (gpu.get("index"), gpu.get("bus_id"), gpu.get("name"))


class MigSession(object):
    """MIG reads and writes on one initialised pynvml module."""

    def __init__(self, nvml):
        self.nvml = nvml
        self.error = nvml.NVMLError
        self.enable = getattr(nvml, "NVML_DEVICE_MIG_ENABLE", 1)
        self.disable = getattr(nvml, "NVML_DEVICE_MIG_DISABLE", 0)
        self._handles = {}

    # ------------------------------------------------------------ helpers
    def _try(self, func_name, *args):
        """nvml.<func_name>(*args), or None when it raises an NVMLError."""
        func = getattr(self.nvml, func_name, None)
        if func is None:
            return None
        try:
            return func(*args)
        except self.error:  # pylint: disable=catching-non-exception
            return None

    def count(self):
        return self.nvml.nvmlDeviceGetCount()

    def handle(self, index):
        if index not in self._handles:
            self._handles[index] = self.nvml.nvmlDeviceGetHandleByIndex(index)
        return self._handles[index]

    def forget_handles(self):
        self._handles = {}

    def _array(self, ctype, size, func_name, *args):
        count = ctypes.c_uint(0)
        items = (ctype * max(size, 1))()
        getattr(self.nvml, func_name)(*(args + (items, ctypes.byref(count))))
        return [items[i] for i in range(min(count.value, size))]

    # ------------------------------------------------------------ reading
    def read_gpu(self, index):
        """Plain data for GPU `index`:

        index, bus_id, name, uuid, pci_device_id (int), memory_total_mib, mig_capable,
        mode_current, mode_pending (bools or None), profiles {GI name: info},
        instances [{gpu_instance_id, profile, profile_id, placement [start, size],
        compute_instances [{compute_instance_id, profile (device name), profile_id,
        slices}], device}], processes [{pid, gpu_instance_id, compute_instance_id}].
        """
        nvml, handle = self.nvml, self.handle(index)
        pci = self._try("nvmlDeviceGetPciInfo", handle)
        memory = self._try("nvmlDeviceGetMemoryInfo", handle)
        total = getattr(memory, "total", None)
        gpu = {"index": index, "handle_index": index,
               "bus_id": normalize_bus_id(getattr(pci, "busId", None)),
               "nvml_bus_id": text(getattr(pci, "busId", None)),
               "name": text(self._try("nvmlDeviceGetName", handle)),
               "uuid": text(self._try("nvmlDeviceGetUUID", handle)),
               "pci_device_id": getattr(pci, "pciDeviceId", None),
               "memory_total_mib": int(total) // (1024 * 1024) if total else None,
               "mig_capable": False, "mode_current": None, "mode_pending": None,
               "profiles": {}, "instances": [], "processes": self.processes(index)}
        try:
            modes = nvml.nvmlDeviceGetMigMode(handle)
        except self.error:  # pylint: disable=catching-non-exception
            return gpu                   # NotSupported: no MIG on this GPU
        gpu.update(mig_capable=True, mode_current=modes[0] == self.enable,
                   mode_pending=modes[1] == self.enable)
        gpu["profiles"] = self._gi_profiles(handle, total)
        if gpu["mode_current"]:
            gpu["instances"] = self._instances(handle, gpu["profiles"], total)
        return gpu

    def _gi_profiles(self, handle, total):
        profiles = {}
        for enum in range(getattr(self.nvml, "NVML_GPU_INSTANCE_PROFILE_COUNT", 10)):
            info = self._try("nvmlDeviceGetGpuInstanceProfileInfo", handle, enum)
            if info is None or not getattr(info, "sliceCount", 0):
                continue
            name = mig_profile_name(info.sliceCount, info.memorySizeMB, total, None, enum)
            if name is None:
                name = text(getattr(info, "name", None) or "").replace("MIG ", "") or None
            if not name:
                continue
            placements = self._placements(handle, info.id, info.instanceCount)
            profiles[name] = {
                "name": name, "enum": enum, "profile_id": info.id, "slices": info.sliceCount,
                "instance_count": info.instanceCount, "memory_mib": info.memorySizeMB,
                "placements": placements,
                "ci_slices": [s for s in OFFERED_CI_SLICES if s <= info.sliceCount],
            }
        return profiles

    def _placements(self, handle, profile_id, instance_count):
        place_t = self.nvml.c_nvmlGpuInstancePlacement_t
        size = max(8, instance_count * 2)
        try:
            found = self._array(place_t, size, "nvmlDeviceGetGpuInstancePossiblePlacements",
                                handle, profile_id)
        except self.error:  # pylint: disable=catching-non-exception
            return []
        return [[p.start, p.size] for p in found]

    def _instances(self, handle, profiles, total):
        instances = []
        for profile in profiles.values():
            try:
                found = self._array(self.nvml.c_nvmlGpuInstance_t, profile["instance_count"],
                                    "nvmlDeviceGetGpuInstances", handle, profile["profile_id"])
            except self.error:  # pylint: disable=catching-non-exception
                continue
            for gi in found:
                info = self.nvml.nvmlGpuInstanceGetInfo(gi)
                cis = self._compute_instances(gi, profile, total)
                device = cis[0]["profile"] if len(cis) == 1 else None
                instances.append({
                    "gpu_instance_id": info.id, "profile": profile["name"],
                    "profile_id": profile["profile_id"],
                    "placement": [info.placement.start, info.placement.size],
                    "compute_instances": cis, "device": device})
        instances.sort(key=lambda gi: (gi["placement"][0], gi["gpu_instance_id"]))
        return instances

    def _compute_instances(self, gi, profile, total):
        shared = getattr(self.nvml, "NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED", 0)
        result = []
        for enum, slices in sorted(CI_PROFILE_SLICES.items()):
            if slices > profile["slices"]:
                continue
            info = self._try("nvmlGpuInstanceGetComputeInstanceProfileInfo", gi, enum, shared)
            if info is None:
                continue
            try:
                found = self._array(self.nvml.c_nvmlComputeInstance_t, info.instanceCount or 8,
                                    "nvmlGpuInstanceGetComputeInstances", gi, info.id)
            except self.error:  # pylint: disable=catching-non-exception
                continue
            for ci in found:
                ci_info = self.nvml.nvmlComputeInstanceGetInfo(ci)
                name = mig_profile_name(profile["slices"], profile["memory_mib"], total,
                                        info.sliceCount, profile["enum"]) or profile["name"]
                result.append({"compute_instance_id": ci_info.id, "profile": name,
                               "profile_id": info.id, "slices": info.sliceCount})
        result.sort(key=lambda ci: ci["compute_instance_id"])
        return result

    def processes(self, index):
        """[{pid, gpu_instance_id, compute_instance_id}] of compute and graphics processes."""
        handle, result = self.handle(index), []
        for func in ("nvmlDeviceGetComputeRunningProcesses",
                     "nvmlDeviceGetGraphicsRunningProcesses"):
            for proc in self._try(func, handle) or []:
                gi = getattr(proc, "gpuInstanceId", NO_ID)
                ci = getattr(proc, "computeInstanceId", NO_ID)
                result.append({"pid": proc.pid,
                               "gpu_instance_id": None if gi in (None, NO_ID) else gi,
                               "compute_instance_id": None if ci in (None, NO_ID) else ci})
        return result

    # ------------------------------------------------------------ writes
    def set_mig_mode(self, index, enabled):
        """Request MIG mode; returns the activation status (0 = active now)."""
        mode = self.enable if enabled else self.disable
        return self.nvml.nvmlDeviceSetMigMode(self.handle(index), mode)

    def gpu_instance(self, index, gi_id):
        return self.nvml.nvmlDeviceGetGpuInstanceById(self.handle(index), gi_id)

    def create_gpu_instance(self, index, profile_id, placement):
        place = self.nvml.c_nvmlGpuInstancePlacement_t()
        place.start, place.size = placement
        gi = self.nvml.nvmlDeviceCreateGpuInstanceWithPlacement(
            self.handle(index), profile_id, ctypes.byref(place))
        return self.nvml.nvmlGpuInstanceGetInfo(gi).id

    def create_compute_instance(self, index, gi_id, ci_slices):
        """Create a compute instance of `ci_slices` in GPU instance gi_id; returns its id."""
        gi = self.gpu_instance(index, gi_id)
        shared = getattr(self.nvml, "NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED", 0)
        enum = [e for e, s in sorted(CI_PROFILE_SLICES.items()) if s == ci_slices][0]
        info = self.nvml.nvmlGpuInstanceGetComputeInstanceProfileInfo(gi, enum, shared)
        ci = self.nvml.nvmlGpuInstanceCreateComputeInstance(gi, info.id)
        return self.nvml.nvmlComputeInstanceGetInfo(ci).id

    def destroy_compute_instance(self, index, gi_id, ci_id):
        gi = self.gpu_instance(index, gi_id)
        ci = self.nvml.nvmlGpuInstanceGetComputeInstanceById(gi, ci_id)
        self.nvml.nvmlComputeInstanceDestroy(ci)

    def destroy_gpu_instance(self, index, gi_id):
        self.nvml.nvmlGpuInstanceDestroy(self.gpu_instance(index, gi_id))
