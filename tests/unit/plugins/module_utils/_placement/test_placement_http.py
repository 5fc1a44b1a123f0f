"""Unit tests: the HTTP client's retries, accounting and error messages (fake adapter)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.http import (
    PlacementClient, PlacementError,
)


class Resp:
    def __init__(self, status, body=None):
        self.status_code = status
        self._body = body
        self.content = json.dumps(body).encode() if body is not None else b""
        self.text = self.content.decode()

    def json(self):
        return self._body


class FakeAdapter:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, path, method, **kw):
        self.calls.append((method, path, kw))
        a = self.answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a


def _client(answers, **kw):
    return PlacementClient(FakeAdapter(answers), sleep=lambda s: None, **kw)


def test_counts_reads_and_writes_and_sends_microversion():
    c = _client([Resp(200, {"x": 1}), Resp(204)])
    assert c.get("/a") == {"x": 1}
    assert c.put("/b", {"y": 2}) == (204, None)
    assert c.api_calls() == {"reads": 1, "writes": 1, "retries": 0}
    headers = c.adapter.calls[0][2]["headers"]
    assert headers["OpenStack-API-Version"] == "placement 1.26"


def test_5xx_retried_then_success():
    c = _client([Resp(503), Resp(502), Resp(200, {})], retries=3)
    assert c.get("/a") == {}
    assert c.api_calls()["retries"] == 2


def test_5xx_bounded():
    c = _client([Resp(500, {"errors": [{"detail": "boom"}]})] * 3, retries=2)
    with pytest.raises(PlacementError, match="answered 500.*boom.*gave up after 3 attempts"):
        c.get("/a")


def test_connection_failure_bounded():
    from keystoneauth1 import exceptions as ks_exc
    c = _client([ks_exc.ConnectFailure("refused")] * 2, retries=1)
    with pytest.raises(PlacementError, match="cannot reach Placement.*gave up after 2"):
        c.get("/a")


def test_old_server_microversion_message():
    body = {"errors": [{"status": 406, "detail": "Unacceptable version header: 1.26",
                        "max_version": "1.10", "min_version": "1.0"}]}
    c = _client([Resp(406, body)])
    with pytest.raises(PlacementError, match="up to 1.10; this module needs 1.26"):
        c.get("/resource_providers")


def test_409_other_than_ok_is_raised_with_code():
    body = {"errors": [{"status": 409, "code": "placement.inventory.inuse", "detail": "in use"}]}
    c = _client([Resp(409, body)])
    with pytest.raises(PlacementError) as err:
        c.put("/x", {})
    assert err.value.code == "placement.inventory.inuse" and "in use" in str(err.value)
    c = _client([Resp(409, body)])
    assert c.put("/x", {}, allow=(409,))[0] == 409


def test_backoff_has_jitter_and_cap():
    c = _client([])
    values = set(round(c.backoff(2), 6) for _i in range(20))
    assert len(values) > 1 and all(v <= 5.0 for v in values)
    assert c.backoff(30) <= 5.0
