# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake hosts for the discovery tests: each scenario's sysfs tree built once per session."""

import json
import os

import pytest

from tests.fixtures.hwsim import SCENARIOS, build

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCHEMA_PATH = os.path.join(REPO, "schemas", "device.schema.json")


@pytest.fixture(scope="session")
def tree(tmp_path_factory):
    """tree(scenario) -> path of its sysfs root (built on first use)."""
    cache = {}

    def _tree(name):
        if name not in cache:
            root = tmp_path_factory.mktemp(name)
            build(name).write(str(root))
            cache[name] = str(root)
        return cache[name]
    return _tree


@pytest.fixture(scope="session")
def device_schema():
    with open(SCHEMA_PATH) as handle:
        return json.load(handle)


ALL_SCENARIOS = sorted(SCENARIOS)
