# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vendor and product names from a pci.ids file, looked up on demand.

The file is read once as text and searched with ``str.find`` for the few ids a
host actually has: no full parse of its ~40,000 lines.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

_NEXT_TOP_LEVEL = re.compile(r"\n[0-9a-fA-FC]")

DEFAULT_PCI_IDS_PATHS = (
    "/usr/share/misc/pci.ids",
    "/usr/share/hwdata/pci.ids",
    "/usr/share/pci.ids",
    "/usr/share/misc/pci.ids.gz",
)


def find_pci_ids(paths=DEFAULT_PCI_IDS_PATHS):
    for path in paths:
        if os.path.isfile(path) and not path.endswith(".gz"):
            return path
    return None


class PciIds(object):
    """Names for vendor/device/subsystem ids from one pci.ids file."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as handle:
            self._text = "\n" + handle.read().decode("utf-8", "replace")
        self._vendor_cache = {}

    def _vendor_block(self, vendor_id):
        if vendor_id not in self._vendor_cache:
            self._vendor_cache[vendor_id] = self._find_vendor_block(vendor_id)
        return self._vendor_cache[vendor_id]

    def _find_vendor_block(self, vendor_id):
        start = self._text.find("\n%s  " % vendor_id)
        classes_at = self._text.find("\nC ")  # the vendor list ends where classes begin
        if start < 0 or (0 <= classes_at < start):
            return None, ""
        line_end = self._text.find("\n", start + 1)
        name = self._text[start + 7:line_end].strip()
        following = _NEXT_TOP_LEVEL.search(self._text, line_end)
        end = following.start() if following else len(self._text)
        return name, self._text[line_end:end + 1]

    def names(self, vendor_id, device_id):
        """(vendor name, device name) as lspci prints them; None where not listed."""
        vendor, block = self._vendor_block(vendor_id)
        if vendor is None:
            return None, None
        start = block.find("\n\t%s  " % device_id)
        if start < 0:
            return vendor, None
        line_end = block.find("\n", start + 1)
        return vendor, block[start + 8:line_end].strip()
