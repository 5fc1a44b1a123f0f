#!/usr/bin/env bash
# The demo (make demo runs it after scripts/bootstrap.sh): simulated hosts built from real host
# captures, converged by openaccel.cyborg.site to the spec in inventories/demo/group_vars against a
# real OpenStack Placement on 127.0.0.1 and Kubernetes in manifest (GitOps) mode.
#   1. build/demo/<host>: a fake sysfs per host of inventories/demo/hosts.yml (tests/fixtures/hwsim)
#   2. ansible-playbook openaccel.cyborg.discover: a table of accelerators per host; NVIDIA GPUs
#      of the HGX host answer through a fake pynvml serving its real nvidia-smi capture
#   3. a real Placement (openstack-placement, sqlite) on 127.0.0.1
#   4. ansible-playbook openaccel.cyborg.site: validate -> discover -> configure -> register to
#      Placement and to Kubernetes manifests -> per-host reports and the fleet summary
#   5. the provider trees read back from Placement, and the manifests written
#   6. the same converge again: nothing changes (the demo fails otherwise)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh

DEMO=build/demo
INVENTORY=inventories/demo/hosts.yml
rm -rf "$DEMO" && mkdir -p "$DEMO/reports" "$DEMO/manifests"
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
  -e accelerators_report_dir="$REPO/$DEMO/reports" >"$DEMO/discover.log"
sed -n '/PLAY RECAP/,$p' "$DEMO/discover.log"
for report in "$DEMO"/reports/*.accelerators.txt; do
  echo "-- $(basename "$report" .accelerators.txt)"
  cat "$report"
done

echo "== 3. a real Placement on 127.0.0.1"
python tests/servers/servers.py start --workdir "$DEMO/placement" > "$DEMO/placement.json"
trap 'python tests/servers/servers.py stop --workdir "$DEMO/placement" >/dev/null' EXIT
PLACEMENT_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement_url"])' \
  "$DEMO/placement.json")
echo "Placement: $PLACEMENT_URL"

SITE=(ansible-playbook -i "$INVENTORY" openaccel.cyborg.site -e openaccel_placement_endpoint="$PLACEMENT_URL")
echo "== 4. ansible-playbook openaccel.cyborg.site (Placement + Kubernetes manifests)"
"${NVML_ENV[@]}" "${SITE[@]}" >"$DEMO/site-1.log"
sed -n '/PLAY RECAP/,$p' "$DEMO/site-1.log"
echo "-- fleet summary ($DEMO/reports/fleet-summary.md)"
cat "$DEMO/reports/fleet-summary.md"

echo "== 5. what was registered"
echo "-- provider trees, read back from Placement"
python scripts/show_placement_tree.py "$PLACEMENT_URL"
echo "-- Kubernetes manifests ($DEMO/manifests)"
(cd "$DEMO/manifests" && find . -type f | sort | sed 's|^\./|   |')

echo "== 6. the same converge again: nothing to change"
"${NVML_ENV[@]}" "${SITE[@]}" >"$DEMO/site-2.log"
sed -n '/PLAY RECAP/,$p' "$DEMO/site-2.log"
if grep -Eq 'changed=[1-9]' "$DEMO/site-2.log"; then
  echo "demo: the second converge changed something (see $DEMO/site-2.log)" >&2
  exit 1
fi
echo "-- fleet summary after the second converge"
cat "$DEMO/reports/fleet-summary.md"
echo "demo: done (second converge: changed=0 on every host; logs and reports in $DEMO)"
