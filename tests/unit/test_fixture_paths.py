"""Tracked test paths must be legal file names everywhere (Windows, ansible-test sanity), and
the escape the sysfs captures are stored under (tests/fixtures/captures/sysfs/README.md) must
decode to the real sysfs names."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.hwsim import captures
from tests.fixtures.hwsim.parsers import nfd_tree

REPO = Path(__file__).resolve().parents[2]
SYMLINK_MODE = "120000"


def _tracked(under: str) -> list[tuple[str, str]]:
    """(git mode, path) of every tracked file under `under`, plus its directories (mode '')."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        ["git", "ls-files", "-s", "-z", "--", under],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    entries, dirs = [], set()
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        entries.append((meta.split()[0], path))
        parts = path.split("/")
        dirs.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    return entries + [("", d) for d in sorted(dirs)]


def _ansible_test_checker():
    """ansible-test's own no-illegal-filenames check_path(path, is_dir) (prints the problems)."""
    spec = importlib.util.find_spec("ansible_test")
    if spec is None:
        pytest.skip("ansible-test not installed")
    source = Path(spec.origin).parent / "_util/controller/sanity/code-smell/no-illegal-filenames.py"
    module_spec = importlib.util.spec_from_file_location("no_illegal_filenames", source)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.check_path


def test_no_tracked_test_path_has_a_colon():
    bad = [path for _mode, path in _tracked("tests") if ":" in path]
    assert bad == []


def test_tracked_test_paths_pass_ansible_test_no_illegal_filenames():
    check_path = _ansible_test_checker()
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        for mode, path in _tracked("tests"):
            check_path(path, is_dir=path.endswith("/"))
            if mode == SYMLINK_MODE:  # targets are stored escaped too
                check_path(os.readlink(REPO / path))
    assert report.getvalue().splitlines() == []


@pytest.mark.parametrize(
    "stored, real",
    [
        ("0000%3A3b%3A00.0", "0000:3b:00.0"),
        ("devices/pci0000%3A00/0000%3A00%3A1c.0", "devices/pci0000:00/0000:00:1c.0"),
        ("100%25", "100%"),
        ("%253A", "%3A"),  # a real name that looks like an escape
        ("local_cpulist", "local_cpulist"),
    ],
)
def test_decode_name(stored, real):
    assert captures.decode_name(stored) == real
    assert captures.encode_name(real) == stored


@pytest.mark.parametrize("stored", ["0000%3a3b", "a%41", "trailing%", "short%2", "%%3A"])
def test_decode_name_rejects_what_encode_never_writes(stored):
    with pytest.raises(ValueError, match="bad escape"):
        captures.decode_name(stored)


def test_stored_capture_names_are_canonical_and_colon_free():
    """Every stored name re-encodes to itself, so the tree holds no raw ':' and no stray '%'."""
    root = captures.path("sysfs")
    for path in root.rglob("*"):
        stored = path.relative_to(root).as_posix()
        assert captures.encode_name(captures.decode_name(stored)) == stored
        if path.is_symlink():
            target = os.readlink(path)
            assert captures.encode_name(captures.decode_name(target)) == target


def test_nfd_snapshot_reads_back_real_addresses():
    devices = nfd_tree.read_devices()
    assert "0000:3b:00.0" in devices
    assert all(address.count(":") == 2 for address in devices)
    assert nfd_tree.hex_value(devices["0000:3b:00.0"], "device") == 0x37C8
