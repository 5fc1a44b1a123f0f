# openaccel.cyborg developer entry points.  On a fresh Debian 12 machine (root, no stdin):
#   make demo    prepare everything, then run the demo (scripts/demo.sh)
#   make test    prepare everything, then run the whole suite (scripts/test.sh)
# One stage at a time: make unit | integration | sanity | units | lint | galaxy | compat | molecule
# Benchmarks (ratios against baselines measured in the same run): make bench
# Opt-in, not in make test: make sanity-newest (ansible-test sanity of ansible-core 2.21)
# Preparation only: make bootstrap (idempotent; fast when nothing changed).
SHELL := /bin/bash
.DEFAULT_GOAL := help
BOOTSTRAP := bash scripts/bootstrap.sh
TEST := bash scripts/test.sh

.PHONY: help bootstrap bootstrap-main demo test unit integration sanity units lint changelog \
	galaxy compat sanity-newest clean distclean

help:
	@sed -n '/^[^#]/q; s/^# \{0,1\}//p' Makefile

bootstrap:
	$(BOOTSTRAP) all

# what the demo and most stages need; compat, sanity (its Python 3.6/3.7 part) and
# sanity-newest need the 2.16/2.21 venvs too, and so need pyenv's Python 3.12
bootstrap-main:
	$(BOOTSTRAP) system main servers collections link getpip

demo: bootstrap-main
	. scripts/test-env.sh && bash scripts/demo.sh

test: bootstrap
	$(TEST) all

unit integration units lint galaxy molecule: bootstrap-main
	$(TEST) $@

sanity compat: bootstrap
	$(TEST) $@

sanity-newest: bootstrap
	$(TEST) sanity_newest

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
