# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enrich NVIDIA GPU device records with data from NVML (pynvml).

Private to the collection. Entry point: enrich_nvidia(records, mode); the NVML queries
themselves are in ``_nvml_session`` (imported only when NVML is used).
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
    text = nvml_text(bus_id)
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


def nvml_text(value):
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


def error_name(exc):
    return "%s: %s" % (type(exc).__name__, exc)


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
        nvml = _import_pynvml(import_module or importlib.import_module)
    except ImportError as exc:
        return _unavailable(records, mode, "pynvml is not importable: %s" % exc)
    error_class = getattr(nvml, "NVMLError", None) or Exception
    try:
        nvml.nvmlInit()
    except error_class as exc:  # pylint: disable=catching-non-exception
        return _unavailable(records, mode, "nvmlInit failed: %s" % error_name(exc))
    # The NVML queries are imported only now: most discovery runs never get here (NVML
    # disabled, or no NVIDIA GPU), and a module run compiles every module it imports.
    from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.session import enrich
    try:
        return enrich(nvml, records)
    finally:
        try:
            nvml.nvmlShutdown()
        except error_class:  # pylint: disable=catching-non-exception
            pass
