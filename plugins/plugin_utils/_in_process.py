# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's body inside the controller's task worker instead of a module process.

A task delegated to the controller (``delegate_to: localhost``, the local connection, the
controller's own Python, no become) would start a new Python process per host that imports
keystoneauth1/requests again each time.  The action plugin can run the same ``run(module)``
body directly: ``InProcessModule`` is the part of AnsibleModule those bodies use, with the
same argument validation (types, defaults, choices, aliases, mutually exclusive options) and
the same output rules (``invocation``, ``warnings``, every ``no_log`` value masked).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values


class ModuleExit(Exception):
    """exit_json/fail_json were called: ``result`` is what the module would have printed."""

    def __init__(self, result):
        super(ModuleExit, self).__init__(result.get("msg", ""))
        self.result = result


class InProcessModule:
    """Validated ``params``, ``check_mode``, ``_diff``, ``warn``, ``exit_json``, ``fail_json``."""

    def __init__(self, argument_spec, args, check_mode=False, diff=False, **constraints):
        self.check_mode = bool(check_mode)
        self._diff = bool(diff)
        self.warnings = []
        validation = ArgumentSpecValidator(argument_spec, **constraints).validate(args)
        self.no_log_values = validation._no_log_values
        self.params = validation.validated_parameters
        for alias in validation._warnings:
            self.warn("Both option %(option)s and its alias %(alias)s are set." % alias)
        if validation.error_messages:
            self.fail_json(msg="; ".join(validation.error_messages))

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


def run_in_process(body, argument_spec, args, check_mode, diff, environment=None, **constraints):
    """Result dict of ``body(module)`` (which returns the result or calls fail_json)."""
    module = None
    try:
        with _environment(environment):
            module = InProcessModule(argument_spec, args, check_mode, diff, **constraints)
            module.exit_json(**body(module))
    except ModuleExit as done:
        return done.result
    except Exception as exc:  # what a module process would report as MODULE FAILURE
        result = dict(failed=True, exception=traceback.format_exc(),
                      msg="%s: %s (ran in the controller's task worker)" % (type(exc).__name__, exc))
        return remove_values(result, module.no_log_values) if module else result
    raise AssertionError("exit_json raises ModuleExit")  # pragma: no cover
