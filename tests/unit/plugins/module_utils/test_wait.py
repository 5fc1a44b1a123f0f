"""Unit tests: the waiter (fake clock, fake udev monitor) and the wait-method choice."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils import _wait as w


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Monitor(object):
    def __init__(self, clock, events):
        self.clock, self.events, self.calls = clock, list(events), []

    def poll(self, timeout=None):
        self.calls.append(timeout)
        if self.events and timeout:
            self.clock.now += 0.01
            return self.events.pop(0)
        if timeout:
            self.clock.now += timeout
        return None


def test_poll_until_done():
    clock = Clock()
    answers = iter([False, False, True])
    waiter = w.Waiter(5, 0.5, clock=clock, sleep=clock.sleep)
    assert waiter.until(lambda: (next(answers), "v")) == (True, "v")
    assert waiter.waited == 1.0


def test_timeout_returns_the_last_value():
    clock = Clock()
    waiter = w.Waiter(1, 0.3, clock=clock, sleep=clock.sleep)
    assert waiter.until(lambda: (False, clock.now)) == (False, pytest.approx(1.0))


def test_monitor_wakes_early_and_a_burst_is_drained():
    clock = Clock()
    monitor = Monitor(clock, ["add", "add", "bind"])
    answers = iter([False, True])
    waiter = w.Waiter(10, 1.0, monitor=monitor, clock=clock, sleep=None)
    assert waiter.until(lambda: (next(answers), None))[0]
    assert waiter.events == 1 and waiter.waited < 0.1  # woken by the first event
    assert monitor.calls[0] == 1.0


def test_open_monitor_choices(monkeypatch):
    assert w.open_monitor("poll", "/sys") == (None, "poll")
    assert w.open_monitor("auto", "/tmp/tree") == (None, "poll")
    with pytest.raises(w.WaitSetupError, match="^wait_method: udev needs sysfs_root=/sys"):
        w.open_monitor("udev", "/tmp/tree")
    monkeypatch.setitem(__import__("sys").modules, "pyudev", None)
    assert w.open_monitor("auto", "/sys") == (None, "poll")
    with pytest.raises(w.WaitSetupError, match="needs the pyudev Python library"):
        w.open_monitor("udev", "/sys")
