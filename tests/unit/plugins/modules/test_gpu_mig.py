# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpu_mig module: documentation matches the argument spec; facts agree with what it made."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml import enrich as _nvml
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.apply import Applier
from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import MigSession
from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import plan_gpu
from ansible_collections.openaccel.cyborg.plugins.modules import gpu_mig
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml import capture_bus_ids
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml_mig import make_fake_mig_pynvml


def test_documentation_is_yaml_and_matches_the_options():
    doc = yaml.safe_load(gpu_mig.DOCUMENTATION)
    assert doc["module"] == "gpu_mig"
    assert doc["extends_documentation_fragment"] == ["openaccel.cyborg.attributes"]
    assert set(doc["attributes"]) == {"check_mode", "diff_mode", "idempotent"}
    assert set(doc["options"]) == {"config", "config_file", "selected_config", "allow_reset"}
    assert doc["options"]["allow_reset"]["default"] is False
    for key in ("description", "notes", "requirements"):
        assert all(isinstance(line, str) for line in doc[key]), key     # no stray "x: y"
    assert yaml.safe_load(gpu_mig.EXAMPLES)
    returned = yaml.safe_load(gpu_mig.RETURN)
    assert {"actions", "gpus", "pending_reset", "reboot_required"} <= set(returned)


def test_accelerator_facts_see_the_instances_gpu_mig_made():
    fake = make_fake_mig_pynvml("h100_8gpu")
    fake.nvmlInit()
    session = MigSession(fake)
    gpu = session.read_gpu(0)
    desired = {"mig_enabled": True, "devices": {"3g.40gb": 1, "2g.20gb": 1, "1c.2g.20gb": 1},
               "where": "t"}
    Applier(session, None, False).apply_gpu(gpu, plan_gpu(gpu, desired))
    fake.nvmlShutdown()
    records = [{"address": a, "vendor_id": "10de", "type": "gpu"}
               for a in capture_bus_ids("h100_8gpu")]
    _nvml.enrich_nvidia(records, "required", import_module=lambda name: fake)
    mig = records[0]["gpu"]["mig"]
    assert mig["mode_current"] is True
    assert sorted(i["profile"] for i in mig["instances"]) == ["1c.2g.20gb", "2g.20gb", "3g.40gb"]
    assert records[1]["gpu"]["mig"]["instances"] == []
