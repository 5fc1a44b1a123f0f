# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""accelerator_table: the text table of device records, and the line for a host without any."""
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openaccel.cyborg.plugins.filter.accelerator_table import (
    COLUMNS, accelerator_table)


def _record(**fields):
    record = {"type": "gpu", "address": "0000:53:00.0", "vendor_id": "10de", "device_id": "2330",
              "vendor_label": "nvidia", "product_label": "h100", "product": None,
              "numa_node": 0, "driver": "nvidia", "sriov": None}
    record.update(fields)
    return record


def test_a_host_without_accelerators_gets_one_line_not_an_empty_table():
    assert accelerator_table([], {"total_pci_functions": 94, "accelerator_count": 0}) == \
        "no accelerators (94 PCI functions)"
    assert accelerator_table([], {"total_pci_functions": 1}) == "no accelerators (1 PCI function)"
    assert accelerator_table([]) == "no accelerators"
    assert not accelerator_table([]).startswith("TYPE")


def test_rows_under_the_header():
    lines = accelerator_table([_record(product="GH100 [H100 SXM5 80GB]")],
                              {"total_pci_functions": 94}).splitlines()
    assert lines[0].split() == list(COLUMNS)
    assert lines[1].split()[:3] == ["gpu", "0000:53:00.0", "GH100"]


def test_product_column_uses_the_discovery_rule():
    """pci.ids name when known, else the rule label in upper case (not 'nvidia h100')."""
    rows = accelerator_table([_record(), _record(address="0000:64:00.0", product_label=None),
                              _record(address="0000:75:00.0", product="GH100 [H100]")])
    lines = rows.splitlines()
    assert "H100" in lines[1].split() and "nvidia h100" not in rows
    assert "10de:2330" in lines[2].split()
    assert "GH100 [H100]" in lines[3]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError):
        accelerator_table({"not": "a list"})
    with pytest.raises(AnsibleFilterError):
        accelerator_table([], ["not", "a summary"])
