# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the lower layers of plugins/module_utils/_nvml: session.py (calls, errors,
bus ids) and mig.py's profile names, and the package's import layering (split from
test_nvml.py, which tests enrich.py on the captures)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml import mig as _nvml_mig
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml import session as _session
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml import make_fake_pynvml, real_pynvml


@pytest.mark.parametrize("total_mib, memory_mib, slices, expected", [
    (81920, 9856, 1, "1g.10gb"),     # A100-SXM4-80GB
    (81920, 19968, 1, "1g.20gb"),
    (81920, 19968, 2, "2g.20gb"),
    (81920, 40192, 3, "3g.40gb"),
    (81920, 80384, 7, "7g.80gb"),
    (40960, 4864, 1, "1g.5gb"),      # A100-SXM4-40GB
    (40960, 19968, 4, "4g.20gb"),
    (40960, 40192, 7, "7g.40gb"),
    (81559, 9984, 1, "1g.10gb"),     # H100 80GB HBM3 (nvidia-smi mig -lgip: 9.75 GiB)
    (81559, 20096, 2, "2g.20gb"),    # 19.62 GiB
    (81559, 40448, 4, "4g.40gb"),    # 39.50 GiB
    (81559, 81152, 7, "7g.80gb"),    # 79.25 GiB
])
def test_mig_profile_name(total_mib, memory_mib, slices, expected):
    assert _nvml_mig.mig_profile_name(slices, memory_mib, total_mib * _nvml_mig.MIB) == expected


def test_mig_profile_name_variants():
    total = 81920 * _nvml_mig.MIB
    assert _nvml_mig.mig_profile_name(1, 9856, total, profile_index=7) == "1g.10gb+me"
    assert _nvml_mig.mig_profile_name(2, 19968, total, ci_slices=1) == "1c.2g.20gb"
    assert _nvml_mig.mig_profile_name(None, 9856, total) is None


@pytest.mark.parametrize("bus_id, expected", [
    ("00000000:3B:00.0", "0000:3b:00.0"),
    (b"00000000:3B:00.0", "0000:3b:00.0"),
    ("0000:CA:00.0", "0000:ca:00.0"),
    ("00010000:01:00.1", "10000:01:00.1"),
    ("garbage", None),
    ("", None),
])
def test_normalize_bus_id(bus_id, expected):
    assert _session.normalize_bus_id(bus_id) == expected


def test_session_call_quiet_and_loud_errors():
    fail = {"nvmlDeviceGetSerial": real_pynvml.NVML_ERROR_NO_PERMISSION,
            "nvmlDeviceGetPersistenceMode": real_pynvml.NVML_ERROR_NOT_SUPPORTED}
    fake = make_fake_pynvml("a10", fail=fail)
    session = _session.Session(fake)
    session.init()
    handle = session.call(None, "handle", "nvmlDeviceGetHandleByIndex", 0)
    errors = []
    assert session.call(errors, "serial", "nvmlDeviceGetSerial", handle) is None
    assert session.call(errors, "persistence_mode", "nvmlDeviceGetPersistenceMode",
                        handle) is None
    assert session.call(errors, "x", "nvmlNoSuchFunction") is None
    assert len(errors) == 1 and errors[0].startswith(
        "gpu.serial: nvmlDeviceGetSerial failed: NVMLError_NoPermission")
    assert session.get("nvmlDeviceGetSerial", handle) is None
    assert _session.text(session.get("nvmlDeviceGetName", handle)) == "NVIDIA A10"
    session.restart()
    assert fake.fake.initialized == 1 and fake.fake.init_calls == 2
    session.shutdown()
    assert fake.fake.initialized == 0


def test_session_load_and_text():
    fake = make_fake_pynvml("t4")
    assert _session.load(lambda name: fake) is fake
    with pytest.raises(ImportError):
        _session.load(lambda name: (x for x in ()).throw(ImportError(name)))
    assert _session.text(b"Tesla T4\x00\x00") == "Tesla T4" and _session.text(None) is None
    assert _session.error_name(real_pynvml.NVMLError(real_pynvml.NVML_ERROR_NOT_SUPPORTED)) \
        .startswith("NVMLError_NotSupported: ")


def test_nvml_package_imports_form_no_cycle():
    """session.py is the bottom, then mig.py, then enrich.py; imports inside functions count."""
    import ast
    package = os.path.dirname(os.path.realpath(_session.__file__))
    prefix = "ansible_collections.openaccel.cyborg.plugins.module_utils._nvml."
    graph = {}
    for name in ("session", "mig", "enrich"):
        with open(os.path.join(package, name + ".py")) as handle:
            tree = ast.parse(handle.read())
        graph[name] = set(node.module[len(prefix):] for node in ast.walk(tree)
                          if isinstance(node, ast.ImportFrom) and node.module
                          and node.module.startswith(prefix))
    assert graph == {"session": set(), "mig": {"session"}, "enrich": {"mig", "session"}}
