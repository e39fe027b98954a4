# Set-up on a fresh machine: `make demo` or `make test` creates .venv, installs the
# project with its dev extras (again only when pyproject.toml changes) and makes sure
# Graphviz's `dot` program exists.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: setup graphviz test demo lint bench lab exercises clean chromium test-browser
.PHONY: test-all dist

setup: $(STAMP) graphviz

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

graphviz:
	@sh scripts/ensure-graphviz.sh

test: setup
	$(PY) -m pytest

# The suite on every supported Python (noxfile.py: 3.11, 3.12, 3.13), each in its own
# virtualenv under .nox/; a Python that is not installed is skipped with a message.
test-all: setup
	$(VENV)/bin/nox --no-error-on-missing-interpreters

# An sdist and a wheel in dist/, checked by twine and by scripts/check_dist.py (the
# wheel has every module, the sdist every picture the README shows).
dist: setup
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*
	$(PY) scripts/check_dist.py dist

demo: setup
	$(PY) -m nn.demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# JupyterLab (and ipywidgets, for the notebooks' sliders) is installed into .venv on
# first use (a stamp file marks it done).
LAB_STAMP := $(VENV)/.installed-lab

lab: setup $(LAB_STAMP)
	$(VENV)/bin/jupyter lab notebooks

$(LAB_STAMP): | $(STAMP)
	$(PY) -m pip install --quiet jupyterlab ipywidgets
	@touch $(LAB_STAMP)

# The learner's copies of the notebooks, every exercise answer blanked, in out/exercises/
# (an existing copy is kept; `make exercises FORCE=1` overwrites). Open them with
# `.venv/bin/jupyter lab out/exercises`.
exercises: setup
	$(PY) scripts/blank_exercises.py $(if $(FORCE),--force)

# micrograd 0.1.0 (the `bench` extra), the engine the benchmarks compare against, is
# installed into .venv on first use; `$(PY) -m benchmarks --help` lists the options.
BENCH_STAMP := $(VENV)/.installed-bench

bench: setup $(BENCH_STAMP)
	$(PY) -m benchmarks

$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	@touch $(BENCH_STAMP)

# The stepper page in a real headless browser: Debian's chromium and chromium-driver
# (apt-get, when missing) and selenium (the `browser` extra, into .venv on first use).
BROWSER_STAMP := $(VENV)/.installed-browser

# Its own pytest options: pyproject's addopts run the notebooks through nbmake, which
# has nothing to do here (and would print its banner).
test-browser: setup $(BROWSER_STAMP) chromium
	$(PY) -m pytest -p no:nbmake -o addopts=-ra tests_browser

$(BROWSER_STAMP): pyproject.toml | $(STAMP)
	$(PY) -m pip install --quiet -e '.[browser]'
	@touch $(BROWSER_STAMP)

chromium:
	@sh scripts/ensure-chromium.sh

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .mypy_cache .ruff_cache .nox build dist
