"""Unit tests: SR-IOV decisions (validate, plan, predicted VF addresses, progress)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import (
    AddressError, normalize_address)
from ansible_collections.openaccel.cyborg.plugins.module_utils._sriov import state as st
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import Sysfs
from tests.fixtures.hwsim import build


def _pf(num=4, total=128, autoprobe=True, vfs=None, **extra):
    state = {"address": "0000:a2:00.0", "exists": True, "physfn": None, "total_vfs": total,
             "num_vfs": num, "drivers_autoprobe": autoprobe, "offset": 8, "stride": 1,
             "vfs": vfs if vfs is not None else [], "driver": "ice"}
    state.update(extra)
    return state


@pytest.mark.parametrize("current,wanted,autoprobe,steps", [
    (4, 4, None, []),
    (0, 8, None, [("sriov_numvfs", 8)]),
    (4, 8, None, [("sriov_numvfs", 0), ("sriov_numvfs", 8)]),
    (4, 0, None, [("sriov_numvfs", 0)]),
    (4, 4, False, [("sriov_drivers_autoprobe", 0)]),
    (4, 2, False, [("sriov_drivers_autoprobe", 0), ("sriov_numvfs", 0), ("sriov_numvfs", 2)]),
    (4, 4, True, []),
])
def test_plan(current, wanted, autoprobe, steps):
    assert st.plan(_pf(current), wanted, autoprobe) == steps


@pytest.mark.parametrize("state,num,message", [
    ({"exists": False}, 1, "address: no PCI function 0000:a2:00.0"),
    ({"physfn": "0000:a2:00.0"}, 1, "address: 0000:a2:00.0 is a virtual function of"),
    ({"total_vfs": None}, 1, "address: 0000:a2:00.0 is not SR-IOV capable"),
    ({}, -1, "num_vfs: -1 is negative"),
    ({}, 129, "num_vfs: 129 is above sriov_totalvfs of 0000:a2:00.0 (128); ask for at most 128"),
])
def test_validate_refuses(state, num, message):
    with pytest.raises(st.SriovError) as err:
        st.validate(dict(_pf(), **state), num)
    assert str(err.value).startswith(message)


def test_validate_accepts_totalvfs():
    st.validate(_pf(), 128)


def test_normalize_address():
    """pci_sriov and vfio_bind read their addresses with the one grammar (_pci_address)."""
    assert normalize_address("A2:00.0") == "0000:a2:00.0"
    assert normalize_address("10000:a2:00.0") == "10000:a2:00.0"
    with pytest.raises(AddressError, match=r"^devices\[1\]: 'x' is not a PCI address"):
        normalize_address("x", "devices[1]")


def test_predicted_vf_addresses_cross_buses():
    state = _pf(offset=128, stride=4)
    state["address"] = "0000:01:00.0"
    assert st.predicted_vf_addresses(state, 3) == ["0000:01:10.0", "0000:01:10.4", "0000:01:11.0"]
    assert st.predicted_vf_addresses(_pf(), 9)[-1] == "0000:a2:02.0"
    assert st.predicted_vf_addresses(_pf(offset=None), 2) is None


def test_vf_progress():
    vfs = [{"address": "0000:a2:01.0", "driver": "iavf"}, {"address": "0000:a2:01.1", "driver": None}]
    assert st.vf_progress(_pf(2, vfs=vfs), 2) == (True, [])
    ready, problems = st.vf_progress(_pf(2, vfs=vfs), 2, "iavf")
    assert not ready and problems == ["not bound to iavf: 0000:a2:01.1 (unbound)"]
    ready, problems = st.vf_progress(_pf(4, vfs=vfs), 4)
    assert problems == ["2 of 4 VFs present"]


def test_read_pf_matches_the_fixture_tree(tmp_path):
    build("e810_sriov").write(str(tmp_path))
    state = st.read_pf(Sysfs(str(tmp_path)), "0000:a2:00.0")
    assert (state["total_vfs"], state["num_vfs"], state["drivers_autoprobe"]) == (128, 4, True)
    assert [vf["address"] for vf in state["vfs"]] == ["0000:a2:01.%d" % i for i in range(4)]
    assert st.predicted_vf_addresses(state, 4) == [vf["address"] for vf in state["vfs"]]
    assert st.in_use_vfs(state, ["iavf"]) == [vf["address"] for vf in state["vfs"]]
    i350 = st.read_pf(Sysfs(str(tmp_path)), "0000:01:00.0")
    assert st.predicted_vf_addresses(i350, 3) == [vf["address"] for vf in i350["vfs"]]
    missing = {"address": "0000:ff:00.0", "exists": False}
    assert st.read_pf(Sysfs(str(tmp_path)), "0000:ff:00.0") == missing
