# Two commands: `make run` (set up everything, then serve) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: run test setup lint migrate demo messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	# --ignore-scripts: no install-time code from the registry runs here.
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

setup: $(VENV)/.installed node_modules/.installed
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0; fi

migrate: setup
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# The task worker runs beside the server (search indexing, evidence from H5P, …)
# and stops with it.
run: demo
	$(PY) manage.py db_worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

messages: setup
	$(PY) manage.py makemessages -l id --ignore=.venv --ignore=node_modules --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
