# shellcheck shell=bash
# The openaccel.cyborg.site check on one simulated host, shared by scripts/test.sh (galaxy stage,
# the installed tarball) and scripts/ee.sh (the same inside the execution environment image):
# a real Placement on 127.0.0.1, the inventory of one host whose sysfs is a fixture tree
# (python -m tests.fixtures.hwsim build t4 DIR), and the checks on what two runs leave.
# Source it; the caller defines REPO, say MESSAGE and run COMMAND... (print, then run).

SITE_HOST=sim-t4

# start_placement WORKDIR: start Placement (tests/servers/servers.py, the servers venv) with its
# state in WORKDIR and print its URL; stop it with stop_placement WORKDIR
start_placement() {
    local wd=$1
    [ -x "$OPENACCEL_SERVER_PYTHON" ] \
        || { say "ERROR: $OPENACCEL_SERVER_PYTHON is missing: run scripts/bootstrap.sh"; return 1; }
    mkdir -p "$wd"
    run "$REPO/.venv/bin/python" "$REPO/tests/servers/servers.py" start --workdir "$wd" >"$wd.json" \
        || { say "ERROR: Placement did not start (logs in $wd)"; return 1; }
    "$REPO/.venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement_url"])' "$wd.json"
}

# stop_placement WORKDIR: stop what "servers.py start --workdir WORKDIR" started, and wait for it
stop_placement() {
    local wd=$1 pid
    [ -f "$wd/placement/pid" ] || return 0
    pid=$(cat "$wd/placement/pid")
    if [ -f "$wd/servers.json" ]; then
        "$REPO/.venv/bin/python" "$REPO/tests/servers/servers.py" stop --workdir "$wd" >/dev/null
    else
        kill "$pid" 2>/dev/null
    fi
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    say "WARNING: Placement (pid $pid) still running after 10 s"
}

# site_inventory PYTHON SYSFS REPORT-DIR PLACEMENT-URL MANIFEST-DIR: on stdout, the inventory of
# $SITE_HOST (local connection, PYTHON) whose sysfs is SYSFS, its GPUs registered to Placement
# and as Kubernetes manifests (GitOps mode, no cluster); paths as the playbook run sees them
site_inventory() {
    cat <<EOF
all:
  hosts:
    $SITE_HOST:
  vars:
    ansible_connection: local
    ansible_python_interpreter: $1
    accelerators_sysfs_root: $2
    accelerators_nvml: disabled
    accelerators_report_dir: $3
    accelerators_spec:
      version: 1
      devices:
        - name: gpus
          select: {type: gpu}
      register:
        placement: {endpoint: "$4", token: admin, create_root: true}
        kubernetes: {target: manifests, manifest_dir: $5}
EOF
}

# site_check REPORT-DIR MANIFEST-DIR RUN2-LOG: manifests written, reports fleet-summary.md and
# $SITE_HOST.json written, and the second run (its output in RUN2-LOG) changed nothing
site_check() {
    local reports=$1 manifests=$2 log2=$3 f
    say "checking: manifests written, reports fleet-summary.md and $SITE_HOST.json, run 2 changed=0"
    [ -n "$(find "$manifests" -type f 2>/dev/null | head -n1)" ] \
        || { say "ERROR: no manifests in $manifests"; return 1; }
    for f in fleet-summary.md "$SITE_HOST.json"; do
        [ -s "$reports/$f" ] || { say "ERROR: no $f in $reports"; return 1; }
    done
    # (ansible-runner forces colour: the recap is read without its escape sequences)
    sed 's/\x1b\[[0-9;]*m//g' "$log2" | grep -Eq "^$SITE_HOST +: ok=[0-9]+ +changed=0 " \
        || { say "ERROR: the second run changed something on $SITE_HOST"; return 1; }
}
