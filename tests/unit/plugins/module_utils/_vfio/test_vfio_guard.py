"""Unit tests: what the host needs (mounts, swap, LVM, default route through a bond, IPv6)."""
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
