# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Which processes hold a file open, from /proc/<pid>/fd (as fuser does; best effort: processes
of other users are invisible without root, and vanishing ones are skipped)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os


def _comm(proc_root, pid):
    try:
        with open(os.path.join(proc_root, pid, "comm")) as handle:
            return handle.read().strip() or "?"
    except (IOError, OSError):
        return "?"


def open_file_users(paths, proc_root="/proc"):
    """{pid: command} of the processes (this one excepted) holding one of ``paths`` open."""
    wanted = set(p for p in paths if p)
    users = {}
    if not wanted:
        return users
    try:
        pids = [p for p in os.listdir(proc_root) if p.isdigit()]
    except OSError:
        return users
    for pid in pids:
        if int(pid) == os.getpid():
            continue
        fd_dir = os.path.join(proc_root, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) in wanted:
                    users[int(pid)] = _comm(proc_root, pid)
                    break
            except OSError:
                continue
    return users
