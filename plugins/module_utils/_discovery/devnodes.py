# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Device nodes of a PCI function, derived from the class devices sysfs puts below it.

sysfs names the node (``drm/renderD128``, ``nvme/nvme0``, ``accel/accel0``,
``dfl-port.0``); udev creates ``/dev/<path>`` with the same name. NVIDIA's
``/dev/nvidia<minor>`` comes from NVML (see ``_nvml/enrich.py``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# record type -> class directories below the PCI function that name its /dev nodes:
# (directory, entry prefixes, /dev directory). Only these are looked at, per type.
_CLASS_DIRS = {
    "gpu": (("drm", ("card", "renderD"), "/dev/dri/"),),
    "fpga": (("drm", ("card", "renderD"), "/dev/dri/"),),
    "nvme": (("nvme", ("nvme",), "/dev/"),),
    "ai": (("accel", ("accel",), "/dev/accel/"), ("habanalabs", ("hl",), "/dev/"),
           ("drm", ("card", "renderD"), "/dev/dri/")),
}
_CLASS_DIRS["other"] = _CLASS_DIRS["gpu"] + _CLASS_DIRS["nvme"] + _CLASS_DIRS["ai"][:2]


def device_nodes(sysfs, record):
    """Sorted /dev paths of a device record."""
    dev = sysfs.device_path(record["address"])
    nodes = []
    for subdir, prefixes, dev_dir in _CLASS_DIRS.get(record["type"], ()):
        for name in sysfs.listdir_at(dev + "/" + subdir):
            if name.startswith(prefixes):
                nodes.append(dev_dir + name)
    if record["driver"] == "vfio-pci" and record["iommu_group"] is not None:
        nodes.append("/dev/vfio/%d" % record["iommu_group"])
    fpga = record.get("fpga")
    if fpga:
        if fpga.get("fme"):
            nodes.append("/dev/" + fpga["fme"])
        nodes.extend("/dev/" + port["name"] for port in fpga.get("ports") or [])
        if record["driver"] == "xclmgmt" and fpga.get("instance") is not None:
            nodes.append("/dev/xclmgmt%d" % fpga["instance"])
    return sorted(set(nodes))
