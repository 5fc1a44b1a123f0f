# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vendor/product names: udev hwdb on a live /sys, else pci.ids, else null."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.pci_ids import (
    PciIds, find_pci_ids)


class NameResolver(object):
    def __init__(self, pci_ids_path=None, udev_devices=None):
        self.udev = udev_devices or {}
        self.pci_ids_path = pci_ids_path or find_pci_ids()
        self._pci_ids = None

    def _from_pci_ids(self, record):
        if not self.pci_ids_path or not record["vendor_id"] or not record["device_id"]:
            return None, None
        if self._pci_ids is None:
            self._pci_ids = PciIds(self.pci_ids_path)
        return self._pci_ids.names(record["vendor_id"], record["device_id"])

    def apply(self, records):
        for record in records:
            udev = self.udev.get(record["address"]) or {}
            if udev.get("vendor") or udev.get("product"):
                record.update(vendor=udev.get("vendor"), product=udev.get("product"),
                              names_source="hwdb")
                continue
            vendor, product = self._from_pci_ids(record)
            if vendor or product:
                record.update(vendor=vendor, product=product, names_source="pci.ids")
