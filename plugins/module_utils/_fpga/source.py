# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's sources: a file on the target, a URL with a mandatory checksum, or an
OpenStack Glance image (by id, or by Cyborg's ``accel:function_id`` /
``accel:bitstream_id`` image properties).

Every source ends as a private copy (_fpga/staging.py) whose checksum was computed from its
own bytes before the device is looked at; that copy, never the original, reaches the tool.
The Glance calls and options are the shared OpenStack backend's
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
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.staging import Staging
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack.glance import (
    CYBORG_PROPERTIES, GlanceClient, GlanceError, save_response, url_kwargs)


class SourceError(Exception):
    """The bitstream could not be obtained or verified; nothing touched the device."""


def _checksum_algos(params):
    if not params.get("checksum"):
        return ()
    try:
        return (parse_checksum(params["checksum"])[0],)
    except ChecksumError as exc:
        raise SourceError(str(exc))


def _verify(staging, path, digests, checksum, what):
    """Check the private copy's digests (from its copied bytes) against ``checksum``."""
    try:
        verify_checksum(path, checksum, "checksum", digests=digests)
    except ChecksumError as exc:
        staging.discard(path)
        raise SourceError("%s: %s" % (what, exc))


def _downloaded(path, algorithms):
    """Digests of a download written by this run into its private directory."""
    return file_digests(path, tuple(algorithms) + ("sha256",))


def _from_glance(params, staging, cache, client=None):
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
    algos = _checksum_algos(params) + ((algo,) if algo else ())
    name = "glance-%s.bin" % image_id
    cached = cache.lookup(algo, value, staging, name, algos)
    if cached:
        path, digests = cached
        if params.get("checksum"):
            _verify(staging, path, digests, params["checksum"], "glance image %s" % image_id)
        return dict(found, path=path, digests=digests, cached=True)
    dest = staging.path(name)
    try:
        client.download(image_id, dest)
    except GlanceError as exc:
        staging.discard(dest)
        raise SourceError(str(exc))
    digests = _downloaded(dest, algos)
    if algo:
        actual = digests[algo]
        if actual != value:
            staging.discard(dest)
            raise SourceError("glance: image %s downloads with %s %s but Glance recorded %s; "
                              "nothing touched the device" % (image_id, algo, actual, value))
    if params.get("checksum"):
        _verify(staging, dest, digests, params["checksum"], "glance image %s" % image_id)
    cache.store(dest, algo, value)
    return dict(found, path=dest, digests=digests, cached=False)


def _from_url(params, staging, cache):
    url = params["url"]
    if not params.get("checksum"):
        raise SourceError("checksum: required with url (sha256:<hex> or sha512:<hex>), so a "
                          "corrupt or substituted download never reaches the device")
    algo, digest = _checksum_algos(params)[0], parse_checksum(params["checksum"])[1]
    shown = _without_credentials(url)
    name = os.path.basename(url.split("?", 1)[0]) or "bitstream.bin"
    cached = cache.lookup(algo, digest, staging, name)
    if cached:
        path, digests = cached
        return {"path": path, "digests": digests, "origin": "url", "url": shown, "cached": True}
    dest = staging.path(name)
    try:
        save_response(open_url(url, **url_kwargs(params)), dest)
    except SourceError:
        staging.discard(dest)
        raise
    except Exception as exc:
        staging.discard(dest)
        raise SourceError("url: cannot download %s: %s" % (_without_credentials(url), exc))
    digests = _downloaded(dest, (algo,))
    _verify(staging, dest, digests, params["checksum"], "url %s" % shown)
    cache.store(dest, algo, digest)
    return {"path": dest, "digests": digests, "origin": "url", "url": shown, "cached": False}


def _without_credentials(url):
    """https://user:pw@host/x -> https://host/x (results and messages never carry secrets)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _from_file(params, staging):
    path = params["src"]
    if not os.path.isfile(path):
        raise SourceError("src: %s is not a file on the target host" % path)
    if not os.access(path, os.R_OK):
        raise SourceError("src: %s is not readable (run with become: true?)" % path)
    algos = _checksum_algos(params)
    try:
        copy, digests = staging.copy(path, path, algos)
    except (IOError, OSError) as exc:
        raise SourceError("src: cannot read %s: %s" % (path, exc.strerror or exc))
    if params.get("checksum"):
        try:
            verify_checksum(path, params["checksum"], digests=digests)
        except ChecksumError as exc:
            staging.discard(copy)
            raise SourceError(str(exc))
    return {"path": copy, "digests": digests, "src": path, "origin": "file"}


def resolve(params, tmpdir, glance_client=None, cache=None):
    """A verified private copy of the bitstream (_fpga/staging.py): {path (the copy), origin,
    sha256, staging, src (a file source's own path), ...}; downloads come from ``cache`` (a
    BitstreamCache) when it holds them. Every digest is the copy's: the bytes later parsed and
    handed to the tool are the bytes that were checked."""
    cache = cache or BitstreamCache(None)
    try:
        staging = Staging(tmpdir)
    except (IOError, OSError) as exc:
        raise SourceError("cannot create a private directory for the bitstream below %s: %s"
                          % (tmpdir, exc.strerror or exc))
    try:
        if params.get("src"):
            source = _from_file(params, staging)
        elif params.get("url"):
            source = _from_url(params, staging, cache)
        elif params.get("glance"):
            source = _from_glance(params, staging, cache, glance_client)
        else:
            raise SourceError("one of src, url or glance is required")
    except BaseException:
        staging.remove()
        raise
    source["sha256"] = source.pop("digests")["sha256"]
    source["staging"] = staging
    return source


def cleanup(source, tmpdir=None):
    """Remove the run's private copy (never a user's src file, never a cache entry)."""
    if source and source.get("staging") is not None:
        source["staging"].remove()
