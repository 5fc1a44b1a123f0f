# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""AMD GPU details from the KFD topology in sysfs (no ROCm needed).

``class/kfd/kfd/topology/nodes/<N>/properties`` holds ``key value`` lines. GPU nodes
have ``simd_count > 0`` and point at their PCI function by ``domain`` and
``location_id``.

The kernel sets ``location_id`` in ``kfd_topology_add_device()``
(drivers/gpu/drm/amd/amdkfd/kfd_topology.c)::

    dev->node_props.location_id = pci_dev_id(gpu->adev->pdev);
    if (gpu->kfd->num_nodes > 1)
        dev->node_props.location_id |= dev->gpu->node_id;

``pci_dev_id()`` is ``bus << 8 | devfn`` (include/linux/pci.h). A GPU split into
compute partitions (MI300-class SPX/DPX/QPX/CPX modes) has one KFD node per partition,
and the partition index (``node_id``, 0..num_nodes-1) is ORed into the low bits, i.e.
into the PCI function: the eight CPX partitions of the GPU at ``0000:0c:00.0`` read as
``0c:00.0`` .. ``0c:00.7``. (Kernels of early 2024 briefly used ``node_id << 28``
instead, reverted because RCCL relied on the low bits; those upper bits are ignored here.)
So nodes whose decoded function does not exist while function 0 of the same device does
are partitions of that function-0 GPU; a node whose decoded function exists (a GPU or an
SR-IOV VF at a non-zero function) is its own GPU.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

TOPOLOGY = ("class", "kfd", "kfd", "topology", "nodes")
_PCI_DEVICES = ("bus", "pci", "devices")

# amdgpu compute partition modes by partition count (amdgpu_gfx.h
# AMDGPU_{SPX,DPX,TPX,QPX,CPX}_PARTITION_MODE); CPX = one partition per XCC.
_MODES_BY_COUNT = {1: "SPX", 2: "DPX", 3: "TPX", 4: "QPX"}
_MEMORY_PARTITIONS = {"NPS1": 1, "NPS2": 2, "NPS4": 4, "NPS8": 8}


def _properties(text):
    props = {}
    for line in (text or "").splitlines():
        key, _sep, value = line.partition(" ")
        try:
            props[key] = int(value)
        except ValueError:
            props[key] = value.strip()
    return props


def gfx_target(version):
    """90010 -> gfx90a, 90402 -> gfx942, 100300 -> gfx1030 (major, minor, stepping hex)."""
    if not version:
        return None
    major, minor, step = version // 10000, (version // 100) % 100, version % 100
    return "gfx%d%x%x" % (major, minor, step)


def pci_address(props):
    """The PCI address ``location_id`` names, as written (partition bits included)."""
    loc = props.get("location_id")
    if not isinstance(loc, int):
        return None
    loc &= 0xffff   # pci_dev_id() is 16 bits; drop the short-lived node_id << 28 encoding
    domain = props.get("domain", 0) if isinstance(props.get("domain"), int) else 0
    return "%04x:%02x:%02x.%x" % (domain, loc >> 8, (loc >> 3) & 0x1f, loc & 7)


def _vram_bytes(sysfs, node):
    total = 0
    for bank in sysfs.listdir(*(TOPOLOGY + (node, "mem_banks"))):
        props = _properties(sysfs.read_optional(*(TOPOLOGY + (node, "mem_banks", bank, "properties"))))
        if props.get("heap_type") in (1, 2):  # 1 = FB public, 2 = FB private (local VRAM)
            total += props.get("size_in_bytes", 0) or 0
    return total or None


def _int_or_none(text):
    try:
        return int(text, 0)
    except (TypeError, ValueError):
        return None


def _gpu_address(sysfs, address):
    """The PCI function of the GPU a KFD node belongs to (see the module docstring)."""
    if address[-1] == "0" or sysfs.exists(*(_PCI_DEVICES + (address,))):
        return address
    whole = address[:-1] + "0"
    return whole if sysfs.exists(*(_PCI_DEVICES + (whole,))) else address


def read_kfd_gpus(sysfs):
    """{pci address: gpu block} for every GPU in the KFD topology, partitions grouped."""
    gpus = {}
    for node in sorted(sysfs.listdir(*TOPOLOGY), key=lambda n: int(n) if n.isdigit() else 0):
        props = _properties(sysfs.read_optional(*(TOPOLOGY + (node, "properties"))))
        if not props.get("simd_count"):
            continue
        address = pci_address(props)
        if address is None:
            continue
        simd_per_cu = props.get("simd_per_cu") or 0
        entry = {
            "kfd_node": int(node),
            "gpu_id": _int_or_none(sysfs.read_optional(*(TOPOLOGY + (node, "gpu_id")))),
            "location": address,
            "gfx_target_version": props.get("gfx_target_version"),
            "gfx_target": gfx_target(props.get("gfx_target_version")),
            "simd_count": props.get("simd_count"),
            "compute_units": props["simd_count"] // simd_per_cu if simd_per_cu else None,
            "num_xcc": props.get("num_xcc"),
            "vram_bytes": _vram_bytes(sysfs, node),
            "unique_id": str(props["unique_id"]) if "unique_id" in props else None,
            "drm_render_minor": props.get("drm_render_minor"),
        }
        gpus.setdefault(_gpu_address(sysfs, address), []).append(entry)
    return dict((address, _gpu_block(sysfs, address, nodes)) for address, nodes in gpus.items())


def _mode(sysfs, address, nodes):
    """amdgpu's own ``current_compute_partition`` when readable, else from the nodes."""
    current = sysfs.read_optional(*(_PCI_DEVICES + (address, "current_compute_partition")))
    if current:
        return current.upper()
    if len(nodes) > 1 and all(n["num_xcc"] == 1 for n in nodes):
        return "CPX"
    return _MODES_BY_COUNT.get(len(nodes))


def _whole_vram(sysfs, address, nodes):
    """VRAM of the whole GPU: amdgpu's ``mem_info_vram_total``; else, as every partition
    node reports the memory partition it sits in (all of it in NPS1), the largest node size
    times the number of memory partitions (``current_memory_partition``, NPS1 when absent)."""
    total = _int_or_none(sysfs.read_optional(*(_PCI_DEVICES + (address, "mem_info_vram_total"))))
    if total:
        return total
    sizes = [n["vram_bytes"] for n in nodes if n["vram_bytes"]]
    if not sizes:
        return None
    if len(nodes) == 1:
        return sizes[0]
    nps = sysfs.read_optional(*(_PCI_DEVICES + (address, "current_memory_partition")))
    return max(sizes) * min(_MEMORY_PARTITIONS.get((nps or "").upper(), 1), len(nodes))


def _gpu_block(sysfs, address, nodes):
    first = nodes[0]
    block = {"source": "kfd"}
    for key in ("kfd_node", "gfx_target", "gfx_target_version", "unique_id"):
        block[key] = first[key]
    block["simd_count"] = sum(n["simd_count"] or 0 for n in nodes) or None
    block["compute_units"] = sum(n["compute_units"] or 0 for n in nodes) or None
    block["vram_bytes"] = _whole_vram(sysfs, address, nodes)
    block["partitions"] = {
        "count": len(nodes), "mode": _mode(sysfs, address, nodes),
        "nodes": [{"kfd_node": n["kfd_node"], "gpu_id": n["gpu_id"], "location": n["location"],
                   "compute_units": n["compute_units"],
                   "drm_render_minor": n["drm_render_minor"]} for n in nodes],
    }
    return block
