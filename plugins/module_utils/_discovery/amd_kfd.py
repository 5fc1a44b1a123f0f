# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMD GPU details from the KFD topology in sysfs (no ROCm needed).

``class/kfd/kfd/topology/nodes/<N>/properties`` holds ``key value`` lines. GPU nodes
have ``simd_count > 0`` and point at their PCI function by ``domain`` and
``location_id`` (bus << 8 | device << 3 | function). A GPU split into partitions
(MI300 compute partitions) shows one KFD node per partition at the same location.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

TOPOLOGY = ("class", "kfd", "kfd", "topology", "nodes")


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
    loc = props.get("location_id")
    if not isinstance(loc, int):
        return None
    domain = props.get("domain", 0) if isinstance(props.get("domain"), int) else 0
    return "%04x:%02x:%02x.%x" % (domain, loc >> 8, (loc >> 3) & 0x1f, loc & 7)


def _vram_bytes(sysfs, node):
    total = 0
    for bank in sysfs.listdir(*(TOPOLOGY + (node, "mem_banks"))):
        props = _properties(sysfs.read_optional(*(TOPOLOGY + (node, "mem_banks", bank, "properties"))))
        if props.get("heap_type") in (1, 2):  # 1 = FB public, 2 = FB private (local VRAM)
            total += props.get("size_in_bytes", 0) or 0
    return total or None


def read_kfd_gpus(sysfs):
    """{pci address: gpu block} for every GPU node in the KFD topology."""
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
            "gpu_id": sysfs.read_optional(*(TOPOLOGY + (node, "gpu_id"))),
            "gfx_target_version": props.get("gfx_target_version"),
            "gfx_target": gfx_target(props.get("gfx_target_version")),
            "simd_count": props.get("simd_count"),
            "compute_units": props["simd_count"] // simd_per_cu if simd_per_cu else None,
            "vram_bytes": _vram_bytes(sysfs, node),
            "unique_id": str(props["unique_id"]) if "unique_id" in props else None,
            "drm_render_minor": props.get("drm_render_minor"),
        }
        gpus.setdefault(address, []).append(entry)
    return {address: _gpu_block(nodes) for address, nodes in gpus.items()}


def _gpu_block(nodes):
    first = nodes[0]
    block = {"source": "kfd"}
    for key in ("kfd_node", "gfx_target", "gfx_target_version", "simd_count", "unique_id"):
        block[key] = first[key]
    block["compute_units"] = sum(n["compute_units"] or 0 for n in nodes) or None
    block["vram_bytes"] = sum(n["vram_bytes"] or 0 for n in nodes) or None
    block["partitions"] = ([{"kfd_node": n["kfd_node"], "gpu_id": n["gpu_id"],
                             "compute_units": n["compute_units"]} for n in nodes]
                           if len(nodes) > 1 else None)
    return block
