#!/usr/bin/env bash
# The collection's test suite, in stages (make test runs them all; each is a make target too).
#
#   scripts/test.sh [STAGE...]      default: all
#
#   unit         pytest tests/unit                      (.venv, ansible-core 2.19, Python 3.11)
#   integration  pytest tests/integration               (real servers on 127.0.0.1)
#   sanity       plain ansible-test sanity (no --exclude) on staged copies, with the ansible-test
#                of every supported ansible-core: 2.19 on the controller (3.11) and the
#                Python-version tests on target Pythons 3.8-3.13; 2.16 also on 3.6/3.7 (targets
#                only 2.16 still manages); 2.16, 2.17, 2.18 (3.11), 2.20 and 2.21 (3.12)
#   units        ansible-test units on a staged copy    (ansible's own pytest harness)
#   lint         ansible-lint (production profile) here and in a fresh copy with no set-up (with
#                ansible-doc of every module and role there), antsibull-changelog lint (and lint-changelog-yaml
#                of changelogs/changelog.yaml), antsibull-docs lint-collection-docs --plugin-docs,
#                and the collection docsite built with antsibull-docs + Sphinx (scripts/docsite.sh)
#   galaxy       ansible-galaxy collection build, check the tarball's file list, install it in a
#                temp dir and run openaccel.cyborg.accelerator_facts by FQCN from there only, then
#                the openaccel.cyborg.site playbook from there on a simulated host (t4) against a
#                real Placement and Kubernetes manifests (twice: the second run changes nothing);
#                ansible-builder create of execution-environment.yml; galaxy-importer on the
#                tarball with its default and an Automation Hub configuration
#   compat       the same module through ansible-core 2.16 (.venv-oldest) and 2.21 (.venv-newest)
#   molecule     the driver roles' molecule scenarios on podman Debian 12 targets (scripts/molecule.sh)
#   ee           the execution environment built for real (ansible-builder build, podman, a local
#                Debian base) and openaccel.cyborg.site run in it with ansible-runner, twice
#                (scripts/ee.sh)
#
# Run scripts/bootstrap.sh first (make does).  Every stage prints what it runs.  All stages run
# even when one fails (FAIL_FAST=1 stops at the first failure); the last line is the summary.
# Environment: PYTEST_ARGS (extra pytest arguments), KEEP_WORK=1 (keep the temp dir),
# SANITY_ARGS (extra ansible-test sanity arguments), HWSIM_HOST (fixture host, h100_8gpu).
set -uo pipefail

# shellcheck source=scripts/test-env.sh disable=SC1091  # followed with shellcheck -x
. "$(dirname "${BASH_SOURCE[0]}")/test-env.sh"
# shellcheck source=scripts/site-lib.sh disable=SC1091  # followed with shellcheck -x
. "$REPO/scripts/site-lib.sh"
cd "$REPO" || exit 2

ALL_STAGES=(unit integration sanity units lint galaxy compat molecule ee)
HWSIM_HOST=${HWSIM_HOST:-h100_8gpu}
FQCN=openaccel.cyborg.accelerator_facts
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/openaccel-cyborg-test.XXXXXX")
cleanup() { if [ "${KEEP_WORK:-0}" = 1 ]; then echo "(kept $WORK)"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

STAGE=-
NOTE=
say() { printf '[%s] %s\n' "$STAGE" "$*"; }
# print a command (to stderr, so stdout stays the command's own) the way it can be pasted into a
# shell, then run it
show() { printf '[%s] $ %s\n' "$STAGE" "$(printf '%q ' "$@")" >&2; }
run() { show "$@"; "$@"; }
# the same, without the one-line-per-missing-mirror warnings this machine's pip.conf produces
run_quiet() {
    show "$@"
    "$@" 2>&1 | grep --line-buffered -v -E "WARNING: Location 'file://.*' is ignored"
    return "${PIPESTATUS[0]}"
}

need_venv() {
    [ -x "$1/bin/ansible" ] || { say "ERROR: $1 is missing: run scripts/bootstrap.sh"; return 1; }
}

# pytest one directory; exit 5 (nothing collected) is "no tests yet", not a failure
pytest_dir() {
    local dir=$1 rc
    if [ -z "$(find "$dir" -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | head -n1)" ]; then
        NOTE="no tests in $dir yet"
        say "$NOTE"
        return 0
    fi
    # shellcheck disable=SC2086  # PYTEST_ARGS is a list of words on purpose
    run python -m pytest "$dir" ${PYTEST_ARGS:-}
    rc=$?
    if [ $rc -eq 5 ]; then
        NOTE="pytest collected no tests in $dir"
        say "$NOTE (exit 5)"
        return 0
    fi
    return $rc
}

stage_unit() { need_venv .venv && pytest_dir tests/unit; }
stage_integration() { need_venv .venv && pytest_dir tests/integration; }

# Symlinks pythonX.Y -> pyenv's interpreters, first on PATH: ansible-test finds target Pythons
# by name on PATH, and pyenv's shims only answer for the selected versions.
PYBIN=$WORK/pythons
target_pythons() {
    local v exe
    mkdir -p "$PYBIN"
    for v in "$@"; do
        exe=$(find "$PYENV_ROOT/versions" -maxdepth 3 -path "*/versions/$v.*/bin/python$v" 2>/dev/null | sort -V | tail -n1)
        [ -z "$exe" ] && [ "$v" = 3.11 ] && exe=$(command -v python3.11)
        if [ -n "$exe" ]; then
            ln -sfn "$exe" "$PYBIN/python$v"
            printf -- '--target-python\n%s@%s\n' "$v" "$PYBIN/python$v"
        else
            say "no Python $v (pyenv) here: not testing it" >&2
        fi
    done
}

# sanity_run LABEL VENV ARGS...: ansible-test sanity of VENV's ansible-core on a staged copy of
# its own (ansible-test writes tests/output there), plain: no --exclude; what a version reports
# and the collection cannot change is in that version's tests/sanity/ignore-X.Y.txt, each line
# with its reason
sanity_run() {
    local label=$1 venv=$2 stage
    shift 2
    need_venv "$venv" || return 1
    stage=$(scripts/stage-collection.sh "$WORK/sanity-$label") || return 1
    say "--- $label: $("$venv/bin/ansible" --version | sed -n 1p), staged copy $stage"
    (
        cd "$stage" || exit 1
        unset ANSIBLE_COLLECTIONS_PATH   # ansible-test uses the staged tree's ansible_collections
        # shellcheck disable=SC2086
        PATH="$venv/bin:$PYBIN:$PATH" run_quiet ansible-test sanity --color no "$@" ${SANITY_ARGS:-}
    )
}

# Every ansible-core release the collection supports (meta/runtime.yml: >=2.16), each with its
# own ansible-test: 2.19 (.venv) with the Python-version tests on every target Python 3.8-3.13;
# 2.16 also on 3.6/3.7 (targets only 2.16 still manages; later ansible-tests no longer know
# them); 2.17, 2.18, 2.20 and 2.21 on their controller Python.
stage_sanity() {
    need_venv .venv || return 1
    local rc=0 targets
    mapfile -t targets < <(target_pythons 3.8 3.9 3.10 3.11 3.12 3.13)
    sanity_run 2.19 "$REPO/.venv" --controller origin:python=venv/3.11 "${targets[@]}" || rc=1
    sanity_run 2.16 "$REPO/.venv-oldest" --venv --python 3.11 || rc=1
    mapfile -t targets < <(target_pythons 3.6 3.7)
    if [ ${#targets[@]} -gt 0 ]; then
        sanity_run 2.16-py36-py37 "$REPO/.venv-oldest" --test compile --test import \
            --controller origin:python=venv/3.11 "${targets[@]}" || rc=1
    fi
    sanity_run 2.17 "$REPO/.venv-core-2.17" --venv --python 3.11 || rc=1
    sanity_run 2.18 "$REPO/.venv-core-2.18" --venv --python 3.11 || rc=1
    sanity_run 2.20 "$REPO/.venv-core-2.20" --venv --python 3.12 || rc=1
    sanity_run 2.21 "$REPO/.venv-newest" --venv --python 3.12 || rc=1
    return $rc
}

stage_units() {
    need_venv .venv || return 1
    local stage
    if [ -z "$(find tests/unit -name 'test_*.py' 2>/dev/null | head -n1)" ]; then
        NOTE="no tests in tests/unit yet"
        say "$NOTE"
        return 0
    fi
    stage=$(scripts/stage-collection.sh "$WORK/units") || return 1
    say "staged copy: $stage"
    (
        cd "$stage" || exit 1
        unset ANSIBLE_COLLECTIONS_PATH PYTHONPATH
        # --local: .venv already has pytest, pytest-xdist, pytest-mock and requirements.txt
        run_quiet ansible-test units --color no --local --python 3.11
    )
}

# fresh_copy DIR: the files a fresh clone has (tracked + untracked-not-ignored, the committed
# ansible_collections link included), without anything the set-up made (.venv*, .cache)
fresh_copy() {
    rm -rf "$1" && mkdir -p "$1" || return 1
    git ls-files -z -co --exclude-standard \
        | while IFS= read -r -d '' f; do
              if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
          done \
        | tar --null -T - -cf - | tar -xf - -C "$1"
}

# lint_fresh_copy: ansible-lint and ansible-doc as a contributor runs them in a fresh clone:
# no set-up run there, no collections path from the environment (only the copy's ansible.cfg)
lint_fresh_copy() {
    local copy=$WORK/fresh-clone rc=0 module role
    fresh_copy "$copy" || return 1
    say "fresh copy (no set-up): $copy"
    (
        cd "$copy" || exit 1
        unset ANSIBLE_COLLECTIONS_PATH PYTHONPATH
        run ansible-lint || rc=1
        for module in plugins/modules/*.py; do
            module=$(basename "$module" .py)
            ansible-doc "openaccel.cyborg.$module" >/dev/null || { say "ERROR: ansible-doc openaccel.cyborg.$module"; rc=1; }
        done
        for role in roles/[a-z]*/; do
            role=$(basename "$role")
            ansible-doc -t role "openaccel.cyborg.$role" >/dev/null || { say "ERROR: ansible-doc -t role openaccel.cyborg.$role"; rc=1; }
        done
        say "ansible-doc: every module and role of the fresh copy documented"
        exit $rc
    )
}

stage_lint() {
    need_venv .venv || return 1
    local rc=0
    run ansible-lint || rc=1
    lint_fresh_copy || rc=1
    run antsibull-changelog lint || rc=1
    if [ -f changelogs/changelog.yaml ]; then
        run antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml || rc=1
    fi
    # the plugin and role docs as the docsite renders them (semantic markup, references, RST);
    # antsibull-docs copies the collection (git-tracked and untracked, not ignored, files) into
    # its own ansible_collections tree
    run antsibull-docs lint-collection-docs --plugin-docs . || rc=1
    # the collection docsite (plugin, module and role pages, and docs/docsite/rst), Sphinx
    # warnings as errors
    if run bash scripts/docsite.sh "$WORK/docsite" >"$WORK/docsite.log" 2>&1; then
        say "docsite: built in $WORK/docsite ($(find "$WORK/docsite" -name '*.html' | wc -l) pages)"
    else
        tail -n 30 "$WORK/docsite.log"
        rc=1
    fi
    return $rc
}

# fixture_tree [SCENARIO DIR]: build a fake sysfs tree from tests/fixtures (made by
# tests/fixtures/hwsim) once per run; default: $HWSIM_HOST in $SYSFS
SYSFS=$WORK/sysfs-$HWSIM_HOST
fixture_tree() {
    local scenario=${1:-$HWSIM_HOST} tree=${2:-$SYSFS}
    [ -d "$tree" ] && return 0
    (cd "$REPO" && run python -m tests.fixtures.hwsim build "$scenario" "$tree" >/dev/null) \
        || { say "ERROR: could not build the $scenario fixture tree"; return 1; }
}

# run_module ANSIBLE-BIN-DIR OUT: run the module by FQCN on localhost against the fixture tree
# (the caller sets where collections come from), keep its output in OUT, then check the result
run_module() {
    local bin=$1 out=$2
    say "$("$bin/ansible" --version | sed -n 1p)"
    run env ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
        "$bin/ansible" localhost -m "$FQCN" -a "sysfs_root=$SYSFS" >"$out"
    say "exit status $?; output in $out"
    check_result "$out" || { sed -n '1,40p' "$out"; return 1; }
}

# check_result FILE: the ad-hoc output ("localhost | SUCCESS => {json}") says the module succeeded
# and returned a non-empty ansible_facts.accelerators whose records match the device schema
check_result() {
    say "checking: not failed, ansible_facts.accelerators non-empty and valid against schemas/device.schema.json"
    "$REPO/.venv/bin/python" - "$1" "$REPO/schemas/device.schema.json" <<'PY'
import collections, json, re, sys
import jsonschema

output_file, schema_file = sys.argv[1:]
with open(output_file) as f:
    text = f.read()
match = re.search(r"^localhost \| (\S+) => ", text, re.M)
if not match:
    sys.exit("no result for localhost in the output")
result, _end = json.JSONDecoder().raw_decode(text, match.end())
if match.group(1) != "SUCCESS" or result.get("failed"):
    sys.exit("module %s: %s" % (match.group(1), result.get("msg")))
records = (result.get("ansible_facts") or {}).get("accelerators")
if not records:
    sys.exit("no ansible_facts.accelerators in the result: %s" % sorted(result))
with open(schema_file) as f:
    validator = jsonschema.Draft202012Validator(json.load(f))
errors = ["%s: %s at /%s" % (rec.get("address"), err.message, "/".join(map(str, err.absolute_path)))
          for rec in records for err in validator.iter_errors(rec)]
if errors:
    sys.exit("records do not match the schema:\n  " + "\n  ".join(errors[:20]))
types = collections.Counter(rec.get("type") for rec in records)
print("ok: %d accelerators (%s)" % (len(records), ", ".join("%s %s" % kv for kv in sorted(types.items()))))
PY
}

# the built tarball must hold the collection and nothing of the development tree
FORBIDDEN='^(tests|scripts|molecule|inventories|benchmarks|ansible_collections|build|\.ci|\.cache|\.git|\.venv[^/]*|\.pytest_cache)(/|$)|(^|/)__pycache__(/|$)|\.pyc$|\.tar\.gz$|^(Makefile|\.gitignore|\.ansible-lint|ansible\.cfg|pytest\.ini|requirements-test\.txt)$'

# release_entry: the version galaxy.yml builds has its release in changelogs/changelog.yaml and
# in CHANGELOG.rst (antsibull-changelog release was run for it before the build)
release_entry() {
    say "checking: galaxy.yml's version has a release entry in changelogs/changelog.yaml and CHANGELOG.rst"
    "$REPO/.venv/bin/python" - <<'PY'
import sys
import yaml

version = yaml.safe_load(open("galaxy.yml"))["version"]
releases = (yaml.safe_load(open("changelogs/changelog.yaml")) or {}).get("releases") or {}
rst = open("CHANGELOG.rst").read().splitlines()
missing = [where for where, ok in (("changelogs/changelog.yaml", version in releases),
                                   ("CHANGELOG.rst", "v%s" % version in rst)) if not ok]
if missing:
    sys.exit("version %s (galaxy.yml) has no release entry in %s: run antsibull-changelog release "
             "(with the fragments of the release in changelogs/fragments) before building" % (version, " and ".join(missing)))
print("ok: %s released on %s" % (version, releases[version].get("release_date")))
PY
}

stage_galaxy() {
    need_venv .venv || return 1
    local dir=$WORK/galaxy tarball listing bad
    mkdir -p "$dir"
    release_entry || return 1
    run_quiet ansible-galaxy collection build --force --output-path "$dir" || return 1
    tarball=$(find "$dir" -maxdepth 1 -name 'openaccel-cyborg-*.tar.gz' | head -n1)
    [ -n "$tarball" ] || { say "ERROR: no tarball in $dir"; return 1; }
    listing=$(tar -tzf "$tarball" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^$' | sort)
    say "$(basename "$tarball"): $(wc -c <"$tarball") bytes, $(wc -l <<<"$listing") entries; top level: $(cut -d/ -f1 <<<"$listing" | sort -u | tr '\n' ' ')"
    bad=$(grep -E "$FORBIDDEN" <<<"$listing")
    if [ -n "$bad" ]; then
        say "ERROR: the tarball holds development files (add them to build_ignore in galaxy.yml):"
        head -n 30 <<<"$bad" | sed 's/^/    /'
        return 1
    fi
    for f in MANIFEST.json FILES.json meta/runtime.yml plugins/modules/accelerator_facts.py; do
        grep -qx "$f" <<<"$listing" || { say "ERROR: $f is not in the tarball"; return 1; }
    done

    run_quiet ansible-galaxy collection install --offline --force -p "$dir/collections" "$tarball" || return 1
    fixture_tree || return 1
    fixture_tree t4 "$dir/sysfs-t4" || return 1
    # From a directory outside the checkout, with the temp install as the only collection path,
    # no ansible.cfg and no sys.path scan: only the installed copy can answer to the FQCN.
    (
        cd "$dir" || exit 1
        unset PYTHONPATH
        export ANSIBLE_COLLECTIONS_PATH="$dir/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
            ANSIBLE_CONFIG="$dir/empty.cfg"
        : >"$ANSIBLE_CONFIG"
        installed_only "$dir/collections" || exit 1
        run ansible-doc "$FQCN" >/dev/null || exit 1
        run_module "$REPO/.venv/bin" "$dir/result.txt" || exit 1
        galaxy_site "$dir/site" "$dir/sysfs-t4"
    ) || return 1
    galaxy_ee "$dir/ee" "$tarball" || return 1
    galaxy_importer "$dir/importer" "$tarball"
}

# galaxy_importer DIR TARBALL: galaxy-importer (.venv-importer), the check Galaxy and Automation
# Hub run on every upload, on the tarball: once with its default configuration, once with
# Automation Hub's (flake8, required tags, ansible-lint); any ERROR or WARNING line fails.
# Galaxy refuses a collection without "repository"; galaxy.yml leaves it out until the project has
# a public home, so when it is missing the tarball checked is rebuilt from a staged copy with
# repository set to $GALAXY_REPOSITORY_URL (default: an https://repository.invalid/ test value),
# and the stage says so: set the real URL in galaxy.yml before publishing.
galaxy_importer() {
    local dir=$1 tarball=$2 cfg log rc=0 stage
    [ -x "$REPO/.venv-importer/bin/python" ] \
        || { say "ERROR: .venv-importer is missing: run scripts/bootstrap.sh importer"; return 1; }
    mkdir -p "$dir"
    if ! grep -q '^repository:' galaxy.yml; then
        local url=${GALAXY_REPOSITORY_URL:-https://repository.invalid/openaccel/cyborg}
        NOTE="galaxy.yml has no repository: importer checked with repository=$url in a test copy"
        say "$NOTE"
        stage=$(scripts/stage-collection.sh "$dir/stage") || return 1
        printf 'repository: %s\n' "$url" >>"$stage/galaxy.yml"
        (cd "$stage" && run_quiet ansible-galaxy collection build --force --output-path "$dir") >/dev/null || return 1
        tarball=$(find "$dir" -maxdepth 1 -name 'openaccel-cyborg-*.tar.gz' | head -n1)
    fi
    printf '[galaxy-importer]\nRUN_FLAKE8 = True\nCHECK_REQUIRED_TAGS = True\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = True\n' \
        >"$dir/automation-hub.cfg"
    : >"$dir/default.cfg"
    for cfg in default automation-hub; do
        log=$dir/$cfg.log
        # the importer runs flake8, ansible-doc and ansible-lint from PATH
        (cd "$dir" && PATH="$REPO/.venv-importer/bin:$PATH" GALAXY_IMPORTER_CONFIG="$dir/$cfg.cfg" \
            run "$REPO/.venv-importer/bin/python" -m galaxy_importer.main "$tarball") >"$log" 2>&1
        local status=$?
        if [ $status -ne 0 ] || grep -Eq '^(ERROR|WARNING)' "$log"; then
            say "galaxy-importer ($cfg configuration): exit status $status; its errors and warnings:"
            grep -E '^(ERROR|WARNING)' "$log" | head -n 40 | sed 's/^/    /'
            [ $status -ne 0 ] && tail -n 5 "$log" | sed 's/^/    /'
            rc=1
        else
            say "galaxy-importer ($cfg configuration): ok, no error or warning ($(grep -c . "$log") lines in $log)"
        fi
    done
    return $rc
}

# installed_only COLLECTIONS-DIR: ansible-galaxy finds openaccel.cyborg in that directory, and
# nowhere else
installed_only() {
    local found
    found=$(run ansible-galaxy collection list openaccel.cyborg --format json)
    say "ansible-galaxy collection list openaccel.cyborg: $found"
    "$REPO/.venv/bin/python" -c '
import json, os, sys
found = json.loads(sys.argv[1] or "{}")
want = os.path.join(sys.argv[2], "ansible_collections")
paths = [p for p, colls in found.items() if "openaccel.cyborg" in colls]
sys.exit(None if paths == [want] else "openaccel.cyborg found in %s, not only in %s" % (paths, want))
' "$found" "$1"
}

# galaxy_site DIR SYSFS: the openaccel.cyborg.site playbook of the installed copy (the caller
# sets where collections come from) on one simulated host whose sysfs is SYSFS, registering to a
# real Placement (started here in DIR, stopped on every way out) and to Kubernetes manifests
# (GitOps mode, no cluster); a second run must change nothing (scripts/site-lib.sh)
galaxy_site() {
    local site=$1 sysfs=$2
    mkdir -p "$site/reports"
    (
        trap 'stop_placement "$site/placement"' EXIT
        trap 'exit 130' INT TERM HUP
        url=$(start_placement "$site/placement") || exit 1
        say "Placement: $url"
        site_inventory "$REPO/.venv/bin/python" "$sysfs" "$site/reports" "$url" "$site/manifests" >"$site/hosts.yml"
        for pass in 1 2; do
            run env ANSIBLE_LOCALHOST_WARNING=false ansible-playbook -i "$site/hosts.yml" \
                openaccel.cyborg.site >"$site/run$pass.log"
            rc=$?
            say "run $pass: exit status $rc; output in $site/run$pass.log"
            [ $rc -eq 0 ] || { tail -n 40 "$site/run$pass.log"; exit 1; }
            sed -n '/^PLAY RECAP/,$p' "$site/run$pass.log" | grep -v '^$'
        done
        site_check "$site/reports" "$site/manifests" "$site/run2.log"
    )
}

# galaxy_ee DIR TARBALL: ansible-builder create of execution-environment.yml (with the files it
# names and the built tarball beside it, as a release would have them) writes a build context
galaxy_ee() {
    local ee=$1 tarball=$2 context=$1/context
    mkdir -p "$ee"
    cp execution-environment.yml requirements.yml requirements.txt bindep.txt "$tarball" "$ee/" || return 1
    run ansible-builder create --file "$ee/execution-environment.yml" --context "$context" || return 1
    say "checking: $context has a Containerfile and the collection tarball"
    [ -f "$context/Containerfile" ] || [ -f "$context/Dockerfile" ] \
        || { say "ERROR: no Containerfile or Dockerfile in $context"; return 1; }
    [ -f "$context/_build/collection/$(basename "$tarball")" ] \
        || { say "ERROR: $(basename "$tarball") is not in $context/_build/collection"; return 1; }
}

stage_molecule() { need_venv .venv && run bash scripts/molecule.sh; }
stage_ee() { need_venv .venv && run bash scripts/ee.sh build run; }

stage_compat() {
    local rc=0 venv
    fixture_tree || return 1
    for venv in .venv-oldest .venv-newest; do
        need_venv "$venv" || { rc=1; continue; }
        say "--- $venv: the collection in place, from $REPO"
        run "$venv/bin/ansible-doc" "$FQCN" >/dev/null || rc=1
        run_module "$REPO/$venv/bin" "$WORK/compat-${venv#.venv-}.txt" || rc=1
    done
    return $rc
}

# --- main -------------------------------------------------------------------------------------
stages=()
for arg in "$@"; do
    case "$arg" in
        all) stages+=("${ALL_STAGES[@]}") ;;
        -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *)
            if [ "$(type -t "stage_$arg")" = function ]; then stages+=("$arg")
            else echo "unknown stage '$arg' (one of: ${ALL_STAGES[*]})" >&2; exit 2; fi ;;
    esac
done
[ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")

passed=0 failed=0 summary=()
total_start=$SECONDS
for STAGE in "${stages[@]}"; do
    printf '\n==================== %s ====================\n' "$STAGE"
    NOTE=
    start=$SECONDS
    if "stage_$STAGE"; then
        status=PASS passed=$((passed + 1))
    else
        status=FAIL failed=$((failed + 1))
    fi
    took=$((SECONDS - start))
    say "$status in ${took}s${NOTE:+ ($NOTE)}"
    summary+=("$(printf '  %-12s %s %5ss%s' "$STAGE" "$status" "$took" "${NOTE:+  ($NOTE)}")")
    if [ "$status" = FAIL ] && [ "${FAIL_FAST:-0}" = 1 ]; then break; fi
done

printf '\n==================== summary (%ss) ====================\n' "$((SECONDS - total_start))"
printf '%s\n' "${summary[@]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
