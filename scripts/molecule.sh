#!/usr/bin/env bash
# Molecule scenarios of the driver roles (nvidia_driver, xilinx_xrt, intel_opae) on real Debian 12
# containers: podman (runc) running systemd, from a debootstrap rootfs cached under .cache/molecule.
#
#   scripts/molecule.sh [SCENARIO...]        default: every scenario under molecule/
#   scripts/molecule.sh --prepare-only       only the set-up below (idempotent)
#   scripts/molecule.sh --rootfs-tarball     only steps 1, 3 and the rootfs of 4; prints its path last
#
# Set-up (idempotent, each step skipped when done):
#   1. apt-get install podman runc debootstrap apt-utils gpg (needs root), when missing
#   2. molecule + molecule-plugins[podman] in .venv, when missing (molecule/requirements.txt)
#   3. .cache/molecule/containers.conf: runtime runc and ulimits this sandbox accepts, used through
#      CONTAINERS_CONF (the storage stays at podman's default location)
#   4. the image localhost/openaccel-molecule-bookworm:<hash>: debootstrap bookworm (minbase, the
#      rootfs tarball cached in .cache/molecule), then systemd, python3, python3-apt, kmod and a
#      Debian kernel with a MODULES=list initramfs (initramfs rebuilds are real and quick)
#   5. .cache/debrepo: the local signed apt repositories (tests/fixtures/debrepo/build.py)
# then "molecule test -s SCENARIO" for each scenario, with the time each took.
#
# Environment: DEBIAN_MIRROR (http://deb.debian.org/debian), MOLECULE_ARGS (extra arguments for
# "molecule test", e.g. --destroy=never), KEEP_GOING=0 to stop at the first failing scenario.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
REPO=$PWD
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=$REPO/.cache/molecule
IMAGE_NAME=localhost/openaccel-molecule-bookworm
# debootstrap installs only the minimal base (its one-package-at-a-time dpkg runs are slow); the rest
# goes in with one apt-get run inside podman
IMAGE_PKGS="systemd systemd-sysv python3 python3-apt kmod initramfs-tools linux-image-amd64"

log() { printf '[molecule.sh] %s\n' "$*"; }
die() { printf '[molecule.sh] ERROR: %s\n' "$*" >&2; exit 1; }

# --- 1. system packages -----------------------------------------------------------------------
need_pkgs() {
    local missing=() pkg
    for pkg in podman runc debootstrap apt-utils gpg; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); run as root or apt-get install them"
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

# --- 2. molecule in .venv ---------------------------------------------------------------------
need_molecule() {
    [ -x .venv/bin/python ] || die ".venv is missing: run scripts/bootstrap.sh main first"
    if ! .venv/bin/python -c 'import molecule, molecule_plugins.podman' 2>/dev/null; then
        log "pip install -r molecule/requirements.txt into .venv"
        .venv/bin/python -m pip install -q --disable-pip-version-check -r molecule/requirements.txt \
            -c requirements-test.txt 2>&1 | grep -v "WARNING: Location 'file://" || true
        .venv/bin/python -c 'import molecule, molecule_plugins.podman' || die "molecule did not install"
    fi
    [ -d .cache/collections/ansible_collections/containers/podman ] \
        || die "containers.podman is not in .cache/collections: add it to tests/requirements.yml and run scripts/bootstrap.sh collections"
    [ -L ansible_collections/openaccel/cyborg ] || bash scripts/bootstrap.sh --no-apt link >/dev/null
}

# --- 3. podman configuration ------------------------------------------------------------------
need_podman_conf() {
    mkdir -p "$CACHE"
    cat >"$CACHE/containers.conf.new" <<'CONF'
# written by scripts/molecule.sh: crun refuses this sandbox's hybrid cgroup set-up, and the
# sandbox cannot raise ulimits to podman's defaults
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
    mv "$CACHE/containers.conf.new" "$CACHE/containers.conf"
    export CONTAINERS_CONF=$CACHE/containers.conf
}

# --- 4. the image -----------------------------------------------------------------------------
image_key() { { echo "$DEBIAN_MIRROR $IMAGE_PKGS v2"; } | sha256sum | cut -c1-12; }

# the debootstrap rootfs tarball, cached in .cache/molecule (scripts/ee.sh builds its base from it
# too: scripts/molecule.sh --rootfs-tarball); sets ROOTFS_TARBALL
need_rootfs() {
    local key tarball rootfs start
    key=$(image_key)
    tarball=$CACHE/bookworm-$key.tar
    ROOTFS_TARBALL=$tarball
    if [ ! -f "$tarball" ]; then
        start=$SECONDS
        rootfs=$CACHE/rootfs-$key
        rm -rf "$rootfs"
        log "debootstrap --variant=minbase bookworm into $rootfs (about 40 s)"
        debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" \
            >"$CACHE/debootstrap.log" 2>&1 || die "debootstrap failed, see $CACHE/debootstrap.log"
        printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" \
            >"$rootfs/etc/apt/sources.list"
        tar -C "$rootfs" --exclude=./proc --exclude=./sys --exclude=./dev -cf "$tarball.tmp" . \
            && mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
        log "rootfs cached in $tarball ($((SECONDS - start)) s)"
    fi
}

need_image() {
    local key start cid
    key=$(image_key)
    IMAGE=$IMAGE_NAME:$key
    export OPENACCEL_MOLECULE_IMAGE=$IMAGE
    if podman image exists "$IMAGE"; then
        log "image $IMAGE present"
        return 0
    fi
    need_rootfs
    start=$SECONDS
    podman import --change 'CMD ["/sbin/init"]' "$ROOTFS_TARBALL" "$IMAGE_NAME:base-$key" >/dev/null || die "podman import failed"
    log "installing systemd, python3 and a Debian kernel into the image (initramfs MODULES=list)"
    cid=$(podman run -d "$IMAGE_NAME:base-$key" sleep infinity) || die "podman run failed"
    podman exec "$cid" sh -c "mkdir -p /etc/initramfs-tools/conf.d \
        && printf 'MODULES=list\nCOMPRESS=gzip\n' >/etc/initramfs-tools/conf.d/openaccel-molecule.conf \
        && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-unsafe-io $IMAGE_PKGS \
        && apt-get clean && rm -rf /var/lib/apt/lists/*" >"$CACHE/kernel.log" 2>&1 \
        || { podman rm -f -t 0 "$cid" >/dev/null; die "kernel install failed, see $CACHE/kernel.log"; }
    podman commit -q --change 'CMD ["/sbin/init"]' "$cid" "$IMAGE" >/dev/null || die "podman commit failed"
    podman rm -f -t 0 "$cid" >/dev/null
    podman rmi "$IMAGE_NAME:base-$key" >/dev/null 2>&1 || true
    log "image $IMAGE built ($((SECONDS - start)) s)"
}

# --- 5. local apt repositories ----------------------------------------------------------------
need_debrepo() { .venv/bin/python tests/fixtures/debrepo/build.py "$REPO/.cache/debrepo" || die "debrepo build failed"; }

# --- main -------------------------------------------------------------------------------------
prepare_only=0
scenarios=()
for arg in "$@"; do
    case "$arg" in
        --prepare-only) prepare_only=1 ;;
        --rootfs-tarball) need_pkgs; need_podman_conf; need_rootfs; echo "$ROOTFS_TARBALL"; exit 0 ;;
        -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) [ -f "molecule/$arg/molecule.yml" ] || die "no scenario molecule/$arg"; scenarios+=("$arg") ;;
    esac
done
if [ ${#scenarios[@]} -eq 0 ]; then
    for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi

total=$SECONDS
start=$SECONDS
need_pkgs
need_molecule
need_podman_conf
need_image
need_debrepo
log "set-up done in $((SECONDS - start)) s"
[ "$prepare_only" = 1 ] && exit 0

# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh
export ANSIBLE_COLLECTIONS_PATH="$REPO/.cache/collections:$REPO"
summary=() failed=0
for s in "${scenarios[@]}"; do
    start=$SECONDS
    log "=== molecule test -s $s"
    # shellcheck disable=SC2086  # MOLECULE_ARGS is a list of words
    if molecule test -s "$s" ${MOLECULE_ARGS:-}; then status=PASS; else status=FAIL; failed=$((failed + 1)); fi
    summary+=("$(printf '  %-16s %s %4ss' "$s" "$status" "$((SECONDS - start))")")
    if [ "$status" = FAIL ] && [ "${KEEP_GOING:-1}" = 0 ]; then break; fi
done
printf '\n[molecule.sh] summary (%ss in all)\n' "$((SECONDS - total))"
printf '%s\n' "${summary[@]}"
[ "$failed" -eq 0 ]
