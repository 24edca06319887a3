# Thin entry points; the work is in tools/.
.PHONY: setup test demo bench peer-test lint readme i18n

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

lint:
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && $$VENV/bin/ruff check .

readme:
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && $$VENV/bin/python tools/gen_readme.py

i18n:
	bash tools/i18n.sh
