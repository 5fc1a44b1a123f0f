"""Fleet test fixtures: simulated hosts, a real Placement, the Kubernetes test API server."""
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.fixtures.hwsim.scenarios import build  # noqa: E402
from tests.fixtures.kernel_sim import KernelSim  # noqa: E402
from tests.k8s_apiserver import K8sTestServer  # noqa: E402
from tests.servers.servers import PlacementServer  # noqa: E402

# inventory host name -> hwsim scenario (different real captures)
FLEET = {"sim-t4": "t4", "sim-qat": "qat_c62x", "sim-a100": "a100_mig"}


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
    placement = PlacementServer(str(base / "placement")).start()
    k8s = K8sTestServer(str(base / "k8s"), "1.35").start()
    for host in FLEET:
        k8s.add_node(host)
    sim = KernelSim(roots["sim-qat"])  # plays the kernel for SR-IOV on the QAT host
    sim.start()
    try:
        yield {"base": base, "roots": roots, "placement": placement, "k8s": k8s}
    finally:
        sim.stop()
        k8s.stop()
        placement.stop()
