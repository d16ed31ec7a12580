# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format bench experiment clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/mixsynth generate sample_data/penguins.csv --out-dir demo --generations 10 \
		--seed 7 --force --report demo/report.html -o demo/synthetic.csv
	@echo "Wrote demo/gen-001.csv .. demo/gen-010.csv, demo/synthetic.csv and demo/report.html"

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check mixsynth tests benchmarks
	$(BIN)/ruff format --check mixsynth tests benchmarks

format: install
	$(BIN)/ruff format mixsynth tests benchmarks
	$(BIN)/ruff check --fix mixsynth tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_speed.py

experiment: install
	$(BIN)/python benchmarks/experiment_collapse.py

clean:
	rm -rf demo .pytest_cache
