# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo report-check docs test test-all mutations lint format bench bench-wide bench-balance bench-scale bench-structure bench-privacy bench-attacks bench-multi bench-rules experiment clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,bench]'
	# mixsynth[privacy] without its pins: anonymeter 1.1 asks numpy<1.27 and pyarrow<22
	# (a downgrade of the whole project) but runs on the current ones (compare --attacks
	# is tested on numpy 2.4); its other needs are installed as usual.
	$(BIN)/python -m pip install --quiet 'numba>=0.59' 'polars>=1.8' 'joblib>=1.2'
	$(BIN)/python -m pip install --quiet --no-deps 'anonymeter>=1.1'
	touch $(STAMP)

# SDMetrics, the oracle of the quality scores' tests, in an environment of its own: it
# requires pandas < 3 (tests/oracles/sdmetrics_figures.py runs there, without mixsynth).
SDMETRICS_VENV := .venv-sdmetrics
SDMETRICS_STAMP := $(SDMETRICS_VENV)/.installed

$(SDMETRICS_STAMP):
	test -x $(SDMETRICS_VENV)/bin/python || $(PYTHON) -m venv $(SDMETRICS_VENV)
	$(SDMETRICS_VENV)/bin/python -m pip install --quiet 'sdmetrics==0.32.0' 'pyarrow>=15'
	touch $(SDMETRICS_STAMP)

install: $(STAMP) $(SDMETRICS_STAMP)

# The demo's files are real targets: `make demo` and `make report-check` do nothing
# when neither the input nor the code changed. A failed recipe leaves no target behind
# (.DELETE_ON_ERROR), so the next `make` runs it again instead of trusting a half file.
.DELETE_ON_ERROR:
DEMO_INPUTS := Makefile sample_data/penguins.csv $(wildcard mixsynth/*.py mixsynth/*/*.py) $(STAMP)

demo: demo/report.html

# The recipe for data to hand over (README "Data you can hand over"): 30% of the rows held
# out as the privacy and utility baseline, the privacy target's settings, and the options
# that keep the structure over 10 generations beside it (--match-moments left out: with
# the target's rows it cost the pair trends 0.03, docs/privacy.md).
demo/report.html: $(DEMO_INPUTS)
	mkdir -p demo
	$(BIN)/mixsynth generate sample_data/penguins.csv --out-dir demo --generations 10 \
		--holdout 0.3 --privacy-target 0.6 --keep-associations --match-shapes \
		--seed 7 --force --report demo/report.html -o demo/synthetic.csv

# Render the demo's HTML report in a real headless browser, offline (Debian: apt-get
# install chromium), and save what it shows as demo/report.png.
CHROMIUM ?= chromium
report-check: demo/report.png

demo/report.png: demo/report.html
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$$(mktemp -d)" --screenshot=$@ \
		--window-size=1300,2400 "file://$(CURDIR)/demo/report.html"
	@test -s $@ && echo "Rendered demo/report.html to $@"

# The README's picture: the top of the demo report (regenerate after changing the report).
docs/report.png: demo/report.png
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$$(mktemp -d)" --screenshot=$@ \
		--window-size=1100,1500 "file://$(CURDIR)/demo/report.html"

# The CLI reference, from the commands' own --help (a test keeps it in sync).
docs: install
	$(BIN)/python docs/make_cli_reference.py

# The tiers (tests/unit, tests/cli, tests/docs, tests/system; docs/testing.md): `make test`
# is what CI runs, every tier but the system one and the tests marked slow, with the fast
# property-test profile; `make test-all` runs everything with every example. Both run the
# tests on two processes (pytest-xdist; TEST_PROCESSES=0 runs them in this one).
TEST_PROCESSES ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) -m "not slow and not system"

test-all: install
	MIXSYNTH_TEST_PROFILE=thorough $(BIN)/python -m pytest -n $(TEST_PROCESSES)
	$(MAKE) mutations

# The suite's own quality measure (docs/testing.md): each planted bug of
# tests/mutations/mutations.toml must make the fast tier of its area fail.
mutations: install
	nice -n 10 $(BIN)/python tests/mutations/run.py

# Style, the layers (import-linter, contracts in pyproject.toml) and the types (mypy).
lint: install
	$(BIN)/ruff check mixsynth tests benchmarks
	$(BIN)/ruff format --check mixsynth tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format mixsynth tests benchmarks
	$(BIN)/ruff check --fix mixsynth tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_speed.py

bench-wide: install
	$(BIN)/python benchmarks/bench_wide.py

# Class balancing against random over-sampling and SMOTE (5 tables, 5 folds, 2 models).
bench-balance: install
	$(BIN)/python benchmarks/bench_balance.py

# The in-memory and Dask engines on 10M and 50M rows x 20 columns (about 10 GB of
# seeded Parquet in benchmarks/data/, 20-40 minutes); niced: the machine may be shared.
bench-scale: install
	nice -n 10 $(BIN)/python benchmarks/bench_scale.py

# Privacy against quality on the sample tables (50/50 split), margins and target against
# SDV's GaussianCopula, which runs in SDV_PYTHON (a venv with sdv) when given.
bench-privacy: install
	nice -n 10 $(BIN)/python benchmarks/bench_privacy.py $(if $(SDV_PYTHON),--sdv-python $(SDV_PYTHON))

# anonymeter's attacks at the privacy target against real rows never seen, every row a
# target (train / control / held-out thirds, 5 splits per table; 6 minutes at a load of 2.4).
bench-attacks: install
	nice -n 10 $(BIN)/python benchmarks/privacy_attacks.py

experiment: install
	$(BIN)/python benchmarks/experiment_collapse.py

# What --match-moments, --match-shapes and --keep-associations cost on 1M rows.
bench-structure: install
	$(BIN)/python benchmarks/bench_structure.py

# What keeping rules costs (1M rows, with against without, one process), the time
# index's window, the variance with and without rules (docs/rules.md); niced.
bench-rules: install
	nice -n 10 $(BIN)/python benchmarks/bench_rules.py

# Linked tables together against each alone and SDV's HMA (docs/multi-table.md): 1M
# customers, 5M orders, 16M items, several minutes; niced: the machine may be shared.
bench-multi: install
	nice -n 10 $(BIN)/python benchmarks/bench_multi.py --order-rate 1.6

clean:
	rm -rf demo .pytest_cache
