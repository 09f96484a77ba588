# distillguard: every target is .PHONY and documented with `##`; `make help` is the default.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DG := $(BIN)/distillguard
DATA ?= data
WORLD ?= demo
WORLD_DIR := $(DATA)/world-$(WORLD)
AS_OF ?=
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest

.PHONY: help setup setup-spark setup-browser lock demo simulate world-report features retrain \
        evaluate score ui external test test-slow parity test-browser test-external test-all \
        lint format bench clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==26.3
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install distillguard with pinned dependencies

setup-spark: setup ## Add PySpark (large) for the Spark engine and the parity tests
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev,spark]'

setup-browser: setup ## Add Playwright and Debian's chromium for the browser review test
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev,browser]'
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lock: ## Re-resolve requirements.lock from pyproject.toml (all extras)
	$(BIN)/python -m pip install -q -e '.[dev,spark,browser]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^distillguard' > requirements.lock

demo: setup ## The main job on the embedded default: simulate, report, retrain, score, show flags
	$(DG) simulate --config configs/world/$(WORLD).yaml --out $(WORLD_DIR)
	$(DG) world-report $(WORLD_DIR) --out $(WORLD_DIR)/report
	$(DG) train --config configs/train.yaml --world $(WORLD_DIR)
	$(DG) score --world $(WORLD_DIR) --out $(WORLD_DIR)/scores.parquet
	@echo "Review in MLflow: make ui  (then open http://127.0.0.1:5000)"

simulate: setup ## Write world WORLD (default demo; configs/world/WORLD.yaml) to data/world-WORLD
	$(DG) simulate --config configs/world/$(WORLD).yaml --out $(WORLD_DIR)

world-report: setup ## Hardness report of data/world-WORLD (markdown + plots)
	$(DG) world-report $(WORLD_DIR) --out $(WORLD_DIR)/report

features: setup ## Account features of data/world-WORLD as of AS_OF (default: end of the log)
	$(DG) features --events $(WORLD_DIR)/events --accounts $(WORLD_DIR)/accounts.parquet \
	  $(if $(AS_OF),--as-of $(AS_OF)) --out $(WORLD_DIR)/features.parquet

retrain: setup ## Retrain on data/world-WORLD: Optuna + LightGBM, calibration, threshold, gated champion alias
	$(DG) train --config configs/train.yaml --world $(WORLD_DIR)

evaluate: setup ## Honest evaluation report on data/world-WORLD (held-out campaigns, baselines)
	$(DG) evaluate --config configs/train.yaml --world $(WORLD_DIR) --out docs/evaluation.md

score: setup ## Score data/world-WORLD latest window with models:/distillguard@champion
	$(DG) score --world $(WORLD_DIR) $(if $(AS_OF),--as-of $(AS_OF)) --out $(WORLD_DIR)/scores.parquet

ui: setup ## MLflow UI on 127.0.0.1:5000 over mlruns/
	$(DG) ui --port 5000

external: setup ## Cresci-2015 real data: import, leave-one-vendor-out, docs/external-validation.md
	$(DG) import cresci2015 ../shared/external/cresci-2015 --out $(DATA)/cresci2015
	$(DG) external --config configs/cresci2015.yaml --world $(DATA)/cresci2015 --out docs/external-validation.md

test: setup ## Lint (ruff check, format check), then the fast test suite (what CI runs)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(PYTEST) -q

test-slow: setup ## Slow checks (marker: slow)
	$(PYTEST) -q -m slow

parity: setup-spark ## Engine parity: features on DuckDB vs local Spark (marker: spark)
	$(PYTEST) -q -m spark

test-browser: setup-browser ## Review the scoring run in headless Chromium (marker: browser)
	$(PYTEST) -q -m browser

test-external: setup ## Real-data checks on ../shared/external (marker: external)
	$(PYTEST) -q -m external

test-all: test test-slow parity test-browser test-external ## Every suite

lint: setup ## ruff check and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup ## ruff format and autofix
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: setup ## Speed and memory benchmarks; results go to docs/benchmarks.md
	$(BIN)/python -m bench

clean: ## Remove generated data (keeps mlruns/)
	rm -rf $(DATA)
