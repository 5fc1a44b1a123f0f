# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pci_sriov / vfio_bind / the sriov and vfio roles run by Ansible against a fake sysfs tree,
with tests/fixtures/kernel_sim playing the kernel."""

import os
import sys

import pytest

from tests.fixtures.hwsim import build
from tests.integration.ansible_run import json_results_env, run_json, run_module_json
from tests.fixtures.kernel_sim import KernelSim, tree

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
E810_PF = "0000:a2:00.0"
E810_VFS = ["0000:a2:01.%d" % i for i in range(4)]


def ansible_env(**extra):
    return json_results_env({"ANSIBLE_ROLES_PATH": os.path.join(REPO, "roles")}, extra)


def run_module(module, args, *flags, **env):
    """(rc, result) of `ansible localhost -m openaccel.cyborg.<module>`."""
    return run_module_json("openaccel.cyborg." + module, args, ansible_env(**env), flags)


def run_playbook(path, *flags, **env):
    """(rc, parsed json_results output) of ansible-playbook on localhost."""
    return run_json([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                     "-e", "ansible_python_interpreter=%s" % sys.executable, str(path)]
                    + list(flags), ansible_env(**env))


def task_results(out, host="localhost"):
    return [(t["task"], t["hosts"][host]) for play in out["plays"] for t in play["tasks"]
            if host in t["hosts"]]


@pytest.fixture
def e810(tmp_path):
    """A fresh E810 + I350 sysfs tree (tests change it)."""
    root = tmp_path / "sys"
    build("e810_sriov").write(str(root))
    return str(root)


@pytest.fixture
def proc_root(tmp_path):
    """A fake /proc: no mounts from PCI devices, default route on a virtual interface."""
    root = str(tmp_path / "proc")
    tree.write_proc(root, mounts="tmpfs /run tmpfs rw 0 0\n", route=tree.default_route("veth9"))
    return root


@pytest.fixture
def kernel(e810):
    """kernel(**options) -> a started KernelSim on the e810 tree; stopped after the test."""
    sims = []

    def _start(root=None, **options):
        options.setdefault("bind_delay", 0.02)
        sim = KernelSim(root or e810, **options).start()
        sims.append(sim)
        return sim
    yield _start
    for sim in sims:
        sim.stop()


def numvfs(root, pf=E810_PF):
    return int(tree.read_first_line(os.path.join(tree.device_dir(root, pf), "sriov_numvfs")))


def drivers(root, addresses):
    return [tree.driver_of(root, a) for a in addresses]
