# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin base: fill module options from the inventory host, then run the module.

A module cannot see ``inventory_hostname``; registration modules name their host
after it by default (the compute node in Placement, the node in Kubernetes), so their
action plugins fill those options in on the controller when the task leaves them out.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action import ActionBase


class HostDefaultsAction(ActionBase):
    """Subclasses set MODULE (FQCN) and HOST_OPTIONS (options defaulting to inventory_hostname)."""

    MODULE = None
    HOST_OPTIONS = ()

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(HostDefaultsAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        for option in self.HOST_OPTIONS:
            if args.get(option) in (None, ""):
                args[option] = task_vars.get("inventory_hostname")
        result.update(self._execute_module(module_name=self.MODULE, module_args=args,
                                           task_vars=task_vars))
        return result
