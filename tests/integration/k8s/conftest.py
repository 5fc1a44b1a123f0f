"""Fixtures: the test API server (HTTPS, 127.0.0.1) per Kubernetes release, nodes, params."""
import uuid

import pytest

# imported for its side effect: it puts the repository on sys.path
import k8s_helpers  # noqa: F401 pylint: disable=unused-import

from tests.integration.ansible_run import ensure_collection_link  # noqa: E402
from tests.k8s_apiserver import K8sTestServer  # noqa: E402

ensure_collection_link()


@pytest.fixture(scope="session", params=["1.34", "1.35"])
def any_server(request, tmp_path_factory):
    """One server per supported Kubernetes release (tests using it run twice)."""
    server = K8sTestServer(str(tmp_path_factory.mktemp("k8s-" + request.param)),
                           request.param).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A Kubernetes 1.35 test API server shared by the session."""
    server = K8sTestServer(str(tmp_path_factory.mktemp("k8s")), "1.35").start()
    yield server
    server.stop()


@pytest.fixture
def node_name(request):
    """A node name unique to the test (DNS subdomain)."""
    base = request.node.name.lower().replace("_", "-").replace("[", "-").replace("]", "")
    base = "".join(c for c in base if c.isalnum() or c in "-.")[:40].strip("-.")
    return "%s-%s" % (base, uuid.uuid4().hex[:6])


@pytest.fixture
def params(server, node_name):
    """Module parameters for a fresh node on the 1.35 server (admin kubeconfig)."""
    server.add_node(node_name, labels={"team.example.com/owner": "ml-infra"})
    return {"node": node_name, "kubeconfig": server.kubeconfig("admin")}
