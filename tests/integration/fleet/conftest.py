"""Fleet test fixtures: simulated hosts, a real Placement, the Kubernetes test API server,
the stub FPGA vendor tools and the MIG fake NVML (as tests/integration/fpga and mig use them)."""
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.fixtures import bitstreams as fx  # noqa: E402
from tests.fixtures.hwsim.scenarios import build  # noqa: E402
from tests.fixtures.kernel_sim import KernelSim  # noqa: E402
from tests.k8s_apiserver import K8sTestServer  # noqa: E402
from tests.servers.servers import PlacementServer  # noqa: E402

# inventory host name -> hwsim scenario (different real captures)
FLEET = {"sim-t4": "t4", "sim-qat": "qat_c62x", "sim-a100": "a100_mig", "sim-fpga": "d5005_dfl"}
# the one host whose GPU is served by the MIG fake NVML (its nvidia-smi capture of the same GPU)
MIG_HOST, MIG_CAPTURE = "sim-a100", "a100_mig"
# the one host with an FPGA: the stub vendor tools program its sysfs tree
FPGA_HOST, FPGA_PF = "sim-fpga", "0000:3b:00.0"

BIN = os.path.dirname(sys.executable)
STUBS = os.path.join(ROOT, "tests", "fixtures", "tools")
NVML_SHIM = os.path.join(ROOT, "tests", "fixtures", "nvml_shim")


def tool_env(base, roots):
    """Environment of the ansible-playbook runs (local connection: the modules inherit it).

    fpga_program: the stub tools first on PATH (they are "#!/usr/bin/env python" scripts:
    this interpreter's bin dir next), OPENACCEL_STUB_SYSFS = the FPGA host's tree, their log.
    gpu_mig / accelerator_facts (nvml on the MIG host only): the fake pynvml shim on
    PYTHONPATH, its capture and the JSON state file that persists between runs."""
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith(("OPENACCEL_STUB_", "OPENACCEL_FAKE_")))
    env.update(
        PATH=os.pathsep.join([STUBS, BIN, env.get("PATH", "")]),
        OPENACCEL_STUB_SYSFS=roots[FPGA_HOST], OPENACCEL_STUB_LOG=str(base / "stub-calls.jsonl"),
        PYTHONPATH=os.pathsep.join([ROOT, NVML_SHIM]),
        OPENACCEL_FAKE_NVML_CAPTURE=MIG_CAPTURE,
        OPENACCEL_FAKE_MIG_STATE=str(base / "mig-state.json"))
    return env


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    base = tmp_path_factory.mktemp("fleet")
    link = os.path.join(ROOT, "ansible_collections", "openaccel", "cyborg")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("../..", link)
    roots = {}
    for host, scenario in FLEET.items():
        roots[host] = str(base / "hosts" / host)
        build(scenario).write(roots[host])
    # the spec's image (an AFU the D5005 fixture does not run) and another one for the drift
    (base / "bitstreams").mkdir()
    images = {}
    for name, afu in (("nlb0", fx.NLB0_AFU), ("he_lb", fx.HE_LB_AFU)):
        data = fx.gbs_bytes(afu_id=afu, name=name)
        images[name] = {"src": fx.write(base / "bitstreams" / (name + ".gbs"), data),
                        "checksum": fx.sha256(data), "afu_id": afu.replace("-", "")}
    placement = PlacementServer(str(base / "placement")).start()
    k8s = K8sTestServer(str(base / "k8s"), "1.35").start()
    for host in FLEET:
        k8s.add_node(host)
    sim = KernelSim(roots["sim-qat"])  # plays the kernel for SR-IOV on the QAT host
    sim.start()
    try:
        yield {"base": base, "roots": roots, "placement": placement, "k8s": k8s,
               "images": images, "env": tool_env(base, roots)}
    finally:
        sim.stop()
        k8s.stop()
        placement.stop()
