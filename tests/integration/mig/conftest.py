# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpu_mig through Ansible with the MIG fake NVML (tests/fixtures/nvml_shim on PYTHONPATH), its state in a JSON
file that persists between runs, and the stub nvidia-smi (GPU reset) on PATH."""

import json
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
FIXTURES = os.path.join(REPO, "tests", "fixtures", "nvml_mig")
NVML_SHIM = os.path.join(REPO, "tests", "fixtures", "nvml_shim")
PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mig.yml")

sys.path.insert(0, REPO)
from tests.fixtures.nvml_mig import mig_state  # noqa: E402
from tests.integration.ansible_run import json_results_env, run_json, run_module_json  # noqa: E402


class MigHost(object):
    """One fake host: a capture and a state file."""

    def __init__(self, tmp_path, capture):
        self.capture = capture
        self.state_file = str(tmp_path / ("mig-state-%s.json" % capture))
        self.tmp_path = tmp_path

    def env(self):
        return json_results_env({
            "PYTHONPATH": REPO + os.pathsep + NVML_SHIM,
            "OPENACCEL_FAKE_NVML_CAPTURE": self.capture,
            "OPENACCEL_FAKE_MIG_STATE": self.state_file,
            "PATH": os.path.join(FIXTURES, "bin") + os.pathsep + os.environ["PATH"]})

    @property
    def state(self):
        return mig_state.load(self.state_file)

    def edit(self, func):
        """Change the fake hardware between runs (processes, faults, activation)."""
        if not os.path.exists(self.state_file):
            self.module({"config": {"version": "v1", "mig-configs": {"noop": [
                {"devices": [0], "device-filter": "0x00000001", "mig-enabled": False}]}}})
        state = self.state
        func(state)
        mig_state.save(self.state_file, state)

    def writes(self):
        return len(self.state.get("log", []))

    def module(self, args, *flags):
        return run_module_json("openaccel.cyborg.gpu_mig", args, self.env(), flags)

    def playbook(self, config, selected, *flags, **extra):
        variables = dict(mig_config=config, mig_selected=selected, mig_allow_reset=False)
        variables.update(extra)
        vars_file = self.tmp_path / "mig-vars.json"
        vars_file.write_text(json.dumps(variables))
        return run_json([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                         "-e", "ansible_python_interpreter=%s" % sys.executable,
                         "-e", "@%s" % vars_file, PLAYBOOK] + list(flags), self.env())


@pytest.fixture
def host(tmp_path):
    return lambda capture: MigHost(tmp_path, capture)


def doc(devices=None, enabled=True, name="c", index="all", device_filter=None):
    entry = {"devices": index, "mig-enabled": enabled}
    if devices is not None:
        entry["mig-devices"] = devices
    if device_filter:
        entry["device-filter"] = device_filter
    return {"version": "v1", "mig-configs": {name: [entry]}}
