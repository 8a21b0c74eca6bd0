# Two commands on a fresh machine (Python 3.11 + pip + make):  make run  |  make test
# `make help` lists the targets. Each target installs only what it needs into .venv (one stamp file per extra).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet

.PHONY: help setup setup-figures setup-app setup-infer setup-test setup-docs run demo figures app browser test test-py312 \
	test-fast docs calibrate infer forecast validate bench bench-infer bench-sweep bench-startup odd world clean

help:                ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.core                  ## the package and its core dependencies: what running the model needs
setup-figures: $(VENV)/.figures       ## + EMA Workbench (scenario discovery), for make figures
setup-app: $(VENV)/.app               ## + Solara, for the classroom app
setup-infer: $(VENV)/.infer           ## + PyTorch (CPU), sbi, scoringrules, for make infer and make forecast
setup-test: $(VENV)/.test             ## everything the test suite needs
setup-docs: $(VENV)/.docs             ## + MkDocs, for make docs

$(VENV)/.core: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

# sbi (alignment-infer) needs PyTorch. TORCH names the CPU build first, so pip never pulls a GPU build of several GB;
# elsewhere: make setup-infer TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
$(VENV)/.figures: $(VENV)/.core
	$(PIP) -e ".[figures]"
	touch $@
$(VENV)/.app: $(VENV)/.core
	$(PIP) -e ".[app]"
	touch $@
$(VENV)/.infer: $(VENV)/.core
	$(PIP) $(TORCH)
	$(PIP) -e ".[infer]"
	touch $@
$(VENV)/.test: $(VENV)/.core
	$(PIP) $(TORCH)
	$(PIP) -e ".[test]"
	touch $@ $(VENV)/.figures $(VENV)/.app $(VENV)/.infer
$(VENV)/.docs: $(VENV)/.figures
	$(PIP) -e ".[docs]"
	touch $@

run: setup           ## the main job: historical and no_war_2022, seed 42 (a typical run), 2015-01..2035-12
	$(VENV)/bin/alignment-run -m scenario=historical,no_war_2022 hydra.sweep.dir=outputs/main

demo: setup          ## the demo sweep (240 runs) into results/sweeps/demo/ and its figure into results/figures/demo_sweep.png
	$(VENV)/bin/alignment-experiment experiment=demo_sweep

# Every experiment of configs/experiment/: sweeps found finished in results/sweeps/ are reused, missing ones run
# (all of them from scratch, the posterior sweeps included: several minutes on 2 cores). Each writes results/figures/NAME.png and NAME.csv.
EXPERIMENTS := $(sort $(basename $(notdir $(wildcard configs/experiment/*.yaml))))
figures: setup-figures ## regenerate every figure of results/figures/ from its config
	@set -e; for e in $(EXPERIMENTS); do $(VENV)/bin/alignment-experiment experiment=$$e; done

app: setup-app       ## the classroom app on http://127.0.0.1:8765 (alignment-app --port N for another port)
	$(VENV)/bin/alignment-app

# Debian's chromium, which the browser test drives through Playwright (Playwright downloads no browser of its own).
# Root installs it with apt-get, anyone else through sudo; without either, the browser test is skipped with a reason
# (except in CI, where CI=1 makes a missing browser a failure).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:             ## Debian's chromium for the browser test (apt-get; sudo when not root)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null 2>&1; then \
	    echo "make browser: no chromium and no sudo: install Debian's chromium as root (apt-get install chromium), or the browser test is skipped"; \
	  else echo "installing Debian's chromium for the browser test (apt-get)"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null || \
	    echo "make browser: apt-get could not install chromium; the browser test will be skipped"; fi; }

test: setup-test browser ## the whole test suite (what CI runs), the browser test included
	$(PY) -m pytest -q -n 2 --dist worksteal

# The suite again on Python 3.12 with the newest Mesa 3.x and NumPy (CI runs both; 3.11 above keeps the lower pins).
PY312 ?= $(shell for p in $$(command -v python3.12) $$(ls -d $(HOME)/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | sort -V -r); do \
             "$$p" -c "" 2>/dev/null && { echo "$$p"; break; }; done)
VENV312 ?= .venv312

# On 3.12 the model's own tests run: mechanisms, engine, Mesa model and agents, observation model, outputs, configs,
# scenarios, properties (where a new Mesa or NumPy could change a number or break a call). The commands, sweeps,
# calibration, experiments, the app and the fuzz tests run on 3.11 above (both legs: about 7 + 2 minutes on 2 cores).
PY312_TESTS := $(addprefix tests/,test_engine.py test_model.py test_properties.py test_model_properties.py \
	test_observation.py test_outputs.py test_scenario.py test_configs.py test_forward_scenarios.py test_targets.py \
	test_checks.py test_bad_input.py) $(wildcard tests/test_mechanism_*.py)
test-py312:          ## the model's tests on Python 3.12, newest Mesa 3.x and NumPy (needs python3.12: PATH or pyenv)
	@test -n "$(PY312)" || { echo "make test-py312: no python3.12 on PATH or in ~/.pyenv/versions" >&2; exit 2; }
	test -x $(VENV312)/bin/python || $(PY312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --upgrade pip
	$(VENV312)/bin/python -m pip install --quiet --upgrade -e ".[test-core]" "mesa>=3,<4" numpy
	$(VENV312)/bin/python -c "import sys, mesa, numpy; print('python', sys.version.split()[0], 'mesa', mesa.__version__, 'numpy', numpy.__version__)"
	$(VENV312)/bin/python -m pytest -q -n 2 --dist worksteal -m "not slow and not browser" $(PY312_TESTS)

test-fast: setup-test ## without the end-to-end command-line tests
	$(PY) -m pytest -q -m "not slow"

calibrate: setup     ## fit the free parameters to the 2015-2021 record (resumable Optuna study)
	$(VENV)/bin/alignment-calibrate

infer: setup-infer   ## the default posterior into results/inference/default/ (20,000 simulations, about 6 minutes; finished: nothing to do)
	$(VENV)/bin/alignment-infer

forecast: setup-infer ## rolling-origin skill (results/forecasts/skill.csv) and the frozen 2026-2030 forecast (about 10 minutes from scratch)
	$(VENV)/bin/alignment-forecast

validate: setup      ## regenerate results/validation (every target against the model, 20 replicates)
	$(VENV)/bin/alignment-validate

bench: setup         ## speed benchmarks: one run and its outputs; the engine's batch scaling
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_batch.py

bench-infer: setup-infer ## simulations per second inside alignment-infer, batched against one at a time (about a minute; --study adds the default study, 6 minutes)
	$(PY) benchmarks/bench_infer.py

bench-sweep: setup   ## alignment-sweep against mesa.batch_run on the same 1,000 runs (about 5 minutes; last line: ratio)
	$(PY) benchmarks/sweep_vs_batch_run.py

bench-startup: setup-test ## start-up against the import floor: a short run, a finished sweep's rerun, the classroom page (about a minute)
	$(PY) benchmarks/bench_startup.py

docs: setup-docs     ## the documentation site into site/ (offline; every gallery example executed; an error fails it)
	$(VENV)/bin/mkdocs build --quiet

odd: setup           ## regenerate the parameter tables of docs/ODD.md and configs/model/default.yaml
	$(PY) -m alignment.odd

world: setup         ## rebuild the world's data file configs/world/data/central_asia.yaml from ../shared/data
	$(PY) -m alignment.world.build

clean:               ## remove the virtual environments, outputs and caches
	rm -rf $(VENV) $(VENV312) outputs multirun .pytest_cache .hypothesis site docs/generated
