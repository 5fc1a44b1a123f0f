# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Placement-specific connection options; use together with openaccel.cyborg.openstack_auth.
    DOCUMENTATION = r'''
options:
  endpoint:
    description:
      - Placement URL to use as is, without Keystone (for example a C(noauth2) test
        deployment, C(http://127.0.0.1:8778)). Excludes O(cloud) and O(auth).
    type: str
    aliases: [placement_endpoint]
  token:
    description:
      - Token sent as C(X-Auth-Token) together with O(endpoint). A C(noauth2) Placement
        wants V(admin).
    type: str
requirements:
  - python >= 3.9
  - keystoneauth1
  - openstacksdk (for O(cloud) and O(auth); not needed with O(endpoint))
'''
