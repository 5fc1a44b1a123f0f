#!/usr/bin/env bash
# The demo (make demo runs it after scripts/bootstrap.sh): simulated hosts built from real host
# captures, discovered by the collection's own playbook, printed as tables.
#   1. build/demo/<host>: a fake sysfs per host of inventories/demo/hosts.yml (tests/fixtures/hwsim)
#   2. ansible-playbook openaccel.cyborg.discover on them; NVIDIA GPUs answer through a fake
#      pynvml serving the real nvidia-smi capture of the HGX H100 host
#   3. the tables of accelerators, one per host
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh

DEMO=build/demo
INVENTORY=inventories/demo/hosts.yml
rm -rf "$DEMO" && mkdir -p "$DEMO/reports"

echo "== 1. simulated hosts from real captures"
for host in $(ansible-inventory -i "$INVENTORY" --list | python3 -c \
    'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["_meta"]["hostvars"])))'); do
  scenario=$(ansible-inventory -i "$INVENTORY" --host "$host" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["openaccel_demo_scenario"])')
  python -m tests.fixtures.hwsim build "$scenario" "$DEMO/$host"
done

echo "== 2. ansible-playbook openaccel.cyborg.discover"
PYTHONPATH="$PYTHONPATH:$REPO/tests/fixtures/nvml_shim" OPENACCEL_FAKE_NVML_CAPTURE=h100_8gpu \
  ansible-playbook -i "$INVENTORY" openaccel.cyborg.discover \
  -e openaccel_report_dir="$REPO/$DEMO/reports"

echo "== 3. accelerators per host"
for report in "$DEMO"/reports/*.accelerators.txt; do
  echo "-- $(basename "$report" .accelerators.txt)"
  cat "$report"
done
