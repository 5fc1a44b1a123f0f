# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the declarative accelerator spec on the controller (see the module's docs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._action_module import validated_args
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import masking
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import match
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import module_checks
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import paths
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import schema
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import stages
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._plain import plain

# The options plugins/modules/validate_spec.py documents.
ARGSPEC = ArgumentSpec(
    dict(
        spec=dict(type="raw", required=True),
        devices=dict(type="list", elements="dict"),
        discover=dict(type="dict"),
        protected_devices=dict(type="list", elements="str", default=[]),
        schema=dict(type="path"),
        fail_on_error=dict(type="bool", default=True),
        paths=dict(type="dict", default={}),
    ),
    mutually_exclusive=[["devices", "discover"]],
)

FACTS_MODULE = "openaccel.cyborg.accelerator_facts"
MAX_LISTED = 20


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args, error = validated_args(ARGSPEC, self._task.args, self._task.action)
        if error:
            return dict(result, failed=True, msg=error)
        if not schema.HAS_JSONSCHEMA:
            return dict(result, failed=True,
                        msg="validate_spec needs the Python library jsonschema on the "
                        "controller (pip install jsonschema)")
        spec = plain(args["spec"])
        try:
            sch = schema.load_schema(args["schema"])
        except (IOError, OSError, ValueError) as exc:
            raise AnsibleError("cannot read the spec schema: %s" % exc)
        # every value this plugin prints (errors, msg, warnings) goes through this one mask
        masker = masking.Masker(spec, schema.secret_names(sch))
        errors = schema.validate_schema(spec, sch, masker.mask)
        if not errors:
            # the later modules' own checks of what the spec alone decides (no host touched)
            errors = module_checks.spec_errors(spec)
        # relative controller paths: under the host's inventory directory (docs page spec,
        # docs/docsite/rst/spec.rst)
        base = paths.base_dir(task_vars)
        resolved, register_paths = {}, {}
        if not errors:
            register_paths, errors = schema.spec_paths(spec, base, sch)
        for name, value in sorted(args["paths"].items()):
            try:
                resolved[name] = paths.resolve(value, base, name)
            except paths.PathError:
                errors.append({"path": name, "value": value, "message": paths.DOTDOT_MESSAGE,
                               "validator": "path"})
        errors = [masker.error(e) for e in errors]
        out = dict(changed=False, valid=not errors, stage="schema", errors=errors,
                   paths=resolved, register_paths=register_paths,
                   check_mode=bool(self._task.check_mode or self._play_context.check_mode))
        devices = args["devices"]
        if not errors and args["discover"] is not None:
            # Only a spec that passed the schema reaches the host.
            facts = self._discover(args["discover"], task_vars)
            if facts.get("failed"):
                facts["msg"] = masker.text(
                    "discovery on the host failed: %s" % facts.get("msg", ""))
                return dict(result, **facts)
            result["ansible_facts"] = facts.get("ansible_facts") or {}
            for key in ("warnings", "deprecations"):
                if facts.get(key):
                    result[key] = masker.mask(facts[key])
            devices = result["ansible_facts"].get("accelerators") or []
        if not errors and devices is not None:
            assignments, selectors, sem = match.resolve(
                spec, plain(devices), args["protected_devices"])
            if not sem:
                sem = module_checks.device_errors(spec, assignments, plain(devices))
            work = match.summary(assignments)
            sem = [masker.error(e) for e in sem]
            out.update(stage="devices", valid=not sem, errors=sem, assignments=assignments,
                       selectors=selectors, work=work,
                       placement_overrides=match.placement_overrides(assignments),
                       **stages.plan(spec, work))
        result.update(out)
        if out["errors"] and args["fail_on_error"]:
            lines = ["%s: %s" % (e["path"], e["message"]) for e in out["errors"][:MAX_LISTED]]
            more = len(out["errors"]) - MAX_LISTED
            if more > 0:
                lines.append("... and %d more" % more)
            result["failed"] = True
            result["msg"] = masker.text("accelerator spec is invalid (%s): %s"
                                        % (out["stage"], "; ".join(lines)))
        return result

    def _discover(self, options, task_vars):
        """Run accelerator_facts on the host, with the task's connection and become."""
        return self._execute_module(module_name=FACTS_MODULE, module_args=dict(options),
                                    task_vars=task_vars)
