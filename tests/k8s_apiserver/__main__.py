"""Run the test API server in the foreground: python -m tests.k8s_apiserver DIR [--version 1.34].

Writes DIR/kubeconfig-admin (and serves nodes given with --node) until interrupted; handy
for trying the module or the demo by hand.
"""

import argparse
import time

from .server import K8sTestServer


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory")
    parser.add_argument("--version", default="1.35", choices=["1.34", "1.35"])
    parser.add_argument("--node", action="append", default=[])
    args = parser.parse_args()
    server = K8sTestServer(args.directory, args.version).start()
    for node in args.node:
        server.add_node(node)
    print("serving %s (Kubernetes %s); kubeconfig: %s"
          % (server.url, args.version, server.kubeconfig("admin")), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
