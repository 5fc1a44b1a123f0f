# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""compute_node defaults to the inventory host name, as Nova names compute nodes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._host_defaults import (
    HostDefaultsAction)


class ActionModule(HostDefaultsAction):
    MODULE = "openaccel.cyborg.placement_provider_tree"
    HOST_OPTIONS = ("compute_node",)
