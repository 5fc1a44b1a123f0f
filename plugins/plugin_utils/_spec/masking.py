# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one masking of secrets in what validate_spec prints (error values and messages, msg,
warnings): no value of a secret setting ever leaves the plugin.

A key is secret when the schema marks it (``writeOnly``: ``token``, ``api_key``...), when its
name looks like one (``SECRET_KEY_RE``: an unknown ``password:`` too), or when it holds a
credentials dict (``auth:``, ``cloud:``: everything under it).  Structures are masked by key;
text (jsonschema's messages quote the bad instance) is scrubbed of every secret value the spec
holds, as Ansible's no_log does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

MASK = "********"
SECRET_KEY_RE = re.compile(r"pass|secret|token|key|credential", re.I)
CREDENTIAL_DICTS = ("auth", "cloud")


def is_secret(key, value, names=()):
    key = str(key)
    return key in names or bool(SECRET_KEY_RE.search(key)) or (key in CREDENTIAL_DICTS and isinstance(value, dict))


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield value


def secret_values(value, names=()):
    """Every scalar under a secret key of ``value`` (any depth)."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            if is_secret(key, item, names):
                out.extend(_leaves(item))
            else:
                out.extend(secret_values(item, names))
    elif isinstance(value, (list, tuple)):
        for item in value:
            out.extend(secret_values(item, names))
    return out


class Masker(object):
    """``mask(value, key=None)``: ``value`` (a structure or text) with no secret of ``spec``
    in it; ``key`` is the name ``value`` is held under (an error's last path part)."""

    def __init__(self, spec, names=()):
        self.names = frozenset(names)
        texts = set()
        for secret in secret_values(spec, self.names):
            text = str(secret)
            if text:
                texts.add(text)
        # longest first: a secret that contains another is replaced whole
        self.texts = sorted(texts, key=lambda t: (-len(t), t))

    def text(self, text):
        for secret in self.texts:
            text = text.replace(secret, MASK)
        return text

    def mask(self, value, key=None):
        if key is not None and is_secret(key, value, self.names):
            return MASK
        if isinstance(value, dict):
            return dict((k, self.mask(v, k)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.mask(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if value is not None and not isinstance(value, bool) and str(value) in self.texts:
            return MASK
        return value

    def error(self, error):
        """A copy of an error ``{path, value, message, ...}`` with its value and message masked."""
        out = dict(error)
        last = error.get("path", "").rsplit(".", 1)[-1].rsplit("[", 1)[0] or None
        out["value"] = self.mask(error.get("value"), last)
        out["message"] = self.text(str(error.get("message", "")))
        return out
