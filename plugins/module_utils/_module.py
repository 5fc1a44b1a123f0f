# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The module-body contract every runner follows.

A body is run(module): it reads module.params, module.check_mode and
module._diff, may call module.warn (and module.run_command where a runner says
so), and then either **returns the result dict** or **raises ModuleFailure** with the
message and whatever it had already done (changed, actions, diff...), so a
half-applied change is always reported.  A body never calls exit_json/fail_json:
execute does, in one place, for a module process; the action plugins' in-process path
(plugin_utils/_action_module.py) turns the same two outcomes into a task result.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleFailure(Exception):
    """The task fails with ``msg``; ``partial_result`` is what it reports besides (what was
    changed before the failure, a traceback as ``exception``, ...)."""

    def __init__(self, msg, **partial_result):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.result = partial_result


def execute(module, body):
    """Run ``body(module)`` in a module process: exit_json with the dict it returns, or
    fail_json with a ModuleFailure's message and partial result."""
    try:
        result = body(module)
    except ModuleFailure as failure:
        module.fail_json(msg=failure.msg, **failure.result)
    module.exit_json(**result)
