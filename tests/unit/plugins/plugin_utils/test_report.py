"""The per-host report built from the stage results the accelerators role registers."""
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.report import (
    build_report, device_counts)

PLAN = {"selectors": {"gpus": ["0000:3b:00.0"]}, "check_mode": False}


def _loop(changed_items, unchanged_items=()):
    results = [{"changed": True, "ansible_loop_var": "_accelerators_item", "_accelerators_item": i}
               for i in changed_items]
    results += [{"changed": False, "ansible_loop_var": "_accelerators_item",
                 "_accelerators_item": i} for i in unchanged_items]
    return {"changed": bool(changed_items), "results": results}


def test_converged_host_has_no_drift():
    report = build_report("h1", PLAN, [{"type": "gpu"}, {"type": "nvme"}, {"type": "gpu"}],
                          {"placement": {"changed": False, "providers": {"unchanged": ["x"]}}},
                          check_mode=False)
    assert report["mode"] == "apply" and report["drift"] == []
    assert report["devices"] == {"gpu": 2, "nvme": 1}
    assert report["selectors"] == {"gpus": ["0000:3b:00.0"]}
    assert report["stages"]["placement"] == {"changed": False, "provisional": False, "create": [],
                                             "update": [], "drain": [], "delete": []}


def test_changed_stages_name_their_targets_in_stage_order():
    results = {
        "sriov": _loop([{"address": "0000:3d:00.0"}], [{"address": "0000:3e:00.0"}]),
        "native": _loop([{"address": "0000:5e:00.0"}]),
        "mig": _loop([{"selected_config": "all-1g.10gb"}, {"config": {"x": 1}}]),
        "kubernetes": {"changed": True, "actions": ["patch node"], "changed_files": ["a.yaml"]},
        "placement": {"changed": True, "providers": {"update": ["h1_0000:3d:00.0"]}},
    }
    report = build_report("h1", PLAN, [], results, check_mode=False)
    assert report["drift"] == ["sriov", "vfio", "mig", "placement", "kubernetes"]
    assert report["stages"]["sriov"]["targets"] == ["0000:3d:00.0"]
    assert report["stages"]["vfio"]["targets"] == ["0000:5e:00.0"]
    assert report["stages"]["mig"]["targets"] == ["all-1g.10gb", "inline"]
    assert report["stages"]["placement"]["update"] == ["h1_0000:3d:00.0"]
    assert report["stages"]["kubernetes"]["files"] == ["a.yaml"]
    assert report["stages"]["placement"]["provisional"] is False   # not a plan


def test_plan_is_provisional_only_when_a_device_stage_would_change():
    flash = _loop([{"address": "0000:af:00.0"}])
    plan = build_report("h1", PLAN, [], {"flash": flash, "placement": {"changed": True}},
                        check_mode=True)
    assert plan["mode"] == "plan" and plan["stages"]["placement"]["provisional"] is True
    assert plan["stages"]["kubernetes"]["provisional"] is True
    plain = build_report("h1", PLAN, [], {"placement": {"changed": True}}, check_mode=True)
    assert plain["stages"]["placement"]["provisional"] is False
    # the plan's own check_mode (validate_spec ran in check mode) also makes it a plan
    assert build_report("h1", dict(PLAN, check_mode=True), [], {}, False)["mode"] == "plan"


def test_skipped_or_missing_stages_count_as_unchanged():
    skipped = {"changed": False, "skipped": True, "results": []}
    report = build_report("h1", {}, None, {"sriov": skipped, "flash": None}, check_mode=False)
    assert report["drift"] == [] and report["selectors"] == {} and report["devices"] == {}


def test_device_counts_sorted_by_type():
    assert list(device_counts([{"type": "qat"}, {"type": "gpu"}, {"type": "qat"}])) == ["gpu", "qat"]
