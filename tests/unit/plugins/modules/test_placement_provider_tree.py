"""Unit tests: the module's documentation matches its argument spec."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import yaml

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement import runner as body
from ansible_collections.openaccel.cyborg.plugins.modules import placement_provider_tree as mod
from ansible_collections.openaccel.cyborg.tests.unit.plugins.modules.documented_options import (
    assert_spec_matches_docs, documented_options)


def _doc_options():
    return documented_options(mod)


def test_every_option_is_documented_with_matching_type_and_default():
    doc, opts = _doc_options()
    assert_spec_matches_docs(body.ARGSPEC.argument_spec, opts)


def test_secrets_are_no_log():
    spec = body.ARGSPEC.argument_spec
    for name in ("auth", "token", "client_key"):
        assert spec[name].get("no_log") is True


def test_attributes_declared():
    doc, _opts = _doc_options()
    assert set(doc["attributes"]) >= {"check_mode", "diff_mode", "idempotent"}
    assert yaml.safe_load(mod.EXAMPLES) and yaml.safe_load(mod.RETURN)
