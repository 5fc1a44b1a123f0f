# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one place where the collection reads sysfs.

Every path is below a sysfs root (``/sys`` on a host, ``/host/sys`` in a container,
a fixture tree in tests), so tests point the whole collection elsewhere by changing
one string. Methods come in two forms: ``read("bus", "pci", ...)`` joins parts below
the root; ``read_at(path)`` takes a path already built with ``path()`` or
``device_path()`` (the hot path of discovery, where joins add up).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os


class SysfsError(Exception):
    """An attribute could not be read; the message names the path and the reason."""


class Sysfs(object):
    """Read-only access to a sysfs tree rooted at ``root``."""

    def __init__(self, root="/sys"):
        self.root = root.rstrip("/")
        self._pci_devices = self.root + "/bus/pci/devices/"

    def path(self, *parts):
        return self.root + "/" + "/".join(parts)

    def device_path(self, address):
        """Directory of one PCI function (through its bus/pci/devices link)."""
        return self._pci_devices + address

    # -- absolute-path forms -------------------------------------------------------
    @staticmethod
    def read_at(path):
        """Stripped text of an attribute; raises SysfsError when it cannot be read."""
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                data = os.read(fd, 65536)
            finally:
                os.close(fd)
        except (IOError, OSError) as exc:
            raise SysfsError("%s: %s" % (path, exc.strerror or exc))
        return data.decode("utf-8", "replace").strip()

    @classmethod
    def read_optional_at(cls, path):
        """Stripped text of an attribute, or None when it is absent or unreadable."""
        try:
            return cls.read_at(path)
        except SysfsError:
            return None

    @staticmethod
    def link_name_at(path):
        """Last component of a symlink's target (``driver`` -> ``nvidia``), None if absent."""
        try:
            return os.readlink(path).rsplit("/", 1)[-1]
        except OSError:
            return None

    @staticmethod
    def listdir_at(path):
        """Sorted entries of a directory, or an empty list when it does not exist."""
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []

    # -- parts forms ------------------------------------------------------------------
    def is_dir(self, *parts):
        return os.path.isdir(self.path(*parts))

    def exists(self, *parts):
        return os.path.exists(self.path(*parts))

    def listdir(self, *parts):
        return self.listdir_at(self.path(*parts))

    def read(self, *parts):
        return self.read_at(self.path(*parts))

    def read_optional(self, *parts):
        return self.read_optional_at(self.path(*parts))

    def link_name(self, *parts):
        return self.link_name_at(self.path(*parts))
