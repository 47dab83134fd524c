# Two commands on a fresh machine: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/monitor.yaml

.PHONY: run test demo check lint bench clean hostile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/monitor run -c $(CONFIG)

demo: $(VENV)/.installed
	$(BIN)/monitor demo

check: $(VENV)/.installed
	$(BIN)/monitor check -c $(CONFIG)

test: $(VENV)/.installed-test
	$(BIN)/ruff check monitor tests benchmarks
	$(BIN)/mypy monitor
	$(BIN)/lint-imports
	$(BIN)/pytest

# The hostile suite alone (it also runs in `make test`); writes tests/hostile/REPORT.md.
hostile: $(VENV)/.installed-test
	MONITOR_HOSTILE_REPORT=1 $(BIN)/pytest tests/hostile

lint: $(VENV)/.installed-test
	$(BIN)/ruff check monitor tests benchmarks
	$(BIN)/mypy monitor
	$(BIN)/lint-imports

# Each benchmark prints its figures (and says so and exits 0 when ../shared/corpus is absent).
bench: $(VENV)/.installed-bench
	for script in extract parse poll match stories deliver recall soak; do \
		echo "== benchmarks/$$script.py"; $(BIN)/python benchmarks/$$script.py || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
