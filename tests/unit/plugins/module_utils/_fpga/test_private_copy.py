"""Unit tests: fpga_program hashes and flashes the same bytes. Every source becomes a private
copy (a 0700 directory of this run), hashed while copied; the original can change afterwards
without changing what is parsed, reported or handed to the tool."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os
import stat

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.cache import BitstreamCache
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.source import (
    SourceError, cleanup, resolve)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.staging import Staging


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def test_src_is_copied_privately_and_hashed_from_the_copy(tmp_path):
    src = tmp_path / "afu.gbs"
    src.write_bytes(b"good" * 100)
    tmpdir = tmp_path / "moduletmp"
    source = resolve({"src": str(src), "checksum": "sha256:" + _sha(b"good" * 100)},
                     str(tmpdir))
    try:
        assert source["path"] != str(src) and source["src"] == str(src)
        assert os.path.basename(source["path"]) == "afu.gbs"
        directory = os.path.dirname(source["path"])
        assert os.path.dirname(directory) == str(tmpdir)
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(source["path"]).st_mode) == 0o600
        src.write_bytes(b"evil" * 100)       # replaced after the check
        with open(source["path"], "rb") as handle:
            assert handle.read() == b"good" * 100
        assert source["sha256"] == _sha(b"good" * 100)
    finally:
        cleanup(source)
    assert not os.path.exists(directory) and src.exists()


def test_checksum_mismatch_names_the_users_file_and_leaves_no_copy(tmp_path):
    src = tmp_path / "afu.gbs"
    src.write_bytes(b"x" * 10)
    tmpdir = tmp_path / "t"
    with pytest.raises(SourceError, match=r"^checksum mismatch for %s: " % src):
        resolve({"src": str(src), "checksum": "sha256:" + "0" * 64}, str(tmpdir))
    assert os.listdir(str(tmpdir)) == []


def test_a_cache_hit_is_a_private_copy_checked_on_its_own_bytes(tmp_path):
    cache = BitstreamCache(str(tmp_path / "cache"))
    data = b"cached" * 50
    original = tmp_path / "dl"
    original.write_bytes(data)
    entry = cache.store(str(original), "sha256", _sha(data))
    staging = Staging(str(tmp_path / "t"))
    path, digests = cache.lookup("sha256", _sha(data), staging, "nlb0.gbs")
    assert path != entry and os.path.dirname(path) == staging.directory
    assert digests["sha256"] == _sha(data)
    with open(entry, "r+b") as handle:      # rewritten after the lookup
        handle.write(b"EVIL")
    with open(path, "rb") as handle:
        assert handle.read() == data
    # a damaged entry: no copy is returned or left behind, and the entry is removed
    assert cache.lookup("sha256", _sha(data), staging, "again.gbs") is None
    assert not os.path.exists(entry) and os.listdir(staging.directory) == ["nlb0.gbs"]
    staging.remove()
    assert not os.path.exists(staging.directory)
