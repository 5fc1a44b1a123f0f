# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Keystone/openstacksdk connection options shared by every module that talks to an
    # OpenStack service (Placement, Glance). Names, aliases and meaning follow the
    # openstack.cloud collection's "openstack" fragment, so playbooks can share variables.
    DOCUMENTATION = r'''
options:
  cloud:
    description:
      - Named cloud from C(clouds.yaml), or a dict with a whole cloud definition
        (same as O(auth) and friends, inline).
      - Like openstack.cloud, when neither O(cloud), O(auth) nor a fixed endpoint is given,
        the C(OS_CLOUD) and C(OS_*) environment variables are used (openstacksdk's loader).
    type: raw
  auth:
    description:
      - Dictionary of authentication parameters for the O(auth_type) plugin, such as
        C(auth_url), C(username), C(password), C(project_name), C(user_domain_name),
        C(project_domain_name). Merged over the named O(cloud).
    type: dict
  auth_type:
    description:
      - Keystoneauth plugin name, for example C(password), C(v3applicationcredential),
        C(token), C(admin_token). Defaults to C(password).
    type: str
  region_name:
    description: Region in the service catalog to take the service endpoint from.
    type: str
  interface:
    description: Endpoint interface (URL type) to take from the service catalog.
    type: str
    default: public
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  validate_certs:
    description:
      - Whether TLS certificates are verified. When not set, the cloud config decides
        (C(verify) in C(clouds.yaml)), which defaults to V(true).
    type: bool
    aliases: [verify]
  ca_cert:
    description: CA bundle to verify the Keystone and service certificates with (and HTTPS downloads, where a module makes them).
    type: str
    aliases: [cacert]
  client_cert:
    description: Client certificate (PEM) for mutual TLS.
    type: str
    aliases: [cert]
  client_key:
    description: Private key of O(client_cert), if it is in a separate file.
    type: str
    aliases: [key]
  api_timeout:
    description: Seconds to wait for one HTTP call (API call or download) before it fails.
    type: int
'''
