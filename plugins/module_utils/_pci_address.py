# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one PCI address grammar of the collection.

Linux names a PCI function ``DDDD:BB:SS.F``: a domain of 4 hex digits (up to 8 on hosts
with VMD or Hyper-V domains), bus (2), slot/device (2, 00-1f) and function (0-7).  Input
may leave out the domain (``3b:00.0`` means domain 0000) and may be upper case; output is
always the sysfs form, lower case, with the domain.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# The sysfs name of a PCI function (what /sys/bus/pci/devices lists).
SYSFS_ADDRESS_RE = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$")
_INPUT_RE = re.compile(r"^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$")


class AddressError(ValueError):
    """Not a PCI address; the message names the field and shows the form wanted."""


def is_sysfs_address(name):
    """True for a name in the sysfs form (domain included, lower case)."""
    return isinstance(name, str) and bool(SYSFS_ADDRESS_RE.match(name))


def normalize_address(value, field="address"):
    """``value`` in the sysfs form; AddressError naming ``field`` when it is not an address."""
    text = value.strip().lower() if isinstance(value, str) else ""
    match = _INPUT_RE.match(text)
    if not match:
        raise AddressError("%s: %r is not a PCI address; use the domain:bus:device.function form "
                           "such as 0000:3b:00.0" % (field, value))
    domain, bus, slot, function = match.groups()
    return "%s:%s:%s.%s" % (domain or "0000", bus, slot, function)


def card_of(address):
    """'0000:3b:00.1' -> '0000:3b:00': the functions of one physical card share it."""
    return address.rsplit(".", 1)[0]
