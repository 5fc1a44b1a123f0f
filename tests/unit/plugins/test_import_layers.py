"""The layer rule of plugins/ (docs/docsite/rst/architecture.rst), rebuilt from the source on
every run.

- top-level ``module_utils/_*.py`` files are the shared kernel: they import only the kernel;
- a ``module_utils`` subpackage is imported by its own files, its module and its action or
  inventory plugin; ``_openstack``, ``_nvml`` and ``_discovery`` are the declared shared
  backends that any part may import;
- one exception: a subpackage's ``checks`` module (its pure input checks) may also be
  imported by ``plugin_utils._spec``, so that validate_spec refuses a value with the very
  check and message of the module that would refuse it later;
- ``module_utils`` never imports ``plugin_utils``, action, module or other plugin code;
- no import cycle, counting imports inside functions too.
"""
import ast
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLUGINS = os.path.join(ROOT, "plugins")
PREFIX = "ansible_collections.openaccel.cyborg.plugins."
SHARED_BACKENDS = {"_openstack", "_nvml", "_discovery"}
# the spec validation may import each subpackage's pure input checks (and nothing else of it)
CHECKS_MODULE = "checks"
CHECKS_IMPORTER = "plugin_utils._spec."
# plugin -> the module_utils subpackage that is its own
OWNER = {
    "modules.accelerator_facts": "_discovery", "modules.placement_provider_tree": "_placement",
    "action.placement_provider_tree": "_placement", "inventory.placement": "_placement",
    "modules.k8s_node_accelerators": "_k8s", "action.k8s_node_accelerators": "_k8s",
    "modules.fpga_program": "_fpga", "modules.gpu_mig": "_mig", "modules.pci_sriov": "_sriov",
    "modules.vfio_bind": "_vfio",
}


def _module_name(path):
    rel = os.path.relpath(path, PLUGINS)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def _sources():
    found = {}
    for base, _dirs, files in os.walk(PLUGINS):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(base, name)
                found[_module_name(path)] = path
    return found


def _imports(path, known):
    """The collection's plugin modules that ``path`` imports, anywhere in the file."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ["%s.%s" % (node.module, a.name) for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith(PREFIX) and name[len(PREFIX):] in known:
                out.add(name[len(PREFIX):])
    return out


SOURCES = _sources()
GRAPH = dict((name, _imports(path, SOURCES)) for name, path in SOURCES.items())


def _package(name):
    """('module_utils', '_k8s') for module_utils._k8s.plan; ('module_utils', None) for the
    kernel; (kind, None) for other plugin code."""
    parts = name.split(".")
    if parts[0] == "module_utils" and len(parts) > 2:
        return "module_utils", parts[1]
    if parts[0] == "module_utils" and os.path.isdir(os.path.join(PLUGINS, *parts)):
        return "module_utils", parts[1]  # a subpackage's __init__
    return parts[0], None


def _allowed(importer, imported):
    kind, package = _package(importer)
    target_kind, target_package = _package(imported)
    if kind == "module_utils" and target_kind != "module_utils":
        return False, "module_utils imports %s code" % target_kind
    if target_kind != "module_utils" or target_package is None:
        if kind == "module_utils" and package is None and target_package is not None:
            return False, "the kernel imports a subpackage"
        return True, None
    if target_package in SHARED_BACKENDS or target_package == package:
        return True, None
    if kind == "module_utils" and package is None:
        return False, "the kernel imports a subpackage"
    if kind in ("modules", "action", "inventory") and OWNER.get(importer) == target_package:
        return True, None
    if importer.startswith(CHECKS_IMPORTER) and imported.split(".")[-1] == CHECKS_MODULE:
        return True, None
    return False, "%s is not %s's own subpackage nor a shared backend" % (target_package, importer)


def test_the_graph_is_not_empty():
    assert "module_utils._placement.runner" in GRAPH
    assert "module_utils._module" in GRAPH["module_utils._placement.runner"]
    assert len(GRAPH) > 60


@pytest.mark.parametrize("importer", sorted(GRAPH))
def test_layer_rule(importer):
    broken = []
    for imported in sorted(GRAPH[importer]):
        ok, why = _allowed(importer, imported)
        if not ok:
            broken.append("%s -> %s: %s" % (importer, imported, why))
    assert not broken, "\n".join(broken)


def _cycle():
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt == node or nxt.startswith(node + "."):
                continue  # a package importing its own submodule is no cycle
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("importer,imported,ok", [
    ("module_utils._k8s.files", "module_utils._k8s.plan", True),
    ("module_utils._k8s.files", "module_utils._placement.http", False),
    ("module_utils._fpga.source", "module_utils._openstack.auth", True),
    ("module_utils._sysfs", "module_utils._vfio.state", False),
    ("module_utils._vfio.runner", "module_utils._sriov.state", False),
    ("module_utils._placement.runner", "plugin_utils._action_module", False),
    ("modules.pci_sriov", "module_utils._sriov.runner", True),
    ("modules.pci_sriov", "module_utils._vfio.runner", False),
    ("action.placement_provider_tree", "module_utils._placement.runner", True),
    ("plugin_utils._spec.module_checks", "module_utils._k8s.checks", True),
    ("plugin_utils._spec.module_checks", "module_utils._k8s.desired", False),
    ("action.validate_spec", "module_utils._k8s.checks", False),
])
def test_the_rule_itself(importer, imported, ok):
    assert _allowed(importer, imported)[0] is ok


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if n.startswith("module_utils._")
                                        and n.endswith("." + CHECKS_MODULE)))
def test_checks_modules_are_pure(name):
    """A checks module imports only the kernel and its own subpackage's files, and no I/O."""
    package = _package(name)[1]
    for imported in GRAPH[name]:
        assert _package(imported)[1] in (None, package), (name, imported)
    with open(SOURCES[name]) as handle:
        text = handle.read()
    for word in ("open(", "os.path", "subprocess", "socket"):
        assert word not in text, (name, word)
