# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Which PCI functions the host itself needs: never unbind them.

* block devices behind mounted filesystems and active swap (``<proc>/mounts``,
  ``<proc>/swaps``), through partitions and device-mapper/md ``slaves``;
* the NICs carrying a default route (``<proc>/net/route``, ``<proc>/net/ipv6_route``),
  through bonds, bridges and VLANs (``lower_*`` links);
* every PCI function on the sysfs path of those (bridges above them), and the PF of a
  protected VF (unbinding a PF's driver removes its VFs).

Also: processes holding a VFIO group open (a guest using the device).
All paths are below a sysfs root and a proc root, so tests point both at fake trees.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import (
    is_sysfs_address)
from ansible_collections.openaccel.cyborg.plugins.module_utils._procfs import open_file_users


def _lines(path):
    try:
        with open(path) as handle:
            return handle.read().splitlines()
    except (IOError, OSError):
        return []


def _unescape(field):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def pci_path_addresses(path):
    """PCI addresses on the resolved sysfs path of a device (the function and its bridges)."""
    return [part for part in os.path.realpath(path).split("/") if is_sysfs_address(part)]


class HostGuard(object):
    def __init__(self, sysfs, proc_root="/proc"):
        self.sysfs = sysfs
        self.proc = proc_root.rstrip("/") or "/"
        self.live = self.proc == "/proc"

    # -- block devices ------------------------------------------------------------------------
    def _dm_by_name(self, name):
        for entry in self.sysfs.listdir("class", "block"):
            if self.sysfs.read_optional("class", "block", entry, "dm", "name") == name:
                return entry
        return None

    def _block_name(self, source, mountpoint):
        """Kernel name (nvme0n1p2, dm-0) of a mount source, or None."""
        if not source.startswith("/dev/"):
            return None
        name = os.path.basename(os.path.realpath(source)) if self.live else os.path.basename(source)
        if self.sysfs.exists("class", "block", name):
            return name
        if "/mapper/" in source:
            return self._dm_by_name(os.path.basename(source))
        if self.live and mountpoint:  # /dev/root and friends: ask the mount point's st_dev
            try:
                dev = os.stat(mountpoint).st_dev
            except OSError:
                return None
            link = self.sysfs.path("dev", "block", "%d:%d" % (os.major(dev), os.minor(dev)))
            if os.path.exists(link):
                return os.path.basename(os.path.realpath(link))
        return None

    def block_functions(self, name, seen=None):
        """PCI functions under block device ``name`` (following dm/md slaves)."""
        seen = set() if seen is None else seen
        if name in seen:
            return []
        seen.add(name)
        path = os.path.realpath(self.sysfs.path("class", "block", name))
        found = pci_path_addresses(path)
        slaves = self.sysfs.listdir_at(path + "/slaves")
        if not slaves and os.path.exists(path + "/partition"):
            slaves = self.sysfs.listdir_at(os.path.dirname(path) + "/slaves")
        for slave in slaves:
            found += self.block_functions(slave, seen)
        return found

    def _mount_reasons(self):
        reasons = {}
        for line in _lines(os.path.join(self.proc, "mounts")):
            fields = line.split()
            if len(fields) < 3:
                continue
            source, mountpoint, fstype = _unescape(fields[0]), _unescape(fields[1]), fields[2]
            name = self._block_name(source, mountpoint)
            if name:
                why = "backs the mounted filesystem %s (%s on %s)" % (mountpoint, fstype, name)
                for address in self.block_functions(name):
                    reasons.setdefault(address, why)
        for line in _lines(os.path.join(self.proc, "swaps"))[1:]:
            fields = line.split()
            if len(fields) >= 2 and fields[1] == "partition":
                name = self._block_name(_unescape(fields[0]), None)
                for address in self.block_functions(name) if name else []:
                    reasons.setdefault(address, "backs active swap %s" % fields[0])
        return reasons

    # -- network ------------------------------------------------------------------------------
    def default_route_interfaces(self):
        names = []
        for line in _lines(os.path.join(self.proc, "net", "route"))[1:]:
            fields = line.split()
            if len(fields) >= 8 and fields[1] == "00000000" and fields[7] == "00000000":
                names.append(fields[0])
        for line in _lines(os.path.join(self.proc, "net", "ipv6_route")):
            fields = line.split()
            if len(fields) >= 10 and fields[0] == "0" * 32 and fields[1] == "00" \
                    and fields[9] != "lo":
                names.append(fields[9])
        return sorted(set(names))

    def net_functions(self, ifname, seen=None):
        seen = set() if seen is None else seen
        if ifname in seen:
            return []
        seen.add(ifname)
        path = os.path.realpath(self.sysfs.path("class", "net", ifname))
        found = []
        if os.path.exists(path + "/device"):
            found += pci_path_addresses(path + "/device")
        for entry in self.sysfs.listdir_at(path):
            if entry.startswith("lower_"):
                found += self.net_functions(entry[len("lower_"):], seen)
        return found

    # -- together -----------------------------------------------------------------------------
    def protected(self):
        """{address: reason} of the functions the host needs."""
        reasons = self._mount_reasons()
        for ifname in self.default_route_interfaces():
            for address in self.net_functions(ifname):
                reasons.setdefault(address, "carries the default route (interface %s)" % ifname)
        for address, why in list(reasons.items()):
            pf = self.sysfs.link_name_at(self.sysfs.device_path(address) + "/physfn")
            if pf:
                reasons.setdefault(pf, "is the PF of %s, which %s" % (address, why))
        return reasons

    def vfio_group_users(self, group):
        """['pid (comm)'] of processes holding /dev/vfio/<group> open."""
        users = open_file_users(["/dev/vfio/%s" % group], self.proc)
        return ["%d (%s)" % (pid, users[pid]) for pid in sorted(users)]
