# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Input checks of gpu_mig: the mig-parted document, the selected config, the profiles.

Pure (no I/O, no NVML): the runner and the plan (``_mig/plan.py``) call them, and
validate_spec calls the same functions on the spec's ``mig`` settings and the GPU records
(``plugin_utils/_spec/module_checks.py``).  Messages are worded as the module reports them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.config import (
    MigConfigError, parse_document, parse_profile, select_config)

INVALID = "invalid MIG configuration: %s"


def check_config(doc, selected_config):
    """(config name, entries, errors) of a document and the selected config name; on an
    error, name and entries are None and errors holds the module's one message."""
    try:
        name, entries = select_config(parse_document(doc), selected_config)
    except MigConfigError as exc:
        return None, None, [INVALID % exc]
    return name, entries, []


def entry_selects(entry, index, pci_device_id):
    """True when a parsed entry applies to the GPU with this NVML index and PCI device id
    (``device << 16 | vendor``); ``index`` None: any index."""
    if entry["devices"] != "all" and index is not None and index not in entry["devices"]:
        return False
    if entry["device_filter"] is not None:
        return pci_device_id in entry["device_filter"]
    return True


def sort_offered(names):
    """Device profile names in the order messages list them: by GPU instance size."""
    return sorted(names, key=lambda n: (parse_profile(n)["gi_slices"], len(n), n))


def check_profiles(label, offered, devices):
    """(errors, {profile: parse_profile info}) of the {profile: count} a GPU is asked for;
    ``offered`` is the sorted list of the device profile names it offers."""
    errors, parsed = [], {}
    for name in sorted(devices):
        info = parse_profile(name)
        if name not in offered:
            errors.append("%s does not offer MIG profile %s (offered: %s)"
                          % (label, name, ", ".join(offered) or "none"))
            continue
        parsed[name] = info
    return errors, parsed
