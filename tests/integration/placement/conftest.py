"""Fixtures: a real Placement (noauth2, sqlite) per test session, and Keystone for one test."""
import json
import os
import sys
import uuid

import pytest

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if _ROOT not in sys.path:  # pytest.ini's pythonpath does this too
    sys.path.insert(0, _ROOT)

from tests.integration.placement.placement_helpers import DEVICES_FILE, Api  # noqa: E402
from tests.servers.servers import KeystoneServer, PlacementServer  # noqa: E402


@pytest.fixture(scope="session")
def placement(tmp_path_factory):
    server = PlacementServer(str(tmp_path_factory.mktemp("placement"))).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keystone_placement(tmp_path_factory):
    """Keystone + a Placement that validates Keystone tokens (the slow path, ~20 s)."""
    base = tmp_path_factory.mktemp("keystone")
    ks = KeystoneServer(str(base / "keystone")).start()
    pl = PlacementServer(str(base / "placement"), keystone=ks).start()
    yield ks, pl
    pl.stop()
    ks.stop()


@pytest.fixture
def devices():
    with open(DEVICES_FILE) as f:
        return json.load(f)


@pytest.fixture
def node(request):
    """A compute node name unique to the test, so tests share one server safely."""
    return "cn-%s-%s" % (request.node.name.replace("_", "-")[:40], uuid.uuid4().hex[:6])


@pytest.fixture
def api(placement):
    return Api(placement.url)
