# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Enumerate PCI functions and their hwdb names through pyudev (live ``/sys`` only).

pyudev cannot point at another sysfs root, so this path is used only when
discovery reads the running system's ``/sys``; tests run it under ``umockdev-run``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib


def udev_pci_devices(import_module=importlib.import_module):
    """{address: {"vendor": ..., "product": ..., "driver": ...}} or None if pyudev is unusable."""
    try:
        pyudev = import_module("pyudev")
        context = pyudev.Context()
        devices = context.list_devices(subsystem="pci")
        found = {}
        for device in devices:
            props = device.properties
            found[device.sys_name.lower()] = {
                "vendor": props.get("ID_VENDOR_FROM_DATABASE"),
                "product": props.get("ID_MODEL_FROM_DATABASE"),
                "driver": device.driver,
            }
        return found
    except Exception:  # pylint: disable=broad-except  # no pyudev/libudev: fall back to sysfs
        return None
