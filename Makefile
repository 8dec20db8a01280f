# Every target the README and CI call. Needs only python3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DB ?= news.duckdb

.PHONY: install run test lint bench clean

$(BIN)/newsdedup: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# the test suite runs the Ray engine for real (tests/test_engine.py)
$(VENV)/.ray: $(BIN)/newsdedup
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	@touch $@

install: $(BIN)/newsdedup

run: install
	$(BIN)/newsdedup run seeds/ --db $(DB)
	$(BIN)/newsdedup report --db $(DB)

test: install $(VENV)/.ray
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/bench_scale.py

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .pytest_cache
