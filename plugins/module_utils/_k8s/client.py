# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The few Kubernetes API calls the collection makes, through the official Python client.

Authentication follows kubernetes.core (kubeconfig, context, host, api_key, client
certificates, K8S_AUTH_* variables, the in-cluster service account). Objects travel as
plain dicts (raw JSON), so no model class of the client limits what the server may return.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import os
import traceback

from ansible.module_utils.basic import env_fallback

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec

KUBERNETES_IMPORT_ERROR = None
try:
    import kubernetes
    from kubernetes.client.rest import ApiException
except ImportError:
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()

    class ApiException(Exception):
        """Stand-in so the except clauses below parse; without the client nothing raises it
        (the module fails on KUBERNETES_IMPORT_ERROR before any call)."""

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
RESOURCE_GROUP = "resource.k8s.io"

# Option name -> (K8S_AUTH_* variables, as kubernetes.core reads them)
AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="raw", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    username=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_USERNAME"])),
    password=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_PASSWORD"])),
    validate_certs=dict(type="bool", aliases=["verify_ssl"],
                        fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"],
                 fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    client_cert=dict(type="path", aliases=["cert_file"],
                     fallback=(env_fallback, ["K8S_AUTH_CERT_FILE"])),
    client_key=dict(type="path", aliases=["key_file"], no_log=False,
                    fallback=(env_fallback, ["K8S_AUTH_KEY_FILE"])),
    proxy=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_PROXY"])),
    no_proxy=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_NO_PROXY"])),
)
# The auth options with their constraints, to merge into a module's ArgumentSpec.
AUTH_ARGSPEC = ArgumentSpec(
    AUTH_ARG_SPEC, required_together=[("client_cert", "client_key"), ("username", "password")])


class K8sError(Exception):
    """A failed API call, with the verb and resource it needed (for RBAC messages)."""

    def __init__(self, status, message, verb=None, resource=None, group="", name=None,
                 reason=None):
        super(K8sError, self).__init__(message)
        self.status, self.verb, self.resource = status, verb, resource
        self.group, self.name, self.reason = group, name, reason

    def describe(self):
        what = "%s %s" % (self.verb, self.resource)
        if self.group:
            what += ".%s" % self.group
        if self.status == 403:
            return ("Forbidden: the credentials may not '%s' on resource '%s' (API group '%s'). "
                    "Grant that verb in a ClusterRole bound to this user or service account (see "
                    "docs/k8s-clusterrole.yaml). Server said: %s"
                    % (self.verb, self.resource, self.group, self))
        if self.status == 401:
            return "Unauthorized (401) on %s: check the credentials. Server said: %s" % (what, self)
        return "%s failed (HTTP %s%s): %s" % (
            what + (" %s" % self.name if self.name else ""), self.status,
            " " + self.reason if self.reason else "", self)


def _load_kubeconfig(params, configuration):
    kubeconfig = params.get("kubeconfig")
    if isinstance(kubeconfig, dict):
        kubernetes.config.load_kube_config_from_dict(
            kubeconfig, context=params.get("context"), client_configuration=configuration,
            persist_config=False)
    else:
        kubernetes.config.load_kube_config(
            config_file=os.path.expanduser(kubeconfig) if kubeconfig else None,
            context=params.get("context"), client_configuration=configuration,
            persist_config=False)


def build_configuration(params):
    """A kubernetes.client.Configuration from the auth options, like kubernetes.core does."""
    configuration = kubernetes.client.Configuration()
    host = (params.get("host") or "").rstrip("/")
    basic_auth = params.get("username") and params.get("password")
    cert_auth = params.get("client_cert") and params.get("client_key")
    explicit = host and (params.get("api_key") or basic_auth or cert_auth)
    if explicit:
        pass
    elif params.get("kubeconfig") or params.get("context"):
        _load_kubeconfig(params, configuration)
    else:
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)
        except kubernetes.config.ConfigException:
            _load_kubeconfig(params, configuration)
    if host:
        configuration.host = host
    token = None
    if params.get("api_key"):
        token = "Bearer %s" % params["api_key"]
    elif params.get("username") and params.get("password"):
        basic = "%s:%s" % (params["username"], params["password"])
        token = "Basic %s" % base64.b64encode(basic.encode("utf-8")).decode("ascii")
    if token:
        configuration.api_key = {"authorization": token, "BearerToken": token}
        configuration.api_key_prefix = {}
        configuration.refresh_api_key_hook = None
    if params.get("validate_certs") is not None:
        configuration.verify_ssl = params["validate_certs"]
    for option, attribute in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"),
                              ("client_key", "key_file"), ("proxy", "proxy"),
                              ("no_proxy", "no_proxy")):
        if params.get(option):
            setattr(configuration, attribute, params[option])
    return configuration


class K8sClient(object):
    """Node and ResourceSlice calls; every failure becomes a K8sError naming verb and resource."""

    def __init__(self, params, field_manager="openaccel-cyborg", timeout=30):
        try:
            configuration = build_configuration(params)
        except Exception as exc:  # kubernetes.config raises several unrelated types
            raise K8sError(None, "cannot load the Kubernetes client configuration (kubeconfig, "
                                 "context, host, K8S_AUTH_*, in-cluster service account): %s" % exc,
                           "configure", "client")
        self.api_client = kubernetes.client.ApiClient(configuration)
        self.core = kubernetes.client.CoreV1Api(self.api_client)
        resource_api = getattr(kubernetes.client, "ResourceV1Api", None)
        self.resource = resource_api(self.api_client) if resource_api else None
        self.field_manager = field_manager
        self.timeout = timeout

    def _call(self, verb, resource, name, method, *args, **kwargs):
        kwargs.setdefault("_preload_content", False)
        kwargs.setdefault("_request_timeout", self.timeout)
        group = RESOURCE_GROUP if resource.startswith("resourceslices") else ""
        try:
            response = method(*args, **kwargs)
        except ApiException as exc:
            raise _api_error(exc, verb, resource, group, name)
        except (ValueError, TypeError) as exc:  # the client's own body checks (pydantic)
            raise K8sError(None, "the kubernetes client refused the request body: %s" % exc,
                           verb, resource, group, name)
        except Exception as exc:  # urllib3/ssl errors: connection refused, bad certificate
            raise K8sError(None, "cannot reach the Kubernetes API (%s): %s"
                           % (self.api_client.configuration.host, exc), verb, resource, group, name)
        data = response.data
        return json.loads(data) if data else {}

    def _slices(self):
        if self.resource is None:
            raise K8sError(None, "the installed kubernetes Python client has no resource.k8s.io/v1 "
                                 "API (ResourceV1Api); install kubernetes>=34.1", "list",
                           "resourceslices", RESOURCE_GROUP)
        return self.resource

    def get_node(self, name):
        return self._call("get", "nodes", name, self.core.read_node, name)

    def patch_node(self, name, body):
        return self._call("patch", "nodes", name, self.core.patch_node, name, body,
                          field_manager=self.field_manager, _content_type=MERGE_PATCH)

    def patch_node_status(self, name, operations):
        return self._call("patch", "nodes/status", name, self.core.patch_node_status, name,
                          operations, field_manager=self.field_manager, _content_type=JSON_PATCH)

    def list_slices(self, node, label_selector):
        api = self._slices()
        result = self._call("list", "resourceslices", None, api.list_resource_slice,
                            field_selector="spec.nodeName=%s" % node, label_selector=label_selector)
        return result.get("items") or []

    def get_slice(self, name):
        return self._call("get", "resourceslices", name, self._slices().read_resource_slice, name)

    def create_slice(self, body):
        return self._call("create", "resourceslices", body["metadata"]["name"],
                          self._slices().create_resource_slice, body,
                          field_manager=self.field_manager)

    def replace_slice(self, body):
        name = body["metadata"]["name"]
        return self._call("update", "resourceslices", name, self._slices().replace_resource_slice,
                          name, body, field_manager=self.field_manager)

    def delete_slice(self, name, resource_version=None):
        body = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if resource_version:
            body["preconditions"] = {"resourceVersion": resource_version}
        return self._call("delete", "resourceslices", name, self._slices().delete_resource_slice,
                          name, body=body)


def _api_error(exc, verb, resource, group, name):
    message, reason = exc.reason, None
    try:
        status = json.loads(exc.body)
        message = status.get("message") or message
        reason = status.get("reason")
    except (TypeError, ValueError, AttributeError):
        if exc.body:
            message = "%s: %s" % (message, exc.body[:500])
    return K8sError(exc.status, message, verb, resource, group, name, reason)
