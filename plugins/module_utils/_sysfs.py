# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where the collection reads sysfs.

Every path is relative to a sysfs root (``/sys`` on a host, ``/host/sys`` in a
container, a fixture tree in tests), so tests point the whole collection elsewhere
by changing one string.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os


class SysfsError(Exception):
    """An attribute could not be read; the message names the path and the reason."""


class Sysfs(object):
    """Read-only access to a sysfs tree rooted at ``root``."""

    def __init__(self, root="/sys"):
        self.root = root.rstrip("/") or "/"

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def is_dir(self, *parts):
        return os.path.isdir(self.path(*parts))

    def exists(self, *parts):
        return os.path.exists(self.path(*parts))

    def listdir(self, *parts):
        """Sorted entries of a directory, or an empty list when it does not exist."""
        try:
            return sorted(os.listdir(self.path(*parts)))
        except OSError:
            return []

    def read(self, *parts):
        """Stripped text of an attribute; raises SysfsError when it cannot be read."""
        path = self.path(*parts)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except (IOError, OSError) as exc:
            raise SysfsError("%s: %s" % (path, exc.strerror or exc))
        return data.decode("utf-8", "replace").strip()

    def read_optional(self, *parts):
        """Stripped text of an attribute, or None when it does not exist or cannot be read."""
        try:
            return self.read(*parts)
        except SysfsError:
            return None

    def link_name(self, *parts):
        """Last component of a symlink's target (``driver`` -> ``nvidia``), None if absent."""
        try:
            return os.path.basename(os.readlink(self.path(*parts)))
        except OSError:
            return None
