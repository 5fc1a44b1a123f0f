"""The per-host topology matrix, from real discovery of simulated hosts built from captures."""
import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.report import build_report
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.topology import link, topology
from tests.fixtures.hwsim.scenarios import build


@pytest.fixture(scope="module")
def h100(tmp_path_factory):
    root = tmp_path_factory.mktemp("h100")
    build("h100_8gpu").write(str(root))
    return discover(str(root))[0]


def _by_address(topo):
    return dict((d["address"], d["name"]) for d in topo["devices"])


def test_links_follow_switch_root_complex_and_numa(h100):
    topo = topology(h100)
    names = _by_address(topo)
    m = topo["matrix"]
    gpu, nic_same_switch = names["0000:53:00.0"], names["0000:54:00.0"]
    assert m[gpu][gpu] == "X"
    assert m[gpu][nic_same_switch] == m[nic_same_switch][gpu] == "PIX"
    assert m[gpu][names["0000:64:00.0"]] == "NODE"         # another root complex, same node
    assert m[gpu][names["0000:86:00.0"]] == "SYS"          # the other socket
    assert m[names["0000:01:00.0"]][names["0000:01:00.1"]] == "PHB"   # one root, no switch
    assert set(v for row in m.values() for v in row.values()) <= set(topo["legend"])


def test_one_row_per_physical_function_named_by_type(h100):
    topo = topology(h100)
    vfs = [r["address"] for r in h100 if r.get("is_virtual_function")]
    assert not set(vfs) & set(_by_address(topo))
    gpus = [d["name"] for d in topo["devices"] if d["type"] == "gpu"]
    assert gpus == ["GPU%d" % i for i in range(8)]


def test_unknown_placement_is_not_guessed():
    a = {"address": "0000:01:00.0", "numa_node": None}
    b = {"address": "0000:02:00.0", "numa_node": 0}
    assert link(a, b) == "?"
    assert link(dict(a, numa_node=-1), dict(b, numa_node=-1)) == "?"
    assert link(dict(a, numa_node=0), b) == "NODE" and link(dict(a, numa_node=1), b) == "SYS"


def test_the_host_report_carries_it(h100):
    report = build_report("h", {}, h100, {}, check_mode=False)
    assert report["topology"] == topology(h100)
