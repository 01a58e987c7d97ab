# theory-check: `make verify` and `make test` set everything up from nothing (venv, install).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: help install verify verify-thorough test test-all lint bench clean

help:
	@echo "make verify      - set up .venv, install, run 'theory-check verify'"
	@echo "make test        - set up .venv, install, run ruff and the test suite (hypothesis 'ci' profile)"
	@echo "make test-all    - as test, plus the slow full-size checks"
	@echo "make bench       - run the benchmarks (writes benchmarks/results/)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

verify: $(STAMP)
	$(BIN)/theory-check verify

verify-thorough: $(STAMP)
	$(BIN)/theory-check verify --thorough

lint: $(STAMP)
	$(BIN)/ruff check .

# pytest-xdist drops "N deselected" from its summary line, so the slow tests are counted
# separately (a collection only, a few seconds) and reported after the run.
test: $(STAMP) lint
	HYPOTHESIS_PROFILE=ci MPLBACKEND=Agg $(BIN)/python -m pytest -q -n $(JOBS) -m "not slow"
	@n=$$(HYPOTHESIS_PROFILE=ci MPLBACKEND=Agg $(BIN)/python -m pytest --collect-only -q -m slow -n 0 \
	      -p no:randomly 2>/dev/null | sed -n 's|^\([0-9]*\)/[0-9]* tests collected.*|\1|p'); \
	  echo "make test: $${n:-?} slow tests deselected (run them with make test-all)"

test-all: $(STAMP) lint
	HYPOTHESIS_PROFILE=ci MPLBACKEND=Agg $(BIN)/python -m pytest -q -n $(JOBS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench,distributed]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
