# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin base: fill module options from the inventory host, then run the module.

A module cannot see ``inventory_hostname``; registration modules name their host
after it by default (the compute node in Placement, the node in Kubernetes), so their
action plugins fill those options in on the controller when the task leaves them out.

A subclass that sets IN_PROCESS runs the module's body in the task worker when the task
runs on the controller itself (see ``runs_in_process``), instead of starting a module
process for each host; otherwise the module runs as usual.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._in_process import run_in_process

# Host/group variable: false sends these tasks through a module process even on the controller.
IN_PROCESS_VAR = "openaccel_cyborg_in_process"


class HostDefaultsAction(ActionBase):
    """Subclasses set MODULE (FQCN) and HOST_OPTIONS (options defaulting to inventory_hostname),
    and may set IN_PROCESS = dict(body=run, argument_spec=..., and the validator's constraints
    such as mutually_exclusive): the module's own body and options."""

    MODULE = None
    HOST_OPTIONS = ()
    IN_PROCESS = None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(HostDefaultsAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        for option in self.HOST_OPTIONS:
            if args.get(option) in (None, ""):
                args[option] = task_vars.get("inventory_hostname")
        if self.runs_in_process(task_vars):
            environment = {}
            self._compute_environment_string(environment)
            result.update(run_in_process(args=args, check_mode=self._task.check_mode,
                                         diff=self._task.diff, environment=environment,
                                         **self.IN_PROCESS))
        else:
            result.update(self._execute_module(module_name=self.MODULE, module_args=args,
                                               task_vars=task_vars))
        return result

    def runs_in_process(self, task_vars):
        """True when a module process would be this controller's own Python, as this user,
        with nothing between: the local connection, no become, not async, the target's
        ansible_python_interpreter the very interpreter running ansible (as for the implicit
        localhost), and the variable openaccel_cyborg_in_process not false."""
        if not self.IN_PROCESS or self._connection.transport != "local":
            return False
        if self._play_context.become or self._task.async_val:
            return False
        target_vars = task_vars
        if self._task.delegate_to:
            target_vars = task_vars.get("ansible_delegated_vars", {}).get(self._task.delegate_to, {})
        if not boolean(self._templar.template(target_vars.get(IN_PROCESS_VAR, True)), strict=False):
            return False
        interpreter = self._templar.template(target_vars.get("ansible_python_interpreter") or "")
        return bool(interpreter) and os.path.abspath(interpreter) == os.path.abspath(sys.executable)
