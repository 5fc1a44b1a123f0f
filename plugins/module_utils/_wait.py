# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Wait for the kernel: re-read sysfs until a condition holds or a timeout passes.

Between two reads the waiter sleeps ``interval`` seconds, or blocks on a pyudev monitor of
the ``pci`` subsystem (woken early by add/bind uevents) when one is open.  The condition is
always decided from sysfs, so a missed or absent uevent only costs one interval.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


class WaitSetupError(Exception):
    """The wait method cannot be used; the message names the option."""


def open_monitor(method, sysfs_root):
    """(monitor or None, method used). ``method`` is auto, udev or poll."""
    if method == "poll":
        return None, "poll"
    live = sysfs_root.rstrip("/") == "/sys"
    if not live:
        if method == "udev":
            raise WaitSetupError("wait_method: udev needs sysfs_root=/sys (udev only sees the "
                                 "live sysfs); use wait_method=poll or auto with %s" % sysfs_root)
        return None, "poll"
    try:
        import pyudev
    except ImportError:
        if method == "udev":
            raise WaitSetupError("wait_method: udev needs the pyudev Python library on the "
                                 "target; install it or use wait_method=poll")
        return None, "poll"
    try:
        monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        monitor.filter_by("pci")
        monitor.start()
    except Exception as exc:  # no netlink socket (container), permission
        if method == "udev":
            raise WaitSetupError("wait_method: cannot open a udev monitor: %s; use "
                                 "wait_method=poll" % exc)
        return None, "poll"
    return monitor, "udev"


class Waiter(object):
    def __init__(self, timeout, interval=0.1, monitor=None, clock=time.monotonic,
                 sleep=time.sleep):
        self.timeout = float(timeout)
        self.interval = max(float(interval), 0.001)
        self.monitor = monitor
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        self.events = 0

    def _pause(self, seconds):
        if self.monitor is None:
            self.sleep(seconds)
            return
        if self.monitor.poll(timeout=seconds) is not None:
            self.events += 1
            while self.monitor.poll(timeout=0) is not None:  # drain a burst, then re-read once
                self.events += 1

    def until(self, check):
        """Call ``check()`` -> (done, value) until done or timeout: (done, value)."""
        start = self.clock()
        deadline = start + self.timeout
        while True:
            done, value = check()
            now = self.clock()
            if done or now >= deadline:
                self.waited += now - start
                return done, value
            self._pause(min(self.interval, deadline - now))
