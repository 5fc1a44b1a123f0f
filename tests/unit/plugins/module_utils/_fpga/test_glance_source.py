"""Unit tests: fpga_program's Glance source, through the shared OpenStack backend
(_openstack/glance.py builds its own adapter for service type image from _openstack/auth.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.source import (
    SourceError, resolve)
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack import auth
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack.glance import (
    GlanceClient, GlanceError)


class FakeResponse(object):
    def __init__(self, status_code, text=""):
        self.status_code, self.text = status_code, text


class FakeAdapter(object):
    def __init__(self, status_code, text=""):
        self.response = FakeResponse(status_code, text)
        self.paths = []

    def get(self, path, **_kwargs):
        self.paths.append(path)
        return self.response


def _cloud_params(**extra):
    params = dict(cloud=dict(auth_type="none", auth=dict(endpoint="http://127.0.0.1:8/"),
                             image_endpoint_override="http://127.0.0.1:9/"),
                  interface="internal", region_name="RegionTwo")
    params.update(extra)
    return params


def test_glance_gets_an_image_adapter_from_the_cloud_config():
    pytest.importorskip("keystoneauth1")
    pytest.importorskip("openstack")
    adapter = GlanceClient(_cloud_params(token="unused-without-image_endpoint")).adapter
    assert adapter.service_type == "image"
    assert adapter.endpoint_override == "http://127.0.0.1:9/"
    assert (adapter.interface, adapter.region_name, adapter.connect_retries) == (
        "internal", "RegionTwo", 0)


def test_build_adapter_stays_placement_by_default():
    pytest.importorskip("keystoneauth1")
    pytest.importorskip("openstack")
    assert auth.build_adapter(_cloud_params()).service_type == "placement"
    fixed = auth.build_adapter(dict(endpoint="http://127.0.0.1:8778/", token="t"))
    assert (fixed.service_type, fixed.endpoint_override) == ("placement", "http://127.0.0.1:8778")
    assert auth.build_session(dict(endpoint="http://127.0.0.1:8778/")) is not None


def test_image_endpoint_needs_no_adapter():
    client = GlanceClient(dict(image_endpoint="http://127.0.0.1:9292/", token="t"))
    assert client.adapter is None and client.endpoint == "http://127.0.0.1:9292"


def test_glance_errors_become_source_errors_with_their_message(tmp_path):
    adapter = FakeAdapter(404, "no such image")
    client = GlanceClient(dict(), adapter=adapter)
    with pytest.raises(GlanceError, match=r"^glance: GET /v2/images/x: HTTP 404 no such image$"):
        client.find(dict(image_id="x"))
    params = dict(glance=dict(image_id="x"))
    with pytest.raises(SourceError, match=r"^glance: GET /v2/images/x: HTTP 404 no such image$"):
        resolve(params, str(tmp_path), client)
    assert adapter.paths == ["/v2/images/x", "/v2/images/x"]
