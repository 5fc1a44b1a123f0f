# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Action plugin base: fill module options from the inventory host, then run the module,
as a module process or, on the controller itself, in the task worker.

A module cannot see ``inventory_hostname``; registration modules name their host after it
by default (the compute node in Placement, the node in Kubernetes), so their action plugins
fill those options in on the controller when the task leaves them out.

A subclass that sets BODY (the module's ``run(module)``, see ``module_utils/_module.py``)
and ARGSPEC (its ArgumentSpec) runs that body in the task worker when the task runs on the
controller itself (see ``runs_in_process``) instead of starting a module process for each
host: a task delegated to localhost would otherwise start a Python process per host that
imports keystoneauth1/requests again each time.  ``InProcessModule`` is the part of
AnsibleModule those bodies use, with the same argument validation (types, defaults,
choices, aliases, the ArgumentSpec's constraints) and the same output rules
(``invocation``, ``warnings``, every ``no_log`` value masked).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys
import traceback

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import error_text
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure

# Host/group variable: false sends these tasks through a module process even on the controller.
IN_PROCESS_VAR = "openaccel_cyborg_in_process"


class ModuleExit(Exception):
    """exit_json/fail_json were called: ``result`` is what the module would have printed."""

    def __init__(self, result):
        super(ModuleExit, self).__init__(result.get("msg", ""))
        self.result = result


class InProcessModule:
    """Validated ``params``, ``check_mode``, ``_diff``, ``warn``, ``exit_json``, ``fail_json``."""

    def __init__(self, argspec, args, check_mode=False, diff=False, name="module"):
        self.check_mode = bool(check_mode)
        self._diff = bool(diff)
        self.warnings = []
        validation = argspec.validate(args)
        self.no_log_values = validation._no_log_values
        self.params = validation.validated_parameters
        for alias in validation._warnings:
            self.warn("Both option %(option)s and its alias %(alias)s are set." % alias)
        error = error_text(validation, name)
        if error:
            self.fail_json(msg=error)

    def warn(self, msg):
        self.warnings.append(msg)

    def exit_json(self, **result):
        raise ModuleExit(self._finish(result, failed=False))

    def fail_json(self, msg, **result):
        raise ModuleExit(self._finish(dict(result, msg=msg), failed=True))

    def _finish(self, result, failed):
        result.setdefault("invocation", {"module_args": self.params})
        if self.warnings:
            result["warnings"] = list(self.warnings)
        if failed:
            result["failed"] = True
        return remove_values(result, self.no_log_values)


class _environment:
    """The task's ``environment:`` applied to os.environ while the body runs."""

    def __init__(self, values):
        self.values = dict((str(k), str(v)) for k, v in (values or {}).items())
        self.saved = {}

    def __enter__(self):
        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value
        return self

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        return False


def validated_args(argspec, args, name):
    """(parameters, None) for task arguments ``argspec`` accepts, else (None, the message):
    for action plugins (task action ``name``) that take their own options."""
    validation = argspec.validate(args)
    error = error_text(validation, name)
    if error:
        return None, error
    return validation.validated_parameters, None


def run_in_process(body, argspec, args, check_mode, diff, environment=None, name="module"):
    """Result dict of ``body(module)``, which returns the result or raises ModuleFailure."""
    module = None
    try:
        with _environment(environment):
            module = InProcessModule(argspec, args, check_mode, diff, name)
            try:
                result = body(module)
            except ModuleFailure as failure:
                module.fail_json(msg=failure.msg, **failure.result)
            module.exit_json(**result)
    except ModuleExit as done:
        return done.result
    except Exception as exc:  # what a module process would report as MODULE FAILURE
        result = dict(failed=True, exception=traceback.format_exc(),
                      msg="%s: %s (ran in the controller's task worker)" % (type(exc).__name__, exc))
        return remove_values(result, module.no_log_values) if module else result
    raise AssertionError("exit_json raises ModuleExit")  # pragma: no cover


class HostDefaultsAction(ActionBase):
    """Subclasses set MODULE (FQCN) and HOST_OPTIONS (options defaulting to inventory_hostname),
    and may set BODY (``staticmethod(run)``) and ARGSPEC: the module's own body and options."""

    MODULE = None
    HOST_OPTIONS = ()
    BODY = None
    ARGSPEC = None

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
            result.update(run_in_process(self.BODY, self.ARGSPEC, args,
                                         check_mode=self._task.check_mode,
                                         diff=self._task.diff, environment=environment,
                                         name=self._task.action))
        else:
            result.update(self._execute_module(module_name=self.MODULE, module_args=args,
                                               task_vars=task_vars))
        return result

    def runs_in_process(self, task_vars):
        """True when a module process would be this controller's own Python, as this user,
        with nothing between: the local connection, no become, not async, the target's
        ansible_python_interpreter the very interpreter running ansible (as for the implicit
        localhost), and the variable openaccel_cyborg_in_process not false."""
        if not self.BODY or self._connection.transport != "local":
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
