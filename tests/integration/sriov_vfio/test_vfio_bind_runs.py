# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openaccel.cyborg.vfio_bind through Ansible, the kernel played by kernel_sim."""

import os

from tests.fixtures.hwsim import build
from tests.fixtures.kernel_sim import tree
from tests.integration.sriov_vfio.conftest import E810_VFS, drivers, run_module

TWO = E810_VFS[:2]


def _args(root, proc, **extra):
    args = {"devices": TWO, "sysfs_root": root, "proc_root": proc}
    args.update(extra)
    return args


def test_four_runs_to_vfio_then_four_runs_back(e810, proc_root, kernel):
    sim = kernel()
    for state, want in (("vfio", ["vfio-pci"] * 2), ("native", ["iavf"] * 2)):
        args = _args(e810, proc_root, state=state)
        rc, check1 = run_module("vfio_bind", args, "--check", "--diff")
        assert rc == 0 and check1["changed"] and drivers(e810, TWO) != want
        assert check1["diff"]["after"][TWO[0]]["driver"] in ("vfio-pci", "(native)")
        rc, apply1 = run_module("vfio_bind", args, "--diff")
        assert rc == 0 and apply1["changed"], apply1
        assert [d["driver"] for d in apply1["devices"]] == want
        assert apply1["diff"]["after"][TWO[1]]["driver"] == want[1]
        for flags in (["--check", "--diff"], []):
            rc, again = run_module("vfio_bind", args, *flags)
            assert rc == 0 and not again["changed"] and again["actions"] == []
        assert drivers(e810, TWO) == want
    assert apply1["actions"][:3] == ["0000:a2:01.0: driver_override=(cleared)",
                                     "0000:a2:01.0: unbind from vfio-pci",
                                     "0000:a2:01.0: drivers_probe"]
    assert "unbound 0000:a2:01.0 iavf" in sim.log and "bound 0000:a2:01.0 vfio-pci" in sim.log


def test_native_driver_explicit_bind(e810, proc_root, kernel):
    kernel()
    rc = run_module("vfio_bind", _args(e810, proc_root))[0]
    assert rc == 0
    rc, result = run_module("vfio_bind", _args(e810, proc_root, state="native",
                                               native_driver="iavf"))
    assert rc == 0 and "0000:a2:01.1: bind to iavf" in result["actions"]
    assert drivers(e810, TWO) == ["iavf", "iavf"]


def test_iommu_off_is_refused_with_the_fix(e810, proc_root, kernel):
    tree.strip_iommu(e810)
    sim = kernel()
    rc, result = run_module("vfio_bind", _args(e810, proc_root))
    assert rc != 0 and not result["changed"] and result["actions"] == []
    assert result["msg"].startswith("devices: 0000:a2:01.0, 0000:a2:01.1 have no IOMMU group")
    assert "the IOMMU is off" in result["msg"] and "intel_iommu=on" in result["msg"]
    assert drivers(e810, TWO) == ["iavf", "iavf"] and sim.log == []


def test_group_member_on_a_host_driver_is_refused_unless_requested(e810, proc_root, kernel):
    tree.join_iommu_group(e810, E810_VFS[2], E810_VFS[0])
    kernel()
    rc, result = run_module("vfio_bind", _args(e810, proc_root, devices=[E810_VFS[0]]))
    assert rc != 0 and not result["changed"]
    assert "0000:a2:01.2 (driver iavf, IOMMU group 11 of 0000:a2:01.0)" in result["msg"]
    assert "add them to devices" in result["msg"]
    assert drivers(e810, E810_VFS[:3]) == ["iavf"] * 3
    rc, result = run_module("vfio_bind", _args(e810, proc_root,
                                               devices=[E810_VFS[0], E810_VFS[2]]))
    assert rc == 0 and drivers(e810, [E810_VFS[0], E810_VFS[2]]) == ["vfio-pci"] * 2


def test_device_backing_a_mounted_filesystem_is_never_unbound(tmp_path, kernel):
    root = str(tmp_path / "sys")
    build("nvme").write(root)
    tree.add_block_device(root, "0000:01:00.0", "nvme0n1", ["nvme0n1p2"])
    proc = str(tmp_path / "proc")
    tree.write_proc(proc, mounts="/dev/nvme0n1p2 /var/lib ext4 rw 0 0\n")
    sim = kernel(root)
    for flags in (["--check"], []):
        rc, result = run_module("vfio_bind", {"devices": ["0000:01:00.0"], "sysfs_root": root,
                                              "proc_root": proc}, *flags)
        assert rc != 0 and not result["changed"]
        assert ("refusing to unbind 0000:01:00.0 from nvme: it backs the mounted filesystem "
                "/var/lib (ext4 on nvme0n1p2)") in result["msg"]
    assert tree.driver_of(root, "0000:01:00.0") == "nvme" and sim.log == []


def test_second_controller_of_a_multipath_root_nvme_is_never_unbound(tmp_path, kernel):
    """Native NVMe multipath: / is on the subsystem's namespace head (devices/virtual/...),
    found through mountinfo's major:minor; neither controller's function is unbound."""
    root = str(tmp_path / "big-host-sys")
    build("big_host").write(root)
    tree.add_nvme_multipath(root, 8, {"0000:e1:00.0": 8, "0000:e2:00.0": 9}, devnum=(259, 4),
                            partitions=["nvme8n1p1", "nvme8n1p2"])
    proc = str(tmp_path / "proc")
    tree.write_proc(proc, mountinfo=tree.mountinfo_line(1, "259:6", "/", "ext4", "/dev/root"))
    sim = kernel(root)
    for address in ("0000:e2:00.0", "0000:e1:00.0"):
        for flags in (["--check"], []):
            rc, result = run_module("vfio_bind", {"devices": [address], "sysfs_root": root,
                                                  "proc_root": proc}, *flags)
            assert rc != 0 and not result["changed"], result
            assert ("refusing to unbind %s from nvme: it backs the mounted filesystem / "
                    "(ext4 on nvme8n1p2)" % address) in result["msg"]
    assert tree.driver_of(root, "0000:e2:00.0") == "nvme" and sim.log == []


def test_console_display_is_never_unbound(tmp_path, kernel):
    """The boot VGA device (the NFD snapshot's ASPEED, boot_vga 1), and a display whose
    framebuffer fbcon is bound to."""
    root = str(tmp_path / "qat-sys")
    build("qat_c62x").write(root)
    proc = str(tmp_path / "proc")
    tree.write_proc(proc)
    sim = kernel(root)
    args = {"devices": ["0000:02:00.0"], "sysfs_root": root, "proc_root": proc}
    for flags in (["--check"], []):
        rc, result = run_module("vfio_bind", args, *flags)
        assert rc != 0 and not result["changed"], result
        assert ("refusing to unbind 0000:02:00.0 from ast: it is the boot VGA device "
                "(boot_vga=1)") in result["msg"]
    with open(os.path.join(root, "bus", "pci", "devices", "0000:02:00.0", "boot_vga"), "w") as f:
        f.write("0\n")
    tree.add_framebuffer(root, "0000:02:00.0", 0)
    tree.add_vtconsoles(root, fbcon_bound=True)
    for flags in (["--check"], []):
        rc, result = run_module("vfio_bind", args, *flags)
        assert rc != 0 and not result["changed"], result
        assert ("refusing to unbind 0000:02:00.0 from ast: it is the host's console: fbcon "
                "(vtcon1) draws on its framebuffer fb0") in result["msg"]
        assert "echo 0 > /sys/class/vtconsole/vtcon1/bind" in result["msg"]
    assert tree.driver_of(root, "0000:02:00.0") == "ast" and sim.log == []


def test_default_route_nic_is_never_unbound(e810, tmp_path, kernel):
    tree.add_net_device(e810, "0000:01:00.2", "eno3")
    tree.add_virtual_net_device(e810, "bond0", ["eno3"])
    proc = str(tmp_path / "proc")
    tree.write_proc(proc, route=tree.default_route("bond0"))
    kernel()
    rc, result = run_module("vfio_bind", {"devices": ["0000:01:00.2"], "sysfs_root": e810,
                                          "proc_root": proc})
    assert rc != 0 and not result["changed"]
    assert "carries the default route (interface bond0)" in result["msg"]
    assert tree.driver_of(e810, "0000:01:00.2") == "igb"


def test_bind_failure_rolls_back_and_says_what_was_done(e810, proc_root, kernel):
    sim = kernel(fail_bind={(E810_VFS[1], "vfio-pci")})
    args = _args(e810, proc_root, devices=E810_VFS[:3], timeout=0.5)
    rc, result = run_module("vfio_bind", args)
    assert rc != 0 and result["changed"] is True
    assert result["msg"].startswith("0000:a2:01.1: drivers_probe (vfio-pci) did not take effect "
                                    "within 0.5s; rolled back: 0000:a2:01.1 is bound to iavf "
                                    "again. Done before it: 0000:a2:01.0; not attempted: "
                                    "0000:a2:01.2")
    assert drivers(e810, E810_VFS[:3]) == ["vfio-pci", "iavf", "iavf"]
    assert "probe failed 0000:a2:01.1 vfio-pci" in sim.log
    sim.fail_bind.clear()  # the next run converges
    rc, result = run_module("vfio_bind", args)
    assert rc == 0 and drivers(e810, E810_VFS[:3]) == ["vfio-pci"] * 3


def test_driver_not_loaded_runs_modprobe(e810, proc_root, tmp_path, kernel):
    kernel(preload=())
    stub = tmp_path / "bin" / "modprobe"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\necho \"$@\" >> %s/modprobe.log\n"
                    "d=%s/bus/pci/drivers/$1; mkdir -p $d && for f in bind unbind new_id "
                    "remove_id uevent; do : > $d/$f; done\n" % (tmp_path, e810))
    stub.chmod(0o755)
    path = "%s:%s" % (stub.parent, os.environ["PATH"])
    rc, result = run_module("vfio_bind", _args(e810, proc_root), "--check", PATH=path)
    assert rc == 0 and result["actions"][0] == "modprobe vfio-pci"
    assert not (tmp_path / "modprobe.log").exists()
    rc, result = run_module("vfio_bind", _args(e810, proc_root), PATH=path)
    assert rc == 0 and result["actions"][0] == "modprobe vfio-pci"
    assert (tmp_path / "modprobe.log").read_text() == "vfio-pci\n"
    assert drivers(e810, TWO) == ["vfio-pci"] * 2
    rc, result = run_module("vfio_bind", _args(e810, proc_root, load_module=False,
                                               vfio_driver="mlx5_vfio_pci"))
    assert rc != 0 and result["msg"].startswith("vfio_driver: driver mlx5_vfio_pci is not loaded")


def test_open_vfio_group_blocks_unbinding(e810, proc_root, kernel):
    kernel()
    assert run_module("vfio_bind", _args(e810, proc_root))[0] == 0
    fd_dir = os.path.join(proc_root, "4242", "fd")
    os.makedirs(fd_dir)
    os.symlink("/dev/vfio/11", os.path.join(fd_dir, "17"))
    with open(os.path.join(proc_root, "4242", "comm"), "w") as handle:
        handle.write("qemu-system-x86\n")
    rc, result = run_module("vfio_bind", _args(e810, proc_root, state="native"))
    assert rc != 0 and "VFIO group 11 is open by 4242 (qemu-system-x86)" in result["msg"]
    assert drivers(e810, TWO) == ["vfio-pci"] * 2


def test_pf_with_vfs_is_refused(e810, proc_root, kernel):
    kernel()
    rc, result = run_module("vfio_bind", _args(e810, proc_root, devices=["0000:a2:00.0"]))
    assert rc != 0 and "it has 4 VFs, which unbinding removes" in result["msg"]
