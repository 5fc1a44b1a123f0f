# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""MIG through NVML: profile names, the MIG reads, and the low-level MIG writes.

The reads shared by discovery and gpu_mig work on a ``_nvml/session.py`` Session and a
device handle: mig_mode(), gi_profile_infos(), gpu_instance_info(). On top of them,
mig_facts() is the MIG part of a discovery record (``_nvml/enrich.py``), and MigSession
(a Session) is what gpu_mig reads and writes by GPU index: read_gpu() returns the plain data
that ``_mig/plan.py`` decides on; its write methods are the only NVML calls that change
anything, and ``_mig/apply.py`` is their only caller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import math

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.session import (
    Session, normalize_bus_id, text)

MIB = 1024 * 1024
GIB = 1024 * 1024 * 1024

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
# nvmlComputeInstanceProfile enum index -> compute slices (nvml.h). The REV1/NVL variants
# (7, 8) are not offered by mig-parted configs and are left out.
CI_PROFILE_SLICES = {0: 1, 1: 2, 2: 3, 3: 4, 4: 7, 5: 8, 6: 6}
# compute slices a config may ask for in a GPU instance (NVIDIA MIG user guide profiles)
OFFERED_CI_SLICES = (1, 2, 3, 4, 7)
NO_ID = 0xFFFFFFFF                       # gpuInstanceId of a process outside MIG


# ------------------------------------------------------------ names
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


def nvml_profile_name(info):
    """The name NVML gives a GPU instance profile, without its 'MIG ' prefix; or None."""
    name = text(getattr(info, "name", None)) or ""
    if name.startswith("MIG "):
        name = name[4:]
    return name or None


def gpu_label(gpu):
    """'GPU 0 (0000:07:00.0, NVIDIA A100-SXM4-80GB)' -- how messages name a GPU."""
    return "GPU %s (%s, %s)" % (gpu.get("index"), gpu.get("bus_id"), gpu.get("name"))


# ------------------------------------------------------------ reads on a device handle
def mig_mode(session, handle, errors=None):
    """(current, pending) MIG mode as bools, or None without MIG support (or on an error,
    which goes to `errors` unless it is NotSupported)."""
    modes = session.call(errors, "mig", "nvmlDeviceGetMigMode", handle)
    if not modes:
        return None
    enabled = getattr(session.nvml, "NVML_DEVICE_MIG_ENABLE", 1)
    return modes[0] == enabled, modes[1] == enabled


def gi_profile_infos(session, handle):
    """[(enum index, profile info)] of the GPU instance profiles the GPU answers for."""
    found = []
    for enum in range(getattr(session.nvml, "NVML_GPU_INSTANCE_PROFILE_COUNT", 10)):
        info = session.get("nvmlDeviceGetGpuInstanceProfileInfo", handle, enum)
        if info is not None:
            found.append((enum, info))
    return found


def gpu_instance_info(session, handle, gi_id):
    """nvmlGpuInstanceGetInfo of GPU instance gi_id, or None (the GPU instance handle needs
    privileges: NoPermission is expected for other users)."""
    gi_handle = session.get("nvmlDeviceGetGpuInstanceById", handle, gi_id)
    if gi_handle is None:
        return None
    return session.get("nvmlGpuInstanceGetInfo", gi_handle)


def mig_facts(session, handle, errors, total_memory):
    """The ``mig`` part of a discovery record: mode and the MIG devices (one entry per
    compute instance, read through the MIG device handles, which need no privileges)."""
    modes = mig_mode(session, handle, errors)
    if modes is None:
        return {"capable": False, "mode_current": None, "mode_pending": None,
                "instances": []}
    current, pending = modes
    instances = []
    if current:
        instances = _mig_devices(session, handle, errors, total_memory)
    offered = device_profile_names(named_gi_profiles(session, handle, total_memory))
    return {"capable": True, "mode_current": current, "mode_pending": pending,
            "instances": instances, "profiles": offered or None}


def named_gi_profiles(session, handle, total_memory):
    """[(enum, info, name)] of the GPU instance profiles this GPU offers, named as mig-parted
    names them (``1g.10gb``); gpu_mig and discovery share it."""
    out = []
    for enum, info in gi_profile_infos(session, handle):
        if not getattr(info, "sliceCount", 0):
            continue
        name = mig_profile_name(info.sliceCount, info.memorySizeMB, total_memory, None, enum)
        if name is None:
            name = nvml_profile_name(info)
        if name:
            out.append((enum, info, name))
    return out


def offered_ci_slices(gi_slices):
    """Compute-instance sizes a GPU instance of ``gi_slices`` slices can be split into."""
    return [s for s in OFFERED_CI_SLICES if s <= gi_slices]


def device_profile_names(named):
    """The device profile names (``1g.10gb``, ``1c.2g.20gb``) the GPU instance profiles
    ``named`` (from named_gi_profiles) offer, smallest GPU instance first."""
    names = []
    for _enum, info, name in sorted(named, key=lambda item: (item[1].sliceCount, item[2])):
        for ci in offered_ci_slices(info.sliceCount):
            names.append(name if ci == info.sliceCount else "%dc.%s" % (ci, name))
    return names


def _mig_devices(session, handle, errors, total_memory):
    call = session.call
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
        gi_info = gpu_instance_info(session, handle, gi_id)
        profile_id = getattr(gi_info, "profileId", None)
        profile_index, profile = None, None
        if profile_id is not None:
            if profiles is None:
                profiles = dict((info.id, (enum, info))
                                for enum, info in gi_profile_infos(session, handle)
                                if getattr(info, "id", None) is not None)
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
            name = nvml_profile_name(profile)
        instances.append({
            "gpu_instance_id": gi_id,
            "compute_instance_id": ci_id,
            "profile": name,
            "profile_id": profile_id,
            "placement_start": getattr(placement, "start", None),
            "placement_size": getattr(placement, "size", None),
            "uuid": text(call(errors, "mig.uuid", "nvmlDeviceGetUUID", mig)),
            "memory_mib": int(memory_mib) if memory_mib is not None else None,
            "multiprocessor_count": getattr(attrs, "multiprocessorCount", None),
        })
    instances.sort(key=lambda x: (x["gpu_instance_id"], x["compute_instance_id"] or 0))
    return instances


# ------------------------------------------------------------ gpu_mig: by GPU index
class MigSession(Session):
    """The Session gpu_mig reads and writes MIG state with, GPU by NVML index."""

    def __init__(self, nvml):
        super(MigSession, self).__init__(nvml)
        self.enable = getattr(nvml, "NVML_DEVICE_MIG_ENABLE", 1)
        self.disable = getattr(nvml, "NVML_DEVICE_MIG_DISABLE", 0)
        self._handles = {}

    def restart(self):
        """NVML again after a GPU reset; the old handles are dropped."""
        super(MigSession, self).restart()
        self.forget_handles()

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
        handle = self.handle(index)
        pci = self.get("nvmlDeviceGetPciInfo", handle)
        memory = self.get("nvmlDeviceGetMemoryInfo", handle)
        total = getattr(memory, "total", None)
        gpu = {"index": index, "handle_index": index,
               "bus_id": normalize_bus_id(getattr(pci, "busId", None)),
               "nvml_bus_id": text(getattr(pci, "busId", None)),
               "name": text(self.get("nvmlDeviceGetName", handle)),
               "uuid": text(self.get("nvmlDeviceGetUUID", handle)),
               "pci_device_id": getattr(pci, "pciDeviceId", None),
               "memory_total_mib": int(total) // MIB if total else None,
               "mig_capable": False, "mode_current": None, "mode_pending": None,
               "profiles": {}, "instances": [], "processes": self.processes(index)}
        modes = mig_mode(self, handle)
        if modes is None:
            return gpu                   # NotSupported: no MIG on this GPU
        gpu.update(mig_capable=True, mode_current=modes[0], mode_pending=modes[1])
        gpu["profiles"] = self._gi_profiles(handle, total)
        if gpu["mode_current"]:
            gpu["instances"] = self._instances(handle, gpu["profiles"], total)
        return gpu

    def _gi_profiles(self, handle, total):
        profiles = {}
        for enum, info, name in named_gi_profiles(self, handle, total):
            placements = self._placements(handle, info.id, info.instanceCount)
            profiles[name] = {
                "name": name, "enum": enum, "profile_id": info.id, "slices": info.sliceCount,
                "instance_count": info.instanceCount, "memory_mib": info.memorySizeMB,
                "placements": placements,
                "ci_slices": offered_ci_slices(info.sliceCount),
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
            info = self.get("nvmlGpuInstanceGetComputeInstanceProfileInfo", gi, enum, shared)
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
            for proc in self.get(func, handle) or []:
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
