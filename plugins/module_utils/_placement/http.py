# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Small Placement HTTP client: microversion, bounded retries with jitter, call accounting.

It sends plain requests through a keystoneauth1 Adapter (built by ``_openstack/auth.py``),
so token handling, TLS options and endpoint discovery are keystoneauth's job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.openaccel.cyborg.plugins.module_utils._retry import backoff_delay

# The features we rely on: in_tree (1.14), POST returning the provider (1.20),
# reserved == total allowed (1.26).  Placement 16.0 tops out at 1.39.
MICROVERSION = "1.26"
RETRY_STATUS = (500, 502, 503, 504)
BACKOFF_CAP = 5.0  # seconds
CONCURRENT_UPDATE = "placement.concurrent_update"


class PlacementError(Exception):
    """A Placement call failed; carries what the user needs to understand why."""

    def __init__(self, msg, status=None, code=None, method=None, path=None, detail=None):
        super(PlacementError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.code = code
        self.method = method
        self.path = path
        self.detail = detail

    def __str__(self):
        return self.msg

    def to_dict(self):
        return dict(msg=self.msg, status=self.status, code=self.code,
                    method=self.method, path=self.path, detail=self.detail)


def _error_fields(resp):
    """(code, detail, max_version) from a Placement error body, tolerant of odd bodies."""
    try:
        body = resp.json()
        err = (body.get("errors") or [{}])[0]
        return err.get("code"), (err.get("detail") or "").strip(), err.get("max_version")
    except Exception:  # noqa: BLE001 - the body of a proxy error page is not JSON
        return None, (resp.text or "")[:500].strip(), None


class PlacementClient:
    """Counts every HTTP call: GET/HEAD are reads, everything else a write."""

    def __init__(self, adapter, retries=4, retry_delay=0.5, timeout=None,
                 microversion=MICROVERSION, sleep=time.sleep):
        self.adapter = adapter
        self.retries = retries
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.microversion = microversion
        self.reads = 0
        self.writes = 0
        self.retried = 0
        self._sleep = sleep
        self._connect_failure = _connect_failure_types()

    # -- plumbing -----------------------------------------------------------------
    def api_calls(self):
        return {"reads": self.reads, "writes": self.writes, "retries": self.retried}

    def backoff(self, attempt):
        """Seconds before retry ``attempt`` + 1: exponential with jitter, capped at 5 s."""
        return backoff_delay(attempt, self.retry_delay, BACKOFF_CAP)

    def wait(self, attempt):
        """Count a retry and sleep before it (5xx, connection failures, 409 conflicts)."""
        self.retried += 1
        self._sleep(self.backoff(attempt))

    def request(self, method, path, body=None, ok=(200,), allow=()):
        """Send one call; retry 5xx and connection failures a bounded number of times.

        Returns ``(status, json_or_None)`` for statuses in ``ok`` or ``allow``; raises
        PlacementError for everything else.
        """
        headers = {"OpenStack-API-Version": "placement %s" % self.microversion,
                   "Accept": "application/json"}
        kwargs = {"headers": headers, "raise_exc": False}
        if body is not None:
            headers["Content-Type"] = "application/json"
            kwargs["data"] = json.dumps(body)
        if self.timeout:
            kwargs["timeout"] = self.timeout
        last = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.wait(attempt - 1)
            if method in ("GET", "HEAD"):
                self.reads += 1
            else:
                self.writes += 1
            try:
                resp = self.adapter.request(path, method, **kwargs)
            except self._connect_failure as exc:
                last = PlacementError(
                    "cannot reach Placement for %s %s: %s" % (method, path, exc),
                    method=method, path=path, detail=str(exc))
                continue
            if resp.status_code in RETRY_STATUS:
                code, detail, _mv = _error_fields(resp)
                last = PlacementError(
                    "Placement answered %s to %s %s: %s" % (resp.status_code, method, path, detail),
                    status=resp.status_code, code=code, method=method, path=path, detail=detail)
                continue
            return self._finish(resp, method, path, ok, allow)
        last.msg += " (gave up after %d attempts)" % (self.retries + 1)
        raise last

    def _finish(self, resp, method, path, ok, allow):
        status = resp.status_code
        if status in ok or status in allow:
            if status == 204 or not resp.content:
                return status, None
            try:
                return status, resp.json()
            except ValueError:
                return status, None
        code, detail, max_version = _error_fields(resp)
        if status == 406 and max_version:
            raise PlacementError(
                "Placement supports microversions up to %s; this module needs %s "
                "(OpenStack Rocky or newer)" % (max_version, self.microversion),
                status=status, code=code, method=method, path=path, detail=detail)
        if status == 401:
            msg = "Placement refused the credentials (401) for %s %s" % (method, path)
        elif status == 403:
            msg = "not allowed (403) to %s %s: the user needs the admin role" % (method, path)
        else:
            msg = "%s %s failed with %s%s: %s" % (
                method, path, status, " (%s)" % code if code else "", detail)
        raise PlacementError(msg, status=status, code=code, method=method, path=path, detail=detail)

    # -- convenience ----------------------------------------------------------------
    def get(self, path, allow=()):
        return self.request("GET", path, allow=allow)[1]

    def put(self, path, body=None, ok=(200, 201, 204), allow=()):
        return self.request("PUT", path, body=body, ok=ok, allow=allow)

    def post(self, path, body, ok=(200, 201), allow=()):
        return self.request("POST", path, body=body, ok=ok, allow=allow)

    def delete(self, path, ok=(204,), allow=()):
        return self.request("DELETE", path, ok=ok, allow=allow)


def _connect_failure_types():
    try:
        from keystoneauth1 import exceptions as ks_exc
        return (ks_exc.ConnectionError,)  # ConnectFailure, ConnectTimeout, SSLError...
    except ImportError:  # unit tests with a fake adapter
        return (ConnectionError,)
