"""A small Kubernetes API server for the tests (see README.md)."""

from .server import K8sTestServer  # noqa: F401
