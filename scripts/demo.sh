#!/usr/bin/env bash
# The demo (make demo runs it after scripts/bootstrap.sh): simulated hosts built from real host
# captures, discovered and registered to a real OpenStack Placement on 127.0.0.1.
#   1. build/demo/<host>: a fake sysfs per host of inventories/demo/hosts.yml (tests/fixtures/hwsim)
#   2. ansible-playbook openaccel.cyborg.discover on them; NVIDIA GPUs answer through a fake
#      pynvml serving the real nvidia-smi capture of the HGX H100 host
#   3. the tables of accelerators, one per host
#   4. a real Placement (openstack-placement, sqlite) on 127.0.0.1; openaccel.cyborg.register_placement
#      registers every host; the provider trees are read back from Placement
#   5. the same playbook again: nothing changes (0 writes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh

DEMO=build/demo
INVENTORY=inventories/demo/hosts.yml
rm -rf "$DEMO" && mkdir -p "$DEMO/reports"
NVML_ENV=(env "PYTHONPATH=$PYTHONPATH:$REPO/tests/fixtures/nvml_shim" OPENACCEL_FAKE_NVML_CAPTURE=h100_8gpu)

echo "== 1. simulated hosts from real captures"
for host in $(ansible-inventory -i "$INVENTORY" --list | python3 -c \
    'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["_meta"]["hostvars"])))'); do
  scenario=$(ansible-inventory -i "$INVENTORY" --host "$host" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["openaccel_demo_scenario"])')
  python -m tests.fixtures.hwsim build "$scenario" "$DEMO/$host"
done

echo "== 2. ansible-playbook openaccel.cyborg.discover"
"${NVML_ENV[@]}" ansible-playbook -i "$INVENTORY" openaccel.cyborg.discover \
  -e openaccel_report_dir="$REPO/$DEMO/reports"

echo "== 3. accelerators per host"
for report in "$DEMO"/reports/*.accelerators.txt; do
  echo "-- $(basename "$report" .accelerators.txt)"
  cat "$report"
done

echo "== 4. a real Placement on 127.0.0.1, and openaccel.cyborg.register_placement"
python tests/servers/servers.py start --workdir "$DEMO/placement" > "$DEMO/placement.json"
trap 'python tests/servers/servers.py stop --workdir "$DEMO/placement" >/dev/null' EXIT
PLACEMENT_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement_url"])' \
  "$DEMO/placement.json")
echo "Placement: $PLACEMENT_URL"
REGISTER=(ansible-playbook -i "$INVENTORY" openaccel.cyborg.register_placement
  -e openaccel_placement_endpoint="$PLACEMENT_URL" -e openaccel_placement_token=admin
  -e openaccel_placement_create_root=true)
"${NVML_ENV[@]}" "${REGISTER[@]}" | tee "$DEMO/register-1.log" | sed -n '/PLAY RECAP/,$p'
echo "-- provider trees, read back from Placement"
python scripts/show_placement_tree.py "$PLACEMENT_URL"

echo "== 5. the same registration again: nothing to change"
"${NVML_ENV[@]}" "${REGISTER[@]}" | tee "$DEMO/register-2.log" | sed -n '/PLAY RECAP/,$p'
if grep -Eq 'changed=[1-9]' "$DEMO/register-2.log"; then
  echo "demo: the second registration changed something" >&2
  exit 1
fi
echo "demo: done (second run: changed=0 on every host)"
