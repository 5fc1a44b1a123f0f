# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one place where the collection writes sysfs (sriov_numvfs, driver_override, bind...).

Writes go below the same root as reads (``Sysfs``), so tests point them at a fake tree
and a test helper plays the kernel's part.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs, SysfsError


class SysfsWriter(Sysfs):
    """Sysfs reads plus attribute writes; every failure names the path and the errno text."""

    @staticmethod
    def write_at(path, value):
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except (IOError, OSError) as exc:
            raise SysfsError("writing %r to %s: %s" % (data.decode("utf-8", "replace"), path,
                                                       exc.strerror or exc))

    def write(self, value, *parts):
        """Write ``value`` to the attribute at ``parts`` below the root."""
        self.write_at(self.path(*parts), value)
