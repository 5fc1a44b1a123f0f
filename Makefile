# openaccel.cyborg developer entry points.  On a fresh Debian 12 machine (root, no stdin):
#   make demo    prepare everything, then run the demo (scripts/demo.sh)
#   make test    prepare everything, then run the whole suite (scripts/test.sh)
# One stage at a time: make unit | integration | sanity | units | lint | galaxy | compat | molecule | ee
# Benchmarks (ratios against baselines measured in the same run): make bench
# Preparation only: make bootstrap (idempotent; fast when nothing changed).
SHELL := /bin/bash
.DEFAULT_GOAL := help
BOOTSTRAP := bash scripts/bootstrap.sh
TEST := bash scripts/test.sh

.PHONY: help bootstrap bootstrap-main demo test unit integration sanity units lint changelog ee \
	galaxy compat clean distclean

help:
	@sed -n '/^[^#]/q; s/^# \{0,1\}//p' Makefile

bootstrap:
	$(BOOTSTRAP) all

# what the demo and most stages need; compat and sanity need the venvs of the other ansible-core
# releases too (bootstrap: oldest, sanity, newest), and so pyenv's Python 3.12
bootstrap-main:
	$(BOOTSTRAP) system main servers collections link getpip

demo: bootstrap-main
	. scripts/test-env.sh && bash scripts/demo.sh

test: bootstrap
	$(TEST) all

unit integration units lint molecule ee: bootstrap-main
	$(TEST) $@

galaxy: bootstrap-main
	$(BOOTSTRAP) importer
	$(TEST) $@

sanity compat: bootstrap
	$(TEST) $@


bench: bootstrap-main
	. scripts/test-env.sh && python benchmarks/discovery_bench.py
	. scripts/test-env.sh && python benchmarks/placement_bench.py --devices 30
	. scripts/test-env.sh && python benchmarks/fleet_bench.py --hosts 10,50,100

changelog: bootstrap-main
	. scripts/test-env.sh && antsibull-changelog lint

clean:
	rm -rf tests/output .pytest_cache build openaccel-cyborg-*.tar.gz
	find . -path ./.venv -prune -o -path './.venv-*' -prune -o -name __pycache__ -type d -prune \
		-exec rm -rf {} +

# removes the virtual environments and caches too (bootstrap makes them again)
distclean: clean
	rm -rf .venv .venv-oldest .venv-newest .venv-servers .cache ansible_collections
