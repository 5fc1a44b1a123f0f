"""Unit tests: the module's documentation matches its argument spec."""
import yaml

from ansible_collections.openaccel.cyborg.plugins.doc_fragments import placement as fragment
from ansible_collections.openaccel.cyborg.plugins.modules import placement_provider_tree as mod


def _doc_options():
    doc = yaml.safe_load(mod.DOCUMENTATION)
    opts = dict(doc["options"])
    opts.update(yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"])
    return doc, opts


def test_every_option_is_documented_with_matching_type_and_default():
    doc, opts = _doc_options()
    spec = mod.argument_spec()
    assert set(spec) == set(opts)
    for name, s in spec.items():
        assert opts[name]["type"] == s["type"], name
        assert opts[name].get("default") == s.get("default"), name
        assert sorted(opts[name].get("aliases", [])) == sorted(s.get("aliases", [])), name
        assert opts[name].get("choices") == s.get("choices"), name


def test_secrets_are_no_log():
    spec = mod.argument_spec()
    for name in ("auth", "token", "client_key"):
        assert spec[name].get("no_log") is True


def test_attributes_declared():
    doc, _opts = _doc_options()
    assert set(doc["attributes"]) >= {"check_mode", "diff_mode", "idempotent"}
    assert yaml.safe_load(mod.EXAMPLES) and yaml.safe_load(mod.RETURN)
