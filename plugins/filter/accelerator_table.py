# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: accelerator_table
short_description: Render device records as a plain-text table
version_added: 0.1.0
author:
  - openaccel.cyborg developers (@openaccel)
description:
  - Turns the device records of C(ansible_facts.accelerators) into an aligned text table with
    one row per accelerator (type, address, product, NUMA node, driver, SR-IOV).
  - A host without accelerators gets the line C(no accelerators (N PCI functions)) instead of
    a table with only its header (N from O(summary); C(no accelerators) without it).
  - The product column is the record's C(product) (udev hwdb or pci.ids name, else the rule's
    product label in upper case), the same rule discovery uses.
options:
  _input:
    description: Device records from M(openaccel.cyborg.accelerator_facts).
    type: list
    elements: dict
    required: true
  summary:
    description: C(ansible_facts.accelerator_summary), for the count of PCI functions.
    type: dict
    required: false
"""

EXAMPLES = r"""
- name: Print the accelerators of a host
  ansible.builtin.debug:
    msg: "{{ (ansible_facts.accelerators | openaccel.cyborg.accelerator_table).splitlines() }}"

- name: Print them, or how many PCI functions a host without accelerators has
  ansible.builtin.debug:
    msg: >-
      {{ (ansible_facts.accelerators | openaccel.cyborg.accelerator_table(
          ansible_facts.accelerator_summary)).splitlines() }}
"""

RETURN = r"""
_value:
  description: The table, lines separated by newlines.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.names import (
    display_product)

COLUMNS = ("TYPE", "ADDRESS", "PRODUCT", "NUMA", "DRIVER", "SR-IOV", "DETAILS")


def _sriov(record):
    sriov = record.get("sriov")
    if not sriov:
        return "-"
    if sriov.get("physfn"):
        return "VF of %s" % sriov["physfn"]
    return "PF %s/%s VFs" % (sriov.get("num_vfs") or 0, sriov.get("total_vfs") or 0)


def _details(record):
    gpu, fpga = record.get("gpu") or {}, record.get("fpga") or {}
    if gpu.get("memory_total_mib"):
        mig = gpu.get("mig") or {}
        return "%d MiB%s" % (gpu["memory_total_mib"], ", MIG on" if mig.get("mode_current") else "")
    if gpu.get("gfx_target"):
        return "%s, %s CUs" % (gpu["gfx_target"], gpu.get("compute_units"))
    if gpu.get("nvml_error"):
        return "NVML: %s" % gpu["nvml_error"]
    if fpga.get("framework"):
        ident = fpga.get("afu_id") or fpga.get("xclbin_uuid") or fpga.get("bitstream_id") or ""
        return ("%s %s %s" % (fpga["framework"], fpga.get("state") or "", ident)).strip()
    return ""


def _row(record):
    product = display_product(record)
    numa = record.get("numa_node")
    return (record.get("type") or "?", record.get("address") or "?", product[:44],
            "-" if numa is None else str(numa), record.get("driver") or "-", _sriov(record),
            _details(record))


def _no_accelerators(summary):
    total = (summary or {}).get("total_pci_functions") if isinstance(summary, dict) else None
    if isinstance(total, int) and not isinstance(total, bool):
        return "no accelerators (%d PCI function%s)" % (total, "" if total == 1 else "s")
    return "no accelerators"


def accelerator_table(records, summary=None):
    if not isinstance(records, list):
        raise AnsibleFilterError("accelerator_table expects a list of device records, got %s"
                                 % type(records).__name__)
    if summary is not None and not isinstance(summary, dict):
        raise AnsibleFilterError("accelerator_table: summary must be the accelerator_summary "
                                 "dict, got %s" % type(summary).__name__)
    if not records:
        return _no_accelerators(summary)
    rows = [COLUMNS] + [_row(rec) for rec in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
                     for row in rows)


class FilterModule(object):
    def filters(self):
        return {"accelerator_table": accelerator_table}
