# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: record each task's wall time (start to result) into TASK_TIMER_OUTPUT."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: task_timer
type: aggregate
short_description: Write per-task wall times to a JSON file (benchmarks only)
description: Writes [[task name, seconds], ...] to the file named by TASK_TIMER_OUTPUT.
requirements: [enable in configuration]
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._start = None
        self._name = None
        self._timings = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._name, self._start = task.get_name(), time.perf_counter()

    def v2_runner_on_ok(self, result):
        self._timings.append([self._name, time.perf_counter() - self._start])

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["TASK_TIMER_OUTPUT"], "w") as handle:
            json.dump(self._timings, handle)
