#!/usr/bin/env bash
# The execution environment of execution-environment.yml, built for real and used as AWX does:
#
#   scripts/ee.sh [--tarball FILE] [--workdir DIR] [build] [run]     default: build run
#
#   build  ansible-builder build (podman) of a test copy of execution-environment.yml that differs
#          in three options only: the base image is localhost/openaccel-ee-base (Debian 12 from
#          the debootstrap rootfs scripts/molecule.sh caches, plus python3, python3-pip and
#          python3-venv), the package manager is apt-get, and pip is not bootstrapped with
#          ensurepip (Debian disables it for the system Python; python3-pip is there).  Everything
#          else runs as shipped: ansible-core and ansible-runner from PyPI, requirements.txt,
#          bindep.txt (the dpkg lines without the "test" profile, installed with apt-get), the
#          requirements.yml collections and the collection tarball (FILE, else built here).
#   run    ansible-runner run /runner -p openaccel.cyborg.site inside the image (podman run
#          --network host), twice, on one simulated host (a t4 fixture sysfs tree mounted
#          read-only) registering to a real Placement on 127.0.0.1 and to Kubernetes manifests;
#          the second run must change nothing (scripts/site-lib.sh, shared with scripts/test.sh).
#
# No container registry is contacted.  pip inside the build reaches PyPI with this machine's pip
# index settings and CA bundle (pip config and PIP_* variables), mounted into the build.  podman
# layers are cached: an unchanged context rebuilds in seconds; EE_NO_CACHE=1 rebuilds all.
# Environment: EE_IMAGE (tag, localhost/openaccel-cyborg-ee:test), KEEP_WORK=1 (keep the temp dir
# when no --workdir is given).
set -uo pipefail

# shellcheck source=scripts/test-env.sh disable=SC1091  # followed with shellcheck -x
. "$(dirname "${BASH_SOURCE[0]}")/test-env.sh"
# shellcheck source=scripts/site-lib.sh disable=SC1091
. "$REPO/scripts/site-lib.sh"
cd "$REPO" || exit 2

EE_IMAGE=${EE_IMAGE:-localhost/openaccel-cyborg-ee:test}
BASE_NAME=localhost/openaccel-ee-base
BASE_PKGS="python3 python3-pip python3-venv"

say() { printf '[ee.sh] %s\n' "$*"; }
show() { printf '[ee.sh] $ %s\n' "$(printf '%q ' "$@")" >&2; }
run() { show "$@"; "$@"; }
die() { say "ERROR: $*" >&2; exit 1; }

tarball='' work='' steps=()
while [ $# -gt 0 ]; do
    case "$1" in
        --tarball) tarball=$(realpath "$2") || exit 2; shift ;;
        --workdir) work=$2; shift ;;
        build|run) steps+=("$1") ;;
        -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see $0 --help)" ;;
    esac
    shift
done
[ ${#steps[@]} -gt 0 ] || steps=(build run)
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/openaccel-ee.XXXXXX")
    if [ "${KEEP_WORK:-0}" = 1 ]; then trap 'say "(kept $work)"' EXIT; else trap 'rm -rf "$work"' EXIT; fi
fi
mkdir -p "$work" && work=$(realpath "$work") || exit 2

# --- the base image ---------------------------------------------------------------------------
# Debian 12 from scripts/molecule.sh's cached debootstrap rootfs (and its podman configuration:
# runtime runc, ulimits this sandbox accepts); apt lists are kept so that ansible-builder's
# bindep step can apt-get install what bindep.txt asks for
need_base() {
    local rootfs key
    rootfs=$(bash scripts/molecule.sh --rootfs-tarball | tail -n1)
    [ -f "$rootfs" ] || die "no rootfs tarball from scripts/molecule.sh --rootfs-tarball"
    export CONTAINERS_CONF=$REPO/.cache/molecule/containers.conf
    key=$(echo "$(basename "$rootfs") $BASE_PKGS v1" | sha256sum | cut -c1-12)
    BASE_IMAGE=$BASE_NAME:$key
    if podman image exists "$BASE_IMAGE"; then
        say "base image $BASE_IMAGE present"
        return 0
    fi
    local start=$SECONDS dir=$work/base
    mkdir -p "$dir"
    run podman import -q "$rootfs" "$BASE_NAME:rootfs-$key" >/dev/null || die "podman import failed"
    cat >"$dir/Containerfile" <<EOF
FROM $BASE_NAME:rootfs-$key
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $BASE_PKGS && apt-get clean
EOF
    run podman build -q -t "$BASE_IMAGE" "$dir" >"$dir/build.log" 2>&1 \
        || { tail -n 30 "$dir/build.log"; die "base image build failed (log: $dir/build.log)"; }
    podman rmi "$BASE_NAME:rootfs-$key" >/dev/null 2>&1 || true
    say "base image $BASE_IMAGE built ($((SECONDS - start)) s)"
}

# --- pip inside the build -----------------------------------------------------------------------
# pip.conf for the build containers (mounted at /etc/pip.conf): this machine's index settings that
# are URLs (local file:// indexes and find-links directories are left out) and the CA bundle pip
# uses here, mounted at /run/openaccel-ee/ca.crt; prints "-v ..." mount arguments for podman build
build_pip_mounts() {
    local conf=$1 cert
    cert=$(.venv/bin/python - "$conf" <<'PY'
import os, re, subprocess, sys

conf = {}
listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
for line in listing.splitlines():
    match = re.match(r"^(global|install|download)\.([\w-]+)='(.*)'$", line)
    if match:
        conf[match.group(2)] = match.group(3)
for key in ("index-url", "extra-index-url", "trusted-host", "cert", "timeout", "default-timeout", "retries"):
    value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
    if value:
        conf[key] = value
conf["timeout"] = conf.pop("default-timeout", conf.get("timeout", ""))
cert = conf.pop("cert", "") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or ""
lines = ["[global]"]
for key in ("index-url", "extra-index-url", "trusted-host", "timeout", "retries"):
    values = [v for v in conf.get(key, "").split() if not v.startswith("file:")]
    if values:
        lines.append("%s = %s" % (key, " ".join(values)))
if os.path.isfile(cert):
    lines.append("cert = /run/openaccel-ee/ca.crt")
    print(os.path.realpath(cert))
with open(sys.argv[1], "w") as f:
    f.write("\n".join(lines) + "\n")
PY
) || return 1
    printf -- '-v %s:/etc/pip.conf:ro' "$conf"
    [ -n "$cert" ] && printf -- ' -v %s:/run/openaccel-ee/ca.crt:ro' "$cert"
    echo
}

# --- build ------------------------------------------------------------------------------------
do_build() {
    local ctx=$work/ee start=$SECONDS mounts
    command -v podman >/dev/null || die "podman is missing (bindep.txt: apt-get install podman runc)"
    need_base
    mkdir -p "$ctx"
    if [ -z "$tarball" ]; then
        run ansible-galaxy collection build --force --output-path "$ctx" >/dev/null || die "collection build failed"
        tarball=$(find "$ctx" -maxdepth 1 -name 'openaccel-cyborg-*.tar.gz' | head -n1)
    fi
    [ -f "$tarball" ] || die "no collection tarball"
    cp execution-environment.yml requirements.yml requirements.txt bindep.txt "$ctx/" || return 1
    [ "$(dirname "$tarball")" = "$ctx" ] || cp "$tarball" "$ctx/" || return 1
    # the test copy: the shipped definition with the three options above overridden
    .venv/bin/python - "$ctx/execution-environment.yml" "$ctx/execution-environment.test.yml" "$BASE_IMAGE" <<'PY' || return 1
import sys, yaml
src, dest, base = sys.argv[1:]
with open(src) as f:
    ee = yaml.safe_load(f)
ee["images"]["base_image"]["name"] = base
ee.setdefault("options", {}).update(package_manager_path="/usr/bin/apt-get", skip_pip_install=True)
with open(dest, "w") as f:
    yaml.safe_dump(ee, f, sort_keys=False)
PY
    mounts=$(build_pip_mounts "$ctx/pip.conf") || die "could not write the build's pip.conf"
    say "pip in the build: $(grep -v '^\[' "$ctx/pip.conf" | tr '\n' ' ')"
    local args=(build --file "$ctx/execution-environment.test.yml" --context "$ctx/context"
                --tag "$EE_IMAGE" --container-runtime podman -v 2
                "--extra-build-cli-args=$mounts")
    [ "${EE_NO_CACHE:-0}" = 1 ] && args+=(--no-cache)
    run ansible-builder "${args[@]}" >"$ctx/build.log" 2>&1 \
        || { tail -n 40 "$ctx/build.log"; die "ansible-builder build failed (log: $ctx/build.log)"; }
    say "image $EE_IMAGE built ($((SECONDS - start)) s; log: $ctx/build.log)"
    say "in the image: $(podman run --rm "$EE_IMAGE" sh -c 'ansible --version | head -n1; ansible-runner --version; ansible-galaxy collection list openaccel.cyborg 2>/dev/null | grep openaccel' | tr '\n' ' ')"
}

# --- run --------------------------------------------------------------------------------------
do_run() {
    local dir=$work/run start=$SECONDS
    export CONTAINERS_CONF=$REPO/.cache/molecule/containers.conf
    podman image exists "$EE_IMAGE" || die "no image $EE_IMAGE: run $0 build first"
    rm -rf "$dir" && mkdir -p "$dir/runner/inventory" "$dir/runner/project" || return 1
    (cd "$REPO" && run .venv/bin/python -m tests.fixtures.hwsim build t4 "$dir/sysfs-t4" >/dev/null) \
        || die "could not build the t4 fixture tree"
    (
        trap 'stop_placement "$dir/placement"' EXIT
        trap 'exit 130' INT TERM HUP
        url=$(start_placement "$dir/placement") || exit 1
        say "Placement: $url"
        # paths as the container sees them: the private data directory is /runner
        site_inventory /usr/bin/python3 /fixtures/sysfs-t4 /runner/reports "$url" /runner/manifests \
            >"$dir/runner/inventory/hosts.yml"
        # the image runs as its own non-root user (ansible-builder's default, as on AWX): it
        # writes artifacts, reports and manifests under /runner
        chmod -R a+rwX "$dir/runner"
        for pass in 1 2; do
            run podman run --rm --network host -v "$dir/runner:/runner" -v "$dir/sysfs-t4:/fixtures/sysfs-t4:ro" \
                "$EE_IMAGE" ansible-runner run /runner -p openaccel.cyborg.site --ident "run$pass" >"$dir/run$pass.log" 2>&1
            rc=$?
            status=$(cat "$dir/runner/artifacts/run$pass/status" 2>/dev/null)
            say "run $pass: exit status $rc, ansible-runner status ${status:-none}; output in $dir/run$pass.log"
            if [ $rc -ne 0 ] || [ "$status" != successful ]; then tail -n 40 "$dir/run$pass.log"; exit 1; fi
            sed -n '/^PLAY RECAP/,$p' "$dir/run$pass.log" | grep -v '^$'
        done
        site_check "$dir/runner/reports" "$dir/runner/manifests" "$dir/run2.log"
    ) || return 1
    say "site playbook in the EE: ok, second run changed nothing ($((SECONDS - start)) s)"
}

total=$SECONDS
for step in "${steps[@]}"; do "do_$step" || die "$step failed"; done
say "done in $((SECONDS - total)) s: ${steps[*]}"
