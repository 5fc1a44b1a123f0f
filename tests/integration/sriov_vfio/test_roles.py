# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openaccel.cyborg.sriov and openaccel.cyborg.vfio roles: four runs, persistence files,
the boot-time scripts replayed on a fresh tree ("after a reboot"), IOMMU reports."""

import json
import os
import subprocess

from tests.fixtures.hwsim import build
from tests.fixtures.kernel_sim import KernelSim, tree
from tests.integration.sriov_vfio.conftest import (
    E810_PF, drivers, numvfs, run_playbook, task_results)

VFS = ["0000:a2:01.%d" % i for i in range(8)]


def _playbook(tmp_path, sysfs, proc, dest, **overrides):
    vars_ = {
        "sriov_devices": [{"address": E810_PF, "num_vfs": 8, "drivers_autoprobe": True}],
        "sriov_sysfs_root": sysfs, "sriov_dest_root": dest, "sriov_manage_services": False,
        "sriov_timeout": 20,
        "vfio_devices": VFS[:2], "vfio_sysfs_root": sysfs, "vfio_proc_root": proc,
        "vfio_dest_root": dest, "vfio_manage_services": False,
    }
    vars_.update(overrides)
    path = tmp_path / "site.yml"
    path.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False, "vars": vars_,
        "roles": [{"role": "openaccel.cyborg.sriov"}, {"role": "openaccel.cyborg.vfio"}]}]))
    return path


def _proc(tmp_path, cmdline="BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt",
          vendor="GenuineIntel"):
    proc = str(tmp_path / "proc")
    tree.write_proc(proc, route=tree.default_route("veth9"), cmdline=cmdline)
    with open(os.path.join(proc, "cpuinfo"), "w") as handle:
        handle.write("processor\t: 0\nvendor_id\t: %s\n" % vendor)
    return proc


def _changed(out):
    return [(name, r.get("changed")) for name, r in task_results(out) if r.get("changed")]


def test_four_runs_and_the_boot_scripts_rebuild_the_state(e810, tmp_path, kernel):
    kernel()
    dest = str(tmp_path / "dest")
    book = _playbook(tmp_path, e810, _proc(tmp_path), dest)
    rc, out = run_playbook(book, "--check", "--diff")
    assert rc == 0, task_results(out)[-1]
    assert out["stats"]["localhost"]["changed"] > 0 and numvfs(e810) == 4
    assert not os.path.exists(dest + "/etc/openaccel/sriov-vfs.conf")
    rc, out = run_playbook(book)
    assert rc == 0, task_results(out)[-1]
    assert numvfs(e810) == 8 and drivers(e810, VFS) == ["vfio-pci"] * 2 + ["iavf"] * 6
    for flags in (["--check", "--diff"], []):
        rc, out = run_playbook(book, *flags)
        assert rc == 0 and out["stats"]["localhost"]["changed"] == 0, _changed(out)
    with open(dest + "/etc/openaccel/sriov-vfs.conf") as handle:
        assert handle.read().splitlines()[-1] == "0000:a2:00.0 8 1"
    with open(dest + "/etc/openaccel/vfio-overrides.conf") as handle:
        assert handle.read().splitlines()[-2:] == ["%s vfio-pci" % VFS[0], "%s vfio-pci" % VFS[1]]
    unit = open(dest + "/etc/systemd/system/openaccel-vfio.service").read()
    assert "After=systemd-modules-load.service systemd-udev-settle.service " \
           "openaccel-sriov.service" in unit
    assert open(dest + "/etc/modules-load.d/openaccel-vfio.conf").read().endswith("vfio-pci\n")
    # "reboot": a fresh tree with the shipped 4 VFs, the boot scripts run as systemd would
    fresh = str(tmp_path / "fresh")
    build("e810_sriov").write(fresh)
    with KernelSim(fresh, bind_delay=0.02):
        for script, config in (("openaccel-sriov-apply", "sriov-vfs.conf"),
                               ("openaccel-vfio-apply", "vfio-overrides.conf")):
            proc = subprocess.run(["sh", dest + "/usr/local/sbin/" + script], capture_output=True,
                                  text=True, timeout=60, check=False,
                                  env=dict(os.environ, SYSFS_ROOT=fresh,
                                           CONFIG=dest + "/etc/openaccel/" + config))
            assert proc.returncode == 0, proc.stderr
    assert numvfs(fresh) == 8 and drivers(fresh, VFS) == ["vfio-pci"] * 2 + ["iavf"] * 6


def test_udev_method_and_modprobe_method(e810, tmp_path, kernel):
    kernel()
    dest = str(tmp_path / "dest")
    book = _playbook(tmp_path, e810, _proc(tmp_path), dest, sriov_persist_method="udev",
                     vfio_persist_method="modprobe", vfio_softdep_drivers=["iavf"])
    for flags, changes in (([], True), ([], False)):
        rc, out = run_playbook(book, *flags)
        assert rc == 0, task_results(out)[-1]
        assert (out["stats"]["localhost"]["changed"] > 0) is changes, _changed(out)
    rules = open(dest + "/etc/udev/rules.d/70-openaccel-sriov.rules").read()
    assert ('ACTION=="bind", SUBSYSTEM=="pci", KERNEL=="0000:a2:00.0", '
            'RUN+="/usr/local/sbin/openaccel-sriov-apply 0000:a2:00.0"') in rules
    assert not os.path.exists(dest + "/etc/systemd/system/openaccel-sriov.service")
    modprobe = open(dest + "/etc/modprobe.d/openaccel-vfio.conf").read().splitlines()
    assert modprobe[-2:] == ["options vfio_pci ids=8086:1889", "softdep iavf pre: vfio-pci"]


def test_preflight_refuses_before_changing_anything(e810, tmp_path, kernel):
    sim = kernel()
    dest = str(tmp_path / "dest")
    book = _playbook(tmp_path, e810, _proc(tmp_path), dest,
                     sriov_devices=[{"address": "a2:00.0", "num_vfs": 200}])
    rc, out = run_playbook(book)
    assert rc != 0
    failed = [pair[1] for pair in task_results(out) if pair[1].get("failed")][0]
    assert [item["msg"] for item in failed["results"] if item.get("failed")] == [
        "sriov_devices: a2:00.0 asks for 200 VFs, above its sriov_totalvfs of 128"]
    assert sim.log == [] and not os.path.exists(dest)


def test_missing_kernel_arguments_are_reported_not_edited(e810, tmp_path, kernel):
    kernel()
    dest = str(tmp_path / "dest")
    os.makedirs(dest + "/etc/default")
    grub = dest + "/etc/default/grub"
    with open(grub, "w") as handle:
        handle.write('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet"\n')
    book = _playbook(tmp_path, e810, _proc(tmp_path, cmdline="root=/dev/sda1 quiet"), dest,
                     sriov_apply=False, sriov_persist=False, vfio_persist=False)
    rc, out = run_playbook(book)
    assert rc == 0
    report = [r["msg"] for name, r in task_results(out) if name.endswith("Report the IOMMU state")][0]
    assert "IOMMU active" in report and "missing: intel_iommu=on iommu=pt" in report
    assert "not changed" in report and 'GRUB_CMDLINE_LINUX="quiet"' in open(grub).read()


def test_iommu_off_fails_unless_asked_to_edit_the_boot_loader(e810, tmp_path, kernel):
    tree.strip_iommu(e810)
    sim = kernel()
    dest = str(tmp_path / "dest")
    os.makedirs(dest + "/etc/default")
    grub = dest + "/etc/default/grub"
    with open(grub, "w") as handle:
        handle.write('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="quiet"\n')
    proc = _proc(tmp_path, cmdline="root=/dev/sda1 quiet", vendor="AuthenticAMD")
    common = dict(sriov_apply=False, sriov_persist=False)
    rc, out = run_playbook(_playbook(tmp_path, e810, proc, dest, **common))
    assert rc != 0
    failed = [pair[1] for pair in task_results(out) if pair[1].get("failed")][0]
    assert failed["msg"].startswith("the IOMMU is not active")
    assert "amd_iommu=on iommu=pt" in failed["msg"] and sim.log == []
    book = _playbook(tmp_path, e810, proc, dest, vfio_kernel_args_manage=True, **common)
    results = []
    for flags in (["--check", "--diff"], [], ["--check", "--diff"], []):
        rc, out = run_playbook(book, *flags)
        assert rc == 0, task_results(out)
        results.append(out["stats"]["localhost"]["changed"])
    assert results[0] > 0 and results[1] > 0 and results[2:] == [0, 0]
    assert 'GRUB_CMDLINE_LINUX="quiet amd_iommu=on iommu=pt"' in open(grub).read()
    assert drivers(e810, VFS[:2]) == ["iavf", "iavf"] and sim.log == []
