# Two commands set everything up: `make demo` and `make test`. Both create .venv/ when needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# pip-compile's flags for the locks (README "Dependencies"): existing pins are kept unless the
# .in files change them; pip and setuptools are pinned too (--allow-unsafe).
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url \
	--no-emit-find-links

.PHONY: install demo test test-fast test-slow lint typecheck cfn-lint actionlint layers unit \
	catalogue bench wheel compile-inplace uncompile lock clean

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
	$(BIN)/mypy bot cli ingest logconfig onboarding bench tests storage governance scheduler usage api billing telemetry flags app settings.py setup.py

cfn-lint: install
	$(BIN)/cfn-lint cloudformation/*.yaml

actionlint: install
	$(BIN)/actionlint .github/workflows/*.yml

# The "may import" column of ARCHITECTURE.md (.importlinter).
layers: install
	$(BIN)/lint-imports --no-cache

# Tests marked `slow` (a second or more alone: suites on moto's servers, subprocesses, scenario
# generator runs, real waits, long hypothesis runs) run in their own step; `make test` runs both.
test-fast: install
	$(BIN)/pytest -m "not slow"

test-slow: install
	$(BIN)/pytest -m slow

unit: test-fast test-slow

# Everything CI runs (.ci/run and .github/workflows/ci.yml call this).
test: lint typecheck cfn-lint actionlint layers test-fast test-slow

catalogue: install
	$(BIN)/python -m pricing.build

bench: install
	$(BIN)/python -m bench.run_all

# The production build: a wheel with the engine compiled by mypyc (setup.py; needs gcc and the
# Python headers). `make install` stays pure Python, so edits to engine/ take effect at once.
wheel: install
	DD0C_COMPILE=1 $(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation \
		--wheel-dir dist .

# For a deployment that runs from a checkout (the Procfile's `python app.py`): the extensions are
# built beside the sources, where they shadow them. Never in a development checkout (`uncompile`).
compile-inplace: install
	DD0C_COMPILE=1 $(BIN)/python setup.py --quiet build_ext --inplace

uncompile:
	find engine -name '*.so' -delete
	rm -f ./*__mypyc.*.so

lock: install
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
