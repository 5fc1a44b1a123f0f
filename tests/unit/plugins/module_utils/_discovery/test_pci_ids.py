# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.pci_ids import PciIds, find_pci_ids

SAMPLE = """# comment
0e11  Compaq Computer Corporation
\t0001  PCI to EISA Bridge
10de  NVIDIA Corporation
\t22a3  GH100 [H100 NVSwitch]
# a comment inside a vendor block
\t2330  GH100 [H100 SXM5 80GB]
\t\t10de 16c1  H100 SXM5 80GB
1da3  Habana Labs Ltd.
\t1020  Gaudi2 AI Training Accelerator

# List of known device classes
C 00  Unclassified device
\t00  Non-VGA unclassified device
C 03  Display controller
"""


def test_names_lookup(tmp_path):
    path = tmp_path / "pci.ids"
    path.write_text(SAMPLE)
    ids = PciIds(str(path))
    assert ids.names("10de", "2330") == ("NVIDIA Corporation", "GH100 [H100 SXM5 80GB]")
    assert ids.names("10de", "22a3") == ("NVIDIA Corporation", "GH100 [H100 NVSwitch]")
    assert ids.names("1da3", "1020") == ("Habana Labs Ltd.", "Gaudi2 AI Training Accelerator")
    # a device id that only appears in another vendor's block is not borrowed
    assert ids.names("10de", "0001") == ("NVIDIA Corporation", None)
    assert ids.names("ffff", "0000") == (None, None)
    # class lines ("C 03") are not vendors
    assert ids.names("03", "00") == (None, None)


def test_binary_search_agrees_with_a_linear_scan(tmp_path):
    """pci.ids is sorted by id; every listed pair is found, unlisted ones are not."""
    lines, expected = [], {}
    for vendor in range(0x1000, 0x1400, 7):
        lines.append("%04x  Vendor %d" % (vendor, vendor))
        for device in range(0, 0x300, 5 + vendor % 11):
            lines.append("\t%04x  Device %d of %d" % (device, device, vendor))
            lines.append("\t\t%04x %04x  Subsystem" % (vendor, device))
            expected[("%04x" % vendor, "%04x" % device)] = "Device %d of %d" % (device, vendor)
    path = tmp_path / "pci.ids"
    path.write_text("\n".join(["# header"] + lines + ["C 00  Unclassified device", ""]))
    ids = PciIds(str(path))
    for (vendor, device), name in expected.items():
        assert ids.names(vendor, device) == ("Vendor %d" % int(vendor, 16), name)
    assert ids.names("1000", "0001") == ("Vendor 4096", None)
    assert ids.names("1001", "0000") == (None, None)


def _linear_parse(path):
    """{vendor: (name, {device: name})} by reading every line: the reference."""
    vendors, current = {}, None
    with open(path, "rb") as handle:
        for raw in handle.read().decode("utf-8", "replace").split("\n"):
            if not raw or raw.startswith("#"):
                continue
            if raw.startswith("C "):
                break
            if not raw.startswith("\t"):
                current = raw[:4]
                vendors[current] = (raw[4:].strip(), {})
            elif not raw.startswith("\t\t"):
                vendors[current][1][raw[1:5]] = raw[5:].strip()
    return vendors


def test_every_pair_of_the_distribution_pci_ids_is_found():
    """The real file (hwdata, from bindep.txt): Intel's ~370 kB block, vendors that are
    the last of their first digit, vendors with no devices. Every pair against a full
    linear parse."""
    path = find_pci_ids()
    assert path, "pci.ids not installed: bindep.txt lists hwdata (scripts/bootstrap.sh)"
    ids = PciIds(path)
    reference = _linear_parse(path)
    assert len(reference) > 1000
    for vendor, (vendor_name, devices) in reference.items():
        assert ids.names(vendor, "zzzz") == (vendor_name, None)
        for device, device_name in devices.items():
            assert ids.names(vendor, device) == (vendor_name, device_name), (vendor, device)
