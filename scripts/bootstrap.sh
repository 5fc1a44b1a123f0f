#!/usr/bin/env bash
# Prepare this checkout for the demo and the tests, on a fresh Debian 12 machine or a used one.
#
#   scripts/bootstrap.sh [--no-apt] [PART...]      PART: system main oldest newest sanity
#                                                  servers importer collections link getpip all
#                                                  (default: all)
#
#   system       apt-get install the bindep.txt packages that are missing (needs root or sudo)
#   main         .venv         Python 3.11 + requirements-test.txt (ansible-core 2.19, pytest, ...)
#   oldest       .venv-oldest  Python 3.11 + ansible-core $ANSIBLE_CORE_OLDEST + requirements.txt
#   newest       .venv-newest  Python 3.12 (pyenv) + ansible-core $ANSIBLE_CORE_NEWEST + requirements.txt
#   servers      .venv-servers Python 3.11 + OpenStack Placement and Keystone ($SERVER_PACKAGES),
#                the real servers tests/servers starts on 127.0.0.1 (apart from .venv: their
#                oslo.*/SQLAlchemy pins stay out of the tested environment)
#   sanity       .venv-core-X.Y: ansible-core $ANSIBLE_CORE_SANITY (only ansible-core: the
#                ansible-test of each release the collection supports between oldest, main and
#                newest, for the sanity stage; 2.20 needs Python 3.12, from pyenv)
#   importer     .venv-importer Python 3.11 + galaxy-importer ($IMPORTER_PACKAGES), the upload
#                checker Galaxy and Automation Hub run on every collection tarball (apart from
#                .venv: it brings its own ansible-core, ansible-lint and flake8)
#   collections  .cache/collections: the collections of requirements.yml (the content's) and
#                tests/requirements.yml (the tests'), from the PyPI "ansible" package (Galaxy is
#                not reachable from CI)
#   link         ansible_collections/openaccel/cyborg -> ../..  (tracked in git, so a fresh clone
#                has it; remade here for an unpacked archive without it; tools find the
#                collection in place through it)
#   getpip       the offline get-pip stand-in where ansible-test looks for a cached get-pip
#
# Idempotent and fast when done: each venv carries a stamp named after a hash of what went
# into it, and is only (re)installed when that hash changes.
#
# Overrides (environment): PYTHON (3.11 interpreter), PYTHON_NEWEST (3.12+ interpreter),
# ANSIBLE_CORE_OLDEST, ANSIBLE_CORE_NEWEST, SERVER_PACKAGES, ANSIBLE_BUNDLE (version of the PyPI "ansible" package
# the collections come from).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ANSIBLE_CORE_OLDEST=${ANSIBLE_CORE_OLDEST:-2.16.19}
ANSIBLE_CORE_NEWEST=${ANSIBLE_CORE_NEWEST:-2.21.5}
ANSIBLE_BUNDLE=${ANSIBLE_BUNDLE:-12.3.0}
SERVER_PACKAGES=${SERVER_PACKAGES:-openstack-placement==16.0.0 keystone==30.0.0}
ANSIBLE_CORE_SANITY=${ANSIBLE_CORE_SANITY:-2.17.14 2.18.19 2.20.10}
IMPORTER_PACKAGES=${IMPORTER_PACKAGES:-galaxy-importer==0.4.44 ansible-core==2.19.14 ansible-lint==26.10.1 flake8==6.1.0}
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}
COLLECTION_NS=openaccel
COLLECTION_NAME=cyborg

log() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# pip with the machine's index configuration prints one warning per missing local mirror
# directory; keep real messages, drop that noise, keep pip's exit status.
pip_quiet() {
    local status
    set +e
    "$@" 2>&1 | grep -v -E "^WARNING: Location 'file://.*' is ignored"
    status=("${PIPESTATUS[@]}")
    set -e
    return "${status[0]}"
}

hash_of() { sha256sum | cut -c1-16; }

# --- system packages --------------------------------------------------------------------------
bindep_packages() {
    # first word of every line that applies to dpkg platforms (or names no platform at all)
    awk '!/^[[:space:]]*(#|$)/ {
            if ($0 ~ /platform:/ && $0 !~ /platform:dpkg/) next
            print $1
         }' bindep.txt
}

do_system() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        log "system: not a dpkg system, skipping (install by hand: $(bindep_packages | tr '\n' ' '))"
        return 0
    fi
    local missing=() pkg
    for pkg in $(bindep_packages); do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "system: all bindep.txt packages present"
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "missing Debian packages (${missing[*]}) and not root: apt-get install ${missing[*]}"
        sudo=(sudo -n)
    fi
    log "system: apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- virtual environments ---------------------------------------------------------------------
find_python311() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    local cand
    for cand in /usr/bin/python3.11 "$(command -v python3.11 || true)"; do
        [ -n "$cand" ] && [ -x "$cand" ] && { echo "$cand"; return; }
    done
    die "no Python 3.11 found (Debian 12: apt-get install python3 python3-venv), or set PYTHON"
}

find_python_newest() {
    if [ -n "${PYTHON_NEWEST:-}" ]; then echo "$PYTHON_NEWEST"; return; fi
    local cand="$PYENV_ROOT/versions/3.12.1/bin/python3"
    [ -x "$cand" ] && { echo "$cand"; return; }
    die "ansible-core $ANSIBLE_CORE_NEWEST needs Python >= 3.12 and $cand does not exist.
  Install it with 'pyenv install 3.12.1', or point PYTHON_NEWEST at another Python 3.12+ interpreter."
}

# ensure_venv DIR PYTHON PIP-INSTALL-ARGS...
ensure_venv() {
    local dir=$1 py=$2; shift 2
    local pyver key stamp
    pyver=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || die "$py does not run"
    # what goes into the venv: interpreter, install arguments, and the requirement files they
    # name (requirements-test.txt includes requirements.txt)
    local files=() arg
    for arg in "$@"; do [ -f "$arg" ] && files+=("$arg"); done
    case " ${files[*]} " in *" requirements-test.txt "*) files+=(requirements.txt) ;; esac
    key=$( { echo "$py $pyver"; printf '%s\n' "$@"; cat "${files[@]}" /dev/null; } | hash_of)
    stamp="$dir/.bootstrap-$key"
    if [ -f "$stamp" ] && [ -x "$dir/bin/python" ]; then
        log "$dir: up to date (Python $pyver)"
        return 0
    fi
    local start=$SECONDS
    if [ -x "$dir/bin/python" ] && [ "$("$dir/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)" = "$pyver" ]; then
        log "$dir: updating (Python $pyver): pip install $*"
    else
        log "$dir: creating with $py (Python $pyver): pip install $*"
        rm -rf "$dir"
        "$py" -m venv "$dir" || die "$py -m venv failed (Debian: apt-get install python3-venv)"
    fi
    pip_quiet "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@" \
        || die "$dir: pip install failed"
    rm -f "$dir"/.bootstrap-*
    touch "$stamp"
    local what=
    [ -x "$dir/bin/ansible" ] && what=" ($("$dir/bin/ansible" --version | sed -n 1p))"
    log "$dir: ready in $((SECONDS - start)) s$what"
}

do_main()   { ensure_venv .venv "$(find_python311)" -r requirements-test.txt; }
do_oldest() { ensure_venv .venv-oldest "$(find_python311)" "ansible-core==$ANSIBLE_CORE_OLDEST" -r requirements.txt; }
do_newest() { ensure_venv .venv-newest "$(find_python_newest)" "ansible-core==$ANSIBLE_CORE_NEWEST" -r requirements.txt; }
# shellcheck disable=SC2086  # SERVER_PACKAGES is a list of requirement words
do_servers() { ensure_venv .venv-servers "$(find_python311)" $SERVER_PACKAGES; }
do_sanity() {
    local version series py
    for version in $ANSIBLE_CORE_SANITY; do
        series=${version%.*}
        # ansible-core 2.20 and later run on Python 3.12+ only
        case "$series" in 2.1[0-9]) py=$(find_python311) ;; *) py=$(find_python_newest) ;; esac
        ensure_venv ".venv-core-$series" "$py" "ansible-core==$version"
    done
}
# shellcheck disable=SC2086  # IMPORTER_PACKAGES is a list of requirements
do_importer() { ensure_venv .venv-importer "$(find_python311)" $IMPORTER_PACKAGES; }

# --- collections from the PyPI "ansible" package ----------------------------------------------
do_collections() {
    [ -x .venv/bin/python ] || do_main
    local dest=.cache/collections key stamp reqs=(requirements.yml tests/requirements.yml)
    key=$( { echo "$ANSIBLE_BUNDLE"; cat "${reqs[@]}"; } | hash_of)
    stamp="$dest/.bootstrap-$key"
    if [ -f "$stamp" ]; then
        log "collections: up to date ($dest)"
        return 0
    fi
    local dl
    dl=$(mktemp -d)
    log "collections: pip download ansible==$ANSIBLE_BUNDLE (collections of ${reqs[*]})"
    pip_quiet .venv/bin/python -m pip download -q --no-deps --disable-pip-version-check \
        -d "$dl" "ansible==$ANSIBLE_BUNDLE" || { rm -rf "$dl"; die "could not download ansible==$ANSIBLE_BUNDLE"; }
    rm -rf "$dest"
    mkdir -p "$dest"
    .venv/bin/python - "$dl"/ansible-*.whl "$dest" "${reqs[@]}" <<'PY' || { rm -rf "$dl"; die "collections: extraction failed"; }
import json, sys, zipfile, yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements

wheel, dest = sys.argv[1:3]
reqs = []
for req_file in sys.argv[3:]:
    with open(req_file) as f:
        reqs += (yaml.safe_load(f) or {}).get('collections') or []
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    for req in reqs:
        req = req if isinstance(req, dict) else {'name': req}
        ns, name = req['name'].split('.')
        prefix = 'ansible_collections/%s/%s/' % (ns, name)
        members = [n for n in names if n.startswith(prefix)]
        if not members:
            sys.exit('%s is not in %s' % (req['name'], wheel))
        z.extractall(dest, members)
        version = json.loads(z.read(prefix + 'MANIFEST.json'))['collection_info']['version']
        spec = str(req.get('version', '*'))
        if not meets_requirements(version, spec):
            sys.exit('%s %s from %s does not meet %s' % (req['name'], version, wheel, spec))
        print('[bootstrap] collections: %s %s' % (req['name'], version))
PY
    rm -rf "$dl"
    touch "$stamp"
}

# --- in-place collection link -----------------------------------------------------------------
do_link() {
    local link="ansible_collections/$COLLECTION_NS/$COLLECTION_NAME"
    if [ -L "$link" ] && [ "$(readlink "$link")" = "../.." ]; then
        return 0
    fi
    [ -e "$link" ] && [ ! -L "$link" ] && die "$link exists and is not a symlink; move it away"
    mkdir -p "ansible_collections/$COLLECTION_NS"
    ln -sfn ../.. "$link"
    log "link: $link -> ../.."
}

# --- offline get-pip stand-in for ansible-test ------------------------------------------------
do_getpip() {
    local cache="$HOME/.ansible/test/cache" venv req ver target
    mkdir -p "$cache"
    for venv in .venv .venv-oldest .venv-newest; do
        for req in "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py; do
            [ -f "$req" ] || continue
            grep -oE "pip='[0-9.]+'" "$req" | grep -oE '[0-9.]+' | sort -u | while read -r ver; do
                target="$cache/get_pip_${ver//./_}.py"
                # never replace a real get-pip that someone cached; refresh our own stand-in
                if [ ! -f "$target" ] || { grep -q 'openaccel-cyborg offline get-pip stand-in' "$target" \
                        && ! cmp -s scripts/offline-get-pip.py "$target"; }; then
                    cp scripts/offline-get-pip.py "$target"
                    log "getpip: $target (for $venv)"
                fi
            done
        done
    done
}

# --- main -------------------------------------------------------------------------------------
apt=1
parts=()
for arg in "$@"; do
    case "$arg" in
        --no-apt) apt=0 ;;
        all) parts+=(system main oldest newest sanity servers importer collections link getpip) ;;
        system|main|oldest|newest|sanity|servers|importer|collections|link|getpip) parts+=("$arg") ;;
        -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) die "unknown part '$arg' (see $0 --help)" ;;
    esac
done
[ ${#parts[@]} -gt 0 ] || parts=(system main oldest newest sanity servers importer collections link getpip)

start=$SECONDS
done_parts=" "
for part in "${parts[@]}"; do
    case "$done_parts" in *" $part "*) continue ;; esac
    done_parts+="$part "
    if [ "$part" = system ] && [ "$apt" = 0 ]; then continue; fi
    "do_$part"
done
log "done in $((SECONDS - start)) s: ${done_parts# }"
