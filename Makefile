# Thin entry points; the work is in tools/.
.PHONY: setup test demo bench

setup:
	bash tools/setup.sh

test:
	bash tools/test.sh

demo:
	@echo "make demo: coming with the import issue (the sandbox can already be started: python -m epicentr_sandbox --orders 300)"

bench:
	@echo "make bench: coming with the performance issue"
