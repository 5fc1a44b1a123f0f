# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one atomic file write of the collection.

A reader (a GitOps tool, the kubelet, podman, the next run of a module) sees either the old
file or the new one, never a partial write: the data goes to a temporary file in the same
directory, which is then renamed over the target (atomic on one POSIX file system).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tempfile


def _to_bytes(data):
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _replace(path, mode, dir_mode, move, fill):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, dir_mode)
    handle, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
        os.chmod(tmp, mode)
        (move or os.rename)(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write(path, data, mode=0o644, dir_mode=0o755, move=None):
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically, creating its directory
    (``dir_mode``) when missing; ``move(tmp, path)`` replaces os.rename where given (such as
    AnsibleModule.atomic_move, which keeps SELinux contexts).  Returns ``path``; raises
    OSError/IOError and leaves no temporary file behind."""
    return _replace(path, mode, dir_mode, move, lambda out: out.write(_to_bytes(data)))


def atomic_copy(source, path, mode=0o644, dir_mode=0o755, move=None):
    """Copy the file ``source`` to ``path`` atomically (as atomic_write)."""
    def fill(out):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out)
    return _replace(path, mode, dir_mode, move, fill)
