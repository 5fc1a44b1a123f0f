"""What a converge registers by default: accelerators, not the host's disks and plain NICs."""
from ansible_collections.openaccel.cyborg.plugins.filter.registered_devices import FilterModule

FILTER = FilterModule().filters()["registered_devices"]


def _rec(address, kind, num_vfs=None, physfn=None):
    sriov = None
    if num_vfs is not None or physfn:
        sriov = {"num_vfs": num_vfs, "vfs": [], "physfn": physfn}
    return {"address": address, "type": kind, "is_virtual_function": bool(physfn),
            "sriov": sriov}


HOST = [_rec("0000:18:00.0", "gpu"), _rec("0000:3b:00.0", "fpga"), _rec("0000:3d:00.0", "qat"),
        _rec("0000:6a:01.0", "dsa"), _rec("0000:6b:00.0", "iaa"), _rec("0000:9a:00.0", "ai"),
        _rec("0000:c1:00.0", "nvme"), _rec("0000:c2:00.0", "nvme"),
        _rec("0000:a2:00.0", "nic", num_vfs=2), _rec("0000:a2:01.0", "nic", physfn="0000:a2:00.0"),
        _rec("0000:a3:00.0", "nic", num_vfs=0), _rec("0000:00:1f.3", "other")]


def _addresses(records):
    return [r["address"] for r in records]


def test_unclaimed_accelerators_and_sriov_nics_only():
    got = _addresses(FILTER(HOST))
    assert got == ["0000:18:00.0", "0000:3b:00.0", "0000:3d:00.0", "0000:6a:01.0",
                   "0000:6b:00.0", "0000:9a:00.0", "0000:a2:00.0", "0000:a2:01.0"]
    assert not {"0000:c1:00.0", "0000:c2:00.0", "0000:a3:00.0", "0000:00:1f.3"} & set(got)


def test_a_selector_brings_in_an_nvme_or_a_plain_nic():
    got = _addresses(FILTER(HOST, claimed=["0000:c2:00.0", "0000:a3:00.0"]))
    assert "0000:c2:00.0" in got and "0000:a3:00.0" in got and "0000:c1:00.0" not in got


def test_claimed_only_keeps_the_claimed_and_their_vfs():
    got = _addresses(FILTER(HOST, claimed=["0000:a2:00.0", "0000:c1:00.0"], unclaimed=False))
    assert got == ["0000:c1:00.0", "0000:a2:00.0", "0000:a2:01.0"]     # input order
