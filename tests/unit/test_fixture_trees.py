"""Cross-check the hwsim fake sysfs trees against pciutils (and umockdev + pyudev).

Every scenario is built into tmp_path and read back with
`lspci -O sysfs.path=<root>/bus/pci`: it must list exactly the functions the model holds,
with the same ids, drivers, NUMA nodes and IOMMU groups.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.hwsim import SCENARIOS, build
from tests.fixtures.hwsim.layout import Layout

LSPCI = shutil.which("lspci") or "/usr/bin/lspci"
needs_lspci = pytest.mark.skipif(not os.path.exists(LSPCI), reason="pciutils not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """scenario name -> (host, layout, root); each scenario written once per module."""
    cache = {}

    def get(name):
        if name not in cache:
            host = build(name)
            root = tmp_path_factory.mktemp(name)
            host.write(root)
            cache[name] = (host, Layout(host), root)
        return cache[name]

    return get


def lspci_records(root: Path) -> dict[str, dict[str, str]]:
    out = subprocess.run(
        [LSPCI, "-O", f"sysfs.path={root}/bus/pci", "-vmm", "-nn", "-D", "-k"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    records = {}
    for block in out.strip().split("\n\n"):
        fields = dict(line.split(":\t", 1) for line in block.splitlines())
        records[fields["Slot"]] = fields
    return records


def bracket_id(value: str) -> int:
    return int(re.findall(r"\[([0-9a-f]{4})\]", value)[-1], 16)


@needs_lspci
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_lspci_sees_exactly_the_model(built, name):
    host, layout, root = built(name)
    records = lspci_records(root)
    assert sorted(records) == [str(fn.bdf) for fn in host.sorted_functions()]
    for fn in host.sorted_functions():
        rec = records[str(fn.bdf)]
        assert bracket_id(rec["Vendor"]) == fn.vendor, fn.bdf
        assert bracket_id(rec["Device"]) == fn.device, fn.bdf
        assert bracket_id(rec["Class"]) == fn.class_code >> 8, fn.bdf
        assert int(rec.get("Rev", "00"), 16) == fn.revision, fn.bdf
        assert rec.get("Driver") == fn.driver, fn.bdf
        assert int(rec.get("NUMANode", "-1")) == fn.numa_node, fn.bdf
        assert int(rec["IOMMUGroup"]) == layout.iommu_groups[fn.bdf], fn.bdf
        if not fn.is_bridge:
            assert bracket_id(rec["SVendor"]) == fn.subsystem_vendor, fn.bdf
            assert bracket_id(rec["SDevice"]) == fn.subsystem_device, fn.bdf


def test_big_host_is_big():
    assert len(build("big_host")) >= 500


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_layout_contract(built, name):
    host, layout, root = built(name)
    for fn in host.sorted_functions():
        link = root / "bus/pci/devices" / str(fn.bdf)
        assert not os.path.isabs(os.readlink(link))
        device_dir = link.resolve()
        assert device_dir == (root / layout.device_dir(fn.bdf)).resolve()
        assert device_dir.parent.name == (str(fn.parent) if fn.parent else fn.bdf.root_bus_name)
        if fn.driver:
            assert (device_dir / "driver").resolve() == (root / "bus/pci/drivers" / fn.driver)
        group = (device_dir / "iommu_group").resolve()
        assert (group / "devices" / str(fn.bdf)).resolve() == device_dir
        for index, vf in enumerate(fn.virtfns):
            vf_dir = (device_dir / f"virtfn{index}").resolve()
            assert vf_dir.name == str(vf)
            assert (vf_dir / "physfn").resolve() == device_dir
        check_config(fn, (device_dir / "config").read_bytes())


def check_config(fn, config: bytes) -> None:
    vendor, device = struct.unpack_from("<HH", config, 0)
    assert (vendor, device) == (fn.vendor, fn.device), fn.bdf
    assert config[8] == fn.revision and int.from_bytes(config[9:12], "little") == fn.class_code
    if fn.is_bridge:
        # synthesized bridge headers are 256 bytes; a captured one stays as captured (64)
        assert len(config) >= (256 if fn.config is None else 64), fn.bdf
        assert config[0x0E] & 0x7F == 1, fn.bdf
        assert (config[0x19], config[0x1A]) == (fn.secondary_bus, fn.subordinate_bus), fn.bdf
    else:
        assert len(config) >= 64 and config[0x0E] & 0x7F == 0, fn.bdf
        assert struct.unpack_from("<HH", config, 0x2C) == (
            fn.subsystem_vendor,
            fn.subsystem_device,
        ), fn.bdf


def test_kfd_gpu_nodes_point_at_pci_functions(built):
    host, layout, root = built("mi210_8gpu")
    nodes = sorted((root / "class/kfd/kfd/topology/nodes").iterdir())
    gpus = 0
    for node in nodes:
        props = dict(line.split() for line in (node / "properties").read_text().splitlines())
        if int(props["simd_count"]):
            gpus += 1
            loc = int(props["location_id"])
            address = f"{int(props['domain']):04x}:{loc >> 8:02x}:{loc >> 3 & 0x1F:02x}.{loc & 7}"
            render = (
                root / "bus/pci/devices" / address / "drm" / f"renderD{props['drm_render_minor']}"
            )
            assert render.is_dir()
    assert gpus == 8


def test_dfl_attributes_use_kernel_formats(built):
    host, layout, root = built("d5005_dfl")
    pf = root / "bus/pci/devices/0000:3b:00.0"
    fme = pf / "fpga_region/region0/dfl-fme.0"
    assert (fme / "bitstream_id").read_text() == "0x4010002183c88a9\n"
    assert (fme / "ports_num").read_text() == "1\n"
    compat = next(fme.glob("dfl-fme-region.*/fpga_region/region*/compat_id")).read_text()
    assert compat == "a195b6f7cf235a2b8ef91161e184ec4e\n"
    afu_ids = sorted(
        p.read_text() for p in root.glob("bus/pci/devices/*/fpga_region/*/dfl-port.*/afu_id")
    )
    assert afu_ids and all(re.fullmatch(r"[0-9a-f]{32}\n", a) for a in afu_ids)


def test_output_is_deterministic():
    from tests.fixtures.hwsim.umockdev import render

    assert render(build("big_host")) == render(build("big_host"))


UMOCKDEV_RUN = shutil.which("umockdev-run")
PYUDEV_PROBE = """
import json, os, pyudev
ctx = pyudev.Context()
pci = {d.properties['PCI_SLOT_NAME']: [d.driver, d.properties.get('PCI_ID')]
       for d in ctx.list_devices(subsystem='pci')}
print(json.dumps({'pci': pci, 'listdir': sorted(os.listdir('/sys/bus/pci/devices')),
                  'drm': sorted(d.device_node for d in ctx.list_devices(subsystem='drm'))}))
"""


def _python_with_pyudev() -> str | None:
    for candidate in (sys.executable,):
        if (
            candidate
            and os.path.exists(candidate)
            and subprocess.run([candidate, "-c", "import pyudev"], capture_output=True, check=False).returncode
            == 0
        ):
            return candidate
    return None


@pytest.mark.skipif(not UMOCKDEV_RUN, reason="umockdev not installed")
def test_umockdev_shows_the_same_devices(tmp_path):
    import json

    from tests.fixtures.hwsim.umockdev import write_umockdev

    python = _python_with_pyudev()
    if python is None:
        pytest.skip("no python with pyudev")
    host = build("mixed_all")
    device_file = tmp_path / "mixed_all.umockdev"
    write_umockdev(host, device_file)
    result = subprocess.run(
        [UMOCKDEV_RUN, "-d", str(device_file), "--", python, "-c", PYUDEV_PROBE],
        check=True,
        capture_output=True,
        text=True,
    )
    seen = json.loads(result.stdout)
    expected = {
        str(fn.bdf): [fn.driver, f"{fn.vendor:04X}:{fn.device:04X}"]
        for fn in host.sorted_functions()
    }
    assert seen["pci"] == expected
    assert seen["listdir"] == sorted(expected)
    assert "/dev/dri/renderD129" in seen["drm"]
