# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Vendor and product names from a pci.ids file, looked up on demand.

The file is read once as bytes and binary-searched for the few vendor/device pairs
a host has: no parse of its ~40,000 lines.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import mmap
import os
import re

DEFAULT_PCI_IDS_PATHS = (
    "/usr/share/misc/pci.ids",
    "/usr/share/hwdata/pci.ids",
    "/usr/share/pci.ids",
)
_VENDOR_LINE = re.compile(br"\n([0-9a-f]{4})  ")  # pci.ids opens with a comment header
_DEVICE_LINE = re.compile(br"\n\t([0-9a-f]{4})  ")
_LONGEST_KEY = 8  # len(b"\n\tXXXX  ")


def find_pci_ids(paths=DEFAULT_PCI_IDS_PATHS):
    for path in paths:
        if os.path.isfile(path):
            return path
    return None


def _text(raw):
    return raw.decode("utf-8", "replace").strip()


class PciIds(object):
    """Names for vendor/device ids from one pci.ids file."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as handle:
            # Mapped, not read: a lookup touches only the pages its binary search visits.
            size = os.fstat(handle.fileno()).st_size
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        # The short device-class section at the end ("C 03", "\t00  VGA") never matches
        # the vendor/device line patterns, so the searches may run to the end of the file.
        self._end = len(self._data)
        self._vendors = {}
        self._names = {}

    def _bisect(self, pattern, key, lo, hi):
        """The line matching ``pattern`` whose id is ``key``, starting in [lo, hi), or None.

        pci.ids keeps the devices of each vendor sorted by id, so a binary search over
        byte offsets finds a line in ~10 short regex searches.
        """
        while lo < hi:
            mid = (lo + hi) // 2
            # a line that starts before ``hi`` may end after it: let the match run on
            found = pattern.search(self._data, mid, hi + _LONGEST_KEY)
            if found is None or found.start() >= hi:
                hi = mid
                continue
            ident = found.group(1)
            if ident == key:
                return found
            if ident < key:
                lo = found.end()
            else:
                hi = mid
        return None

    def _line_text(self, match):
        return _text(self._data[match.end():self._data.find(b"\n", match.end())])

    def _vendor_line(self, key):
        """The line of vendor ``key`` (b"8086"), or None.

        Only vendor lines start with a hex digit (devices start with a tab, comments
        with #, the class section with C), so the vendors sharing the key's first digit
        are exactly the lines starting with it, found by a plain byte search: a
        binary search over offsets, each probe one fast find instead of a regex scan
        through blocks of thousands of lines (Intel's is ~370 kB).
        """
        needle = b"\n" + key[:1]
        lo, hi = 0, self._end
        while lo < hi:
            mid = (lo + hi) // 2
            pos = self._data.find(needle, mid, hi + 1)  # a line may start at hi - 1
            found = _VENDOR_LINE.match(self._data, pos) if pos >= 0 else None
            if found is None:
                hi = mid
            elif found.group(1) == key:
                return found
            elif found.group(1) < key:
                lo = found.end()
            else:
                hi = mid
        return None

    def _block_end(self, vendor_line):
        """Where the devices below a vendor line end: at the next vendor line, which
        shares the first digit unless the vendor is the last of its digit."""
        following = self._data.find(b"\n" + vendor_line.group(1)[:1], vendor_line.end(), self._end)
        if following >= 0:
            return following
        found = _VENDOR_LINE.search(self._data, vendor_line.end(), self._end)
        return found.start() if found else self._end

    def _vendor(self, vendor_id):
        """(vendor name, start, stop) of a vendor's block; name None when not listed."""
        if vendor_id not in self._vendors:
            found = self._vendor_line(vendor_id.encode("ascii"))
            if found is None:
                self._vendors[vendor_id] = (None, 0, 0)
            else:
                self._vendors[vendor_id] = (self._line_text(found), found.start() + 1,
                                            self._block_end(found))
        return self._vendors[vendor_id]

    def names(self, vendor_id, device_id):
        """(vendor name, device name) as lspci prints them; None where not listed."""
        key = (vendor_id, device_id)
        if key not in self._names:
            vendor, start, stop = self._vendor(vendor_id)
            product = None
            if vendor is not None:
                found = self._bisect(_DEVICE_LINE, device_id.encode("ascii"), start, stop)
                product = self._line_text(found) if found else None
            self._names[key] = (vendor, product)
        return self._names[key]
