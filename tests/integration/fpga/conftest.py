# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fpga_program run by Ansible against fake hardware: a fresh hwsim sysfs tree per test,
the stub vendor tools (tests/fixtures/tools) first on PATH, their call log, bitstreams built
with the real header formats (tests/fixtures/bitstreams)."""

import json
import os
import subprocess
import sys

import pytest

from tests.fixtures import bitstreams as fx
from tests.fixtures.hwsim import build
from tests.integration.ansible_run import (
    json_results_env, localhost_result, module_argv, parse_json_results, run_json)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
STUBS = os.path.join(REPO, "tests", "fixtures", "tools")
MODULE = "openaccel.cyborg.fpga_program"


class Host(object):
    """One fake host: sysfs tree, lock dir, stub log, env for the ansible process."""

    def __init__(self, tmp_path, scenario):
        self.tmp = tmp_path
        self.sysfs = str(tmp_path / "sys")
        build(scenario).write(self.sysfs)
        self.lock_dir = str(tmp_path / "lock")
        self.cache_dir = str(tmp_path / "cache")
        self.log = str(tmp_path / "stub-calls.jsonl")
        self.env = {"OPENACCEL_STUB_SYSFS": self.sysfs, "OPENACCEL_STUB_LOG": self.log}

    # -- files -------------------------------------------------------------------------
    def file(self, name, data):
        return fx.write(self.tmp / name, data)

    def attr(self, address, *parts):
        """Read an attribute below a PCI function (glob-free: exact parts)."""
        with open(os.path.join(self.sysfs, "bus", "pci", "devices", address, *parts)) as f:
            return f.read().strip()

    def find(self, address, name):
        """Path of the first file called ``name`` below a PCI function's directory."""
        top = os.path.join(self.sysfs, "bus", "pci", "devices", address)
        for dirpath, _dirs, files in os.walk(top):
            if name in files:
                return os.path.join(dirpath, name)
        raise AssertionError("%s not below %s" % (name, top))

    def read(self, address, name):
        with open(self.find(address, name)) as handle:
            return handle.read().strip()

    def calls(self, event=None):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as handle:
            entries = [json.loads(line) for line in handle if line.strip()]
        return [e for e in entries if event is None or e["event"] == event]

    # -- runs ---------------------------------------------------------------------------
    def args(self, **kw):
        args = dict(sysfs_root=self.sysfs, lock_dir=self.lock_dir, cache_dir=self.cache_dir)
        args.update(kw)
        return args

    def module(self, args, check=False, diff=False, env=None, wait=True):
        cmd = module_argv(MODULE, self.args(**args))
        cmd += (["--check"] if check else []) + (["--diff"] if diff else [])
        proc = subprocess.Popen(cmd, cwd=REPO, env=ansible_env(self.env, env or {}),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return Run(proc) if not wait else Run(proc).result()

    def playbook(self, path, *flags, env=None):
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                "-e", "ansible_python_interpreter=%s" % sys.executable, path] + list(flags)
        return run_json(argv, ansible_env(self.env, env or {}))


class Run(object):
    def __init__(self, proc):
        self.proc = proc

    def result(self):
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, localhost_result(parse_json_results(out, err))


def ansible_env(*extra):
    env = json_results_env({"ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    # the stubs are "#!/usr/bin/env python" scripts: this interpreter's bin dir comes next
    env["PATH"] = os.pathsep.join([STUBS, BIN, env.get("PATH", "")])
    for key in [k for k in env if k.startswith("OPENACCEL_STUB_")]:
        del env[key]
    for more in extra:
        env.update(more)
    return env


@pytest.fixture
def dfl(tmp_path):
    return Host(tmp_path, "d5005_dfl")


@pytest.fixture
def xrt(tmp_path):
    return Host(tmp_path, "alveo_u200")


@pytest.fixture
def gbs(dfl):
    """A GBS for the D5005's FIM (its interface id) and its AFU id."""
    return dfl.file("nlb0.gbs", fx.gbs_bytes()), fx.NLB0_AFU.replace("-", "")
