"""The converge stage table and the accelerators role: the same stages, steps and variables."""
import glob
import os
import re

import yaml

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import stages
from ansible_collections.openaccel.cyborg.tests.unit.roles.role_files import iter_tasks

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "accelerators")
WORK_READ = re.compile(r"_accelerators_plan\.work\.([a-z_]+)")


def _role_tasks():
    """{file name: [tasks]} of roles/accelerators/tasks."""
    out = {}
    for path in sorted(glob.glob(os.path.join(ROLE, "tasks", "*.yml"))):
        with open(path) as handle:
            out[os.path.basename(path)] = list(iter_tasks(yaml.safe_load(handle)))
    return out


def _registered():
    """{registered variable: (task file, task)} of the role."""
    out = {}
    for name, tasks in _role_tasks().items():
        for task in tasks:
            if "register" in task:
                assert task["register"] not in out, "registered twice: %s" % task["register"]
                out[task["register"]] = (name, task)
    return out


def test_every_step_result_is_registered_by_the_role_and_every_stage_result_is_a_step():
    registered = _registered()
    steps = dict((step.register, step) for step in stages.STEPS if step.register)
    for variable in steps:
        assert variable in registered, "%s: no task registers it" % variable
    others = set(registered) - set(steps)
    assert others == {stages.PLAN_VARIABLE, stages.REPORT_VARIABLE}, others


def test_each_step_is_registered_in_its_stage_file_and_tagged_with_its_stage():
    registered = _registered()
    for stage in stages.STAGES:
        for step in stage.steps:
            if not step.register:
                continue
            name, task = registered[step.register]
            tags = task.get("tags") or []
            # the registration stages share one tag, "register"
            tag = "register" if stage.registration else stage.name
            assert name == "%s.yml" % stage.name and tag in tags, (step, name, tags)


def test_the_work_lists_the_role_loops_over_are_those_validate_spec_returns():
    read = set()
    for name in os.listdir(os.path.join(ROLE, "tasks")):
        with open(os.path.join(ROLE, "tasks", name)) as handle:
            read.update(WORK_READ.findall(handle.read()))
    step_work = set(step.work for step in stages.STEPS if step.work)
    returned = step_work | set(stages.EXTRA_WORK)
    assert read <= returned, read - returned
    # each step with work loops over its list (the MIG step over its distinct layouts)
    assert step_work - read == {"mig"}, step_work - read
    assert "mig_layouts" in read


def test_table_order_and_derived_names():
    assert [s.name for s in stages.STAGES] == [
        "drivers", "configure", "flash", "rediscover", "placement", "kubernetes"]
    assert stages.RESULT_STEPS == ("sriov", "vfio", "native", "mig", "flash", "placement",
                                   "kubernetes")
    assert stages.DEVICE_STEPS == ("sriov", "vfio", "native", "mig", "flash")
    assert stages.REGISTRATION_STAGES == ("placement", "kubernetes")
    assert stages.role_variables()["plan"] == stages.PLAN_VARIABLE
