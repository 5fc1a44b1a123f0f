# -*- coding: utf-8 -*-
# Test helper for tests/unit/roles: returns the facts it is given, so that a play can take on
# another platform's facts (Ubuntu, RHEL) and run a role's pure-logic task file against them.
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fake_facts
short_description: Test helper that sets the facts it is given
description: Test helper for the role unit tests; not part of the collection.
options:
  facts:
    description: Facts to set.
    type: dict
    required: true
author: openaccel.cyborg developers
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={'facts': {'type': 'dict', 'required': True}})
    module.exit_json(changed=False, ansible_facts=module.params['facts'])


if __name__ == '__main__':
    main()
