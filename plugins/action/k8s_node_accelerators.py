# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node defaults to the inventory host name (the task usually runs delegated to localhost).

The module always runs as a module process (no BODY): manifest mode writes with
``module.atomic_move``, which the in-process stand-in for AnsibleModule does not provide.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._action_module import (
    HostDefaultsAction)


class ActionModule(HostDefaultsAction):
    MODULE = "openaccel.cyborg.k8s_node_accelerators"
    HOST_OPTIONS = ("node",)
