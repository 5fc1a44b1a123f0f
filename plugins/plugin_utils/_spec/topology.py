# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""A host's accelerator topology as a matrix, the way ``nvidia-smi topo -m`` shows NVIDIA's
alone, for every kind of device: which GPU, NIC, FPGA, NVMe ... share a PCIe switch, a root
complex or a NUMA node (from the records' ``pcie_switch``, ``pcie_root``, ``numa_node``).

The link codes are nvidia-smi's, so readers know them:
  X     the device itself
  PIX   behind the same PCIe switch
  PHB   below the same PCIe host bridge (root complex), through it
  NODE  the same NUMA node, across its host bridges
  SYS   across NUMA nodes (the SMP interconnect)
  ?     not known (the records do not say)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

LEGEND = {
    "X": "the device itself",
    "PIX": "behind the same PCIe switch",
    "PHB": "below the same PCIe host bridge (root complex)",
    "NODE": "same NUMA node, across host bridges",
    "SYS": "across NUMA nodes",
    "?": "not known",
}


def link(a, b):
    """The code for the path between device records ``a`` and ``b``."""
    if a.get("address") == b.get("address"):
        return "X"
    if a.get("pcie_switch") and a.get("pcie_switch") == b.get("pcie_switch"):
        return "PIX"
    if a.get("pcie_root") and a.get("pcie_root") == b.get("pcie_root"):
        return "PHB"
    numa_a, numa_b = a.get("numa_node"), b.get("numa_node")
    if numa_a is None or numa_b is None or numa_a < 0 or numa_b < 0:
        return "?"      # sysfs says -1 on a host without NUMA information
    return "NODE" if numa_a == numa_b else "SYS"


def topology(devices):
    """{"devices": [{name, address, type}], "matrix": {name: {name: code}}, "legend"}: one row
    per physical function (VFs share their PF's place), named by type and order (GPU0, NIC0)."""
    functions = [d for d in devices or [] if not d.get("is_virtual_function")]
    functions.sort(key=lambda d: (str(d.get("type")), str(d.get("address"))))
    named, counters = [], {}
    for device in functions:
        kind = str(device.get("type") or "other").upper()
        index = counters.get(kind, 0)
        counters[kind] = index + 1
        named.append(("%s%d" % (kind, index), device))
    matrix = dict((name, dict((other, link(device, peer)) for other, peer in named))
                  for name, device in named)
    return {"devices": [{"name": name, "address": device.get("address"),
                         "type": device.get("type")} for name, device in named],
            "matrix": matrix, "legend": dict(LEGEND)}
