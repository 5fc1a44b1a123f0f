"""Steps that take minutes run as async jobs polled by the play, so no SSH or connection
timeout can cut them: every task of the roles that programs an FPGA (fpga_program) has
``async`` and ``poll``, both from role variables. (Package installs of the driver roles: not
yet, see changelogs.)"""
import glob
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
LONG = ("openaccel.cyborg.fpga_program",)


def _tasks(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def _long_tasks():
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        with open(path) as handle:
            for task in _tasks(yaml.safe_load(handle)):
                if any(name in task for name in LONG):
                    yield os.path.relpath(path, ROOT), task


def test_long_steps_are_async_jobs_polled_by_the_play():
    found = list(_long_tasks())
    assert found, "no long-running task found: is LONG still right?"
    for path, task in found:
        assert "{{" in str(task.get("async")) and "{{" in str(task.get("poll")), (path, task.get("name"))
