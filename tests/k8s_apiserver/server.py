"""A Kubernetes API server for tests: nodes, nodes/status and resource.k8s.io/v1 resourceslices.

HTTPS on 127.0.0.1 with a throw-away CA; bearer token, basic and client-certificate users;
RBAC per user ("verb resource" grants); every request body validated against the official
OpenAPI documents of the chosen release (1.34 or 1.35) and the API server's validation rules;
resourceVersion preconditions and 409 conflicts; fault injection (other writers, forced
errors); a request log. See tests/k8s_apiserver/README.md.
"""

import json
import os
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import patches, rules
from .openapi import OpenAPI
from .store import ApiError, Store
from .tls import TestPKI

GROUP = {"nodes": "", "nodes/status": "", "resourceslices": "resource.k8s.io"}
KIND = {"nodes": "Node", "resourceslices": "ResourceSlice"}
API_VERSION = {"nodes": "v1", "resourceslices": "resource.k8s.io/v1"}
ROUTES = [
    (re.compile(r"^/api/v1/(nodes)(?:/([^/]+))?(?:/(status))?$"), "/api/v1/nodes"),
    (re.compile(r"^/apis/resource\.k8s\.io/v1/(resourceslices)(?:/([^/]+))?$"),
     "/apis/resource.k8s.io/v1/resourceslices"),
]
VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class K8sTestServer(object):
    """Start with ``start()``; ``kubeconfig(user)`` writes a kubeconfig for a user."""

    def __init__(self, directory, version="1.35"):
        self.directory = directory
        self.version = version
        self.openapi = OpenAPI.get(version)
        self.store = Store()
        self.pki = TestPKI(os.path.join(directory, "pki"))
        self.tokens = {"admin-token": "admin"}
        self.basic = {}
        self.rbac = {"admin": {"*"}}
        self.conflicts = {}
        self.injected = []
        self.log = []
        self.httpd = None

    # -- set-up helpers ----------------------------------------------------------------------
    def add_user(self, user, grants, token=None):
        """A user with grants like {"get nodes", "patch nodes/status"} (or {"*"})."""
        self.rbac[user] = set(grants)
        if token:
            self.tokens[token] = user
        return user

    def add_node(self, name, labels=None, capacity=None):
        capacity = capacity or {"cpu": "64", "memory": "527952576Ki", "pods": "110",
                                "ephemeral-storage": "1836137400Ki"}
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": dict({
                    "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64"}, **(labels or {}))},
                "spec": {"podCIDR": "10.244.1.0/24"},
                "status": {"capacity": dict(capacity), "allocatable": dict(capacity),
                           "conditions": [{"type": "Ready", "status": "True",
                                           "reason": "KubeletReady",
                                           "lastHeartbeatTime": "2026-01-01T00:00:00Z"}],
                           "nodeInfo": {"kubeletVersion": "v%s.0" % self.version,
                                        "architecture": "amd64", "operatingSystem": "linux",
                                        "bootID": "", "containerRuntimeVersion": "",
                                        "kernelVersion": "", "kubeProxyVersion": "",
                                        "machineID": "", "osImage": "", "systemUUID": ""}}}
        errors = self.openapi.validate(node, "Node") + rules.node(node)
        assert not errors, errors
        with self.store.lock:
            return self.store.create("nodes", node)

    def inject(self, method, path_re, code, count=1, reason=None):
        """The next ``count`` requests matching answer ``code`` without being processed."""
        self.injected.append({"method": method, "re": re.compile(path_re), "code": code,
                              "count": count, "reason": reason or "InternalError"})

    def requests(self, method=None, writes=False):
        return [r for r in self.log if (method is None or r["method"] == method)
                and (not writes or r["method"] != "GET")]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        context.load_verify_locations(self.pki.ca_file)
        context.verify_mode = ssl.CERT_OPTIONAL
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    def kubeconfig(self, user="admin", token=None, path=None, client_cert=None):
        """Write a kubeconfig (token auth, or client certificate auth) and return its path."""
        entry = {}
        if client_cert:
            entry = {"client-certificate": client_cert[0], "client-key": client_cert[1]}
        else:
            token = token or next((t for t, u in self.tokens.items() if u == user), None)
            if token is None:
                token = "%s-token" % user
                self.tokens[token] = user
            entry = {"token": token}
        config = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
                  "clusters": [{"name": "test", "cluster": {
                      "server": self.url, "certificate-authority": self.pki.ca_file}}],
                  "users": [{"name": user, "user": entry}],
                  "contexts": [{"name": "test", "context": {"cluster": "test", "user": user}}]}
        path = path or os.path.join(self.directory, "kubeconfig-%s" % user)
        with open(path, "w") as handle:
            json.dump(config, handle, indent=1)
        return path

    # -- request handling --------------------------------------------------------------------
    def handle(self, method, url, headers, body, user):
        parts = urlsplit(url)
        query = dict((k, v[-1]) for k, v in parse_qs(parts.query).items())
        for entry in self.injected:
            if entry["count"] > 0 and entry["method"] == method and entry["re"].search(parts.path):
                entry["count"] -= 1
                raise ApiError(entry["code"], entry["reason"], "injected by the test")
        if parts.path == "/version":
            major, minor = self.version.split(".")
            return 200, {"major": major, "minor": minor, "gitVersion": "v%s.0" % self.version}
        for regex, template in ROUTES:
            match = regex.match(parts.path)
            if match:
                break
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        resource, name, sub = (match.groups() + (None,))[:3]
        full = resource + ("/" + sub if sub else "")
        verb = VERBS[method] if name or method != "GET" else "list"
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        grants = self.rbac.get(user, set())
        if "*" not in grants and "%s %s" % (verb, full) not in grants:
            raise ApiError(403, "Forbidden", '%s%s is forbidden: User "%s" cannot %s resource '
                           '"%s" in API group "%s" at the cluster scope'
                           % (full, ' "%s"' % name if name else "", user, verb, full, GROUP[full]),
                           name, resource, GROUP[full])
        path_template = template + ("/{name}" if name else "") + ("/status" if sub else "")
        self._check_query(query, method)
        with self.store.lock:
            if name and method != "GET" and self.conflicts.get((resource, name), 0) > 0:
                self.conflicts[(resource, name)] -= 1
                self.store.touch(resource, name)
            if method == "GET":
                if name:
                    return 200, self.store.get(resource, name, KIND[resource])
                items = self.store.list(resource, query.get("labelSelector"),
                                        query.get("fieldSelector"))
                return 200, {"apiVersion": API_VERSION[resource], "kind": KIND[resource] + "List",
                             "metadata": {"resourceVersion": str(self.store.rv)}, "items": items}
            ctype = (headers.get("Content-Type") or "application/json").split(";")[0].strip()
            doc = self._parse(body, method)
            if method == "POST":
                self._validate_body(doc, path_template, method, ctype)
                return self._create(resource, doc, query)
            if method == "DELETE":
                return self._delete(resource, name, doc, path_template, ctype)
            old = self.store.get(resource, name, KIND[resource])
            if method == "PUT":
                self._validate_body(doc, path_template, method, ctype)
                new = doc
            else:
                new = self._patch(old, doc, ctype, path_template, resource)
            return self._update(resource, name, sub, old, new, query)

    @staticmethod
    def _check_query(query, method):
        if query.get("dryRun") not in (None, "All"):
            raise ApiError(400, "BadRequest", "unsupported dryRun value %r" % query["dryRun"])
        if len(query.get("fieldManager") or "") > 128:
            raise ApiError(422, "Invalid", "fieldManager: Too long: may not be more than 128")
        if query.get("fieldValidation") not in (None, "Ignore", "Warn", "Strict"):
            raise ApiError(400, "BadRequest", "fieldValidation must be Ignore, Warn or Strict")

    @staticmethod
    def _parse(body, method):
        if not body:
            if method in ("POST", "PUT", "PATCH"):
                raise ApiError(400, "BadRequest", "request body required")
            return None
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", "body is not JSON: %s" % exc)

    def _validate_body(self, doc, path_template, method, ctype):
        schema = self.openapi.request_schema(path_template, method, ctype)
        if schema is None:
            raise ApiError(415, "UnsupportedMediaType", "the body of type %s is not supported; "
                           "supported: %s" % (ctype, self.openapi.content_types(path_template, method)))
        name = schema["$ref"].rsplit("/", 1)[-1]
        errors = self.openapi.validate(doc, name)
        if errors:
            raise ApiError(400, "BadRequest", "strict decoding error: %s" % "; ".join(errors))

    def _check_kind(self, resource, doc):
        if doc.get("apiVersion") != API_VERSION[resource] or doc.get("kind") != KIND[resource]:
            raise ApiError(400, "BadRequest", "the API version in the data (%s/%s) does not "
                           "match the expected %s %s" % (doc.get("apiVersion"), doc.get("kind"),
                                                         API_VERSION[resource], KIND[resource]))

    def _rules(self, resource, obj, old=None):
        errors = self.openapi.validate(obj, KIND[resource]) + rules.quantity_errors(resource, obj)
        if errors:
            raise ApiError(400, "BadRequest", "strict decoding error: %s" % "; ".join(errors))
        errors = rules.node(obj) if resource == "nodes" else rules.resource_slice(obj, old)
        if errors:
            raise ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (
                KIND[resource], obj["metadata"].get("name"), "; ".join(errors)),
                obj["metadata"].get("name"), resource, GROUP[resource], errors)

    @staticmethod
    def _canonicalize(resource, obj):
        if resource == "nodes":
            for field in ("capacity", "allocatable"):
                values = (obj.get("status") or {}).get(field) or {}
                for key in values:
                    values[key] = rules.canonical_quantity(values[key])
        else:
            for dev in (obj.get("spec") or {}).get("devices") or []:
                for cap in (dev.get("capacity") or {}).values():
                    cap["value"] = rules.canonical_quantity(cap["value"])

    def _create(self, resource, doc, query):
        self._check_kind(resource, doc)
        if (doc.get("metadata") or {}).get("resourceVersion"):
            raise ApiError(400, "BadRequest", "resourceVersion should not be set on objects to "
                           "be created")
        self._rules(resource, doc)
        self._canonicalize(resource, doc)
        if query.get("dryRun"):
            return 201, doc
        return 201, self.store.create(resource, doc)

    def _patch(self, old, doc, ctype, path_template, resource):
        if ctype in patches.APPLY_PATCH:
            raise ApiError(415, "UnsupportedMediaType", "server-side apply is not implemented "
                           "by the test API server")
        if ctype not in self.openapi.content_types(path_template, "PATCH"):
            raise ApiError(415, "UnsupportedMediaType", "the body of type %s is not supported"
                           % ctype)
        # meta.v1.Patch (the documented body) says "object"; a JSON patch is a list of
        # operations (RFC 6902) and is checked as such.
        if ctype != patches.JSON_PATCH and self.openapi.validate(
                doc, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"):
            raise ApiError(400, "BadRequest", "the patch is not a JSON object")
        try:
            if ctype == patches.JSON_PATCH:
                return patches.json_patch(old, doc)
            if ctype == patches.MERGE_PATCH:
                if not isinstance(doc, dict):
                    raise patches.PatchError("a merge patch must be an object", True)
                return patches.merge_patch(old, doc)
            return patches.strategic_merge(old, doc, self.openapi.schema(KIND[resource]),
                                           self.openapi)
        except patches.PatchError as exc:
            if exc.bad_request:
                raise ApiError(400, "BadRequest", str(exc))
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in "
                           "our request: %s" % exc)

    def _update(self, resource, name, sub, old, new, query):
        if not isinstance(new, dict):
            raise ApiError(422, "Invalid", "the patched object is not an object")
        self._check_kind(resource, new)
        meta = new.setdefault("metadata", {})
        if meta.get("name") != name:
            raise ApiError(400, "BadRequest", "the name of the object (%s) does not match the "
                           "name on the URL (%s)" % (meta.get("name"), name))
        rv = meta.get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object '
                           'has been modified; please apply your changes to the latest version '
                           'and try again' % (resource + "." + GROUP[resource] if GROUP[resource]
                                              else resource, name), name, resource, GROUP[resource])
        if meta.get("uid") not in (None, old["metadata"]["uid"]):
            raise ApiError(409, "Conflict", "Precondition failed: UID in precondition differs")
        if resource == "nodes":
            if sub:   # the status subresource changes the status only
                new = dict(old, status=new.get("status"))
            else:     # the main resource ignores status changes
                new["status"] = old.get("status")
        self._rules(resource, new, old if resource == "resourceslices" else None)
        self._canonicalize(resource, new)
        if query.get("dryRun"):
            return 200, new
        return 200, self.store.update(resource, new, old)

    def _delete(self, resource, name, doc, path_template, ctype):
        if doc is not None:
            self._validate_body(doc, path_template, "DELETE", ctype)
        old = self.store.get(resource, name, KIND[resource])
        pre = (doc or {}).get("preconditions") or {}
        for key in ("resourceVersion", "uid"):
            if pre.get(key) and pre[key] != old["metadata"].get(key):
                raise ApiError(409, "Conflict", "Precondition failed: %s in precondition: %s, "
                               "%s in object meta: %s" % (key, pre[key], key,
                                                          old["metadata"].get(key)),
                               name, resource, GROUP[resource])
        self.store.delete(resource, name)
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": {"name": name, "group": GROUP[resource], "kind": resource,
                                 "uid": old["metadata"]["uid"]}}


def _handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def _user(self):
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("Bearer "):
                return server.tokens.get(auth[7:].strip())
            if auth.startswith("Basic "):
                import base64
                try:
                    pair = base64.b64decode(auth[6:]).decode("utf-8")
                except ValueError:
                    return None
                return server.basic.get(tuple(pair.split(":", 1)))
            cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
            for rdn in (cert or {}).get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        return value
            return None

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            entry = {"method": self.command, "path": self.path, "user": None,
                     "content_type": self.headers.get("Content-Type"),
                     "body": body.decode("utf-8", "replace")}
            try:
                entry["user"] = self._user()
                code, payload = server.handle(self.command, self.path, self.headers, body,
                                              entry["user"])
            except ApiError as exc:
                code, payload = exc.code, exc.status()
            except Exception as exc:  # a bug in the test server: make it visible
                code, payload = 500, ApiError(500, "InternalError", "test server bug: %r"
                                              % exc).status()
            entry["code"] = code
            server.log.append(entry)
            data = json.dumps(payload).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler
