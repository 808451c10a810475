# Two commands set everything up: `make demo` and `make test`. Both create .venv/ when needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck cfn-lint unit catalogue bench clean

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/dd0c-cost backtest samples/AWSLogs

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy --strict engine pricing
	$(BIN)/mypy bot cli ingest logconfig onboarding bench tests storage governance scheduler app settings.py

cfn-lint: install
	$(BIN)/cfn-lint cloudformation/*.yaml

unit: install
	$(BIN)/pytest

test: lint typecheck cfn-lint unit

catalogue: install
	$(BIN)/python -m pricing.build

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
