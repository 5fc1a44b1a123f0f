# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the role tests read from roles/: the task files' tasks and the argument specs' options."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLES_DIR = os.path.join(ROOT, "roles")


def iter_tasks(items):
    """Every task of a task list, those in blocks (and rescue/always) included."""
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from iter_tasks(task.get(key))


def role_tasks(role):
    """(path relative to the repository, task) of every task in roles/ROLE/tasks/*.yml."""
    for path in sorted(glob.glob(os.path.join(ROLES_DIR, role, "tasks", "*.yml"))):
        with open(path) as handle:
            for task in iter_tasks(yaml.safe_load(handle)):
                yield os.path.relpath(path, ROOT), task


def _option_names(options):
    for name, spec in (options or {}).items():
        yield name
        yield from _option_names((spec or {}).get("options"))


def argument_spec_options(role):
    """Every option name (suboptions included) of every entry point of the role's argument spec;
    empty when it has none."""
    path = os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")
    if not os.path.isfile(path):
        return set()
    with open(path) as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    return set(name for entry in specs.values() for name in _option_names(entry.get("options")))
