"""A forwarding HTTP proxy on 127.0.0.1 that can answer 5xx on command (fault tests).

    proxy = FlakyProxy("http://127.0.0.1:PLACEMENT_PORT").start()
    proxy.fail(3, 503)     # the next 3 requests get 503, then it forwards again
    proxy.fail(-1, 500)    # every request gets 500
    proxy.url ; proxy.stop()
"""
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FlakyProxy:
    def __init__(self, target):
        self.target = target.rstrip("/")
        self.remaining = 0
        self.status = 503
        self.seen = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def fail(self, count, status=503):
        with self.lock:
            self.remaining, self.status = count, status

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _take_failure(self):
        with self.lock:
            if self.remaining == 0:
                return None
            if self.remaining > 0:
                self.remaining -= 1
            return self.status

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append((self.command, self.path))
                status = proxy._take_failure()
                if status:
                    data = json.dumps({"errors": [{"status": status, "title": "injected",
                                                   "detail": "injected by FlakyProxy"}]}).encode()
                    return self._reply(status, {"Content-Type": "application/json"}, data)
                headers = dict((k, v) for k, v in self.headers.items()
                               if k.lower() not in ("host", "content-length", "connection"))
                req = urllib.request.Request(proxy.target + self.path, data=body,
                                             headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        return self._reply(resp.status, resp.headers, resp.read())
                except urllib.error.HTTPError as err:
                    return self._reply(err.code, err.headers, err.read())

            def _reply(self, status, headers, data):
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding",
                                         "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _any

        return Handler
