"""Unit tests: what the host needs (mounts, swap, LVM, default route through a bond, IPv6)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs
from ansible_collections.openaccel.cyborg.plugins.module_utils._vfio.guard import HostGuard
from tests.fixtures.hwsim import build
from tests.fixtures.kernel_sim import tree


def _guard(tmp_path, scenario, **proc):
    root = str(tmp_path / "sys")
    build(scenario).write(root)
    procdir = str(tmp_path / "proc")
    tree.write_proc(procdir, **proc)
    return root, procdir, lambda: HostGuard(Sysfs(root), procdir)


def test_mounted_partition_protects_the_nvme_and_its_bridge(tmp_path):
    mounts = "/dev/nvme0n1p2 / ext4 rw 0 0\nproc /proc proc rw 0 0\n"
    root, guard = _guard(tmp_path, "nvme", mounts=mounts)[0::2]
    tree.add_block_device(root, "0000:01:00.0", "nvme0n1", ["nvme0n1p2"])
    protected = guard().protected()
    assert protected["0000:01:00.0"] == "backs the mounted filesystem / (ext4 on nvme0n1p2)"
    assert set(protected) == {"0000:00:02.1", "0000:01:00.0"}


def test_lvm_on_the_disk_and_swap(tmp_path):
    root, guard = _guard(tmp_path, "nvme", mounts="/dev/mapper/vg-root / xfs rw 0 0\n")[0::2]
    tree.add_block_device(root, "0000:01:00.0", "nvme0n1", ["nvme0n1p3"])
    dm = os.path.join(root, "devices", "virtual", "block", "dm-0")
    os.makedirs(os.path.join(dm, "slaves"))
    os.makedirs(os.path.join(dm, "dm"))
    with open(os.path.join(dm, "dm", "name"), "w") as handle:
        handle.write("vg-root\n")
    os.symlink(os.path.realpath(os.path.join(root, "class", "block", "nvme0n1p3")),
               os.path.join(dm, "slaves", "nvme0n1p3"))
    os.symlink(dm, os.path.join(root, "class", "block", "dm-0"))
    reason = guard().protected()["0000:01:00.0"]
    assert reason.startswith("backs the mounted filesystem / (xfs on dm-0)")
    tree.write_proc(str(tmp_path / "proc"), swaps="/dev/nvme0n1p3 partition 100 0 -2\n")
    assert guard().protected()["0000:01:00.0"] == "backs active swap /dev/nvme0n1p3"


def test_default_route_through_a_bond_of_a_vf_protects_the_pf(tmp_path):
    root, procdir, guard = _guard(tmp_path, "e810_sriov", route=tree.default_route("bond0"))
    tree.add_net_device(root, "0000:a2:01.3", "ens1f0v3")
    tree.add_virtual_net_device(root, "bond0", ["ens1f0v3"])
    protected = guard().protected()
    assert protected["0000:a2:01.3"] == "carries the default route (interface bond0)"
    assert protected["0000:a2:00.0"].startswith("is the PF of 0000:a2:01.3")
    assert "0000:a2:01.2" not in protected


def test_ipv6_default_route(tmp_path):
    root, procdir, guard = _guard(tmp_path, "e810_sriov")
    tree.add_net_device(root, "0000:01:00.1", "eno2")
    with open(os.path.join(procdir, "net", "ipv6_route"), "w") as handle:
        handle.write("%s 00 %s 00 fe800000000000000000000000000001 00000400 00000001 00000000 "
                     "00000003 eno2\n" % ("0" * 32, "0" * 32))
    assert guard().default_route_interfaces() == ["eno2"]
    assert "0000:01:00.1" in guard().protected()


def test_vfio_group_users(tmp_path):
    procdir, guard = _guard(tmp_path, "e810_sriov")[1:]
    os.makedirs(os.path.join(procdir, "77", "fd"))
    os.symlink("/dev/vfio/12", os.path.join(procdir, "77", "fd", "3"))
    with open(os.path.join(procdir, "77", "comm"), "w") as handle:
        handle.write("qemu-kvm\n")
    assert guard().vfio_group_users(12) == ["77 (qemu-kvm)"]
    assert guard().vfio_group_users(11) == []


# -- native NVMe multipath: the namespace head is not below any PCI function -------------------
# A dual-port PM1733 on two root ports of the big_host backplane (0000:e1:00.0 = nvme8 and
# 0000:e2:00.0 = nvme9), one subsystem nvme-subsys8 whose head nvme8n1 carries the root fs.
DUAL_PORT = {"0000:e1:00.0": 8, "0000:e2:00.0": 9}


def _multipath(tmp_path, **proc):
    root, procdir, guard = _guard(tmp_path, "big_host", **proc)
    head = tree.add_nvme_multipath(root, 8, DUAL_PORT, devnum=(259, 4),
                                   partitions=["nvme8n1p1", "nvme8n1p2", "nvme8n1p3"])
    return root, procdir, guard, head


def test_multipath_nvme_root_protects_every_controller(tmp_path):
    root, _procdir, guard, head = _multipath(
        tmp_path, mounts="/dev/nvme8n1p2 / ext4 rw 0 0\n/dev/nvme8n1p1 /boot/efi vfat rw 0 0\n")
    assert head == "nvme8n1"
    real = os.path.realpath(os.path.join(root, "class", "block", "nvme8n1p2"))
    assert "/devices/virtual/nvme-subsystem/nvme-subsys8/nvme8n1/nvme8n1p2" in real
    protected = guard().protected()
    for address in ("0000:e1:00.0", "0000:e2:00.0"):
        assert protected[address] == "backs the mounted filesystem / (ext4 on nvme8n1p2)"
    assert {"0000:e0:01.0", "0000:e0:02.0"} <= set(protected)   # their root ports
    assert "0000:e3:00.0" not in protected                     # another drive of the backplane


def test_multipath_nvme_found_by_mountinfo_majmin_and_swap(tmp_path):
    info = (tree.mountinfo_line(22, "0:21", "/proc", "proc", "proc")
            + tree.mountinfo_line(1, "259:6", "/", "xfs", "/dev/root"))
    _root, procdir, guard, _head = _multipath(tmp_path, mountinfo=info)
    protected = guard().protected()
    assert protected["0000:e2:00.0"] == "backs the mounted filesystem / (xfs on nvme8n1p2)"
    assert "0000:e1:00.0" in protected
    tree.write_proc(procdir, swaps="/dev/nvme8n1p3 partition 8388604 0 -2\n", mountinfo="")
    protected = guard().protected()
    assert protected["0000:e1:00.0"] == protected["0000:e2:00.0"] == \
        "backs active swap /dev/nvme8n1p3"


def test_multipath_nvme_under_lvm(tmp_path):
    root, _procdir, guard, _head = _multipath(tmp_path, mounts="/dev/mapper/vg-root / xfs rw 0 0\n")
    dm = os.path.join(root, "devices", "virtual", "block", "dm-0")
    os.makedirs(os.path.join(dm, "slaves"))
    os.makedirs(os.path.join(dm, "dm"))
    with open(os.path.join(dm, "dm", "name"), "w") as handle:
        handle.write("vg-root\n")
    os.symlink(os.path.realpath(os.path.join(root, "class", "block", "nvme8n1p3")),
               os.path.join(dm, "slaves", "nvme8n1p3"))
    os.symlink(dm, os.path.join(root, "class", "block", "dm-0"))
    protected = guard().protected()
    assert protected["0000:e1:00.0"].startswith("backs the mounted filesystem / (xfs on dm-0)")
    assert protected["0000:e2:00.0"] == protected["0000:e1:00.0"]


# -- the console: boot VGA and the framebuffer fbcon is bound to --------------------------------

def test_boot_vga_is_protected(tmp_path):
    # qat_c62x is built from the NFD snapshot, whose ASPEED 0000:02:00.0 has boot_vga 1
    root, _procdir, guard = _guard(tmp_path, "qat_c62x")
    with open(os.path.join(root, "bus", "pci", "devices", "0000:02:00.0", "boot_vga")) as handle:
        assert handle.read().strip() == "1"
    protected = guard().protected()
    assert protected["0000:02:00.0"].startswith("is the boot VGA device (boot_vga=1)")
    assert protected["0000:01:00.0"] == "is a bridge above the boot VGA device 0000:02:00.0"
    assert "0000:3b:00.0" not in protected   # the QAT PF


def test_framebuffer_console_is_protected_while_fbcon_is_bound(tmp_path):
    root, _procdir, guard = _guard(tmp_path, "qat_c62x")
    vga = os.path.join(root, "bus", "pci", "devices", "0000:02:00.0", "boot_vga")
    with open(vga, "w") as handle:   # a secondary display that fbcon still uses
        handle.write("0\n")
    assert "0000:02:00.0" not in guard().protected()
    tree.add_framebuffer(root, "0000:02:00.0", 0, "astdrmfb")
    tree.add_vtconsoles(root, fbcon_bound=True)
    why = guard().protected()["0000:02:00.0"]
    assert why == ("is the host's console: fbcon (vtcon1) draws on its framebuffer fb0 (driver "
                   "ast); release the console first (echo 0 > /sys/class/vtconsole/vtcon1/bind)")
    assert guard().protected()["0000:01:00.0"] == \
        "is a bridge above the console device 0000:02:00.0"
    tree.add_vtconsoles(root, fbcon_bound=False)    # fbcon released: no longer the console
    assert "0000:02:00.0" not in guard().protected()
