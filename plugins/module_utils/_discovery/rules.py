# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The classification table: which PCI functions are accelerators, and what kind.

This module is data only; ``_classify.py`` applies it.  A rule matches on
``vendor_id`` (4 hex digits, or absent for any vendor), optionally a list of
``device_ids``, optional ``subsystem_vendor_id``/``subsystem_device_id``, and an
optional ``class_prefix`` (2, 4 or 6 hex digits of the class code).  A rule with
``requires_sriov`` only matches an SR-IOV physical function (``sriov_totalvfs`` > 0)
or a virtual function (``physfn`` link).  ``accelerator: False`` marks a function
as explicitly *not* an accelerator (it then only counts in the summary).

The most specific rule wins: device id rules before vendor+class rules before
class-only rules; within a level, user ``extra_rules`` before built-in rules.

Sources for the ids:
- pci.ids, The PCI ID Repository, https://pci-ids.ucw.cz/ (vendors 10de, 1002, 8086,
  10ee, 1172, 1da3, 19e5, 15b3; classes 03, 06, 0b, 12).
- Linux kernel drivers' PCI id tables: drivers/fpga/dfl-pci.c (Intel PAC/OFS DFL PF/VF
  ids), drivers/crypto/intel/qat/qat_common/adf_accel_devices.h (QAT PF/VF ids of every
  generation), drivers/dma/idxd/registers.h + include/linux/pci_ids.h (DSA/IAA),
  drivers/accel/habanalabs/common/habanalabs_drv.c (Goya/Gaudi/Gaudi2/Gaudi3).
- Xilinx XRT: src/runtime_src/core/pcie/driver/linux/xocl/devices.h (Alveo mgmt
  and user PF ids: the management PF has the even id, the user PF the odd one).
- Huawei Ascend driver documentation (Ascend 310 d100, 310P d500, 910 d801, 910B d802).
- NVIDIA device ids: pci.ids and NVIDIA's supported-GPU list in the driver README.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


RESOURCE_CLASS_BY_TYPE = {
    "gpu": "PGPU",
    "fpga": "FPGA",
    "ai": "CUSTOM_AI_ACCELERATOR",
    "qat": "CUSTOM_QAT",
    "dsa": "CUSTOM_DSA",
    "iaa": "CUSTOM_IAA",
    "nvme": "CUSTOM_NVME",
    "nic": "SRIOV_NET_VF",
    "other": "PCI_DEVICE",
}

# NVIDIA data-centre/workstation products: device id -> product label.
NVIDIA_PRODUCTS = {
    "h100": ["2330", "2331", "2321", "2322", "2339", "233a"],
    "h200": ["2335", "233b"],
    "h800": ["2324"],
    "gh200": ["2342"],
    "b200": ["2901"],
    "a100": ["20b0", "20b1", "20b2", "20b3", "20b5", "20f1", "20f3", "20f5"],
    "a30": ["20b7"],
    "a40": ["2235"],
    "a10": ["2236"],
    "a10g": ["2237"],
    "a16": ["25b6"],
    "l40": ["26b5"],
    "l40s": ["26b9"],
    "l4": ["27b8"],
    "t4": ["1eb8"],
    "v100": ["1db1", "1db4", "1db5", "1db6", "1db8", "1df5", "1df6"],
    "p100": ["15f7", "15f8", "15f9"],
    "p40": ["1b38"],
    "rtx6000ada": ["26b1"],
}

AMD_PRODUCTS = {
    "mi25": ["6860", "6864", "686c"],
    "mi50": ["66a0", "66a1"],
    "mi100": ["738c", "738e"],
    "mi250x": ["7408", "740c"],
    "mi210": ["740f"],
    "mi300x": ["74a1", "74b5"],
    "mi300a": ["74a0"],
    "mi325x": ["74a5"],
}


def _products(vendor_id, type_, vendor_label, table, class_prefix):
    rules = []
    for label, ids in sorted(table.items()):
        rules.append({"id": "%s-%s" % (vendor_label, label), "vendor_id": vendor_id,
                      "device_ids": ids, "class_prefix": class_prefix, "type": type_,
                      "vendor_label": vendor_label, "product_label": label})
    return rules


BUILTIN_RULES = (
    # ---- not accelerators, even from accelerator vendors ----
    {"id": "nvidia-nvswitch", "vendor_id": "10de", "class_prefix": "06", "accelerator": False,
     "type": "other", "vendor_label": "nvidia", "product_label": "nvswitch"},
    {"id": "gpu-audio", "vendor_id": None, "class_prefix": "04", "accelerator": False,
     "type": "other", "vendor_label": "any"},
    # ---- GPUs ----
    {"id": "nvidia-gpu", "vendor_id": "10de", "class_prefix": "03", "type": "gpu",
     "vendor_label": "nvidia"},
    {"id": "amd-gpu", "vendor_id": "1002", "class_prefix": "03", "type": "gpu",
     "vendor_label": "amd"},
    # MI300-class parts present as class 1200 "processing accelerators".
    {"id": "amd-instinct-accel", "vendor_id": "1002", "class_prefix": "12", "type": "gpu",
     "vendor_label": "amd"},
    {"id": "intel-gpu-max", "vendor_id": "8086", "type": "gpu", "vendor_label": "intel",
     "product_label": "gpu_max", "device_ids": ["0bd0", "0bd4", "0bd5", "0bd6", "0bd7", "0bd8",
                                                 "0bd9", "0bda", "0bdb"]},
    {"id": "intel-gpu-flex", "vendor_id": "8086", "type": "gpu", "vendor_label": "intel",
     "product_label": "gpu_flex", "device_ids": ["56c0", "56c1", "56c2"]},
    {"id": "intel-arc", "vendor_id": "8086", "type": "gpu", "vendor_label": "intel",
     "product_label": "arc", "device_ids": ["4905", "4907", "4908", "4909", "56a0", "56a1",
                                             "56a2", "56a5", "56a6", "e20b", "e20c", "e211",
                                             "e212"]},
    # ---- AI accelerators ----
    {"id": "habana-goya", "vendor_id": "1da3", "device_ids": ["0001"], "type": "ai",
     "vendor_label": "habana", "product_label": "goya"},
    {"id": "habana-gaudi", "vendor_id": "1da3", "device_ids": ["1000", "1010"], "type": "ai",
     "vendor_label": "habana", "product_label": "gaudi"},
    {"id": "habana-gaudi2", "vendor_id": "1da3", "device_ids": ["1020"], "type": "ai",
     "vendor_label": "habana", "product_label": "gaudi2"},
    {"id": "habana-gaudi3", "vendor_id": "1da3", "device_ids": ["1060", "1061"], "type": "ai",
     "vendor_label": "habana", "product_label": "gaudi3"},
    {"id": "habana-any", "vendor_id": "1da3", "class_prefix": "12", "type": "ai",
     "vendor_label": "habana"},
    {"id": "huawei-ascend310", "vendor_id": "19e5", "device_ids": ["d100"], "type": "ai",
     "vendor_label": "huawei", "product_label": "ascend310"},
    {"id": "huawei-ascend310p", "vendor_id": "19e5", "device_ids": ["d500"], "type": "ai",
     "vendor_label": "huawei", "product_label": "ascend310p"},
    {"id": "huawei-ascend910", "vendor_id": "19e5", "device_ids": ["d801"], "type": "ai",
     "vendor_label": "huawei", "product_label": "ascend910"},
    {"id": "huawei-ascend910b", "vendor_id": "19e5", "device_ids": ["d802", "d803"], "type": "ai",
     "vendor_label": "huawei", "product_label": "ascend910b"},
    # ---- FPGAs: Xilinx/AMD Alveo (XRT), management PF even id, user PF odd id ----
    {"id": "xilinx-u200-mgmt", "vendor_id": "10ee", "device_ids": ["5000"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u200", "function": "mgmt"},
    {"id": "xilinx-u200-user", "vendor_id": "10ee", "device_ids": ["5001"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u200", "function": "user"},
    {"id": "xilinx-u250-mgmt", "vendor_id": "10ee", "device_ids": ["5004"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u250", "function": "mgmt"},
    {"id": "xilinx-u250-user", "vendor_id": "10ee", "device_ids": ["5005"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u250", "function": "user"},
    {"id": "xilinx-u280-mgmt", "vendor_id": "10ee", "device_ids": ["500c"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u280", "function": "mgmt"},
    {"id": "xilinx-u280-user", "vendor_id": "10ee", "device_ids": ["500d"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u280", "function": "user"},
    {"id": "xilinx-u50-mgmt", "vendor_id": "10ee", "device_ids": ["5020"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u50", "function": "mgmt"},
    {"id": "xilinx-u50-user", "vendor_id": "10ee", "device_ids": ["5021"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u50", "function": "user"},
    {"id": "xilinx-u55-mgmt", "vendor_id": "10ee", "device_ids": ["505c"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u55c", "function": "mgmt"},
    {"id": "xilinx-u55-user", "vendor_id": "10ee", "device_ids": ["505d"], "type": "fpga",
     "vendor_label": "xilinx", "product_label": "u55c", "function": "user"},
    {"id": "xilinx-fpga", "vendor_id": "10ee", "class_prefix": "05", "type": "fpga",
     "vendor_label": "xilinx"},
    {"id": "xilinx-fpga-accel", "vendor_id": "10ee", "class_prefix": "12", "type": "fpga",
     "vendor_label": "xilinx"},
    {"id": "xilinx-fpga-other", "vendor_id": "10ee", "class_prefix": "11", "type": "fpga",
     "vendor_label": "xilinx"},
    # ---- FPGAs: Intel PAC / OFS (dfl-pci id table) and Altera ----
    {"id": "intel-pac-a10-pf", "vendor_id": "8086", "device_ids": ["09c4"], "type": "fpga",
     "vendor_label": "intel", "product_label": "pac_a10", "function": "pf"},
    {"id": "intel-pac-a10-vf", "vendor_id": "8086", "device_ids": ["09c5"], "type": "fpga",
     "vendor_label": "intel", "product_label": "pac_a10", "function": "vf"},
    {"id": "intel-pac-n3000-pf", "vendor_id": "8086", "device_ids": ["0b30"], "type": "fpga",
     "vendor_label": "intel", "product_label": "n3000", "function": "pf"},
    {"id": "intel-pac-n3000-vf", "vendor_id": "8086", "device_ids": ["0b31"], "type": "fpga",
     "vendor_label": "intel", "product_label": "n3000", "function": "vf"},
    {"id": "intel-pac-d5005-pf", "vendor_id": "8086", "device_ids": ["0b2b"], "type": "fpga",
     "vendor_label": "intel", "product_label": "d5005", "function": "pf"},
    {"id": "intel-pac-d5005-vf", "vendor_id": "8086", "device_ids": ["0b2c"], "type": "fpga",
     "vendor_label": "intel", "product_label": "d5005", "function": "vf"},
    {"id": "intel-ofs-d5005-pf", "vendor_id": "8086", "device_ids": ["bcce"],
     "subsystem_vendor_id": "8086", "subsystem_device_id": "138d", "type": "fpga",
     "vendor_label": "intel", "product_label": "d5005", "function": "pf"},
    {"id": "intel-ofs-n6000-pf", "vendor_id": "8086", "device_ids": ["bcce"],
     "subsystem_vendor_id": "8086", "subsystem_device_id": "1770", "type": "fpga",
     "vendor_label": "intel", "product_label": "n6000", "function": "pf"},
    {"id": "intel-ofs-n6001-pf", "vendor_id": "8086", "device_ids": ["bcce"],
     "subsystem_vendor_id": "8086", "subsystem_device_id": "1771", "type": "fpga",
     "vendor_label": "intel", "product_label": "n6001", "function": "pf"},
    {"id": "intel-ofs-pf", "vendor_id": "8086", "device_ids": ["bcce", "af00", "bcbd", "bcc0"],
     "type": "fpga", "vendor_label": "intel", "product_label": "ofs", "function": "pf"},
    {"id": "intel-ofs-vf", "vendor_id": "8086", "device_ids": ["bccf", "af01", "bcbf", "bcc1"],
     "type": "fpga", "vendor_label": "intel", "product_label": "ofs", "function": "vf"},
    {"id": "silicom-n5010", "vendor_id": "1c2c", "device_ids": ["1000", "1001"], "type": "fpga",
     "vendor_label": "silicom", "product_label": "n501x", "function": "pf"},
    {"id": "altera-fpga", "vendor_id": "1172", "type": "fpga", "vendor_label": "altera"},
    # ---- Intel QuickAssist, every generation (PF and VF) ----
    {"id": "intel-qat-dh895xcc-pf", "vendor_id": "8086", "device_ids": ["0434", "0435"],
     "type": "qat", "vendor_label": "intel", "product_label": "dh895xcc", "function": "pf"},
    {"id": "intel-qat-dh895xcc-vf", "vendor_id": "8086", "device_ids": ["0442", "0443"],
     "type": "qat", "vendor_label": "intel", "product_label": "dh895xcc", "function": "vf"},
    {"id": "intel-qat-c62x-pf", "vendor_id": "8086", "device_ids": ["37c8"], "type": "qat",
     "vendor_label": "intel", "product_label": "c62x", "function": "pf"},
    {"id": "intel-qat-c62x-vf", "vendor_id": "8086", "device_ids": ["37c9"], "type": "qat",
     "vendor_label": "intel", "product_label": "c62x", "function": "vf"},
    {"id": "intel-qat-c3xxx-pf", "vendor_id": "8086", "device_ids": ["19e2"], "type": "qat",
     "vendor_label": "intel", "product_label": "c3xxx", "function": "pf"},
    {"id": "intel-qat-c3xxx-vf", "vendor_id": "8086", "device_ids": ["19e3"], "type": "qat",
     "vendor_label": "intel", "product_label": "c3xxx", "function": "vf"},
    {"id": "intel-qat-c4xxx-pf", "vendor_id": "8086", "device_ids": ["18a0"], "type": "qat",
     "vendor_label": "intel", "product_label": "c4xxx", "function": "pf"},
    {"id": "intel-qat-c4xxx-vf", "vendor_id": "8086", "device_ids": ["18a1"], "type": "qat",
     "vendor_label": "intel", "product_label": "c4xxx", "function": "vf"},
    {"id": "intel-qat-200xx-pf", "vendor_id": "8086", "device_ids": ["18ee"], "type": "qat",
     "vendor_label": "intel", "product_label": "200xx", "function": "pf"},
    {"id": "intel-qat-200xx-vf", "vendor_id": "8086", "device_ids": ["18ef"], "type": "qat",
     "vendor_label": "intel", "product_label": "200xx", "function": "vf"},
    {"id": "intel-qat-4xxx-pf", "vendor_id": "8086", "device_ids": ["4940", "4942", "4944", "4946"],
     "type": "qat", "vendor_label": "intel", "product_label": "4xxx", "function": "pf"},
    {"id": "intel-qat-4xxx-vf", "vendor_id": "8086", "device_ids": ["4941", "4943", "4945", "4947"],
     "type": "qat", "vendor_label": "intel", "product_label": "4xxx", "function": "vf"},
    {"id": "intel-qat-6xxx-pf", "vendor_id": "8086", "device_ids": ["578a"], "type": "qat",
     "vendor_label": "intel", "product_label": "6xxx", "function": "pf"},
    {"id": "intel-qat-6xxx-vf", "vendor_id": "8086", "device_ids": ["578b"], "type": "qat",
     "vendor_label": "intel", "product_label": "6xxx", "function": "vf"},
    # ---- Intel DSA / IAA (idxd) ----
    {"id": "intel-dsa", "vendor_id": "8086", "device_ids": ["0b25", "11fb", "1212"], "type": "dsa",
     "vendor_label": "intel", "product_label": "dsa"},
    {"id": "intel-iaa", "vendor_id": "8086", "device_ids": ["0cfe", "1216", "b02d", "fd2d"],
     "type": "iaa", "vendor_label": "intel", "product_label": "iaa"},
    # ---- DPUs (always reported) and SR-IOV network functions ----
    {"id": "nvidia-bluefield2", "vendor_id": "15b3", "device_ids": ["a2d6"], "class_prefix": "02",
     "type": "nic", "vendor_label": "nvidia", "product_label": "bluefield2"},
    {"id": "nvidia-bluefield3", "vendor_id": "15b3", "device_ids": ["a2dc"], "class_prefix": "02",
     "type": "nic", "vendor_label": "nvidia", "product_label": "bluefield3"},
    {"id": "intel-e810", "vendor_id": "8086", "device_ids": ["1591", "1592", "1593", "159b"],
     "class_prefix": "02", "requires_sriov": True, "type": "nic", "vendor_label": "intel",
     "product_label": "e810"},
    {"id": "intel-e810-vf", "vendor_id": "8086", "device_ids": ["1889"], "class_prefix": "02",
     "type": "nic", "vendor_label": "intel", "product_label": "e810", "function": "vf"},
    {"id": "intel-i350", "vendor_id": "8086", "device_ids": ["1521"], "class_prefix": "02",
     "requires_sriov": True, "type": "nic", "vendor_label": "intel", "product_label": "i350"},
    {"id": "intel-i350-vf", "vendor_id": "8086", "device_ids": ["1520"], "class_prefix": "02",
     "type": "nic", "vendor_label": "intel", "product_label": "i350", "function": "vf"},
    {"id": "intel-nic-sriov", "vendor_id": "8086", "class_prefix": "02", "requires_sriov": True,
     "type": "nic", "vendor_label": "intel"},
    {"id": "mellanox-nic-sriov", "vendor_id": "15b3", "class_prefix": "02", "requires_sriov": True,
     "type": "nic", "vendor_label": "mellanox"},
    {"id": "broadcom-nic-sriov", "vendor_id": "14e4", "class_prefix": "02", "requires_sriov": True,
     "type": "nic", "vendor_label": "broadcom"},
    {"id": "nic-sriov", "vendor_id": None, "class_prefix": "02", "requires_sriov": True,
     "type": "nic", "vendor_label": "other"},
    # ---- by class only ----
    {"id": "nvme", "vendor_id": None, "class_prefix": "010802", "type": "nvme",
     "vendor_label": "other"},
    {"id": "processing-accelerator", "vendor_id": None, "class_prefix": "12", "type": "ai",
     "vendor_label": "other"},
    # Co-processors (class 0b40) from an unknown vendor: reported, never dropped.
    {"id": "co-processor", "vendor_id": None, "class_prefix": "0b40", "type": "other",
     "vendor_label": "other"},
) + tuple(_products("10de", "gpu", "nvidia", NVIDIA_PRODUCTS, "03")) \
  + tuple(_products("1002", "gpu", "amd", AMD_PRODUCTS, None))

# Base class names used by the summary for functions that are not accelerators.
PCI_BASE_CLASS_NAMES = {
    "00": "unclassified", "01": "storage", "02": "network", "03": "display",
    "04": "multimedia", "05": "memory", "06": "bridge", "07": "communication",
    "08": "system_peripheral", "09": "input", "0a": "docking", "0b": "processor",
    "0c": "serial_bus", "0d": "wireless", "0e": "intelligent_io", "0f": "satellite",
    "10": "encryption", "11": "signal_processing", "12": "processing_accelerator",
    "13": "instrumentation", "40": "coprocessor", "ff": "unassigned",
}
