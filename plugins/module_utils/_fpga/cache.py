# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's download cache: verified bitstreams kept by content digest on the target.

A converge that names a URL or Glance image the card already runs would otherwise download it
again on every run just to read its ids. Entries are named by the digest they were verified
against (``sha256-<hex>``), written atomically (_files.atomic_copy), and checked again on every
use, on the private copy the run then flashes (_fpga/staging.py): a damaged entry is removed
and downloaded anew. Check mode reads the cache, never writes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.openaccel.cyborg.plugins.module_utils._files import atomic_copy


class BitstreamCache(object):
    """``directory`` None: no cache. ``writable`` False (check mode): look up only."""

    def __init__(self, directory, writable=True):
        self.directory = directory
        self.writable = writable

    def _path(self, algo, digest):
        return os.path.join(self.directory, "%s-%s" % (algo, digest.lower()))

    def lookup(self, algo, digest, staging, name=None, algorithms=()):
        """A private copy (``staging``, a Staging) of the cached entry whose copied bytes
        still have ``digest``: (path, {algo: hex}), or None. The digest is computed while
        copying, so the entry cannot change between its check and its use."""
        if not self.directory or not algo or not digest:
            return None
        path = self._path(algo, digest)
        if not os.path.isfile(path):
            return None
        try:
            copy, digests = staging.copy(path, name, tuple(algorithms) + (algo,))
        except (IOError, OSError):
            return None
        if digests[algo] == digest.lower():
            return copy, digests
        staging.discard(copy)
        if self.writable:
            try:
                os.unlink(path)  # damaged: download anew
            except OSError:
                pass
        return None

    def store(self, path, algo, digest):
        """Keep a verified download (best effort: a full disk only costs the next download)."""
        if not self.directory or not self.writable or not algo or not digest:
            return None
        try:
            return atomic_copy(path, self._path(algo, digest), mode=0o600, dir_mode=0o700)
        except (IOError, OSError):
            return None
