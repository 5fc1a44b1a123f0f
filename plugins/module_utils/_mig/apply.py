# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Carry out MIG plans through NVML, then verify by re-reading the GPUs.

Applier.apply_gpu() works on one GPU: destroy what must go, request the MIG mode, reset the
GPU when allowed and idle, re-plan on the fresh state, create GPU instances at the planned
placements with one compute instance each, all through the writes of ``_nvml/mig.py``
MigSession. Every write is recorded in Applier.done; the first failing write raises
ApplyError, and the caller (``_mig/runner.py``) reports done plus the state re-read after it,
so nothing half-applied goes unreported.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import plan_gpu
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import gpu_label
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.session import error_name


class ApplyError(Exception):
    def __init__(self, message):
        super(ApplyError, self).__init__(message)
        self.message = message


def device_summary(gpu):
    """Sorted device names of a GPU's instances ('?' marks a GI without exactly one CI)."""
    return sorted(gi.get("device") or "%s(%d CIs)" % (gi["profile"], len(gi["compute_instances"]))
                  for gi in gpu.get("instances", []))


def matches(gpu, desired):
    """Does the re-read GPU show the desired state (mode active, devices exactly)?"""
    if desired is None:
        return True
    if not gpu.get("mig_capable"):
        return not desired["mig_enabled"]
    if gpu["mode_current"] != desired["mig_enabled"] or gpu["mode_pending"] != desired[
            "mig_enabled"]:
        return False
    if not desired["mig_enabled"]:
        return True
    wanted = sorted(n for n, count in desired["devices"].items() for dummy in range(count))
    return device_summary(gpu) == wanted


class Applier(object):
    """Writes for one module run. reset(bus_id) -> (ok, message) runs the GPU reset."""

    def __init__(self, session, reset, allow_reset, reinit=None):
        self.session = session
        self.reset = reset
        self.allow_reset = allow_reset
        self.reinit = reinit or (lambda: None)
        self.done = []
        self.pending = []          # {index, bus_id, name, reason, processes}
        self.warnings = []

    def _write(self, gpu, what, func, *args):
        try:
            result = func(*args)
        except self.session.error as exc:  # pylint: disable=catching-non-exception
            raise ApplyError("%s: %s failed: %s" % (gpu_label(gpu), what, error_name(exc)))
        self.done.append("%s: %s" % (gpu_label(gpu), what))
        return result

    def _destroy(self, gpu, gi):
        index = gpu["index"]
        for ci in gi["compute_instances"]:
            self._write(gpu, "destroyed compute instance %d of GPU instance %d" % (
                ci["compute_instance_id"], gi["gpu_instance_id"]),
                self.session.destroy_compute_instance, index, gi["gpu_instance_id"],
                ci["compute_instance_id"])
        self._write(gpu, "destroyed GPU instance %d (%s at %d:%d)" % (
            gi["gpu_instance_id"], gi.get("device") or gi["profile"], gi["placement"][0],
            gi["placement"][1]), self.session.destroy_gpu_instance, index, gi["gpu_instance_id"])

    def _create(self, gpu, item):
        index, place = gpu["index"], item["placement"]
        what = "created GPU instance %s at placement %d:%d" % (
            item["gi_name"], place[0], place[1])
        try:
            gi_id = self.session.create_gpu_instance(index, item["gi_profile_id"], place)
        except self.session.error as exc:  # pylint: disable=catching-non-exception
            raise ApplyError("%s: creating GPU instance %s at placement %d:%d failed: %s"
                             % (gpu_label(gpu), item["gi_name"], place[0], place[1],
                                error_name(exc)))
        self.done.append("%s: %s (GPU instance %d)" % (gpu_label(gpu), what, gi_id))
        try:
            ci_id = self.session.create_compute_instance(index, gi_id, item["ci_slices"])
        except self.session.error as exc:  # pylint: disable=catching-non-exception
            message = "%s: creating the %d-slice compute instance of %s in GPU instance %d " \
                      "failed: %s" % (gpu_label(gpu), item["ci_slices"], item["profile"], gi_id,
                                      error_name(exc))
            try:
                self.session.destroy_gpu_instance(index, gi_id)
                self.done.append("%s: destroyed GPU instance %d again (it has no compute "
                                 "instance)" % (gpu_label(gpu), gi_id))
            except self.session.error as exc2:  # pylint: disable=catching-non-exception
                message += "; GPU instance %d is left without a compute instance (destroying " \
                           "it failed: %s)" % (gi_id, error_name(exc2))
            raise ApplyError(message)
        self.done.append("%s: created compute instance %d (%s) in GPU instance %d" % (
            gpu_label(gpu), ci_id, item["profile"], gi_id))

    def _activate(self, gpu, want):
        """After a mode request: reset the GPU when needed and allowed. Returns fresh data."""
        if gpu["mode_current"] == want:
            return gpu
        reason = "MIG mode is %s, %s is pending until the GPU is reset" % (
            "enabled" if gpu["mode_current"] else "disabled", "enabled" if want else "disabled")
        procs = gpu.get("processes", [])
        if not self.allow_reset:
            reason += " (allow_reset is false)"
        elif procs:
            reason += " (not reset: the GPU is busy, processes %s)" % ", ".join(
                str(p["pid"]) for p in procs)
        else:
            ok, output = self.reset(gpu)
            if ok:
                self.done.append("%s: reset the GPU" % gpu_label(gpu))
            self.reinit()
            gpu = self.session.read_gpu(gpu["index"])
            if gpu["mode_current"] == want:
                return gpu
            reason += " (GPU reset %s: %s; a reboot is required)" % (
                "did not apply it" if ok else "failed", output)
        self.pending.append({"index": gpu["index"], "bus_id": gpu["bus_id"], "name": gpu["name"],
                             "reason": reason, "processes": procs})
        self.warnings.append("%s: %s" % (gpu_label(gpu), reason))
        return gpu

    def apply_gpu(self, gpu, plan):
        desired = plan["desired"]
        want = desired["mig_enabled"]
        for gi in plan["destroy"] if not want else []:
            self._destroy(gpu, gi)
        if plan["set_mode"] is not None:
            status = self._write(gpu, "requested MIG mode %s" % (
                "enabled" if want else "disabled"), self.session.set_mig_mode, gpu["index"], want)
            if status:
                self.done[-1] += " (activation status %d: %s)" % (status, _status_name(
                    self.session.nvml, status))
        gpu = self.session.read_gpu(gpu["index"])
        gpu = self._activate(gpu, want)
        if not want or gpu["mode_current"] != want:
            return
        plan = plan_gpu(gpu, desired)            # on the state as it is now
        if plan["errors"]:
            raise ApplyError("; ".join(plan["errors"]))
        for gi in plan["destroy"]:
            self._destroy(gpu, gi)
        for item in plan["create"]:
            self._create(gpu, item)


def _status_name(nvml, status):
    try:
        return type(nvml.NVMLError(status)).__name__
    except Exception:  # pylint: disable=broad-except
        return "unknown"
