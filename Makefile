# Thin entry points; the work is in tools/.
.PHONY: setup test demo bench peer-test lint readme i18n dist

setup:
	bash tools/setup.sh

test:
	bash tools/test.sh

demo:
	bash tools/demo.sh

# BENCH_ARGS: e.g. "--large" (20,000 orders), "--profile /tmp/import.prof"
bench:
	bash tools/setup.sh
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && $$VENV/bin/python tools/bench.py $(BENCH_ARGS)

# Odoo's own sale, sale_stock and stock_delivery suites with the addon installed (not in `make test`: too long)
peer-test:
	bash tools/peer_test.sh

# OCA's quality gates (.pre-commit-config.yaml: oca-checks-odoo-module, oca-checks-po, ruff, pylint-odoo),
# offline: every hook is a `language: system` one found on PATH, i.e. in the venv. pre-commit's and
# ruff's caches stay in the cache folder, out of the repository.
lint:
	@bash -o pipefail -c 'bash tools/setup.sh | { grep -vE "^setup: (Odoo: |ready$$)" || true; }'
	cache=$${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}; . "$$cache/env.sh" \
	    && PATH="$$VENV/bin:$$PATH" PRE_COMMIT_HOME="$$cache/pre-commit" RUFF_CACHE_DIR="$$cache/ruff" \
	    pre-commit run --all-files

readme:
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && $$VENV/bin/python tools/gen_readme.py

i18n:
	bash tools/i18n.sh

# The pip wheel OCA publishes addons as (odoo_addon_epicentr_connector-18.0.x-py3-none-any.whl),
# built by OCA's whool from the addon's git-tracked files. DIST_DIR: where it goes (default dist/).
DIST_DIR ?= $(CURDIR)/dist
dist:
	bash tools/setup.sh >/dev/null
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && cd epicentr_connector && \
	    $$VENV/bin/pip wheel -q --no-deps --no-build-isolation -w "$(DIST_DIR)" . && ls "$(DIST_DIR)"/*.whl
