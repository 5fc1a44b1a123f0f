# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Body of openaccel.cyborg.pci_sriov: decide (``_sriov/state.py``), act through SysfsWriter,
wait, verify by re-reading.

``run`` follows the body contract of ``module_utils/_module.py``: it returns the result dict
or raises ModuleFailure with what was already written (``changed``, ``actions``) and what the
device shows now.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import (
    AddressError, normalize_address)
from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_function import (
    is_vfio_driver)
from ansible_collections.openaccel.cyborg.plugins.module_utils._sriov.state import (
    SriovError, in_use_vfs, plan, predicted_vf_addresses, public_state, read_pf, validate,
    vf_progress)
from ansible_collections.openaccel.cyborg.plugins.module_utils._wait import (
    WaitSetupError, Waiter, open_monitor)
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import SysfsError
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs_write import SysfsWriter

ARGSPEC = ArgumentSpec(dict(
    address=dict(type="str", required=True, aliases=["pf"]),
    num_vfs=dict(type="int", required=True),
    drivers_autoprobe=dict(type="bool"),
    vf_driver=dict(type="str"),
    timeout=dict(type="float", default=60.0),
    poll_interval=dict(type="float", default=0.1),
    wait_method=dict(type="str", default="auto", choices=["auto", "udev", "poll"]),
    force=dict(type="bool", default=False),
    sysfs_root=dict(type="path", default="/sys"),
))


def _predicted_after(before, steps, num_vfs):
    after = public_state(before)
    for attr, value in steps:
        if attr == "sriov_drivers_autoprobe":
            after["drivers_autoprobe"] = bool(value)
        else:
            after["num_vfs"] = value
    if any(step[0] == "sriov_numvfs" for step in steps):
        vfs = predicted_vf_addresses(before, num_vfs) or []
        after["vfs"] = vfs
        after["vf_drivers"] = dict((vf, None) for vf in vfs)
    return after


class SriovRun(object):
    def __init__(self, module, sysfs=None, monitor=None):
        self.module = module
        self.p = module.params
        self.sysfs = sysfs or SysfsWriter(self.p["sysfs_root"])
        self.monitor = monitor
        self.wait_method = "poll" if monitor is None else "udev"
        self.actions = []
        self.waiter = None

    def failure(self, msg, **extra):
        """ModuleFailure with ``extra`` and what was written so far (``changed``, ``actions``)."""
        extra.update(changed=bool(self.actions), actions=self.actions)
        return ModuleFailure(msg, **extra)

    def _state(self):
        return read_pf(self.sysfs, self.address)

    def _result(self, state, changed, **extra):
        pub = public_state(state)
        vfs = state.get("vfs", [])
        return dict(changed=changed, address=self.address, total_vfs=pub.get("total_vfs"),
                    num_vfs=pub.get("num_vfs"), drivers_autoprobe=pub.get("drivers_autoprobe"),
                    vfs=vfs, vf_addresses=[vf["address"] for vf in vfs], actions=self.actions,
                    wait_method=self.wait_method,
                    waited=round(self.waiter.waited, 3) if self.waiter else 0.0, **extra)

    def _partial(self, reason):
        """Raise, saying what was written and what the device shows now (never half-silent)."""
        now = self._state()
        pub = public_state(now)
        raise self.failure("%s; written so far: %s; %s now shows sriov_numvfs=%s with %d VF(s)%s. "
                           "Nothing is rolled back: run again to converge (or raise timeout)"
                           % (reason, ", ".join(self.actions) or "nothing", self.address,
                              pub.get("num_vfs"), len(pub.get("vfs", [])),
                              "" if not now.get("vfs") else " (%s)" % ", ".join(pub["vfs"])),
                           **self._result(now, bool(self.actions)))

    def _wait(self, num_vfs, vf_driver=None):

        def progress():
            state = self._state()
            return vf_progress(state, num_vfs, vf_driver)[0], state
        return self.waiter.until(progress)

    def _write(self, attr, value):
        try:
            self.sysfs.write("%d\n" % value, "bus", "pci", "devices", self.address, attr)
        except SysfsError as exc:
            self._partial("writing %s failed: %s" % (attr, exc))
        self.actions.append("%s=%d" % (attr, value))

    def _apply(self, steps, num_vfs, autoprobe):
        for attr, value in steps:
            self._write(attr, value)
            if attr == "sriov_numvfs":
                done, state = self._wait(value)
                if not done:
                    self._partial("timeout after %ss waiting for %d VF(s) on %s: %s"
                                  % (self.p["timeout"], value, self.address,
                                     "; ".join(vf_progress(state, value)[1])))
        done, state = self._wait(num_vfs, self.p["vf_driver"])
        if not done:
            self._partial("timeout after %ss waiting for the VFs of %s: %s"
                          % (self.p["timeout"], self.address,
                             "; ".join(vf_progress(state, num_vfs, self.p["vf_driver"])[1])))
        if autoprobe is not None and state["drivers_autoprobe"] != autoprobe:
            self._partial("sriov_drivers_autoprobe reads %s after writing %d"
                          % (state["drivers_autoprobe"], int(autoprobe)))
        return state

    def run(self):
        """The result dict; raises ModuleFailure."""
        p = self.p
        try:
            self.address = normalize_address(p["address"])
        except AddressError as exc:
            raise self.failure(str(exc))
        before = self._state()
        try:
            validate(before, p["num_vfs"])
        except SriovError as exc:
            raise self.failure(str(exc), pf=public_state(before))
        steps = plan(before, p["num_vfs"], p["drivers_autoprobe"])
        removes = [s for s in steps if s == ("sriov_numvfs", 0)]
        busy = in_use_vfs(before, [vf["driver"] for vf in before["vfs"]
                                   if is_vfio_driver(vf["driver"])])
        if removes and busy and not p["force"]:
            raise self.failure("num_vfs: changing the VF count of %s from %d removes every VF, and "
                               "%s bound to a vfio driver (possibly assigned to a guest); release "
                               "them (openaccel.cyborg.vfio_bind state=native) or set force=true"
                               % (self.address, before["num_vfs"], ", ".join(busy)),
                               pf=public_state(before))
        extra = {}
        if self.module._diff:
            extra["diff"] = {"before": public_state(before),
                             "after": _predicted_after(before, steps, p["num_vfs"])}
        if self.module.check_mode or not steps:
            self.actions = ["%s=%d" % step for step in steps] if self.module.check_mode else []
            ready, problems = vf_progress(before, p["num_vfs"], p["vf_driver"])
            if not steps and not ready and not self.module.check_mode:
                self.waiter = Waiter(p["timeout"], p["poll_interval"], self.monitor)
                ready, before = self._wait(p["num_vfs"], p["vf_driver"])
                if not ready:
                    raise self.failure("%s has sriov_numvfs=%d but after %ss: %s" % (
                        self.address, p["num_vfs"], p["timeout"],
                        "; ".join(vf_progress(before, p["num_vfs"], p["vf_driver"])[1])),
                        **self._result(before, False))
            elif not steps and not ready:
                self.module.warn("%s: %s" % (self.address, "; ".join(problems)))
            return self._result(before, bool(steps), **extra)
        self.waiter = Waiter(p["timeout"], p["poll_interval"], self.monitor)
        after = self._apply(steps, p["num_vfs"], p["drivers_autoprobe"])
        if "diff" in extra:
            extra["diff"]["after"] = public_state(after)
        return self._result(after, True, **extra)


def run(module, sysfs=None):
    """Body of pci_sriov: the result dict, or ModuleFailure."""
    try:
        monitor, method = open_monitor(module.params["wait_method"], module.params["sysfs_root"])
    except WaitSetupError as exc:
        raise ModuleFailure(str(exc))
    runner = SriovRun(module, sysfs, monitor)
    runner.wait_method = method
    return runner.run()
