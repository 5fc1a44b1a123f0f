# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Body of openaccel.cyborg.vfio_bind: check, plan (``_vfio/state.py``), act through
SysfsWriter, verify, roll back.

``run`` follows the body contract of ``module_utils/_module.py``: it returns the result dict
or raises ModuleFailure with what was already done (``changed``, ``actions``, the devices as
they are now and the rollback outcome).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import (
    AddressError, normalize_address)
from ansible_collections.openaccel.cyborg.plugins.module_utils._wait import Waiter
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import SysfsError
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs_write import SysfsWriter
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio import checks
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio.guard import HostGuard
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio.state import (
    VfioError, check_iommu, check_safe, describe, group_conflicts, is_done, plan_device,
    public, read_device)

ARGSPEC = ArgumentSpec(dict(
    devices=dict(type="list", elements="str", required=True, aliases=["address"]),
    state=dict(type="str", default="vfio", choices=["vfio", "native"]),
    vfio_driver=dict(type="str", default="vfio-pci"),
    native_driver=dict(type="str"),
    load_module=dict(type="bool", default=True),
    timeout=dict(type="float", default=10.0),
    poll_interval=dict(type="float", default=0.05),
    sysfs_root=dict(type="path", default="/sys"),
    proc_root=dict(type="path", default="/proc"),
))


class VfioRun(object):
    def __init__(self, module, sysfs=None):
        self.module = module
        self.p = module.params
        self.sysfs = sysfs or SysfsWriter(self.p["sysfs_root"])
        self.guard = HostGuard(self.sysfs, self.p["proc_root"])
        self.actions = []
        self.warnings = []
        self.waiter = Waiter(self.p["timeout"], self.p["poll_interval"])

    def failure(self, msg, **extra):
        """ModuleFailure with ``extra`` and the steps taken so far (``changed``, ``actions``)."""
        return ModuleFailure(msg, changed=bool(self.actions), actions=self.actions, **extra)

    def _read(self, address):
        return read_device(self.sysfs, address)

    def _addresses(self):
        out = []
        for index, value in enumerate(self.p["devices"]):
            try:
                address = normalize_address(value, "devices[%d]" % index)
            except AddressError as exc:
                raise self.failure(str(exc))
            if address not in out:
                out.append(address)
        if not out:
            raise self.failure("devices: the list is empty; name at least one PCI address")
        return out

    def _driver_needed(self):
        if self.p["state"] == "vfio":
            return self.p["vfio_driver"]
        return self.p["native_driver"]

    def _ensure_driver(self, driver, check_mode):
        """modprobe the driver when bus/pci/drivers/<driver> is missing."""
        if not driver or self.sysfs.is_dir("bus", "pci", "drivers", driver):
            return False
        if not self.p["load_module"]:
            raise self.failure("%s: driver %s is not loaded (no %s); load it (modprobe %s) or "
                               "set load_module=true"
                               % ("vfio_driver" if self.p["state"] == "vfio" else "native_driver",
                                  driver, self.sysfs.path("bus", "pci", "drivers", driver),
                                  driver))
        if check_mode:
            self.actions.append("modprobe %s" % driver)
            return True
        modprobe = self.module.get_bin_path("modprobe", required=True)
        rc, _out, err = self.module.run_command([modprobe, driver])
        self.actions.append("modprobe %s" % driver)
        if rc != 0 or not self.waiter.until(
                lambda: (self.sysfs.is_dir("bus", "pci", "drivers", driver), None))[0]:
            raise self.failure("modprobe %s failed (rc=%s): %s; install the module or fix its "
                               "blacklisting"
                               % (driver, rc, err.strip() or "the driver did not register"))
        return True

    # -- acting -------------------------------------------------------------------------------
    def _write(self, value, *parts):
        self.sysfs.write(value + "\n", *parts)

    def _step(self, address, kind, value):
        dev_parts = ("bus", "pci", "devices", address)
        if kind == "driver_override":
            self._write(value, *(dev_parts + ("driver_override",)))
            ok = self.waiter.until(
                lambda: (self._read(address)["driver_override"] == (value or None), None))[0]
        elif kind == "unbind":
            self._write(address, "bus", "pci", "drivers", value, "unbind")
            ok = self.waiter.until(lambda: (self._read(address)["driver"] is None, None))[0]
        elif kind == "bind":
            self._write(address, "bus", "pci", "drivers", value, "bind")
            ok = self.waiter.until(lambda: (self._read(address)["driver"] == value, None))[0]
        else:
            self._write(address, "bus", "pci", "drivers_probe")
            want = value

            def bound():
                driver = self._read(address)["driver"]
                return (driver == want if want else driver is not None), None
            ok = self.waiter.until(bound)[0]
            if not ok and not want:
                self.warnings.append("%s: no host driver claimed it after drivers_probe; it is "
                                     "unbound" % address)
                ok = True
        what = describe(kind, value)
        self.actions.append("%s: %s" % (address, what))
        return ok, what

    def _rollback(self, before):
        """Put a device back to its previous driver after a failed change; describe the outcome."""
        address = before["address"]
        try:
            self._write(before["driver_override"] or "", "bus", "pci", "devices", address,
                        "driver_override")
            now = self._read(address)
            if now["driver"] and now["driver"] != before["driver"]:
                self._write(address, "bus", "pci", "drivers", now["driver"], "unbind")
                self.waiter.until(lambda: (self._read(address)["driver"] is None, None))
            if before["driver"] and self._read(address)["driver"] is None:
                self._write(address, "bus", "pci", "drivers", before["driver"], "bind")
                self.waiter.until(
                    lambda: (self._read(address)["driver"] == before["driver"], None))
        except SysfsError as exc:
            return "rollback of %s failed: %s" % (address, exc)
        now = self._read(address)
        if now["driver"] == before["driver"]:
            return "rolled back: %s is bound to %s again" % (address, before["driver"] or "nothing")
        return "rollback of %s failed: it is now bound to %s" % (address,
                                                                 now["driver"] or "nothing")

    def _apply(self, addresses, plans, befores):
        done = []
        for address in addresses:
            steps = plans[address]
            if not steps:
                continue
            error = None
            try:
                for kind, value in steps:
                    ok, what = self._step(address, kind, value)
                    if not ok:
                        error = "%s did not take effect within %ss" % (what, self.p["timeout"])
                        break
            except SysfsError as exc:
                error = str(exc)
            now = self._read(address)
            if error is None and not is_done(now, self.p["state"], self.p["vfio_driver"],
                                             self.p["native_driver"]):
                error = "verification failed: %s is bound to %s (driver_override %s)" % (
                    address, now["driver"] or "nothing", now["driver_override"])
            if error:
                rollback = self._rollback(befores[address])
                pending = [a for a in addresses if a not in done and a != address and plans[a]]
                raise self.failure("%s: %s; %s. Done before it: %s; not attempted: %s"
                                   % (address, error, rollback, ", ".join(done) or "none",
                                      ", ".join(pending) or "none"),
                                   devices=[public(self._read(a)) for a in addresses],
                                   warnings_list=self.warnings)
            done.append(address)

    def run(self):
        """The result dict; raises ModuleFailure."""
        p = self.p
        errors = checks.check_options(p["state"], p["vfio_driver"], p["native_driver"])
        if errors:
            raise self.failure("; ".join(errors))
        addresses = self._addresses()
        befores = dict((a, self._read(a)) for a in addresses)
        missing = [a for a in addresses if not befores[a]["exists"]]
        if missing:
            raise self.failure("devices: no PCI function %s under %s; check the addresses "
                               "(lspci -D) or sysfs_root" % (", ".join(missing), p["sysfs_root"]))
        devs = [befores[a] for a in addresses]
        try:
            if p["state"] == "vfio":
                check_iommu(self.sysfs, devs)
                conflicts = group_conflicts(self.sysfs, devs, set(addresses), p["vfio_driver"])
                if conflicts:
                    raise VfioError(
                        "devices: refusing to bind to %s: other members of the IOMMU group are "
                        "bound to host drivers: %s; add them to devices (they are then bound "
                        "to %s too) or unbind them first"
                        % (p["vfio_driver"], ", ".join(conflicts), p["vfio_driver"]))
            plans = dict((a, plan_device(befores[a], p["state"], p["vfio_driver"],
                                         p["native_driver"])) for a in addresses)
            if any(plans.values()):
                check_safe(plans, befores, self.guard.protected(), self.guard.vfio_group_users)
        except VfioError as exc:
            raise self.failure(str(exc), devices=[public(d) for d in devs])
        changed = any(plans.values())
        result = {}
        if self.module._diff:
            result["diff"] = {"before": dict((a, public(befores[a])) for a in addresses),
                              "after": dict((a, self._predict(befores[a], plans[a]))
                                            for a in addresses)}
        if changed:
            self._ensure_driver(self._driver_needed(), self.module.check_mode)
        if self.module.check_mode or not changed:
            self.actions += ["%s: %s" % (a, describe(kind, value))
                             for a in addresses for kind, value in plans[a]]
        else:
            self._apply(addresses, plans, befores)
        afters = [public(self._read(a)) for a in addresses]
        if "diff" in result and not self.module.check_mode:
            result["diff"]["after"] = dict((d["address"], d) for d in afters)
        for warning in self.warnings:
            self.module.warn(warning)
        result.update(changed=changed, devices=afters, actions=self.actions)
        return result

    def _predict(self, dev, steps):
        after = public(dev)
        for kind, value in steps:
            if kind == "driver_override":
                after["driver_override"] = value or None
            elif kind == "unbind":
                after["driver"] = None
            elif kind == "bind":
                after["driver"] = value
            elif kind == "probe":
                after["driver"] = value or "(native)"
        return after


def run(module, sysfs=None):
    """Body of vfio_bind: the result dict, or ModuleFailure."""
    return VfioRun(module, sysfs).run()
