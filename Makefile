# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

<<<<<<< HEAD
.PHONY: install demo report-check test lint format bench bench-wide bench-balance experiment clean
=======
.PHONY: install demo report-check test lint format bench bench-scale experiment clean
>>>>>>> dask

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	mkdir -p demo
	$(BIN)/mixsynth generate sample_data/penguins.csv --out-dir demo --generations 10 \
		--seed 7 --force --report demo/report.html -o demo/synthetic.csv
	@echo "Wrote demo/gen-001.csv .. demo/gen-010.csv, demo/synthetic.csv and demo/report.html"

# Render the demo's HTML report in a real headless browser, offline (Debian: apt-get
# install chromium), and save what it shows as demo/report.png.
CHROMIUM ?= chromium
report-check: demo
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$$(mktemp -d)" --screenshot=demo/report.png --window-size=1200,2400 \
		"file://$(CURDIR)/demo/report.html"
	@test -s demo/report.png && echo "Rendered demo/report.html to demo/report.png"

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

<<<<<<< HEAD
bench-wide: install
	$(BIN)/python benchmarks/bench_wide.py

# Class balancing against random over-sampling and SMOTE (5 tables, 5 folds, 2 models).
bench-balance: install
	$(BIN)/python benchmarks/bench_balance.py
=======
# The in-memory and Dask engines on 10M and 50M rows x 20 columns (about 10 GB of
# seeded Parquet in benchmarks/data/, 20-40 minutes); niced: the machine may be shared.
bench-scale: install
	nice -n 10 $(BIN)/python benchmarks/bench_scale.py
>>>>>>> dask

experiment: install
	$(BIN)/python benchmarks/experiment_collapse.py

clean:
	rm -rf demo .pytest_cache
