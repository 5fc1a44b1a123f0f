# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Which PCI functions the host itself needs: never unbind them.

* block devices behind mounted filesystems and active swap (``<proc>/self/mountinfo``'s
  major:minor, else ``<proc>/mounts``; ``<proc>/swaps``), through partitions and
  device-mapper/md ``slaves``, and through native NVMe multipath: a namespace head lives
  under ``devices/virtual/nvme-subsystem/nvme-subsysN``, so every controller linked from
  that subsystem (``nvme-subsysN/nvmeM -> .../<pci function>/nvme/nvmeM``) is protected;
* the console: the boot VGA device (``boot_vga`` = 1) and every function carrying a
  framebuffer (``class/graphics/fbN/device``) while fbcon is bound to a virtual console
  (``class/vtconsole/vtconN``: bind = 1, name "... frame buffer device");
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

    def _by_devnum(self, majmin):
        """Kernel name of the block device ``MAJ:MIN`` (``dev/block/MAJ:MIN``), or None."""
        link = self.sysfs.path("dev", "block", majmin)
        if not re.match(r"^\d+:\d+$", majmin or "") or not os.path.exists(link):
            return None
        return os.path.basename(os.path.realpath(link))

    @staticmethod
    def _nvme_subsystem(path):
        """The ``.../nvme-subsystem/nvme-subsysN`` directory above a multipath namespace head
        (or its partition), or None."""
        parts = path.split("/")
        for index in range(len(parts) - 1, 0, -1):
            if parts[index - 1] == "nvme-subsystem" and parts[index].startswith("nvme-subsys"):
                return "/".join(parts[:index + 1])
        return None

    def _nvme_paths(self, path):
        """PCI functions of every controller of the NVMe subsystem holding ``path``: the
        subsystem's ``nvmeN`` controller links and the head's ``multipath/`` path links."""
        subsystem = self._nvme_subsystem(path)
        if not subsystem:
            return []
        found = []
        for entry in self.sysfs.listdir_at(subsystem):
            if re.match(r"^nvme\d+$", entry):
                found += pci_path_addresses(os.path.join(subsystem, entry))
        head = path if os.path.exists(path + "/multipath") else os.path.dirname(path)
        for entry in self.sysfs.listdir_at(head + "/multipath"):
            found += pci_path_addresses(os.path.join(head, "multipath", entry))
        return found

    def block_functions(self, name, seen=None):
        """PCI functions under block device ``name`` (following dm/md slaves and NVMe
        multipath subsystems to all their controllers)."""
        seen = set() if seen is None else seen
        if name in seen:
            return []
        seen.add(name)
        path = os.path.realpath(self.sysfs.path("class", "block", name))
        found = pci_path_addresses(path) + self._nvme_paths(path)
        slaves = self.sysfs.listdir_at(path + "/slaves")
        if not slaves and os.path.exists(path + "/partition"):
            slaves = self.sysfs.listdir_at(os.path.dirname(path) + "/slaves")
        for slave in slaves:
            found += self.block_functions(slave, seen)
        return found

    def _mounts(self):
        """[(source, mountpoint, fstype, kernel block name or None)]: from mountinfo (its
        major:minor names the device even for /dev/root), else from mounts."""
        out = []
        info = _lines(os.path.join(self.proc, "self", "mountinfo"))
        for line in info:
            fields = line.split()
            if "-" not in fields[6:] or len(fields) < 5:
                continue
            rest = fields[fields.index("-", 6) + 1:]
            if len(rest) < 2:
                continue
            source, mountpoint = _unescape(rest[1]), _unescape(fields[4])
            name = self._by_devnum(fields[2]) or self._block_name(source, mountpoint)
            out.append((source, mountpoint, rest[0], name))
        if info:
            return out
        for line in _lines(os.path.join(self.proc, "mounts")):
            fields = line.split()
            if len(fields) < 3:
                continue
            source, mountpoint = _unescape(fields[0]), _unescape(fields[1])
            out.append((source, mountpoint, fields[2], self._block_name(source, mountpoint)))
        return out

    def _mount_reasons(self):
        reasons = {}
        for _source, mountpoint, fstype, name in self._mounts():
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

    # -- console ------------------------------------------------------------------------------
    def _fbcon(self):
        """(known, [vtconN bound to fbcon]); known is False without class/vtconsole."""
        entries = [e for e in self.sysfs.listdir("class", "vtconsole") if e.startswith("vtcon")]
        bound = [e for e in sorted(entries) if self._fbcon_bound(e)]
        return bool(entries), bound

    def _fbcon_bound(self, vtcon):
        """True when ``vtcon`` is bound and is the frame buffer console."""
        if self.sysfs.read_optional("class", "vtconsole", vtcon, "bind") != "1":
            return False
        return "frame buffer" in (self.sysfs.read_optional("class", "vtconsole", vtcon, "name") or "")

    def console_reasons(self):
        """{address: reason} of the boot VGA device and of the functions whose framebuffer
        carries the console (and the bridges above them)."""
        reasons = {}
        for address in sorted(self.sysfs.listdir("bus", "pci", "devices")):
            if self.sysfs.read_optional("bus", "pci", "devices", address, "boot_vga") == "1":
                why = ("is the boot VGA device (boot_vga=1): the host's firmware console and "
                       "display; leave it to the host (pass through another GPU, or make "
                       "another device the primary display in the firmware setup)")
                for found in pci_path_addresses(self.sysfs.device_path(address)):
                    reasons.setdefault(found, why if found == address else
                                       "is a bridge above the boot VGA device %s" % address)
        known, bound = self._fbcon()
        if known and not bound:
            return reasons  # fbcon released: a framebuffer alone is not the console
        for fb in sorted(self.sysfs.listdir("class", "graphics")):
            device = self.sysfs.path("class", "graphics", fb, "device")
            if not re.match(r"^fb\d+$", fb) or not os.path.exists(device):
                continue
            addresses = pci_path_addresses(device)
            if not addresses:
                continue
            address = addresses[-1]
            driver = self.sysfs.link_name_at(self.sysfs.device_path(address) + "/driver")
            if bound:
                why = ("is the host's console: fbcon (%s) draws on its framebuffer %s (driver "
                       "%s); release the console first (echo 0 > /sys/class/vtconsole/%s/bind)"
                       % (", ".join(bound), fb, driver or "none", bound[0]))
            else:
                why = ("is the host's console: its framebuffer %s (driver %s) may carry the "
                       "framebuffer console" % (fb, driver or "none"))
            for found in addresses:
                reasons.setdefault(found, why if found == address else
                                   "is a bridge above the console device %s" % address)
        return reasons

    # -- together -----------------------------------------------------------------------------
    def protected(self):
        """{address: reason} of the functions the host needs."""
        reasons = self._mount_reasons()
        for address, why in self.console_reasons().items():
            reasons.setdefault(address, why)
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
