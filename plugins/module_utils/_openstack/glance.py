# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The few OpenStack Image (Glance) API v2 calls fpga_program needs: find an image by id or
by Cyborg's ``accel:function_id`` / ``accel:bitstream_id`` properties, download its file.

Glance is reached through the OpenStack auth options (auth.py: clouds.yaml, auth, OS_* ...,
an Adapter for service type ``image``), or a fixed ``image_endpoint`` + ``token`` without
Keystone (GLANCE_ARGSPEC declares both ways).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import open_url

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack import auth

CHUNK = 1 << 20
CYBORG_PROPERTIES = (("function_id", "accel:function_id"), ("bitstream_id", "accel:bitstream_id"))

# The OpenStack auth options without Placement's fixed endpoint: Glance's own is
# image_endpoint (+ token, sent as X-Auth-Token), which excludes the Keystone options.
_AUTH_OPTIONS = [(name, dict(opt)) for name, opt in auth.AUTH_ARGUMENT_SPEC.items() if name not in ("endpoint", "token")]
_GLANCE_OPTIONS = [("image_endpoint", dict(type="str")), ("token", dict(type="str", no_log=True))]
GLANCE_ARGSPEC = ArgumentSpec(
    dict(_GLANCE_OPTIONS + _AUTH_OPTIONS),
    mutually_exclusive=[["image_endpoint", "cloud"], ["image_endpoint", "auth"]])


class GlanceError(Exception):
    """A Glance call failed; the message starts with ``glance:`` and names the fix."""


def url_kwargs(params):
    """open_url keyword arguments from the TLS and timeout options of the auth option set."""
    return dict(validate_certs=params.get("validate_certs") is not False,
                ca_path=params.get("ca_cert"), timeout=params.get("api_timeout") or 60,
                client_cert=params.get("client_cert"), client_key=params.get("client_key"))


def save_response(response, dest):
    """Stream an HTTP response body (keystoneauth/requests or open_url) to the file ``dest``."""
    with open(dest, "wb") as out:
        for chunk in _chunks(response):
            out.write(chunk)


def _chunks(response):
    if hasattr(response, "iter_content"):
        yield from response.iter_content(CHUNK)
        return
    while True:
        chunk = response.read(CHUNK)
        if not chunk:
            break
        yield chunk


class GlanceClient(object):
    """Image API v2 through a keystoneauth Adapter, or open_url against ``image_endpoint``."""

    def __init__(self, params, adapter=None):
        self.params = params
        self.endpoint = (params.get("image_endpoint") or "").rstrip("/")
        self.adapter = adapter
        if not self.endpoint and adapter is None:
            self.adapter = self._cloud_adapter(params)

    @staticmethod
    def _cloud_adapter(params):
        if not auth.HAS_KEYSTONEAUTH:
            raise GlanceError("glance: keystoneauth1 is required for Glance with cloud/auth "
                              "options (pip install keystoneauth1 openstacksdk), or set "
                              "image_endpoint and token")
        try:
            return auth.build_adapter(params, service_type="image")
        except ValueError as exc:
            raise GlanceError("glance: %s" % exc)

    def _open(self, path):
        if self.adapter is not None:
            resp = self.adapter.get(path, stream=True, raise_exc=False)
            if resp.status_code >= 400:
                raise GlanceError("glance: GET %s: HTTP %s %s" % (path, resp.status_code,
                                                                  resp.text[:200]))
            return resp
        headers = {"Accept": "application/json"}
        if self.params.get("token"):
            headers["X-Auth-Token"] = self.params["token"]
        try:
            return open_url(self.endpoint + path, headers=headers, **url_kwargs(self.params))
        except Exception as exc:  # HTTPError, URLError, ssl errors: all user-facing here
            raise GlanceError("glance: GET %s%s: %s" % (self.endpoint, path, exc))

    def get_json(self, path):
        resp = self._open(path)
        body = resp.content if hasattr(resp, "content") else resp.read()
        try:
            return json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        except ValueError:
            raise GlanceError("glance: GET %s did not return JSON" % path)

    def download(self, image_id, dest):
        save_response(self._open("/v2/images/%s/file" % quote(image_id)), dest)

    def find(self, glance):
        """The one image ``glance`` names: {image_id} or Cyborg property values."""
        if glance.get("image_id"):
            return self.get_json("/v2/images/%s" % quote(glance["image_id"]))
        filters = [(prop, glance[key]) for key, prop in CYBORG_PROPERTIES if glance.get(key)]
        images = self.get_json("/v2/images?" + urlencode(filters + [("status", "active")]))
        found = [i for i in images.get("images", [])
                 if all(i.get(prop) == value for prop, value in filters)]
        what = ", ".join("%s=%s" % f for f in filters)
        if len(found) != 1:
            raise GlanceError("glance: %d active images have %s (need exactly one); set "
                              "glance.image_id to choose" % (len(found), what or "no filter"))
        return found[0]
