"""How other YAML readers read what the collection writes: a YAML 1.1 / YAML 1.2 / Go resolver
table (independent of the writer's own rules), and the real kubectl where it is installed.

kubectl, kustomize, Argo CD and Flux read YAML with Go libraries (sigs.k8s.io/yaml on
go-yaml): YAML 1.1 style resolution plus Go's number parsing, so a plain ``088000`` is the
float 88000 and ``y`` is true there, while PyYAML reads both as strings.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re
import shutil
import subprocess

import yaml

KUBECTL = shutil.which("kubectl")
STR_TAG = "tag:yaml.org,2002:str"

# https://yaml.org/type/ (YAML 1.1): bool, null, int, float, timestamp, value, merge
_YAML11 = [re.compile(p) for p in (
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    r"^(?:~|null|Null|NULL|)$",
    r"^[-+]?0b[0-1_]+$", r"^[-+]?0[0-7_]+$", r"^[-+]?(?:0|[1-9][0-9_]*)$",
    r"^[-+]?0x[0-9a-fA-F_]+$", r"^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$",
    r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?$",
    r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$",
    r"^[-+]?\.(?:inf|Inf|INF)$", r"^\.(?:nan|NaN|NAN)$",
    r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+|$)",
    r"^=$", r"^<<$",
)]
# YAML 1.2 core schema (go-yaml v3): 0o octal, floats without a dot, .inf/.nan
_YAML12 = [re.compile(p) for p in (
    r"^0o[0-7]+$", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$",
    r"^[-+]?\.(?:inf|Inf|INF)$", r"^\.(?:nan|NaN|NAN)$",
)]
# go-yaml v2 resolve(): underscores removed, then strconv.ParseInt(s, 0, 64) (0x, 0o, 0b, 0
# octal, decimal) or, when yamlStyleFloat matches, strconv.ParseFloat
_GO_INT = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_GO_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def not_a_string_somewhere(text):
    """True when a YAML 1.1, YAML 1.2 or Go reader resolves plain ``text`` to a non-string."""
    if any(p.match(text) for p in _YAML11 + _YAML12):
        return True
    plain = text.replace("_", "")
    return bool(plain) and bool(_GO_INT.match(plain) or _GO_FLOAT.match(plain))


def misread_scalars(text):
    """Plain scalars of ``text`` that PyYAML reads as strings but another reader would not."""
    resolver = yaml.resolver.Resolver()
    bad = []
    for event in yaml.parse(text):
        if not isinstance(event, yaml.ScalarEvent) or event.style or not event.implicit[0]:
            continue
        if (resolver.resolve(yaml.ScalarNode, event.value, (True, False)) == STR_TAG
                and not_a_string_somewhere(event.value)):
            bad.append(event.value)
    return bad


def _json_docs(text):
    decoder, docs, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        doc, pos = decoder.raw_decode(text, pos)
        docs.extend(doc["items"] if doc.get("kind") == "List" and "items" in doc else [doc])
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return docs


def kubectl_read(path):
    """The objects of a manifest file as kubectl reads them (a local no-op patch, no cluster)."""
    out = subprocess.run([KUBECTL, "patch", "--local", "-f", path, "--type", "merge",
                          "-p", "{}", "-o", "json"], capture_output=True, text=True, check=True)
    return _json_docs(out.stdout)


def kubectl_label_read(path):
    """``kubectl label --local -f FILE`` output without the label it adds (no null maps)."""
    out = subprocess.run([KUBECTL, "label", "--local", "-f", path, "openaccel-test=x",
                          "-o", "json"], capture_output=True, text=True, check=True)
    docs = _json_docs(out.stdout)
    for doc in docs:
        labels = doc["metadata"]["labels"]
        del labels["openaccel-test"]
        if not labels:
            del doc["metadata"]["labels"]
    return docs


def kubectl_kustomize(directory):
    """The objects ``kubectl kustomize DIR`` builds (Go writes them with the quotes it needs)."""
    out = subprocess.run([KUBECTL, "kustomize", directory], capture_output=True, text=True,
                         check=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc is not None]
