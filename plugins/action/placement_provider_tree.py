# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""compute_node defaults to the inventory host name, as Nova names compute nodes.

On the controller itself the reconciliation runs in the task worker (no module process per
host); this module's imports (keystoneauth1, requests, os-traits) then load once, in the
process that forks the workers.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement import runner as placement
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._action_module import (
    HostDefaultsAction)

try:  # loaded here, in the controller's main process, so forked workers do not import them again
    import os_resource_classes  # noqa: F401  pylint: disable=unused-import
    import os_traits  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass  # the module body reports a missing library


class ActionModule(HostDefaultsAction):
    MODULE = "openaccel.cyborg.placement_provider_tree"
    HOST_OPTIONS = ("compute_node",)
    BODY = staticmethod(placement.run)
    ARGSPEC = placement.ARGSPEC
