# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's sources: a file on the target, a URL with a mandatory checksum, or an
OpenStack Glance image (by id, or by Cyborg's ``accel:function_id`` /
``accel:bitstream_id`` image properties).

Every source ends as a local file whose checksum was verified before the device is looked
at. The Glance calls and options are the shared OpenStack backend's
(module_utils/_openstack/glance.py, authenticated by _openstack/auth.py: clouds.yaml, auth,
OS_* ...), or a fixed ``image_endpoint`` + ``token``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit
from ansible.module_utils.urls import open_url

from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream import (
    ChecksumError, file_digests, parse_checksum, verify_checksum)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.cache import (
    BitstreamCache)
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack.glance import (
    CYBORG_PROPERTIES, GlanceClient, GlanceError, save_response, url_kwargs)


class SourceError(Exception):
    """The bitstream could not be obtained or verified; nothing touched the device."""


def _verify(path, checksum, option, what):
    try:
        return verify_checksum(path, checksum, option)
    except ChecksumError as exc:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise SourceError("%s: %s" % (what, exc))


def _from_glance(params, tmpdir, cache, client=None):
    try:
        client = client or GlanceClient(params)
        image = client.find(params["glance"])
    except GlanceError as exc:
        raise SourceError(str(exc))
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
    try:
        client.download(image_id, dest)
    except GlanceError as exc:
        raise SourceError(str(exc))
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
        save_response(open_url(url, **url_kwargs(params)), dest)
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
