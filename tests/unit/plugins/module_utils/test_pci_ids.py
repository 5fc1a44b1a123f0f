# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_ids import PciIds

SAMPLE = """# comment
0e11  Compaq Computer Corporation
\t0001  PCI to EISA Bridge
10de  NVIDIA Corporation
\t2330  GH100 [H100 SXM5 80GB]
\t\t10de 16c1  H100 SXM5 80GB
# a comment inside a vendor block
\t22a3  GH100 [H100 NVSwitch]
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
