# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Kubernetes name, label and quantity rules used to build objects the API server accepts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import re
from fractions import Fraction

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
C_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# semver.org 2.0.0, the expression the API server checks DeviceAttribute.version with
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_NUMERIC_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


def is_dns_subdomain(value, max_len=253):
    return bool(value) and len(value) <= max_len and bool(DNS_SUBDOMAIN.match(value))


def is_dns_label(value):
    return bool(value) and len(value) <= 63 and bool(DNS_LABEL.match(value))


def is_label_value(value):
    return len(value) <= 63 and bool(LABEL_VALUE.match(value))


def is_qualified_name(key):
    """A label key, annotation key or resource name: [DNS subdomain/]name."""
    prefix, _sep, name = key.rpartition("/")
    if "/" in key and not is_dns_subdomain(prefix):
        return False
    return bool(name) and is_label_value(name)


def _hash(text, length=8):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def label_value(text):
    """``text`` made into a valid label value (<= 63 chars, [A-Za-z0-9._-], alnum at both ends)."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-._")
    if len(text) > 63:
        text = text[:54].rstrip("-._") + "-" + _hash(text)
    return text


def dns_label(text):
    """``text`` made into a DNS label (lower case, [a-z0-9-], <= 63 chars)."""
    label = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    if len(label) > 63:
        label = label[:54].rstrip("-") + "-" + _hash(label)
    return label or "x"


def dns_subdomain(text):
    """``text`` made into a DNS subdomain (<= 253 chars)."""
    name = re.sub(r"[^a-z0-9.-]+", "-", str(text).lower())
    name = ".".join(part.strip("-") for part in name.split(".") if part.strip("-"))
    if len(name) > 253:
        name = name[:244].rstrip("-.") + "-" + _hash(name)
    return name or "x"


def semver(text):
    """``text`` as a semver.org 2.0.0 version, or None when it cannot be one.

    Valid versions pass unchanged; purely numeric ones (``535.129.03``, ``2.12``, ``v1``)
    are completed to three components without leading zeros.
    """
    if text is None:
        return None
    text = str(text).strip()
    if SEMVER.match(text) and len(text) <= 64:
        return text
    match = _NUMERIC_VERSION.match(text)
    if not match:
        return None
    return ".".join(str(int(part or 0)) for part in match.groups())


# Quantities (k8s.io/apimachinery/pkg/api/resource): parsed exactly, printed canonically,
# because the API server stores "81920Mi" as "80Gi" and a string comparison would never settle.
_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
_BINARY = [("Ei", 2 ** 60), ("Pi", 2 ** 50), ("Ti", 2 ** 40), ("Gi", 2 ** 30), ("Mi", 2 ** 20),
           ("Ki", 2 ** 10)]
_DECIMAL = [("E", 10 ** 18), ("P", 10 ** 15), ("T", 10 ** 12), ("G", 10 ** 9), ("M", 10 ** 6),
            ("k", 10 ** 3)]
_SUFFIX = dict(_BINARY + _DECIMAL + [("m", Fraction(1, 1000))])


def parse_quantity(text):
    """(value as Fraction, "binary"|"decimal") of a quantity string or number; ValueError if bad."""
    if isinstance(text, bool):
        raise ValueError("not a quantity: %r" % (text,))
    if isinstance(text, int):
        return Fraction(text), "decimal"
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise ValueError("not a quantity: %r" % (text,))
    number, suffix = match.groups()
    value = Fraction(number)
    if not suffix:
        return value, "decimal"
    if suffix[0] in "eE":
        return value * Fraction(10) ** int(suffix[1:]), "decimal"
    return value * _SUFFIX[suffix], "binary" if suffix.endswith("i") else "decimal"


def canonical_quantity(text):
    """The canonical form the API server returns for a quantity (integral values only)."""
    value, fmt = parse_quantity(text)
    if value.denominator != 1:
        milli = value * 1000
        return "%dm" % int(milli) if milli.denominator == 1 else str(float(value))
    value = int(value)
    if value == 0:
        return "0"
    if fmt == "binary" and -1024 < value < 1024:
        fmt = "decimal"
    for suffix, factor in (_BINARY if fmt == "binary" else _DECIMAL):
        if value % factor == 0:
            return "%d%s" % (int(value // factor), suffix)
    return str(value)


def same_quantity(a, b):
    try:
        return parse_quantity(a)[0] == parse_quantity(b)[0]
    except ValueError:
        return a == b
