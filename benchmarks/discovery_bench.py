# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovery speed, printed as ratios against baselines measured in the same run.

1. In-process discovery on the >= 500-function fixture host against
   ``lspci -nn -D -vmm -k`` on the same tree (whole process), medians of back-to-back
   rounds of each. Target: >= 5x faster. Also printed, not judged: the same with the
   two interleaved, where discovery starts on caches an lspci process just used.
2. The accelerator_facts task against an ansible.builtin.ping task, both on localhost,
   per-task wall time from a timing callback. Target: <= 1.3x.

Usage: python benchmarks/discovery_bench.py [--rounds N] [--tasks N]
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import discover  # noqa: E402


def build_tree(scenario, dest):
    subprocess.check_call([sys.executable, "-m", "tests.fixtures.hwsim", "build", scenario, dest],
                          cwd=REPO, stdout=subprocess.DEVNULL)
    return dest


def _lspci_once(root):
    cmd = ["lspci", "-nn", "-D", "-vmm", "-k", "-O", "sysfs.path=%s/bus/pci" % root]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _discovery_once(root):
    start = time.perf_counter()
    summary = discover(root)[1]
    return time.perf_counter() - start, summary


def time_back_to_back(root, rounds):
    """Medians of each run ``rounds`` times in a row (the usual timeit-style figure)."""
    lspci = [_lspci_once(root) for _round in range(rounds)]
    ours = [_discovery_once(root) for _round in range(rounds)]
    return statistics.median(lspci), statistics.median(t for t, _s in ours), ours[-1][1]


def time_interleaved(root, rounds):
    """Medians with the two alternating: discovery always runs right after an lspci
    process, with the CPU caches that process left behind (closer to a module run)."""
    lspci, ours = [], []
    for _round in range(rounds):
        lspci.append(_lspci_once(root))
        ours.append(_discovery_once(root)[0])
    return statistics.median(lspci), statistics.median(ours)


def time_tasks(tasks, workdir):
    """Median per-task wall time of ping and accelerator_facts on localhost."""
    playbook = os.path.join(workdir, "bench.yml")
    with open(playbook, "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n")
        for i in range(tasks):
            handle.write("    - name: ping %d\n      ansible.builtin.ping:\n" % i)
            handle.write("    - name: facts %d\n      openaccel.cyborg.accelerator_facts:\n" % i)
    out = os.path.join(workdir, "timings.json")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=REPO,
               ANSIBLE_CALLBACKS_ENABLED="task_timer",
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(REPO, "benchmarks", "callback_plugins"),
               TASK_TIMER_OUTPUT=out, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", playbook,
                    "-e", "ansible_python_interpreter=%s" % sys.executable],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    with open(out) as handle:
        timings = json.load(handle)
    ping = [t for name, t in timings if name.startswith("ping")][1:]   # first run warms caches
    facts = [t for name, t in timings if name.startswith("facts")][1:]
    return statistics.median(ping), statistics.median(facts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tasks", type=int, default=11)
    parser.add_argument("--scenario", default="big_host")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        root = build_tree(args.scenario, os.path.join(workdir, "tree"))
        _discovery_once(root)  # imports and first-touch page faults, not timed
        lspci, ours, summary = time_back_to_back(root, args.rounds)
        print("tree: %s, %d PCI functions, %d accelerators"
              % (args.scenario, summary["total_pci_functions"], summary["accelerator_count"]))
        print("lspci -nn -D -vmm -k (process): %.1f ms   discovery (in-process): %.1f ms"
              % (lspci * 1000, ours * 1000))
        ratio = lspci / ours
        print("discovery speed-up vs lspci: %.1fx (target >= 5x) %s"
              % (ratio, "OK" if ratio >= 5 else "MISSED"))
        cold_lspci, cold_ours = time_interleaved(root, args.rounds)
        print("interleaved (each discovery right after an lspci run): lspci %.1f ms, discovery "
              "%.1f ms: %.1fx (reported, not judged)"
              % (cold_lspci * 1000, cold_ours * 1000, cold_lspci / cold_ours))
        ping, facts = time_tasks(args.tasks, workdir)
        task_ratio = facts / ping
        print("ping task: %.0f ms   accelerator_facts task: %.0f ms (median of %d)"
              % (ping * 1000, facts * 1000, args.tasks - 1))
        print("accelerator_facts / ping: %.2fx (target <= 1.3x) %s"
              % (task_ratio, "OK" if task_ratio <= 1.3 else "MISSED"))
    return 0 if ratio >= 5 and task_ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
