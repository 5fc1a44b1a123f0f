# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Input checks of vfio_bind: the option values it refuses before any sysfs write.

Pure (no I/O): the runner calls them before it reads a device, and validate_spec calls the
same functions on the spec's ``vfio`` settings (``plugin_utils/_spec/module_checks.py``).
Each returns a list of messages (empty: fine), worded as the module reports them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# A kernel driver name is one directory name under /sys/bus/pci/drivers: it is written to
# driver_override and joined into sysfs paths, so '.', '..' and '/' must never get there.
DRIVER_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


def check_driver_name(option, value):
    """``option`` (vfio_driver or native_driver) names a driver: None is fine (unset)."""
    if value is None:
        return []
    if not isinstance(value, str) or not DRIVER_NAME_RE.match(value):
        return ["%s: %r is not a kernel driver name (letters, digits, '_', '-' and '.', "
                "starting with a letter, digit or '_'; no '/', not '.' or '..')"
                % (option, value)]
    return []


def check_options(state, vfio_driver, native_driver):
    """The driver options the run will use (vfio_driver with state=vfio, native_driver when
    given with state=native)."""
    if state == "vfio":
        return check_driver_name("vfio_driver", vfio_driver)
    return check_driver_name("native_driver", native_driver)
