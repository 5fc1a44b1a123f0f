# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The converge stages of the accelerators role: the one table of them.

Each stage has a name (validate_spec's ``stages``, the role's tag and stage file) and its
steps, one per task of the role that does its work: the step's name (the key of its result
in the report and in accelerator_report's ``variables``), the list in validate_spec's
``work`` it loops over, and the variable the role registers its result in.  A stage that
changes the devices (configure, flash) makes the role discover them again before it
registers them; a registration stage runs where the spec's ``register`` names its target.

validate_spec returns what the role reads of this table for a host (``plan``), so the role
works from the result instead of naming the stages, steps and variables again in Jinja;
``tests/unit/plugins/plugin_utils/test_stages.py`` ties the table to the role's tasks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

# The variables the role registers validate_spec's result (the plan) and the reports in.
PLAN_VARIABLE = "_accelerators_plan"
REPORT_VARIABLE = "_accelerators_report"


class Step(namedtuple("Step", "name work register")):
    """One task of a stage: result name, work list (or None), registered variable (or None)."""


class Stage(namedtuple("Stage", "name steps changes_devices registration")):
    """A converge stage: its steps, whether it changes the devices, whether it registers."""


STAGES = (
    # the driver roles run by include_role: nothing registered
    Stage("drivers", (Step("drivers", "drivers", None),), False, False),
    Stage("configure", (Step("sriov", "sriov", "_accelerators_sriov"),
                        Step("vfio", "vfio", "_accelerators_vfio"),
                        # devices given back to their own driver (reported under "vfio")
                        Step("native", "native", "_accelerators_native"),
                        Step("mig", "mig", "_accelerators_mig")), True, False),
    Stage("flash", (Step("flash", "flash", "_accelerators_flash"),), True, False),
    # after a stage that changes the devices: it sets the facts again, registers nothing
    Stage("rediscover", (), False, False),
    Stage("placement", (Step("placement", None, "_accelerators_placement_result"),), False, True),
    Stage("kubernetes", (Step("kubernetes", None, "_accelerators_k8s_result"),), False, True),
)
REDISCOVER = "rediscover"

STEPS = tuple(step for stage in STAGES for step in stage.steps)
# The steps whose results the report reads, in stage order, and those among them that change
# the devices (a plan's registration part is provisional when one of them would change).
RESULT_STEPS = tuple(step.name for step in STEPS if step.register)
DEVICE_STEPS = tuple(step.name for stage in STAGES if stage.changes_devices
                     for step in stage.steps)
REGISTRATION_STAGES = tuple(stage.name for stage in STAGES if stage.registration)
# Work lists validate_spec returns besides the steps' own: the distinct MIG layouts (the mig
# step loops over them; its "mig" list, per device, says whether it has work) and the
# devices registration leaves out.
EXTRA_WORK = ("mig_layouts", "skip_register")
# Older names the work lists are also returned under: "bitstream" (the spec's key) is the
# flash stage's list, for playbooks that read it.
WORK_ALIASES = {"bitstream": "flash"}


def role_variables():
    """{result name: variable the role registers it in}: the plan, then each step's result."""
    out = [("plan", PLAN_VARIABLE)]
    out.extend((step.name, step.register) for step in STEPS if step.register)
    return dict(out)


def _registers(spec, target):
    register = spec.get("register") or {}
    return target in register and (register[target] or {}).get("enabled", True) is not False


def converge_stages(spec, work):
    """The converge stages with something to do for this host, in the order they run: each
    stage with work in one of its steps' lists, rediscover after a stage that changes the
    devices, each registration target the spec names and does not disable."""
    names, devices_change = [], False
    for stage in STAGES:
        if stage.registration:
            todo = _registers(spec, stage.name)
        elif stage.name == REDISCOVER:
            todo = devices_change
        else:
            todo = any(work.get(step.work) for step in stage.steps)
            devices_change = devices_change or (todo and stage.changes_devices)
        if todo:
            names.append(stage.name)
    return names


def plan(spec, work):
    """What validate_spec returns for the role besides the work lists: ``stages``,
    ``converge`` (a stage before registration has work, so the role runs its converge, not
    registration alone) and ``device_results`` (the variables the results of the stages that
    change the devices are registered in: the role discovers again when one changed)."""
    stages = converge_stages(spec, work)
    return {
        "stages": stages,
        "converge": any(name not in REGISTRATION_STAGES for name in stages),
        "device_results": [step.register for stage in STAGES if stage.changes_devices
                           for step in stage.steps],
    }
