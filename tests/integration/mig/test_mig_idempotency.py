# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Four runs (check, apply, check, apply) through ansible-playbook on A100-80GB and H100."""

import pytest

from tests.integration.mig.conftest import doc

A100_80GB = "0x20B210DE"
H100 = "0x233010DE"

CASES = {
    "a100_8gpu": ({"version": "v1", "mig-configs": {"balanced": [
        {"devices": [0, 1], "device-filter": [A100_80GB], "mig-enabled": True,
         "mig-devices": {"1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1}},
        {"devices": [2], "mig-enabled": True, "mig-devices": {"1c.7g.80gb": 1}},
        {"devices": [3], "mig-enabled": False}]}}, "balanced",
        ["1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb"]),
    "h100_8gpu": ({"version": "v1", "mig-configs": {"all-1g.10gb": [
        {"devices": "all", "device-filter": H100, "mig-enabled": True,
         "mig-devices": {"1g.10gb": 7}}]}}, "all-1g.10gb", ["1g.10gb"] * 7),
}


def devices(gpu):
    return sorted(i["device"] for i in gpu["instances"])


@pytest.mark.parametrize("capture", sorted(CASES))
def test_check_apply_check_apply(host, capture):
    config, selected, gpu0 = CASES[capture]
    h = host(capture)
    results = []
    for number, flags in enumerate((["--check", "--diff"], ["--diff"], ["--check", "--diff"],
                                    [])):
        code, out = h.playbook(config, selected, *flags)
        assert code == 0, out
        results.append((out["stats"]["localhost"], out["plays"][0]["tasks"][0]["hosts"]
                        ["localhost"]))
        if number == 0:
            assert h.writes() == 0                   # check mode wrote nothing
        if number == 1:
            writes = h.writes()
    first, apply1, second, apply2 = results
    assert first[0]["changed"] == 1 and first[1]["actions"]
    assert apply1[0]["changed"] == 1
    assert second[0]["changed"] == 0 and second[1]["actions"] == []
    assert apply2[0]["changed"] == 0 and apply2[1]["actions"] == []
    assert h.writes() == writes                      # nothing written after the apply
    gpus = apply2[1]["gpus"]
    assert devices(gpus[0]) == gpu0 and gpus[0]["mig_enabled"] is True
    assert gpus[0]["status"] == "unchanged"
    # the check run's prediction is what the apply produced
    predicted = first[1]["diff"]["after"] if "diff" in first[1] else None
    assert predicted is None or predicted == apply1[1]["diff"]["after"]
    if capture == "a100_8gpu":
        assert devices(gpus[2]) == ["1c.7g.80gb"]
        assert gpus[3]["mig_enabled"] is False and gpus[4]["status"] == "not_selected"


def test_check_mode_writes_nothing(host):
    h = host("a100_8gpu")
    code, result = h.module({"config": doc({"7g.80gb": 1}), "selected_config": "c"}, "--check")
    assert code == 0 and result["changed"] is True
    assert h.state["log"] == []
    assert all(g["mig_current"] is False for g in h.state["gpus"])
    assert result["gpus"][0]["status"] == "would_change"


def test_existing_layout_is_kept_and_diff_shows_it(host):
    h = host("a100_mig")          # captured: MIG on, four 1g.20gb
    code, result = h.module({"config": doc({"1g.20gb": 2, "2g.20gb": 1}), "name": "c"},
                            "--diff")
    assert code == 0 and result["changed"] is True
    assert [g["gpu_instance_id"] for g in result["gpus"][0]["instances"]][:2] == [3, 4]
    assert result["diff"]["before"]["GPU 0 0000:01:00.0"]["devices"] == [
        "1g.20gb @0:2", "1g.20gb @2:2", "1g.20gb @4:2", "1g.20gb @6:2"]
    assert result["diff"]["after"]["GPU 0 0000:01:00.0"]["devices"] == [
        "1g.20gb @0:2", "1g.20gb @2:2", "2g.20gb @4:2"]


def test_disable_again(host):
    h = host("a100_mig")
    code, result = h.module({"config": doc(enabled=False)})
    assert code == 0 and result["changed"] is True
    assert result["gpus"][0]["mig_enabled"] is False and result["gpus"][0]["instances"] == []
    code, result = h.module({"config": doc(enabled=False)})
    assert code == 0 and result["changed"] is False
