"""A module's documented options, its own and those of the collection's doc fragments it
extends, checked against its argument spec (what ansible-doc shows must be what it takes)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib

import yaml


def documented_options(module):
    """(parsed DOCUMENTATION, {option: doc}) with openaccel.cyborg.* fragments merged in."""
    doc = yaml.safe_load(module.DOCUMENTATION)
    opts = dict(doc.get("options") or {})
    for name in doc.get("extends_documentation_fragment") or []:
        if name.startswith("openaccel.cyborg."):
            fragment = importlib.import_module(
                "ansible_collections.openaccel.cyborg.plugins.doc_fragments." + name.split(".")[2])
            opts.update(yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION).get("options") or {})
    return doc, opts


def assert_spec_matches_docs(spec, opts):
    """Every option documented, with its type, default, aliases and choices."""
    assert set(spec) == set(opts), (sorted(set(spec) - set(opts)), sorted(set(opts) - set(spec)))
    for name, s in spec.items():
        assert opts[name]["type"] == s["type"], name
        assert opts[name].get("default") == s.get("default"), name
        assert sorted(opts[name].get("aliases", [])) == sorted(s.get("aliases", [])), name
        assert opts[name].get("choices") == s.get("choices"), name
