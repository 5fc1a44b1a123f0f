"""API mode without a server: conflict retries (count, back-off, give-up), partial results,
and the layering of manifest mode (no client, no kubernetes library)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s import reconcile
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.client import K8sError
from ansible_collections.openaccel.cyborg.plugins.module_utils._k8s.plan import (
    OWNED_LABELS, node_actions, plan_node, slice_actions)

K8S_DIR = os.path.dirname(reconcile.__file__)


class FakeClient(object):
    """A node that answers the first ``conflicts`` label patches with 409."""

    def __init__(self, conflicts=0):
        self.conflicts = conflicts
        self.node = {"metadata": {"name": "n", "resourceVersion": "1", "labels": {},
                                  "annotations": {}}, "status": {"capacity": {}}}
        self.patches = 0

    def get_node(self, name):
        return self.node

    def patch_node(self, name, body):
        self.patches += 1
        if self.conflicts:
            self.conflicts -= 1
            raise K8sError(409, "the object has been modified", "patch", "nodes", "", name)
        meta = self.node["metadata"]
        for key in ("labels", "annotations"):
            for k, v in (body["metadata"].get(key) or {}).items():
                if v is None:
                    meta[key].pop(k, None)
                else:
                    meta[key][k] = v
        return self.node


def test_conflicts_are_retried_with_backoff():
    sleeps = []
    rec = reconcile.Reconciler(FakeClient(conflicts=2), "n", retries=5, sleep=sleeps.append)
    changed, first, foreign = rec.node({"a.io/x": "1"}, None)
    assert changed and not foreign and first["labels"] == {"a.io/x": "1"}
    assert rec.conflicts == 2 and rec.wrote and len(sleeps) == 2
    assert 0 < sleeps[0] <= reconcile.BACKOFF_BASE
    assert all(0 < s <= reconcile.BACKOFF_CAP for s in sleeps)


def test_give_up_after_the_retries():
    sleeps = []
    client = FakeClient(conflicts=50)
    rec = reconcile.Reconciler(client, "n", retries=2, sleep=sleeps.append)
    with pytest.raises(K8sError) as err:
        rec.node({"a.io/x": "1"}, None)
    assert "still conflicting after 2 retries; another writer keeps changing it" in str(err.value)
    assert err.value.status == 409 and err.value.verb == "patch"
    assert client.patches == 3 and rec.conflicts == 3 and len(sleeps) == 2
    assert not rec.wrote and rec.actions


def test_other_errors_are_not_retried():
    class Forbidden(FakeClient):
        def patch_node(self, name, body):
            self.patches += 1
            raise K8sError(403, "forbidden", "patch", "nodes", "", name)
    client = Forbidden()
    rec = reconcile.Reconciler(client, "n", sleep=lambda s: None)
    with pytest.raises(K8sError):
        rec.node({"a.io/x": "1"}, None)
    assert client.patches == 1 and rec.conflicts == 0


def test_check_mode_plans_only():
    client = FakeClient()
    rec = reconcile.Reconciler(client, "n", check_mode=True)
    changed, _first, _foreign = rec.node({"a.io/x": "1"}, {"a.io/gpu": "2"})
    assert changed and client.patches == 0 and not rec.wrote
    assert rec.actions == ["patch node n metadata: set 1 label(s), remove 0",
                           "patch node n status: add a.io/gpu"]


def test_action_lines():
    node = {"metadata": {"labels": {"a.io/old": "1"}, "annotations": {OWNED_LABELS: "a.io/old"}}}
    assert node_actions("n", plan_node(node, {}, None)) == [
        "patch node n metadata: set 0 label(s), remove 1 (a.io/old)"]
    body = {"metadata": {"name": "s0"}}
    assert slice_actions([(body, None, False), (body, body, False), (body, body, True)],
                         [body]) == ["create resourceslice s0", "update resourceslice s0",
                                     "create resourceslice s0", "delete resourceslice s0"]


def _imports(name):
    with open(os.path.join(K8S_DIR, name)) as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module)
            found.update("%s.%s" % (node.module, alias.name) for alias in node.names)
    return found


@pytest.mark.parametrize("name", ["files.py", "plan.py", "desired.py", "names.py"])
def test_manifest_mode_needs_no_client(name):
    for module in _imports(name):
        assert not module.startswith("kubernetes"), (name, module)
        assert not module.endswith(("_k8s.client", "_k8s.reconcile", "_k8s.runner")), module


def test_planning_is_pure():
    assert not set(["time", "random", "os", "socket"]) & _imports("plan.py")
