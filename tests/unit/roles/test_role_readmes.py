# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role ships what Galaxy's importer and a reader need.

For each role under roles/ (the private vendor_repo too):
a README.md with a YAML example that parses and names the role by its FQCN, that mentions every
option (suboptions included) of every entry point of meta/argument_specs.yml, and a
meta/main.yml with galaxy_info.description.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.openaccel.cyborg.tests.unit.roles.role_files import ROLES_DIR, argument_spec_options

FQCN_PREFIX = 'openaccel.cyborg.'
YAML_BLOCK = re.compile(r'^```yaml[ \t]*\n(.*?)^```[ \t]*$', re.MULTILINE | re.DOTALL)


def _roles():
    roles = []
    for name in sorted(os.listdir(ROLES_DIR)):
        path = os.path.join(ROLES_DIR, name)
        if os.path.isdir(path):
            roles.append(name)
    return roles


ROLES = _roles()


def _load(role, *parts):
    with open(os.path.join(ROLES_DIR, role, *parts), encoding='utf-8') as f:
        return f.read()


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def test_roles_found():
    assert {'accelerators', 'sriov', 'vfio'} <= set(ROLES)


@pytest.mark.parametrize('role', ROLES)
def test_readme_example_parses_and_names_the_role(role):
    assert os.path.isfile(os.path.join(ROLES_DIR, role, 'README.md')), '%s has no README.md' % role
    blocks = YAML_BLOCK.findall(_load(role, 'README.md'))
    assert blocks, 'roles/%s/README.md has no ```yaml example block' % role
    fqcn = FQCN_PREFIX + role
    named = False
    for block in blocks:
        data = yaml.safe_load(block)
        named = named or fqcn in _strings(data)
    assert named, 'no ```yaml block of roles/%s/README.md names %s' % (role, fqcn)


@pytest.mark.parametrize('role', ROLES)
def test_readme_mentions_every_option(role):
    readme = _load(role, 'README.md')
    options = argument_spec_options(role)
    missing = sorted(name for name in options if not re.search(r'`%s`' % re.escape(name), readme))
    assert not missing, 'roles/%s/README.md does not mention %s' % (role, ', '.join(missing))


@pytest.mark.parametrize('role', ROLES)
def test_meta_main_has_a_description(role):
    assert os.path.isfile(os.path.join(ROLES_DIR, role, 'meta', 'main.yml')), '%s has no meta/main.yml' % role
    meta = yaml.safe_load(_load(role, 'meta', 'main.yml'))
    description = (meta.get('galaxy_info') or {}).get('description')
    assert isinstance(description, str) and description.strip(), 'roles/%s/meta/main.yml has no galaxy_info.description' % role
