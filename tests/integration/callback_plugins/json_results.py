# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only stdout callback: print the whole run as one JSON document.

ansible-core no longer ships a JSON callback (it moved to ansible.posix, which is not
installed here); this one prints the same shape: plays -> tasks -> hosts, and stats.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: json_results
type: stdout
short_description: Print the run as JSON (tests only)
description:
  - Prints one JSON document with C(plays) (each with C(tasks), each with C(hosts) results) and C(stats).
"""

import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "json_results"

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._plays = []

    def v2_playbook_on_play_start(self, play):
        self._plays.append({"play": play.get_name(), "tasks": []})

    def _task(self, task):
        tasks = self._plays[-1]["tasks"] if self._plays else None
        if tasks is None:
            self._plays.append({"play": "", "tasks": []})
            tasks = self._plays[-1]["tasks"]
        if not tasks or tasks[-1]["uuid"] != task._uuid:
            tasks.append({"task": task.get_name(), "uuid": task._uuid, "hosts": {}})
        return tasks[-1]

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task(task)

    def _record(self, result, **extra):
        entry = dict(result._result)
        entry.update(extra)
        self._task(result._task)["hosts"][result._host.get_name()] = entry

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        self._display.display(json.dumps({"plays": self._plays, "stats": summary},
                                         default=str))
