# Thin entry points; the work is in tools/.
.PHONY: setup test demo bench lint readme i18n

setup:
	bash tools/setup.sh

test:
	bash tools/test.sh

demo:
	bash tools/demo.sh

bench:
	@echo "make bench: coming with the performance issue"

lint:
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && $$VENV/bin/ruff check .

readme:
	. $${EPICENTR_CACHE:-$$HOME/.cache/epicentr_connector}/env.sh && $$VENV/bin/python tools/gen_readme.py

i18n:
	bash tools/i18n.sh
