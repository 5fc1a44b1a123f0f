# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""vfio_bind decisions: device state, safety checks and the plan of writes (no writes here)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_function import (
    attr, function_state, is_vfio_driver)

# Drivers that may hold other members of an IOMMU group bound to vfio (the kernel's own list).
GROUP_SAFE_DRIVERS = ("pci-stub", "pcieport")
IOMMU_HINT = ("enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or "
              "amd_iommu=on (AMD), usually with iommu=pt; the openaccel.cyborg.vfio role "
              "reports a missing kernel argument")


class VfioError(Exception):
    """A request that cannot be done safely; the message names the option and the fix."""


def read_device(sysfs, address):
    dev = sysfs.device_path(address)
    if not sysfs.exists("bus", "pci", "devices", address):
        return {"address": address, "exists": False}
    override = attr(sysfs, dev + "/driver_override")
    numvfs = attr(sysfs, dev + "/sriov_numvfs")
    state = function_state(sysfs, address)
    state.update({
        "exists": True,
        "driver_override": None if override in (None, "", "(null)") else override,
        "num_vfs": int(numvfs) if numvfs and numvfs.isdigit() else 0,
        "id": "%s:%s" % ((attr(sysfs, dev + "/vendor") or "0x????")[2:],
                         (attr(sysfs, dev + "/device") or "0x????")[2:]),
    })
    return state


def group_members(sysfs, group):
    return sysfs.listdir("kernel", "iommu_groups", str(group), "devices")


def describe(kind, value):
    """Text of one step, the same in check mode and in the actions of a real run."""
    if kind == "driver_override":
        return "driver_override=%s" % (value or "(cleared)")
    if kind == "unbind":
        return "unbind from %s" % value
    if kind == "bind":
        return "bind to %s" % value
    return "drivers_probe" + (" (%s)" % value if value else "")


def is_done(dev, state, vfio_driver, native_driver=None):
    if state == "vfio":
        return dev["driver"] == vfio_driver and dev["driver_override"] == vfio_driver
    if dev["driver_override"] is not None or is_vfio_driver(dev["driver"]):
        return False
    return native_driver is None or dev["driver"] == native_driver


def plan_device(dev, state, vfio_driver, native_driver=None):
    """Ordered steps [(kind, value)] for one device: driver_override, unbind, probe, bind."""
    steps = []
    if state == "vfio":
        if dev["driver_override"] != vfio_driver:
            steps.append(("driver_override", vfio_driver))
        if dev["driver"] != vfio_driver:
            if dev["driver"]:
                steps.append(("unbind", dev["driver"]))
            steps.append(("probe", vfio_driver))
        return steps
    if dev["driver_override"] is not None:
        steps.append(("driver_override", ""))
    wrong = is_vfio_driver(dev["driver"]) or (native_driver and dev["driver"] != native_driver)
    if wrong or (dev["driver"] is None and dev["driver_override"] is not None):
        if dev["driver"]:
            steps.append(("unbind", dev["driver"]))
        steps.append(("bind", native_driver) if native_driver else ("probe", None))
    return steps


def check_iommu(sysfs, devices):
    missing = [d["address"] for d in devices if d["iommu_group"] is None]
    if missing:
        groups = sysfs.listdir("kernel", "iommu_groups")
        state = ("the IOMMU is off (%s/kernel/iommu_groups is empty)" % sysfs.root
                 if not groups else "they sit behind no IOMMU")
        raise VfioError("devices: %s ha%s no IOMMU group, so vfio cannot use %s: %s; %s"
                        % (", ".join(missing), "s" if len(missing) == 1 else "ve",
                           "it" if len(missing) == 1 else "them", state, IOMMU_HINT))


def group_conflicts(sysfs, devices, requested, vfio_driver):
    """['<member> (driver X, IOMMU group N of <device>)'] bound to host drivers, not requested."""
    conflicts = []
    seen = set()
    for dev in devices:
        group = dev["iommu_group"]
        if group is None or group in seen:
            continue
        seen.add(group)
        for member in group_members(sysfs, group):
            if member in requested:
                continue
            driver = sysfs.link_name_at(sysfs.device_path(member) + "/driver")
            if driver and not is_vfio_driver(driver) and driver != vfio_driver \
                    and driver not in GROUP_SAFE_DRIVERS:
                conflicts.append("%s (driver %s, IOMMU group %s of %s)"
                                 % (member, driver, group, dev["address"]))
    return conflicts


def check_safe(plans, devices_by_address, protected, group_users):
    """Raise VfioError for an unbind the host cannot afford; ``group_users(group)`` -> pids."""
    for address, steps in plans.items():
        unbinds = [value for kind, value in steps if kind == "unbind"]
        if not unbinds:
            continue
        dev = devices_by_address[address]
        if address in protected:
            raise VfioError("devices: refusing to unbind %s from %s: it %s; remove it from "
                            "devices" % (address, unbinds[0], protected[address]))
        if dev["num_vfs"]:
            raise VfioError("devices: refusing to unbind %s from %s: it has %d VFs, which "
                            "unbinding removes; set them to 0 first (openaccel.cyborg.pci_sriov "
                            "num_vfs=0)" % (address, unbinds[0], dev["num_vfs"]))
        if is_vfio_driver(unbinds[0]) and dev["iommu_group"] is not None:
            users = group_users(dev["iommu_group"])
            if users:
                raise VfioError("devices: refusing to unbind %s from %s: VFIO group %s is open "
                                "by %s (a guest is using it); stop it first"
                                % (address, unbinds[0], dev["iommu_group"], ", ".join(users)))


def public(dev):
    if not dev.get("exists"):
        return {"address": dev["address"], "exists": False}
    return dict((k, dev[k]) for k in ("address", "driver", "driver_override", "iommu_group"))
