"""Serve one OpenStack WSGI app (Placement or Keystone) single-threaded on 127.0.0.1.

Usage: python wsgi_serve.py {placement|keystone} PORT CONFIG_DIR

Single-threaded on purpose: the sqlite database gives "database is locked" errors
under concurrent writers (requests queue in the listen backlog instead).  oslo.config parses sys.argv, so it is cleared before the
application is imported.
"""
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # keep test output readable
        if os.environ.get("OPENACCEL_WSGI_LOG"):
            WSGIRequestHandler.log_message(self, *args)


def main():
    service, port, config_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sys.argv = sys.argv[:1]
    if service == "placement":
        os.environ["OS_PLACEMENT_CONFIG_DIR"] = config_dir
        from placement.wsgi.api import application
    elif service == "keystone":
        os.environ["OS_KEYSTONE_CONFIG_DIR"] = config_dir
        from keystone.wsgi.api import application
    else:
        sys.exit("unknown service %s" % service)
    WSGIServer.allow_reuse_address = True
    # socketserver's default listen backlog is 5: with more concurrent clients (forks=10)
    # the kernel drops their SYNs and each retries after a 1 s timeout.  A deployed Placement
    # (uwsgi, Apache) listens with a backlog of 100 or more.
    WSGIServer.request_queue_size = 128
    httpd = make_server("127.0.0.1", port, application, handler_class=QuietHandler)
    sys.stdout.write("serving %s on 127.0.0.1:%d\n" % (service, port))
    sys.stdout.flush()
    httpd.serve_forever()


if __name__ == "__main__":
    main()
