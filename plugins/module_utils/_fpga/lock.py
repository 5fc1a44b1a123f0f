# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Per-card lock (flock under /run/lock) and the per-card record of flashed images.

The lock file is ``<lock_dir>/openaccel-fpga-<card>.lock`` (card = domain:bus:slot, so both
PFs of an Alveo and a DFL PF with its VFs share one lock). It holds the owner's pid, so a
timeout can say who holds it. flock locks die with their process: a killed run never leaves
a stale lock.

Images that only become active after a cold reboot (XRT shell, Intel FIM/BMC) and
fpga_manager loads (no id in sysfs) are recorded in ``openaccel-fpga-<card>.state.json``
next to the lock, with the kernel's boot id: /run is a tmpfs, so a reboot clears both.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fcntl
import json
import os
import time

from ansible_collections.openaccel.cyborg.plugins.module_utils._files import atomic_write

BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"


class LockTimeout(Exception):
    """Another run holds the card's lock; the message names the holder and the fix."""


def _safe(card):
    return card.replace("/", "_")


def lock_path(lock_dir, card):
    return os.path.join(lock_dir, "openaccel-fpga-%s.lock" % _safe(card))


class CardLock(object):
    """``with CardLock(dir, card, timeout):`` -- exclusive, waits up to ``timeout`` s."""

    def __init__(self, lock_dir, card, timeout, poll=0.1):
        self.path = lock_path(lock_dir, card)
        self.lock_dir, self.card, self.timeout, self.poll = lock_dir, card, timeout, poll
        self.fd = None
        self.waited = 0.0

    def _holder(self):
        try:
            with open(self.path) as handle:
                return handle.read().strip() or "unknown"
        except (IOError, OSError):
            return "unknown"

    def acquire(self):
        try:
            if not os.path.isdir(self.lock_dir):
                os.makedirs(self.lock_dir, 0o755)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockTimeout("lock_dir: cannot create the lock file %s: %s"
                              % (self.path, exc.strerror or exc))
        start = time.time()
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            self.waited = time.time() - start
            if self.waited >= self.timeout:
                holder = self._holder()
                os.close(self.fd)
                self.fd = None
                raise LockTimeout(
                    "card %s is being programmed by another run (lock %s held by pid %s) for "
                    "more than lock_timeout=%ss; nothing was done. Wait and retry, or raise "
                    "lock_timeout" % (self.card, self.path, holder, self.timeout))
            time.sleep(self.poll)
        self.waited = time.time() - start
        os.ftruncate(self.fd, 0)
        os.write(self.fd, ("%d\n" % os.getpid()).encode())
        return self

    def release(self):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def boot_id(path=BOOT_ID_PATH):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


class StagedState(object):
    """{kind: {sha256, id, tool, boot_id, time}} per card; entries from an earlier boot
    are ignored (the flash took effect, or the load was lost)."""

    def __init__(self, lock_dir, card, boot=None):
        self.path = os.path.join(lock_dir, "openaccel-fpga-%s.state.json" % _safe(card))
        self.boot = boot if boot is not None else boot_id()

    def _load(self):
        try:
            with open(self.path) as handle:
                data = json.load(handle)
            return data if isinstance(data, dict) else {}
        except (IOError, OSError, ValueError):
            return {}

    def get(self, kind):
        entry = self._load().get(kind)
        if not isinstance(entry, dict) or entry.get("boot_id") != self.boot:
            return None
        return entry

    def put(self, kind, sha256, ident, tool):
        data = self._load()
        data[kind] = {"sha256": sha256, "id": ident, "tool": tool, "boot_id": self.boot,
                      "time": int(time.time())}
        self._save(data)

    def clear(self, kind):
        data = self._load()
        if data.pop(kind, None) is not None:
            self._save(data)

    def _save(self, data):
        atomic_write(self.path, json.dumps(data, sort_keys=True))
