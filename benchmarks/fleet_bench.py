# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet converge speed: a no-op openaccel.cyborg.site run against ansible.builtin.ping.

N simulated hosts (local connection, forks 10, each its own copy of one real capture) are
converged once against a real Placement (not timed), then timed: a no-op converge of the whole
fleet, and a playbook of the same hosts running only ansible.builtin.ping, alternately for
--rounds rounds (a shared machine's load drifts: alternating exposes both to it alike).
Printed per N: the median wall time per host of each and the ratio of the medians (and
each round's ratio). Target: ratio <= 2, per-host time flat in N (linear).

Usage: python benchmarks/fleet_bench.py [--hosts 10,50,100] [--rounds 3] [--scenario t4]
                                        [--forks 10]
Needs the project venv (. scripts/test-env.sh) and OPENACCEL_SERVER_PYTHON for Placement.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.servers.servers import PlacementServer  # noqa: E402

PING = """- name: Ping
  hosts: all
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""


def inventory(base, count, url):
    hosts = dict(("bench-%03d" % i, {}) for i in range(count))
    spec = {"version": 1, "devices": [
        {"name": "gpus", "select": {"type": "gpu"}, "optional": True,
         "register": {"traits": ["CUSTOM_BENCH"]}}],
        "register": {"placement": {"endpoint": url, "token": "admin", "create_root": True}}}
    inv = {"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "accelerators_nvml": "disabled", "accelerators_spec": spec,
        "accelerators_sysfs_root": os.path.join(base, "hosts", "{{ inventory_hostname }}")}}}
    path = os.path.join(base, "hosts-%d.json" % count)
    with open(path, "w") as handle:
        json.dump(inv, handle)
    return path


def play(inv, book, forks):
    env = dict(os.environ, ANSIBLE_FORKS=str(forks), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".cache", "collections") + ":" + REPO)
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", inv, book], capture_output=True, text=True, env=env, cwd=REPO, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        sys.exit(proc.stdout[-4000:] + proc.stderr[-2000:])
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
    return elapsed, changed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", default="10,50,100")
    parser.add_argument("--scenario", default="t4")
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    counts = [int(n) for n in args.hosts.split(",")]
    base = tempfile.mkdtemp(prefix="fleet-bench-")
    template = os.path.join(base, "template")
    subprocess.check_call([sys.executable, "-m", "tests.fixtures.hwsim", "build", args.scenario,
                           template], cwd=REPO, stderr=subprocess.DEVNULL)
    for i in range(max(counts)):
        shutil.copytree(template, os.path.join(base, "hosts", "bench-%03d" % i), symlinks=True)
    ping = os.path.join(base, "ping.yml")
    with open(ping, "w") as handle:
        handle.write(PING)
    server = PlacementServer(os.path.join(base, "placement")).start()
    rows = []
    try:
        for count in counts:
            inv = inventory(base, count, server.url)
            play(inv, "openaccel.cyborg.site", args.forks)           # converge (not timed)
            sites, pongs, changed = [], [], 0
            for _round in range(args.rounds):
                elapsed, round_changed = play(inv, "openaccel.cyborg.site", args.forks)
                sites.append(elapsed)
                changed += round_changed
                pongs.append(play(inv, ping, args.forks)[0])
            site, pong = statistics.median(sites), statistics.median(pongs)
            rows.append({"hosts": count, "site_s": site, "ping_s": pong, "ratio": site / pong,
                         "site_per_host_s": site / count, "ping_per_host_s": pong / count,
                         "rounds": [{"site_s": a, "ping_s": b} for a, b in zip(sites, pongs)],
                         "noop_changed": changed})
            fmt = ("N=%-4d no-op site %6.1fs (%.3fs/host)  ping %6.1fs (%.3fs/host)"
                   "  ratio %.2fx  changed=%d  (rounds: %s)")
            print(fmt % (count, site, site / count, pong, pong / count, site / pong, changed,
                         " ".join("%.2fx" % (a / b) for a, b in zip(sites, pongs))), flush=True)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    worst = max(r["ratio"] for r in rows)
    print("target <= 2.00x: %s (worst %.2fx)" % ("met" if worst <= 2 else "NOT met", worst))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)
    return 0 if all(r["noop_changed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
