"""Benchmark: register a host with N device providers (default 30) in a real Placement.

Compares, in the same run and against the same server:
  * openaccel.cyborg.placement_provider_tree through ansible-playbook (first run + no-op run)
  * a shell-style script of `openstack resource provider ...` commands (osc-placement) doing
    the same: create + inventory set + trait set per device (first run), and list/inventory
    list/trait list per device to verify nothing changed (no-op run).
API calls are counted on the wire by a forwarding proxy in front of Placement.

Usage: python benchmarks/placement_bench.py [--devices 30] [--json OUT]
Needs: ansible-core, openstack-placement, keystoneauth1, os-traits, os-resource-classes,
python-openstackclient + osc-placement, in the Python that runs it.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from tests.servers.flaky_proxy import FlakyProxy  # noqa: E402
from tests.servers.servers import PlacementServer  # noqa: E402

BIN = os.path.dirname(sys.executable)
DEVICES = os.path.join(ROOT, "tests", "integration", "placement", "host-devices.json")
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - openaccel.cyborg.placement_provider_tree:
%(args)s
      register: result
    - ansible.builtin.copy: {content: "{{ result | to_json }}", dest: "{{ out }}"}
"""


def make_devices(n):
    with open(DEVICES) as f:
        templates = [r for r in json.load(f) if not r.get("is_virtual_function")]
    out = []
    for i in range(n):
        rec = copy.deepcopy(templates[i % len(templates)])
        rec["address"] = "0000:%02x:00.0" % (0x10 + i)
        rec["numa_node"] = i % 2 if rec.get("numa_node") is not None else None
        if rec.get("sriov"):
            rec["sriov"]["vfs"] = []
        out.append(rec)
    return out


def ensure_link():
    link = os.path.join(ROOT, "ansible_collections", "openaccel", "cyborg")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("../..", link)


def run_module(work, url, node, devices):
    pb = os.path.join(work, "pb.yml")
    with open(pb, "w") as f:
        f.write(PLAYBOOK % {"args": "\n".join(
            '        %s: "{{ module_args.%s }}"' % (k, k)
            for k in ("endpoint", "token", "compute_node", "create_root", "devices"))})
    out = os.path.join(work, "result.json")
    varsf = os.path.join(work, "vars.json")
    with open(varsf, "w") as f:
        json.dump({"out": out, "module_args": {"endpoint": url, "token": "admin",
                                               "compute_node": node, "create_root": True,
                                               "devices": devices}}, f)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ROOT, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    t0 = time.time()
    subprocess.run([os.path.join(BIN, "ansible-playbook"), pb, "-e", "@" + varsf], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    wall = time.time() - t0
    with open(out) as f:
        res = json.load(f)
    return wall, res


def desired_for_cli(node, devices):
    from ansible_collections.openaccel.cyborg.plugins.module_utils._placement.desired import (
        build_desired, provider_uuid,
    )
    return provider_uuid(node), build_desired(node, devices)


def osc(url, *args):
    cmd = [os.path.join(BIN, "openstack"), "--os-auth-type", "admin_token", "--os-endpoint", url,
           "--os-token", "admin", "--os-placement-api-version", "1.26"] + list(args)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_cli_first(url, node, devices):
    root, desired = desired_for_cli(node, devices)
    t0, n = time.time(), 0
    osc(url, "resource", "provider", "create", "--uuid", root, node)
    traits = sorted(set(t for p in desired.values() for t in p["traits"] if t.startswith("CUSTOM_")))
    rcs = sorted(set(r for p in desired.values() for r in p["inventories"] if r.startswith("CUSTOM_")))
    for t in traits:
        osc(url, "trait", "create", t)
    for r in rcs:
        osc(url, "resource", "class", "create", r)
    n += 1 + len(traits) + len(rcs)
    for name, p in sorted(desired.items()):
        osc(url, "resource", "provider", "create", "--parent-provider", root, "--uuid", p["uuid"], name)
        inv_args = []
        for rc, inv in p["inventories"].items():
            for k, v in inv.items():
                inv_args += ["--resource", "%s:%s=%s" % (rc, k, v)]
        osc(url, "resource", "provider", "inventory", "set", p["uuid"], *inv_args)
        trait_args = []
        for t in p["traits"]:
            trait_args += ["--trait", t]
        osc(url, "resource", "provider", "trait", "set", p["uuid"], *trait_args)
        n += 3
    return time.time() - t0, n


def run_cli_noop(url, node, devices):
    root, desired = desired_for_cli(node, devices)
    t0 = time.time()
    osc(url, "resource", "provider", "list", "--in-tree", root)
    for p in desired.values():
        osc(url, "resource", "provider", "inventory", "list", p["uuid"])
        osc(url, "resource", "provider", "trait", "list", p["uuid"])
    return time.time() - t0, 1 + 2 * len(desired)


def count(proxy, start):
    calls = proxy.seen[start:]
    reads = sum(1 for method, _path in calls if method in ("GET", "HEAD"))
    return {"reads": reads, "writes": len(calls) - reads}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=30)
    ap.add_argument("--json", help="write the numbers here too")
    args = ap.parse_args()
    ensure_link()
    devices = make_devices(args.devices)
    with tempfile.TemporaryDirectory() as work:
        # One empty Placement each, so both start from nothing (traits, classes, providers).
        servers = [PlacementServer(os.path.join(work, name)).start() for name in ("pm", "pc")]
        proxies = [FlakyProxy(s.url).start() for s in servers]
        try:
            r = {"devices": args.devices}
            pm, pc = proxies
            r["module_first_s"], res1 = run_module(work, pm.url, "bench-node", devices)
            r["module_first_calls"] = count(pm, 0)
            r["module_first_reported"] = res1["api_calls"]
            mark = len(pm.seen)
            r["module_noop_s"], res2 = run_module(work, pm.url, "bench-node", devices)
            r["module_noop_calls"] = count(pm, mark)
            r["module_noop_changed"] = res2["changed"]
            r["cli_first_s"], r["cli_first_commands"] = run_cli_first(pc.url, "bench-node", devices)
            r["cli_first_calls"] = count(pc, 0)
            mark = len(pc.seen)
            r["cli_noop_s"], r["cli_noop_commands"] = run_cli_noop(pc.url, "bench-node", devices)
            r["cli_noop_calls"] = count(pc, mark)
        finally:
            for x in proxies + servers:
                x.stop()
    r["ratio_first_time"] = round(r["cli_first_s"] / r["module_first_s"], 1)
    r["ratio_noop_time"] = round(r["cli_noop_s"] / r["module_noop_s"], 1)
    print("device providers: %d (CLI: %d commands first run, %d for the no-op check)"
          % (r["devices"], r["cli_first_commands"], r["cli_noop_commands"]))
    print("%-28s %9s %7s %7s" % ("", "wall s", "reads", "writes"))
    for label, key in (("module first run", "module_first"), ("module no-op run", "module_noop"),
                       ("CLI first run", "cli_first"), ("CLI no-op check", "cli_noop")):
        c = r[key + "_calls"]
        print("%-28s %9.2f %7d %7d" % (label, r[key + "_s"], c["reads"], c["writes"]))
    print("speed-up first run: %.1fx, no-op run: %.1fx (CLI time / module time)"
          % (r["ratio_first_time"], r["ratio_noop_time"]))
    print("no-op writes by the module: %d (changed=%s)"
          % (r["module_noop_calls"]["writes"], r["module_noop_changed"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
