# The two commands of the README:  make demo  (render every spec)  and  make test.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench golden snapshots clean lock

setup:
	bash scripts/setup.sh all

demo: setup
	$(BIN)/dryrun render specs/*.yaml -o output

test: setup
	DRYRUN_LOCKED=1 $(BIN)/python -m pytest -n auto

bench: setup
	$(BIN)/python scripts/bench.py

golden: setup
	$(BIN)/python -m tests.update_golden

snapshots: setup
	for s in specs/*.yaml; do $(BIN)/dryrun snapshot $$s -o tests/snapshots/$$(basename $$s .yaml).json; done

lock:
	bash scripts/lock.sh

clean:
	rm -rf output/*.pdf output/*.tex output/*.json
