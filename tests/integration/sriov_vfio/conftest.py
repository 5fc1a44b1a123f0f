# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pci_sriov / vfio_bind / the sriov and vfio roles run by Ansible against a fake sysfs tree,
with tests/fixtures/kernel_sim playing the kernel."""

import json
import os
import subprocess
import sys

import pytest

from tests.fixtures.hwsim import build
from tests.fixtures.kernel_sim import KernelSim, tree

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
E810_PF = "0000:a2:00.0"
E810_VFS = ["0000:a2:01.%d" % i for i in range(4)]


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=REPO, ANSIBLE_STDOUT_CALLBACK="json_results",
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(REPO, "tests", "integration", "callback_plugins"),
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"))
    env.update(extra)
    return env


def run_module(module, args, *flags, **env):
    """(rc, result) of `ansible localhost -m openaccel.cyborg.<module>`."""
    proc = subprocess.run([os.path.join(BIN, "ansible"), "localhost", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable,
                           "-m", "openaccel.cyborg." + module, "-a", json.dumps(args)]
                          + list(flags), cwd=REPO, env=ansible_env(**env), check=False,
                          capture_output=True, text=True)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("no JSON from ansible: %s\n%s" % (proc.stdout, proc.stderr))
    return proc.returncode, out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def run_playbook(path, *flags, **env):
    """(rc, parsed json_results output) of ansible-playbook on localhost."""
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(path)]
                          + list(flags), cwd=REPO, env=ansible_env(**env), check=False,
                          capture_output=True, text=True)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("no JSON from ansible-playbook: %s\n%s" % (proc.stdout, proc.stderr))


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
