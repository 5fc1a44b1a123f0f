# shellcheck shell=bash
# Environment for the tests, the demo and interactive use (source it; scripts/test.sh does):
#   . scripts/test-env.sh
# Puts .venv first on PATH, makes "ansible_collections.openaccel.cyborg..." importable from the
# repo root (through the gitignored ansible_collections/openaccel/cyborg -> ../.. link), and lets
# ansible find this collection in place plus the requirements.yml and tests/requirements.yml
# collections in .cache/collections (scripts/bootstrap.sh makes both).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REPO
case ":$PATH:" in *":$REPO/.venv/bin:"*) ;; *) PATH="$REPO/.venv/bin:$PATH" ;; esac
export PATH
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_COLLECTIONS_PATH="$REPO/.cache/collections:$REPO"
# ansible-core refuses to start without a UTF-8 locale; CI may have none set.
case "${LC_ALL:-${LANG:-}}" in *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) ;; *) export LC_ALL=C.UTF-8 ;; esac
export PIP_DISABLE_PIP_VERSION_CHECK=1
export OPENACCEL_SERVER_PYTHON=${OPENACCEL_SERVER_PYTHON:-$REPO/.venv-servers/bin/python}
# plain output in logs (ansible-lint, pytest and ansible colour only on a terminal)
if [ ! -t 1 ]; then export NO_COLOR=1 ANSIBLE_NOCOLOR=1 PY_COLORS=0; fi
