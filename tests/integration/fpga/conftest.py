# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fpga_program run by Ansible against fake hardware: a fresh hwsim sysfs tree per test,
the stub vendor tools (tests/fixtures/tools) first on PATH, their call log, bitstreams built
with the real header formats (tests/fixtures/bitstreams)."""

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from tests.fixtures import bitstreams as fx
from tests.fixtures.hwsim import build
from tests.integration.ansible_run import (
    json_results_env, localhost_result, module_argv, parse_json_results, run_json)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
STUBS = os.path.join(REPO, "tests", "fixtures", "tools")
MODULE = "openaccel.cyborg.fpga_program"
TOOLS = ("fpgaconf", "fpgasupdate", "xbutil", "xbmgmt")

# A wrapper put before the stubs on PATH: it records the sha256 of every existing file named
# on its command line (the bytes the vendor tool actually received), then runs the stub.
TEE = """#!%(python)s
import hashlib, json, os, sys
received = {}
for arg in sys.argv[1:]:
    if os.path.isfile(arg):
        with open(arg, "rb") as handle:
            received[arg] = hashlib.sha256(handle.read()).hexdigest()
with open(%(log)r, "a") as handle:
    handle.write(json.dumps({"tool": %(tool)r, "received": received}) + "\\n")
os.execv(%(stub)r, [%(stub)r] + sys.argv[1:])
"""


class PrivateCopyOf(object):
    """Equal to the path of fpga_program's private copy of ``path`` (same file name, in a
    ``fpga-program-*`` directory of its own): what a tool is given instead of the original."""

    def __init__(self, path):
        self.path = path

    def __eq__(self, other):
        return (other != self.path and os.path.basename(other) == os.path.basename(self.path)
                and os.path.basename(os.path.dirname(other)).startswith("fpga-program-"))

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "PrivateCopyOf(%r)" % self.path


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

    # -- what the tools received, the card lock ----------------------------------------
    def tee_tools(self):
        """env for module(): the tools on PATH record the sha256 of the files they get."""
        tee_dir = str(self.tmp / "tee-bin")
        self.received_log = str(self.tmp / "received.jsonl")
        os.makedirs(tee_dir, exist_ok=True)
        for tool in TOOLS:
            path = os.path.join(tee_dir, tool)
            with open(path, "w") as handle:
                handle.write(TEE % {"python": sys.executable, "log": self.received_log,
                                    "tool": tool, "stub": os.path.join(STUBS, tool)})
            os.chmod(path, 0o755)
        return {"PATH": os.pathsep.join([tee_dir, ansible_env()["PATH"]])}

    def received(self):
        """[sha256, ...] of the files the tools were given, in call order."""
        if not os.path.exists(self.received_log):
            return []
        with open(self.received_log) as handle:
            return [d for line in handle if line.strip()
                    for d in json.loads(line)["received"].values()]

    def lock_file(self, card="0000:3b:00"):
        return os.path.join(self.lock_dir, "openaccel-fpga-%s.lock" % card)

    @contextlib.contextmanager
    def holding_lock(self, card="0000:3b:00"):
        """Hold the card's lock as another run would (released on exit)."""
        os.makedirs(self.lock_dir, exist_ok=True)
        fd = os.open(self.lock_file(card), os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def wait_for_lock_waiter(self, card="0000:3b:00", timeout=60):
        """Return once another process has the card's lock file open (a run waiting for the
        lock: it opens the file only after resolving, checking and deciding)."""
        wanted = self.lock_file(card)
        deadline = time.time() + timeout
        while time.time() < deadline:
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                if int(pid) == os.getpid():
                    continue
                fd_dir = "/proc/%s/fd" % pid
                try:
                    if any(os.readlink(os.path.join(fd_dir, fd)) == wanted
                           for fd in os.listdir(fd_dir)):
                        return int(pid)
                except OSError:
                    continue
            time.sleep(0.05)
        raise AssertionError("no run opened %s within %ss" % (wanted, timeout))

    def swap_while_waiting(self, args, path, new_bytes, env=None, in_place=False,
                           card="0000:3b:00"):
        """Run the module while the test holds the card lock; once the run waits for the lock,
        replace ``path`` with ``new_bytes`` (a rename over it, or an overwrite in place), then
        release the lock. Returns (code, result)."""
        with self.holding_lock(card):
            run = self.module(args, env=env, wait=False)
            self.wait_for_lock_waiter(card)
            if in_place:
                with open(path, "r+b") as handle:
                    handle.write(new_bytes)
                    handle.truncate()
            else:
                fx.write(path + ".new", new_bytes)
                os.rename(path + ".new", path)
        return run.result()

    def unload_afu(self, address):
        """Let the next program run again: the fake DFL port forgets its AFU."""
        with open(self.find(address, "afu_id"), "w") as handle:
            handle.write("00000000-0000-0000-0000-000000000000\n")

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


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


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
