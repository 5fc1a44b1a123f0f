# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Revision, PCIe topology, product names and AMD partitions of device records."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.amd_kfd import (
    pci_address, read_kfd_gpus)
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.names import (
    NameResolver, label_product)
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs


def _write(path, content):
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(content)


def _function(root, chain, files):
    """A function below devices/<chain[0]>/<chain[1]>/...; the last element is its address."""
    dev = os.path.join(root, "devices", *chain)
    os.makedirs(dev)
    for name, content in files.items():
        _write(os.path.join(dev, name), content)
    links = os.path.join(root, "bus", "pci", "devices")
    if not os.path.isdir(links):
        os.makedirs(links)
    os.symlink(os.path.join("..", "..", "..", "devices", *chain), os.path.join(links, chain[-1]))
    return dev


def _bridge(root, chain):
    modalias = "pci:v00001000d0000C030sv00000000sd00000000bc06sc04i00\n"
    return _function(root, chain, {"modalias": modalias})


GPU = "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\n"


def test_revision_is_two_hex_digits_and_null_when_unreadable(tmp_path):
    root = str(tmp_path)
    _function(root, ["pci0000:00", "0000:00:01.0"], {"modalias": GPU, "revision": "0xA1\n"})
    _function(root, ["pci0000:00", "0000:00:02.0"], {"modalias": GPU})
    bad = _function(root, ["pci0000:00", "0000:00:03.0"], {"modalias": GPU, "revision": "zz\n"})
    _function(root, ["pci0000:00", "0000:00:04.0"], {"modalias": GPU, "revision": "0x1\n"})
    unreadable = _function(root, ["pci0000:00", "0000:00:05.0"], {"modalias": GPU})
    os.mkdir(os.path.join(unreadable, "revision"))   # a directory where the file belongs: EISDIR
    assert bad
    records = dict((r["address"], r) for r in discover(root, pci_ids_path=None)[0])
    assert records["0000:00:01.0"]["revision"] == "a1"
    assert records["0000:00:04.0"]["revision"] == "01"
    assert records["0000:00:02.0"]["revision"] is None
    assert records["0000:00:05.0"]["revision"] is None and not records["0000:00:05.0"]["errors"]
    assert records["0000:00:03.0"]["revision"] is None
    assert any(err.startswith("revision: ") for err in records["0000:00:03.0"]["errors"])


def test_pcie_root_and_switch_from_the_sysfs_path(tmp_path):
    root = str(tmp_path)
    rp, up, down = "0000:3a:00.0", "0000:3b:00.0", "0000:3c:00.0"
    _bridge(root, ["pci0000:3a", rp])
    _bridge(root, ["pci0000:3a", rp, up])
    _bridge(root, ["pci0000:3a", rp, up, down])
    _function(root, ["pci0000:3a", rp, up, down, "0000:3d:00.0"], {"modalias": GPU})
    _bridge(root, ["pci0000:3a", "0000:3a:02.0"])
    _function(root, ["pci0000:3a", "0000:3a:02.0", "0000:40:00.0"], {"modalias": GPU})
    _function(root, ["pci0001:00", "0001:00:1e.0"], {"modalias": GPU})
    # VMD: a nested domain below an endpoint of domain 0; the chain restarts below it
    vmd_modalias = "pci:v00008086d0000201Dsv00000000sd00000000bc01sc04i00\n"
    _function(root, ["pci0000:00", "0000:00:0e.0"], {"modalias": vmd_modalias})
    vmd = ["pci0000:00", "0000:00:0e.0", "pci10000:00", "10000:00:02.0"]
    _bridge(root, vmd)
    _function(root, vmd + ["10000:01:00.0"], {"modalias": GPU})
    records = dict((r["address"], r) for r in discover(root, pci_ids_path=None)[0])
    topo = dict((a, (r["pcie_root"], r["pcie_switch"])) for a, r in records.items())
    assert topo["0000:3d:00.0"] == ("pci0000:3a", up)            # behind a switch
    assert topo["0000:40:00.0"] == ("pci0000:3a", None)          # directly on a root port
    assert topo["0001:00:1e.0"] == ("pci0001:00", None)          # integrated, second domain
    # the first directory below devices/, as resource.kubernetes.io/pcieRoot takes it
    assert topo["10000:01:00.0"] == ("pci0000:00", None)


SAMPLE_IDS = """# pci.ids starts with comments
1002  Advanced Micro Devices, Inc. [AMD/ATI]
\t740f  Aldebaran/MI200 [Instinct MI210]
10de  NVIDIA Corporation
\t2330  GH100 [H100 SXM5 80GB]
"""


def _named(pci_ids, **record):
    base = {"address": "0000:01:00.0", "vendor_id": None, "device_id": None,
            "product_label": None}
    base.update(record)
    NameResolver(pci_ids).apply([base])
    return base["vendor"], base["product"], base["names_source"]


def test_one_product_name_rule(tmp_path):
    ids = str(tmp_path / "pci.ids")
    _write(ids, SAMPLE_IDS)
    assert _named(ids, vendor_id="10de", device_id="2330", product_label="h100") == (
        "NVIDIA Corporation", "GH100 [H100 SXM5 80GB]", "pci.ids")
    # pci.ids knows the vendor, not the device: the rule label, in the pci.ids case convention
    assert _named(ids, vendor_id="1002", device_id="74a1", product_label="mi300x") == (
        "Advanced Micro Devices, Inc. [AMD/ATI]", "MI300X", "pci.ids")
    empty = str(tmp_path / "empty.ids")
    _write(empty, "")
    assert _named(empty, vendor_id="1002", device_id="74a1", product_label="mi300x") == (
        None, "MI300X", "rule")
    assert _named(empty, vendor_id="1b36", device_id="0005") == (None, None, None)
    assert label_product("pac_a10") == "PAC A10" and label_product(None) is None


def test_hwdb_product_wins_and_a_missing_one_falls_through(tmp_path):
    ids = str(tmp_path / "pci.ids")
    _write(ids, SAMPLE_IDS)
    udev = {"0000:01:00.0": {"vendor": "NVIDIA Corporation", "product": "GH100 [H100 SXM5 80GB]"},
            "0000:02:00.0": {"vendor": "NVIDIA Corporation", "product": None}}
    records = [{"address": a, "vendor_id": "10de", "device_id": d, "product_label": "h100"}
               for a, d in (("0000:01:00.0", "2330"), ("0000:02:00.0", "2330"),
                            ("0000:03:00.0", "2331"))]
    NameResolver(ids, udev).apply(records)
    assert [(r["product"], r["names_source"]) for r in records] == [
        ("GH100 [H100 SXM5 80GB]", "hwdb"), ("GH100 [H100 SXM5 80GB]", "pci.ids"),
        ("H100", "pci.ids")]


def _kfd_node(root, index, props, vram=None):
    base = os.path.join(root, "class", "kfd", "kfd", "topology", "nodes", str(index))
    _write(os.path.join(base, "properties"), "".join("%s %s\n" % kv for kv in props.items()))
    _write(os.path.join(base, "gpu_id"), "%d\n" % (1000 + index))
    if vram:
        _write(os.path.join(base, "mem_banks", "0", "properties"),
               "heap_type 1\nsize_in_bytes %d\n" % vram)


def _gpu_props(location_id, num_xcc=1, **extra):
    props = {"simd_count": 152, "simd_per_cu": 4, "gfx_target_version": 90402,
             "location_id": location_id, "domain": 0, "num_xcc": num_xcc, "unique_id": 7}
    props.update(extra)
    return props


def test_kfd_partitions_group_to_their_gpu(tmp_path):
    root = str(tmp_path)
    modalias = "pci:v00001002d000074A1sv00001002sd000074A1bc12sc00i00\n"
    _function(root, ["pci0000:00", "0000:00:01.1", "0000:0c:00.0"], {"modalias": modalias})
    # an SR-IOV VF at a non-zero function is a GPU of its own (KFD num_nodes 1: no OR)
    _function(root, ["pci0000:00", "0000:00:01.1", "0000:0c:00.0", "0000:0d:00.0"],
              {"modalias": modalias})
    _function(root, ["pci0000:00", "0000:00:01.1", "0000:0c:00.0", "0000:0d:00.3"],
              {"modalias": modalias})
    for part in range(4):   # QPX: 4 partitions of 2 XCCs, kernel encoding location | node_id
        _kfd_node(root, 2 + part, _gpu_props((0x0c << 8) | part, num_xcc=2, simd_count=304),
                  vram=48 << 30)
    _kfd_node(root, 6, _gpu_props(0x0d << 8))
    _kfd_node(root, 7, _gpu_props((0x0d << 8) | 3))
    _kfd_node(root, 0, {"cpu_cores_count": 96, "simd_count": 0})
    gpus = read_kfd_gpus(Sysfs(root))
    assert sorted(gpus) == ["0000:0c:00.0", "0000:0d:00.0", "0000:0d:00.3"]
    whole = gpus["0000:0c:00.0"]
    assert whole["partitions"]["count"] == 4 and whole["partitions"]["mode"] == "QPX"
    assert whole["compute_units"] == 4 * 76 and whole["simd_count"] == 4 * 304
    assert [n["location"] for n in whole["partitions"]["nodes"]] == [
        "0000:0c:00.%d" % i for i in range(4)]
    assert whole["vram_bytes"] == 48 << 30       # NPS1 (no current_memory_partition)
    assert gpus["0000:0d:00.3"]["partitions"]["count"] == 1
    assert gpus["0000:0d:00.3"]["partitions"]["mode"] == "SPX"
    assert gpus["0000:0d:00.0"]["compute_units"] == 38


def test_kfd_upper_bits_encoding_and_amdgpu_mode_file(tmp_path):
    """The short-lived ``node_id << 28`` encoding groups too; amdgpu's own mode file wins."""
    root = str(tmp_path)
    dev = _function(root, ["pci0000:00", "0000:9f:00.0"],
                    {"modalias": "pci:v00001002d000074A1sv00001002sd000074A1bc12sc00i00\n",
                     "current_compute_partition": "dpx\n", "current_memory_partition": "NPS4\n"})
    assert dev
    for part in range(2):
        _kfd_node(root, 1 + part, _gpu_props((0x9f << 8) | (part << 28), num_xcc=4),
                  vram=48 << 30)
    assert pci_address({"location_id": (0x9f << 8) | (1 << 28), "domain": 0}) == "0000:9f:00.0"
    gpu = read_kfd_gpus(Sysfs(root))["0000:9f:00.0"]
    assert (gpu["partitions"]["count"], gpu["partitions"]["mode"]) == (2, "DPX")
    assert gpu["vram_bytes"] == 2 * (48 << 30)   # 2 nodes, each on its own NPS4 memory partition
