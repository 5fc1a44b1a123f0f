# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Vendor/product names, one rule for every record.

- ``vendor``: the udev hwdb name on a live /sys, else the pci.ids name, else null.
- ``product``: the udev hwdb name, else the pci.ids name (the hwdb is built from pci.ids, so
  both read alike: "GH100 [H100 SXM5 80GB]"); when neither knows the device, the rule's
  ``product_label`` written the way those names write model codes: upper case, words split
  at "_" (``mi300x`` -> "MI300X", ``pac_a10`` -> "PAC A10"); null without a label.
- ``names_source``: the database that named the device (``hwdb`` or ``pci.ids``: the one that
  gave the product, else the one that gave the vendor); ``rule`` when only the rule's label
  names it; null when nothing does. A product from the label is always
  ``label_product(product_label)``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.pci_ids import (
    PciIds, find_pci_ids)


def label_product(product_label):
    """A rule's product label in the case convention of pci.ids product names."""
    if not product_label:
        return None
    return " ".join(word for word in product_label.replace("_", " ").upper().split())


def display_product(record):
    """The product name of a record: ``product``, else the rule label's name, else the ids.
    The one fallback every report uses (the accelerator_table filter, records of older runs)."""
    ids = "%s:%s" % (record.get("vendor_id"), record.get("device_id"))
    return record.get("product") or label_product(record.get("product_label")) or ids


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

    def names(self, record):
        """(vendor, product, names_source) by the rule of the module docstring."""
        udev = self.udev.get(record["address"]) or {}
        vendor, product = udev.get("vendor"), udev.get("product")
        vendor_source = "hwdb" if vendor else None
        if product:
            return vendor, product, "hwdb"
        ids_vendor, ids_product = self._from_pci_ids(record)
        if not vendor and ids_vendor:
            vendor, vendor_source = ids_vendor, "pci.ids"
        if ids_product:
            return vendor, ids_product, "pci.ids"
        product = label_product(record.get("product_label"))
        return vendor, product, vendor_source or ("rule" if product else None)

    def apply(self, records):
        for record in records:
            vendor, product, source = self.names(record)
            record.update(vendor=vendor, product=product, names_source=source)
