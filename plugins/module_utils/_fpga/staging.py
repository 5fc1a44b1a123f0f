# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's private copy of the bitstream: the bytes that are verified are the bytes
that are flashed.

Every source (a user's ``src``, a URL or Glance download, a cache entry) is copied into a
directory that only this run can write (``tempfile.mkdtemp``: mode 0o700, below the module's
tmpdir), and the digests are computed from the bytes as they are copied. Checksums, the
format parsers and the vendor tool (or the fpga_manager firmware copy) then only ever see
that copy, so replacing the original while the run waits for the card lock changes nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import shutil
import tempfile

_CHUNK = 1 << 20


def _safe_name(name):
    name = os.path.basename(name or "") or "bitstream.bin"
    return name if name not in (".", "..") else "bitstream.bin"


class Staging(object):
    """A private directory (0o700) for this run's copies; ``remove()`` deletes it."""

    def __init__(self, tmpdir):
        if tmpdir and not os.path.isdir(tmpdir):
            os.makedirs(tmpdir, 0o700)
        self.directory = tempfile.mkdtemp(prefix="fpga-program-", dir=tmpdir or None)
        os.chmod(self.directory, 0o700)

    def path(self, name):
        """A path for ``name`` in the private directory that does not exist yet."""
        name = _safe_name(name)
        path = os.path.join(self.directory, name)
        count = 1
        while os.path.lexists(path):
            count += 1
            path = os.path.join(self.directory, "%d-%s" % (count, name))
        return path

    def copy(self, source, name=None, algorithms=("sha256",)):
        """Copy ``source`` in, hashing the bytes as they are written: (path, {algo: hex})."""
        hashes = dict((algo, hashlib.new(algo)) for algo in set(algorithms) | {"sha256"})
        dest = self.path(name or source)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    for digest in hashes.values():
                        digest.update(chunk)
                    out.write(chunk)
        except (IOError, OSError):
            self.discard(dest)
            raise
        return dest, dict((algo, h.hexdigest()) for algo, h in hashes.items())

    def discard(self, path):
        if path and os.path.dirname(path) == self.directory:
            try:
                os.unlink(path)
            except OSError:
                pass

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)
