# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Manifest mode (YAML for GitOps) and the node-feature-discovery feature file.

Manifest mode writes, per node, a directory that ``kubectl kustomize`` / ``kubectl apply -k``,
Argo CD and Flux consume as is: ``kustomization.yaml`` lists ``node.yaml`` (the Node, by name
only) and ``resourceslices.yaml`` as resources and ``node-metadata.patch.yaml`` (labels and
ownership annotations, a strategic-merge patch object of the Node, also usable with
``kubectl patch --type merge``) as a patch. ``node-status.patch.yaml`` (extended resources in
``status.capacity``) is not part of it: a status subresource patch, which apply-based tools
cannot make, for ``kubectl patch --subresource status``.

Every string is written so that YAML 1.1 and Go readers (kubectl, kustomize, Argo CD, Flux)
read it back as that string (``needs_quotes``).

Both write atomically (``_files.atomic_write``: temporary file in the same directory, then
rename) and only when the content differs, so a second run changes nothing. Manifest mode
reads its previous output to know which labels it published before and which pool generation
it is at, and plans with the same pure functions as API mode (``plan.py``), so the content is
the same. No cluster access: nothing here imports the client or the kubernetes library.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import sys

from ansible_collections.openaccel.cyborg.plugins.module_utils._files import atomic_write
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.desired import NFD_PREFIX
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.plan import (
    OWNED_LABELS, OWNED_RESOURCES, owned, plan_node, plan_slices, slice_summary)

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

METADATA_PATCH = "node-metadata.patch.yaml"
STATUS_PATCH = "node-status.patch.yaml"
SLICES = "resourceslices.yaml"
NODE = "node.yaml"
KUSTOMIZATION = "kustomization.yaml"
HEADER = "# Written by openaccel.cyborg.k8s_node_accelerators; edits are overwritten.\n"
# The Node in node.yaml is listed so that the label patch has a target; a GitOps controller
# must never delete it when the node's files go away.
NODE_ANNOTATIONS = {"kustomize.toolkit.fluxcd.io/prune": "disabled",
                    "argocd.argoproj.io/sync-options": "Prune=false"}

# Plain scalars that some YAML reader resolves to another type than string. YAML 1.1 (PyYAML,
# and Go's yaml.v2 behind kubectl and kustomize): bools y/n/yes/no/on/off/true/false, null ~,
# the value and merge keys = <<, ints in 0b/0/0x notation, with _ or sexagesimal (1:20),
# floats, .inf/.nan and timestamps; YAML 1.2: 0o17; Go's number parsing: 088000 and 1e24
# (floats there, strings for PyYAML). Every string that starts like a number ([sign][.]digit)
# and consists of characters of some number notation is quoted, which covers them all.
_NOT_STRING_WORDS = frozenset(
    "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF "
    "~ null Null NULL = << .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF "
    ".nan .NaN .NAN".split() + [""])
_NUMBER_LIKE = re.compile(r"^[-+]?\.?[0-9][0-9a-fA-FxXoObB_.:+-]*$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t]|$)")


def needs_quotes(text):
    """True when a YAML 1.1, YAML 1.2 or Go reader could read plain ``text`` as a non-string."""
    return text in _NOT_STRING_WORDS or bool(_NUMBER_LIKE.match(text)) or bool(_TIMESTAMP.match(text))


if HAS_YAML:
    class QuotingDumper(yaml.SafeDumper):
        """SafeDumper that single-quotes every string ``needs_quotes`` names."""

        def represent_str(self, data):
            return self.represent_scalar("tag:yaml.org,2002:str", data,
                                         style="'" if needs_quotes(data) else None)

    QuotingDumper.add_representer(type(u""), QuotingDumper.represent_str)
    if sys.version_info[0] < 3:  # Python 2 byte strings
        QuotingDumper.add_representer(str, QuotingDumper.represent_str)


def dump(docs):
    """YAML documents, deterministic (sorted keys); JSON (also YAML) without PyYAML."""
    if HAS_YAML:
        return yaml.dump_all(docs, Dumper=QuotingDumper, default_flow_style=False,
                             sort_keys=True, explicit_start=True)
    return "".join("---\n" + json.dumps(doc, indent=2, sort_keys=True) + "\n" for doc in docs)


def load(text):
    if not text:
        return []
    if HAS_YAML:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    return [json.loads(part) for part in text.split("---\n") if part.strip() and not part.lstrip().startswith("#")]


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


class FileWriter(object):
    """Writes or removes files, atomically, remembering what it did (or would do)."""

    def __init__(self, module, check_mode):
        self.module, self.check_mode = module, check_mode
        self.changed_files, self.diffs = [], []

    def put(self, path, text):
        """Make ``path`` hold ``text`` (None: remove it). Returns True when it differs."""
        old = read_text(path)
        if old == text:
            return False
        self.changed_files.append(path)
        self.diffs.append({"before_header": path, "after_header": path,
                           "before": old or "", "after": text or ""})
        if self.check_mode:
            return True
        if text is None:
            os.remove(path)
            return True
        atomic_write(path, text, mode=0o644, dir_mode=0o755, move=self.module.atomic_move)
        return True


def _previous_node(meta_docs, status_docs):
    """A Node as our previous manifests described it, plus the removals they carried."""
    meta = (meta_docs[0] if meta_docs else {}).get("metadata") or {}
    status = (status_docs[0] if status_docs else {}).get("status") or {}
    labels, capacity = meta.get("labels") or {}, status.get("capacity") or {}
    node = {"metadata": {"labels": dict((k, v) for k, v in labels.items() if v is not None),
                         "annotations": dict((k, v) for k, v in
                                             (meta.get("annotations") or {}).items() if v)},
            "status": {"capacity": dict((k, v) for k, v in capacity.items() if v is not None)}}
    removed = {"labels": set(k for k, v in labels.items() if v is None),
               "capacity": set(k for k, v in capacity.items() if v is None)}
    return node, removed


def _node_ref(node_name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node_name}}


def kustomization(node_patch, slices):
    """The kustomization.yaml document of a node directory (None when it has nothing)."""
    if not node_patch and not slices:
        return None
    doc = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
           "resources": ([NODE] if node_patch else []) + ([SLICES] if slices else [])}
    if node_patch:
        doc["patches"] = [{"path": METADATA_PATCH}]
    return doc


def write_manifests(writer, directory, node_name, desired, driver):
    """Write the node patches and the ResourceSlices of one node; returns a result dict."""
    base = os.path.join(directory, node_name)
    paths = dict((key, os.path.join(base, name)) for key, name in (
        ("meta", METADATA_PATCH), ("status", STATUS_PATCH), ("slices", SLICES),
        ("node", NODE), ("kustomization", KUSTOMIZATION)))
    previous = dict((key, load(read_text(paths[key]))) for key in ("meta", "status", "slices"))
    node, removed = _previous_node(previous["meta"], previous["status"])
    plan = plan_node(node, desired["labels"], desired["capacity"])
    after = plan["after"]
    gone_labels = (owned(node["metadata"]["annotations"], OWNED_LABELS) | removed["labels"])
    gone_caps = (owned(node["metadata"]["annotations"], OWNED_RESOURCES) | removed["capacity"])
    labels = dict((k, None) for k in gone_labels - set(after["labels"]))
    labels.update(after["labels"])
    capacity = dict((k, None) for k in gone_caps - set(after["capacity"]))
    capacity.update(after["capacity"])
    meta_doc = _node_ref(node_name)
    meta_doc["metadata"].update(labels=labels, annotations={
        OWNED_LABELS: ",".join(sorted(after["labels"])) or None,
        OWNED_RESOURCES: ",".join(sorted(after["capacity"])) or None})
    status_doc = dict(_node_ref(node_name), status={"capacity": capacity})
    node_patch = bool(labels or capacity)
    writer.put(paths["meta"], HEADER + "# a patch of %s (kustomization.yaml); by hand: kubectl "
               "patch node %s --type merge --patch-file %s\n"
               % (NODE, node_name, METADATA_PATCH) + dump([meta_doc]) if node_patch else None)
    node_doc = _node_ref(node_name)
    node_doc["metadata"]["annotations"] = dict(NODE_ANNOTATIONS)
    writer.put(paths["node"], HEADER + "# The node, by name only, as the target of %s; never "
               "pruned.\n" % METADATA_PATCH + dump([node_doc]) if node_patch else None)
    writer.put(paths["status"], HEADER + "# Not for GitOps tools (status subresource): kubectl "
               "patch node %s --subresource status --type merge --patch-file %s\n"
               % (node_name, STATUS_PATCH) + dump([status_doc]) if capacity else None)
    writes, deletes, generation = plan_slices(previous["slices"], desired["slices"], driver)
    slices = previous["slices"]
    if writes or deletes:
        slices = [body for body, _old, _recreate in writes]
    writer.put(paths["slices"], HEADER + "# kubectl apply -f %s (prune slices no longer listed)\n"
               % SLICES + dump(slices) if slices else None)
    kust = kustomization(node_patch, slices)
    writer.put(paths["kustomization"], HEADER + "# kubectl apply -k . (or Argo CD / Flux with "
               "this directory as the path)\n" + dump([kust]) if kust else None)
    return {
        "diff_before": {"labels": plan["before"]["labels"], "capacity": plan["before"]["capacity"],
                        "resource_slices": dict((s["metadata"]["name"], slice_summary(s))
                                                for s in previous["slices"])},
        "slices": slices, "generation": generation, "labels": after["labels"],
        "capacity": after["capacity"], "files": sorted(paths.values()),
    }


def nfd_file_text(labels):
    """features.d content: key=value lines; NFD adds its own prefix to unprefixed keys."""
    if not labels:
        return None
    lines = []
    for key, value in sorted(labels.items()):
        if key.startswith(NFD_PREFIX):
            key = key[len(NFD_PREFIX):]
        lines.append("%s=%s\n" % (key, value))
    return "# Written by openaccel.cyborg.k8s_node_accelerators for node-feature-discovery.\n" \
        + "".join(lines)
