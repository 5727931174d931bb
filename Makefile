# The README's two commands. Everything else is a convenience.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint services bench clean

run: $(STAMP)  ## Serve the platform with demo data, worker and beat on http://localhost:8000
	$(PY) -m dotmac.launcher run

test: $(STAMP)  ## Run the test suite (ARGS="-k something" to narrow it)
	$(PY) -m dotmac.launcher test $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)  ## Tenant API throughput against bare Django (needs wrk: apt-get install wrk)
	$(PY) benchmarks/api_throughput.py

services: $(STAMP)  ## Only PostgreSQL and Redis (prints their URLs)
	$(PY) -m dotmac.launcher services

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "DotMac needs Python 3.11+"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

clean:  ## Remove the virtualenv and the local data (PostgreSQL, Redis)
	rm -rf $(VENV) .data
