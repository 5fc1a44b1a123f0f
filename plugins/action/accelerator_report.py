# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the accelerators role's per-host reports on the controller (see the module's docs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._action_module import validated_args
from ansible_collections.openaccel.cyborg.plugins.module_utils._files import atomic_write
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._plain import plain
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import paths
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.report import build_report
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec.stages import (
    RESULT_STEPS, role_variables)

# The variables the openaccel.cyborg.accelerators role registers, by O(variables) key.
ROLE_VARIABLES = role_variables()

# The options plugins/modules/accelerator_report.py documents.
ARGSPEC = ArgumentSpec(dict(
    hosts=dict(type="list", elements="str"),
    variables=dict(type="dict", default={}),
    dest=dict(type="path", default=""),
    show=dict(type="bool", default=False),
))


def write_report(directory, report):
    """Write <directory>/<host>.json (pretty, sorted keys, mode 0644) atomically, creating
    the directory when missing; return its path."""
    path = os.path.join(directory, "%s.json" % report["host"])
    return atomic_write(path, json.dumps(report, indent=4, sort_keys=True) + "\n", mode=0o644)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args, error = validated_args(ARGSPEC, self._task.args, self._task.action)
        if error:
            return dict(result, failed=True, msg=error)
        unknown = sorted(set(args["variables"]) - set(ROLE_VARIABLES))
        if unknown:
            return dict(result, failed=True,
                        msg="variables: unknown key(s) %s; the keys are %s"
                        % (", ".join(unknown), ", ".join(ROLE_VARIABLES)))
        names = dict(ROLE_VARIABLES, **args["variables"])
        hosts = self._hosts(args["hosts"], task_vars)
        bad = [h for h in hosts if not h or os.sep in h or h in (".", "..")]
        if bad:
            return dict(result, failed=True,
                        msg="hosts: %r cannot name a report file <dest>/<host>.json" % bad[0])
        try:
            dest = paths.resolve(args["dest"], paths.base_dir(task_vars), "dest")
        except paths.PathError as exc:
            return dict(result, failed=True, msg=str(exc))
        reports, written = {}, {}
        for host in hosts:
            host_vars = task_vars["hostvars"][host]
            results = dict((stage, host_vars.get(names[stage])) for stage in RESULT_STEPS)
            devices = (host_vars.get("ansible_facts") or {}).get("accelerators")
            # plain types for the report only: the stage results (a Placement result carries
            # every device record in its invocation) are read, never copied whole
            reports[host] = plain(build_report(host, host_vars.get(names["plan"]), devices,
                                               results, self._task.check_mode))
            if dest:
                try:
                    written[host] = write_report(dest, reports[host])
                except (IOError, OSError) as exc:
                    return dict(result, failed=True, reports=reports,
                                msg="dest: cannot write the report of %s to %s: %s"
                                % (host, dest, exc))
        result.update(changed=False, reports=reports, paths=written, dest=dest)
        if args["show"]:
            result["_ansible_verbose_always"] = True
        return result

    def _hosts(self, hosts, task_vars):
        """The hosts to report on: the task's host unless O(hosts) lists the batch and the task
        runs once for it (run_once under the linear strategy); a strategy that runs each host
        on its own (free, host_pinned) runs run_once tasks for every host, when other hosts
        may not have finished their stages yet."""
        if not hosts or not self._task.run_once:
            return [task_vars["inventory_hostname"]]
        strategy = self._templar.template(self._task.get_play().strategy or C.DEFAULT_STRATEGY)
        if not (strategy.endswith("linear") or strategy.endswith("debug")):
            return [task_vars["inventory_hostname"]]
        return hosts
