# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovery against independent readers of the same trees: pciutils and udev.

- lspci -O sysfs.path=<tree>/bus/pci -nmm -D must report the same addresses and ids;
- under umockdev-run, discovery of the default /sys through pyudev must give the same
  records as discovery of the tree through sysfs_root.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
from tests.fixtures.hwsim import build
from tests.fixtures.hwsim.umockdev import write_umockdev
from tests.integration.discovery.conftest import ALL_SCENARIOS, REPO


def lspci_functions(root):
    """{address: (class, vendor, device, subsystem vendor, subsystem device)} from lspci -nmm -D."""
    out = subprocess.run(["lspci", "-O", "sysfs.path=%s/bus/pci" % root, "-nmm", "-D"],
                         check=True, capture_output=True, text=True).stdout
    functions = {}
    for line in out.splitlines():
        fields = [f for f in shlex.split(line) if not f.startswith("-")]
        address, klass, vendor, device = fields[:4]
        sub = fields[4:6] if len(fields) >= 6 else ["", ""]
        functions[address] = (klass, vendor, device, sub[0] or None, sub[1] or None)
    return functions


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_addresses_and_ids_equal_lspci(tree, scenario):
    assert shutil.which("lspci"), "pciutils (lspci) must be installed: scripts/bootstrap.sh does it"
    root = tree(scenario)
    seen = lspci_functions(root)
    records, summary = discover(root)
    assert summary["total_pci_functions"] == len(seen)
    for rec in records:
        assert rec["address"] in seen, rec["address"]
        klass, vendor, device, sub_vendor, sub_device = seen[rec["address"]]
        assert rec["class_code"][:4] == klass
        assert (rec["vendor_id"], rec["device_id"]) == (vendor, device)
        assert (rec["subsystem_vendor_id"], rec["subsystem_device_id"]) == (sub_vendor, sub_device)


UDEV_DISCOVERY = """
import json, subprocess, sys
subprocess.run([sys.executable, "-m", "tests.fixtures.hwsim", "overlay", sys.argv[1],
                __import__("os").environ["UMOCKDEV_DIR"] + "/sys"], check=True)
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.udev_names import udev_pci_devices
udev = udev_pci_devices()
records, summary = discover("/sys", udev_devices=udev)
print(json.dumps({"udev": sorted(udev or {}), "records": records, "summary": summary}))
"""


@pytest.mark.parametrize("scenario", ["mixed_all", "h100_8gpu", "qat_c62x", "mi210_8gpu"])
def test_default_sys_through_pyudev_under_umockdev(tree, tmp_path, scenario):
    assert shutil.which("umockdev-run"), "umockdev must be installed: scripts/bootstrap.sh does it"
    device_file = tmp_path / ("%s.umockdev" % scenario)
    write_umockdev(build(scenario), str(device_file))
    env = dict(os.environ, PYTHONPATH=REPO)
    run = subprocess.run(["umockdev-run", "-d", str(device_file), "--", sys.executable, "-c",
                          UDEV_DISCOVERY, scenario], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True)
    seen = json.loads(run.stdout)
    expected, expected_summary = discover(tree(scenario))
    assert seen["udev"], "pyudev enumerated nothing under umockdev"
    assert len(seen["udev"]) == expected_summary["total_pci_functions"]
    got = seen["records"]
    assert [r["address"] for r in got] == [r["address"] for r in expected]

    def strip(rec):
        return dict((k, v) for k, v in rec.items() if k != "names_source")

    for udev_rec, tree_rec in zip(got, expected):
        assert udev_rec["names_source"] == "hwdb"
        # names come from the udev hwdb there and from pci.ids here; both must agree
        assert strip(udev_rec) == strip(tree_rec)
    assert seen["summary"] == expected_summary
