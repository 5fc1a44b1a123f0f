"""meta/runtime.yml action_groups: each group holds exactly the modules that take its options
(Ansible passes a group's module_defaults to every module in it, and a module refuses an
option it lacks), and "accelerators" holds every module. The playbook side (module_defaults
reaching real modules and a real Placement) is tests/integration/placement/test_module_defaults.py."""
import importlib
import os

import yaml

from ansible_collections.openaccel.cyborg.tests.unit.plugins.modules.documented_options import documented_options

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if name.endswith(".py") and not name.startswith("_"))
# group -> the options that define it (a module is in the group when it has all of them)
GROUP_OPTIONS = {"openstack": {"cloud", "auth", "auth_type", "region_name"},
                 "kubernetes": {"kubeconfig", "context", "api_key"},
                 "host": {"sysfs_root"}}


def _groups():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        return yaml.safe_load(handle)["action_groups"]


def _options(name):
    module = importlib.import_module("ansible_collections.openaccel.cyborg.plugins.modules." + name)
    return set(documented_options(module)[1])


def test_accelerators_group_is_every_module():
    assert sorted(_groups()["accelerators"]) == MODULES


def test_each_group_is_the_modules_with_its_options():
    groups = _groups()
    assert sorted(groups) == sorted(list(GROUP_OPTIONS) + ["accelerators"])
    for group, options in GROUP_OPTIONS.items():
        having = sorted(name for name in MODULES if options <= _options(name))
        assert having, group
        assert sorted(groups[group]) == having, group


def test_groups_name_modules_without_prefix_or_duplicates():
    for group, members in _groups().items():
        assert all(isinstance(m, str) and "." not in m for m in members), group
        assert len(members) == len(set(members)), group
