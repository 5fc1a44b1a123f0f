# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device nodes of a PCI function, derived from the class devices sysfs puts below it.

sysfs names the node (``drm/renderD128``, ``nvme/nvme0``, ``accel/accel0``,
``dfl-port.0``); udev creates ``/dev/<path>`` with the same name. NVIDIA's
``/dev/nvidia<minor>`` comes from NVML (see ``_nvml.py``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci import PCI_DEVICES

# class directory below the PCI function -> (entry prefix, /dev directory)
_CLASS_DIRS = (
    ("drm", ("card", "renderD"), "/dev/dri/"),
    ("nvme", ("nvme",), "/dev/"),
    ("accel", ("accel",), "/dev/accel/"),
    ("habanalabs", ("hl",), "/dev/"),
)


def device_nodes(sysfs, address, driver, iommu_group, fpga=None):
    base = PCI_DEVICES + (address,)
    nodes = []
    for subdir, prefixes, dev_dir in _CLASS_DIRS:
        for name in sysfs.listdir(*(base + (subdir,))):
            if name.startswith(prefixes):
                nodes.append(dev_dir + name)
    if driver == "vfio-pci" and iommu_group is not None:
        nodes.append("/dev/vfio/%d" % iommu_group)
    if fpga:
        if fpga.get("fme"):
            nodes.append("/dev/" + fpga["fme"])
        nodes.extend("/dev/" + port["name"] for port in fpga.get("ports") or [])
        if driver == "xclmgmt" and fpga.get("instance") is not None:
            nodes.append("/dev/xclmgmt%d" % fpga["instance"])
    return sorted(set(nodes))
