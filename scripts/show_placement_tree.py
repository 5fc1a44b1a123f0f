# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the provider trees of a Placement service (demo helper, no-auth deployments).

Usage: show_placement_tree.py URL [TOKEN]   (TOKEN defaults to "admin", as noauth2 wants)
"""

import json
import sys
import urllib.request


def get(url, token, path):
    request = urllib.request.Request(url.rstrip("/") + path, headers={
        "x-auth-token": token, "OpenStack-API-Version": "placement 1.39",
        "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def describe(url, token, provider):
    inventories = get(url, token, "/resource_providers/%s/inventories" % provider["uuid"])
    traits = get(url, token, "/resource_providers/%s/traits" % provider["uuid"])["traits"]
    inv = ", ".join("%s=%d (reserved %d)" % (rc, v["total"], v["reserved"])
                    for rc, v in sorted(inventories["inventories"].items()))
    return "%s  [%s]  traits: %s" % (provider["name"], inv or "no inventory",
                                     " ".join(sorted(t for t in traits if t.startswith("CUSTOM_"))))


def main(argv):
    url, token = argv[1], (argv[2] if len(argv) > 2 else "admin")
    providers = get(url, token, "/resource_providers")["resource_providers"]
    roots = [p for p in providers if p["uuid"] == p["root_provider_uuid"]]
    for root in sorted(roots, key=lambda p: p["name"]):
        children = [p for p in providers if p["root_provider_uuid"] == root["uuid"]
                    and p["uuid"] != root["uuid"]]
        print("%s (%s): %d device providers" % (root["name"], root["uuid"], len(children)))
        for child in sorted(children, key=lambda p: p["name"]):
            print("  - " + describe(url, token, child))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
