"""Start and stop a real OpenStack Placement (and Keystone) on 127.0.0.1 for tests and demos.

Library use (pytest fixtures, benchmark)::

    from tests.servers.servers import PlacementServer, KeystoneServer
    ks = KeystoneServer("/tmp/w/ks").start()          # optional
    pl = PlacementServer("/tmp/w/pl", keystone=ks).start()
    pl.url ; pl.stop() ; pl.start()  # restart keeps port and database

Command line (demo)::

    python servers.py start  --workdir DIR [--keystone]   # prints JSON: urls, pids, clouds.yaml
    python servers.py stop   --workdir DIR

Both servers use sqlite files in their work directory and are served single-threaded
(wsgiref), the only safe setting with sqlite.  Needs the PyPI packages
``openstack-placement`` (and ``keystone`` for Keystone) in the Python that runs this.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVE = os.path.join(HERE, "wsgi_serve.py")
PYTHON = os.environ.get("OPENACCEL_SERVER_PYTHON", sys.executable)
ADMIN_PASSWORD = "openaccel-admin"
SERVICE_PASSWORD = "openaccel-placement"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, proc, log, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s; log %s:\n%s"
                               % (proc.returncode, log, open(log).read()[-3000:]))
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:  # Keystone answers 300 on /: it is up
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise RuntimeError("server at %s not up after %ss; log %s" % (url, timeout, log))


class _Server:
    service = None

    def __init__(self, workdir, port=None):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.port = port or free_port()
        self.proc = None
        self.log = os.path.join(self.workdir, "%s.log" % self.service)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _serve(self):
        env = dict(os.environ)
        env.pop("OS_CLOUD", None)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([PYTHON, SERVE, self.service, str(self.port), self.workdir],
                                         stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        with open(os.path.join(self.workdir, "pid"), "w") as f:
            f.write(str(self.proc.pid))
        try:
            _wait_http(self.url + "/", self.proc, self.log)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None


class KeystoneServer(_Server):
    """Keystone with sqlite + fernet, bootstrapped with admin and a placement service user."""
    service = "keystone"

    @property
    def auth_url(self):
        return self.url + "/v3"

    def _conf(self):
        d = self.workdir
        with open(os.path.join(d, "keystone.conf"), "w") as f:
            f.write("[DEFAULT]\nlog_file = %s/keystone-app.log\n"
                    "[database]\nconnection = sqlite:///%s/keystone.db\n"
                    "[token]\nprovider = fernet\n"
                    "[fernet_tokens]\nkey_repository = %s/fernet-keys\n"
                    "[fernet_receipts]\nkey_repository = %s/fernet-keys\n"
                    "[credential]\nkey_repository = %s/credential-keys\n" % (d, d, d, d, d))

    def _manage(self, *args):
        manage = os.path.join(os.path.dirname(PYTHON), "keystone-manage")
        subprocess.run([manage, "--config-file", os.path.join(self.workdir, "keystone.conf")]
                       + list(args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def start(self):
        if not os.path.exists(os.path.join(self.workdir, "keystone.db")):
            self._conf()
            self._manage("db_sync")
            user = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
            self._manage("fernet_setup", *user)
            self._manage("credential_setup", *user)
            self._manage("bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
                         "--bootstrap-admin-url", self.auth_url,
                         "--bootstrap-public-url", self.auth_url,
                         "--bootstrap-internal-url", self.auth_url,
                         "--bootstrap-region-id", "RegionOne")
            self._serve()
            return self
        return self._serve()

    def admin_session(self):
        from keystoneauth1 import session
        from keystoneauth1.identity import v3
        return session.Session(auth=v3.Password(
            auth_url=self.auth_url, username="admin", password=ADMIN_PASSWORD,
            project_name="admin", user_domain_id="default", project_domain_id="default"))

    def register_placement(self, placement_url):
        """Service project, placement user (admin + service roles), service and endpoints."""
        from keystoneclient.v3 import client
        ks = client.Client(session=self.admin_session())
        project = _find_or(ks.projects, "service", lambda: ks.projects.create("service", "default"))
        user = _find_or(ks.users, "placement", lambda: ks.users.create(
            "placement", domain="default", password=SERVICE_PASSWORD))
        for role_name in ("admin", "service"):
            role = _find_or(ks.roles, role_name, lambda: ks.roles.create(role_name))
            ks.roles.grant(role, user=user, project=project)
        svc = [s for s in ks.services.list() if s.type == "placement"]
        svc = svc[0] if svc else ks.services.create("placement", type="placement")
        for ep in ks.endpoints.list(service=svc):
            ks.endpoints.delete(ep)
        for iface in ("public", "internal", "admin"):
            ks.endpoints.create(svc, placement_url, interface=iface, region="RegionOne")

    def clouds_yaml(self, name="openaccel-test"):
        return {"clouds": {name: {
            "auth_type": "password", "region_name": "RegionOne", "interface": "public",
            "auth": {"auth_url": self.auth_url, "username": "admin", "password": ADMIN_PASSWORD,
                     "project_name": "admin", "user_domain_name": "Default",
                     "project_domain_name": "Default"}}}}


def _find_or(manager, name, create):
    found = [x for x in manager.list() if x.name == name]
    return found[0] if found else create()


class PlacementServer(_Server):
    """Placement on sqlite; noauth2 (token "admin") or Keystone auth."""
    service = "placement"

    def __init__(self, workdir, port=None, keystone=None):
        super().__init__(workdir, port)
        self.keystone = keystone

    def _conf(self):
        d = self.workdir
        lines = ["[DEFAULT]", "log_file = %s/placement-app.log" % d,
                 "[placement_database]", "connection = sqlite:///%s/placement.db" % d,
                 "sync_on_startup = true", "[api]"]
        if self.keystone:
            lines += ["auth_strategy = keystone", "[keystone_authtoken]",
                      "auth_type = password", "auth_url = %s" % self.keystone.auth_url,
                      "www_authenticate_uri = %s" % self.keystone.auth_url,
                      "username = placement", "password = %s" % SERVICE_PASSWORD,
                      "project_name = service", "user_domain_name = Default",
                      "project_domain_name = Default", "service_token_roles_required = false"]
        else:
            lines += ["auth_strategy = noauth2"]
        with open(os.path.join(d, "placement.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        self._conf()
        if self.keystone:
            self.keystone.register_placement(self.url)
        return self._serve()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("action", choices=["start", "stop"])
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--keystone", action="store_true")
    ap.add_argument("--port", type=int)
    args = ap.parse_args(argv)
    state_file = os.path.join(args.workdir, "servers.json")
    if args.action == "stop":
        with open(state_file) as f:
            state = json.load(f)
        for pid in state["pids"]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    ks = None
    if args.keystone:
        ks = KeystoneServer(os.path.join(args.workdir, "keystone")).start()
    pl = PlacementServer(os.path.join(args.workdir, "placement"), port=args.port,
                         keystone=ks).start()
    state = {"placement_url": pl.url, "pids": [pl.proc.pid] + ([ks.proc.pid] if ks else [])}
    if ks:
        state["keystone_url"] = ks.auth_url
        state["clouds"] = ks.clouds_yaml()
    with open(state_file, "w") as f:
        json.dump(state, f, indent=1)
    # Detach: the servers outlive this command; "stop" ends them.
    pl.proc = None
    if ks:
        ks.proc = None
    print(json.dumps(state, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    sys.exit(main())
