# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fpga_program's sources: a file on the target, a URL with a mandatory checksum, or an
OpenStack Glance image (by id, or by Cyborg's ``accel:function_id`` /
``accel:bitstream_id`` image properties).

Every source ends as a local file whose checksum was verified before the device is looked
at. Glance uses the Placement module's auth options (module_utils/_placement_auth: clouds.yaml,
auth, OS_* ...) or a fixed ``image_endpoint`` + ``token``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urlsplit, urlunsplit
from ansible.module_utils.urls import open_url

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream import (
    ChecksumError, file_digests, parse_checksum, verify_checksum)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.cache import (
    BitstreamCache)

_CHUNK = 1 << 20
CYBORG_PROPERTIES = (("function_id", "accel:function_id"), ("bitstream_id", "accel:bitstream_id"))


class SourceError(Exception):
    """The bitstream could not be obtained or verified; nothing touched the device."""


def _download(read, dest):
    with open(dest, "wb") as out:
        for chunk in read():
            out.write(chunk)


def _http_chunks(response):
    def read():
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            yield chunk
    return read


def _url_kwargs(params):
    return dict(validate_certs=params.get("validate_certs") is not False,
                ca_path=params.get("ca_cert"), timeout=params.get("api_timeout") or 60,
                client_cert=params.get("client_cert"), client_key=params.get("client_key"))


def _verify(path, checksum, option, what):
    try:
        return verify_checksum(path, checksum, option)
    except ChecksumError as exc:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise SourceError("%s: %s" % (what, exc))


class GlanceClient(object):
    """The few Image API v2 calls fpga_program needs."""

    def __init__(self, params, adapter=None):
        self.params = params
        self.endpoint = (params.get("image_endpoint") or "").rstrip("/")
        self.adapter = adapter
        if not self.endpoint and adapter is None:
            self.adapter = self._cloud_adapter(params)

    @staticmethod
    def _cloud_adapter(params):
        from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack import auth as _placement_auth
        if not _placement_auth.HAS_KEYSTONEAUTH:
            raise SourceError("glance: keystoneauth1 is required for Glance with cloud/auth "
                              "options (pip install keystoneauth1 openstacksdk), or set "
                              "image_endpoint and token")
        from keystoneauth1 import adapter as ks_adapter
        try:
            base = _placement_auth.build_adapter(dict(params, endpoint=None, token=None))
        except ValueError as exc:
            raise SourceError("glance: %s" % exc)
        return ks_adapter.Adapter(base.session, service_type="image",
                                  interface=params.get("interface"),
                                  region_name=params.get("region_name"), connect_retries=0)

    def _open(self, path):
        if self.adapter is not None:
            resp = self.adapter.get(path, stream=True, raise_exc=False)
            if resp.status_code >= 400:
                raise SourceError("glance: GET %s: HTTP %s %s" % (path, resp.status_code,
                                                                  resp.text[:200]))
            return resp
        headers = {"Accept": "application/json"}
        if self.params.get("token"):
            headers["X-Auth-Token"] = self.params["token"]
        try:
            return open_url(self.endpoint + path, headers=headers, **_url_kwargs(self.params))
        except Exception as exc:  # HTTPError, URLError, ssl errors: all user-facing here
            raise SourceError("glance: GET %s%s: %s" % (self.endpoint, path, exc))

    def get_json(self, path):
        resp = self._open(path)
        body = resp.content if hasattr(resp, "content") else resp.read()
        try:
            return json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        except ValueError:
            raise SourceError("glance: GET %s did not return JSON" % path)

    def download(self, image_id, dest):
        resp = self._open("/v2/images/%s/file" % quote(image_id))
        if hasattr(resp, "iter_content"):
            _download(lambda: resp.iter_content(_CHUNK), dest)
        else:
            _download(_http_chunks(resp), dest)

    def find(self, glance):
        if glance.get("image_id"):
            return self.get_json("/v2/images/%s" % quote(glance["image_id"]))
        filters = [(prop, glance[key]) for key, prop in CYBORG_PROPERTIES if glance.get(key)]
        images = self.get_json("/v2/images?" + urlencode(filters + [("status", "active")]))
        found = [i for i in images.get("images", [])
                 if all(i.get(prop) == value for prop, value in filters)]
        what = ", ".join("%s=%s" % f for f in filters)
        if len(found) != 1:
            raise SourceError("glance: %d active images have %s (need exactly one); set "
                              "glance.image_id to choose" % (len(found), what or "no filter"))
        return found[0]


def _from_glance(params, tmpdir, cache, client=None):
    glance = params["glance"]
    client = client or GlanceClient(params)
    image = client.find(glance)
    image_id = image.get("id")
    if image.get("status") not in (None, "active"):
        raise SourceError("glance: image %s is %s, not active" % (image_id, image.get("status")))
    props = dict((key, image.get(prop)) for key, prop in CYBORG_PROPERTIES)
    found = {"origin": "glance", "image_id": image_id, "image_name": image.get("name"),
             "image_properties": props}
    algo, value = image.get("os_hash_algo"), image.get("os_hash_value")
    if algo not in ("sha256", "sha384", "sha512") or not value:
        algo = value = None  # nothing to key a cache entry by: always downloaded
    cached = cache.lookup(algo, value)
    if cached:
        if params.get("checksum"):
            _verify(cached, params["checksum"], "checksum", "glance image %s" % image_id)
        return dict(found, path=cached, cached=True)
    dest = os.path.join(tmpdir, "glance-%s.bin" % image_id)
    client.download(image_id, dest)
    if algo:
        actual = file_digests(dest, (algo,))[algo]
        if actual != value:
            os.unlink(dest)
            raise SourceError("glance: image %s downloads with %s %s but Glance recorded %s; "
                              "nothing touched the device" % (image_id, algo, actual, value))
    if params.get("checksum"):
        _verify(dest, params["checksum"], "checksum", "glance image %s" % image_id)
    cache.store(dest, algo, value)
    return dict(found, path=dest, cached=False)


def _from_url(params, tmpdir, cache):
    url = params["url"]
    if not params.get("checksum"):
        raise SourceError("checksum: required with url (sha256:<hex> or sha512:<hex>), so a "
                          "corrupt or substituted download never reaches the device")
    try:
        parse_checksum(params["checksum"])
    except ChecksumError as exc:
        raise SourceError(str(exc))
    algo, digest = parse_checksum(params["checksum"])
    shown = _without_credentials(url)
    cached = cache.lookup(algo, digest)
    if cached:
        return {"path": cached, "origin": "url", "url": shown, "cached": True}
    dest = os.path.join(tmpdir, os.path.basename(url.split("?", 1)[0]) or "bitstream.bin")
    try:
        resp = open_url(url, **_url_kwargs(params))
        _download(_http_chunks(resp), dest)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError("url: cannot download %s: %s" % (_without_credentials(url), exc))
    _verify(dest, params["checksum"], "checksum", "url %s" % shown)
    cache.store(dest, algo, digest)
    return {"path": dest, "origin": "url", "url": shown, "cached": False}


def _without_credentials(url):
    """https://user:pw@host/x -> https://host/x (results and messages never carry secrets)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _from_file(params):
    path = params["src"]
    if not os.path.isfile(path):
        raise SourceError("src: %s is not a file on the target host" % path)
    if not os.access(path, os.R_OK):
        raise SourceError("src: %s is not readable (run with become: true?)" % path)
    if params.get("checksum"):
        try:
            verify_checksum(path, params["checksum"])
        except ChecksumError as exc:
            raise SourceError(str(exc))
    return {"path": path, "origin": "file"}


def resolve(params, tmpdir, glance_client=None, cache=None):
    """Local, verified copy of the bitstream: {path, origin, sha256, ...}; downloads come
    from ``cache`` (a BitstreamCache) when it holds them."""
    cache = cache or BitstreamCache(None)
    if params.get("src"):
        source = _from_file(params)
    elif params.get("url"):
        source = _from_url(params, tmpdir, cache)
    elif params.get("glance"):
        source = _from_glance(params, tmpdir, cache, glance_client)
    else:
        raise SourceError("one of src, url or glance is required")
    source["sha256"] = file_digests(source["path"])["sha256"]
    return source


def cleanup(source, tmpdir):
    """Remove a downloaded copy (never a user's src file)."""
    if source and source.get("origin") != "file" and source["path"].startswith(tmpdir):
        try:
            os.unlink(source["path"])
        except OSError:
            pass
