# The two commands of the README: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
DEV := DEBUG=1

.PHONY: run test setup demo lint check check-prod-deps browsers system-deps clean procfile

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || { echo "• Creating the Python environment in $(VENV) (once)"; $$(bin/find-python) -m venv $(VENV); }
	@echo "• Installing the Python packages of requirements-dev.txt (2-3 minutes the first time)"
	@# (grep drops this machine's notes about missing local package mirrors)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
	@touch $@

setup: $(VENV)/.installed

## Serve the app with demo data on SQLite, Celery tasks in-process: http://127.0.0.1:$(PORT)
run: setup
	@echo "• Preparing the SQLite database (db.sqlite3)"
	@$(DEV) $(PY) manage.py migrate --noinput -v0
	@echo "• Loading the checklist, the districts and the demo data (once, about 30 seconds)"
	@$(DEV) $(PY) manage.py seed_demo --if-empty
	@echo "Open http://127.0.0.1:$(PORT)/  (survey: /survey/, staff: /accounts/login/)"
	@$(DEV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

## Run the whole test suite (tests needing PostgreSQL, Redis or Chromium skip if absent,
## unless REQUIRE_SERVICES=1).
test: setup
	@$(PY) -m pytest $(PYTEST_ARGS)

## Static checks CI runs before the tests.
check: setup
	@$(PY) -m ruff check .
	@$(DEV) $(PY) manage.py check --fail-level WARNING
	@$(DEV) $(PY) manage.py makemigrations --check --dry-run -v0

## Every module of the apps, and every package they import (inside functions too), imports in a
## new virtualenv holding requirements.txt only, as on a production host (CI runs it). The
## virtualenv lives in a temporary folder, removed afterwards; pip reuses its download cache
## (--no-compile: byte-compiling every installed file would take longer than the check). The
## settings load as in production (DEBUG off); STATIC_ROOT only keeps whitenoise from warning.
check-prod-deps:
	@python=$$(bin/find-python) && venv=$$(mktemp -d "$${TMPDIR:-/tmp}/safetysurvey-prod-deps.XXXXXX") \
	  && trap 'rm -rf "$$venv"' EXIT \
	  && "$$python" -m venv "$$venv" \
	  && "$$venv/bin/python" -m pip install -q --no-compile --disable-pip-version-check -r requirements.txt 2>&1 | { grep -v '^WARNING: Location' || true; } \
	  && env -u PYTEST_VERSION DEBUG=0 SECRET_KEY=check-prod-deps-only-not-a-secret-0123456789-0123456789 STATIC_ROOT="$$venv" \
	     "$$venv/bin/python" bin/import_every_module.py

## ops: a production-like stack from the Procfile (gunicorn, Celery worker, celery beat) on
## PostgreSQL and Redis; DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS ... come
## from .env or the shell (docs/deploying.md). Serves http://127.0.0.1:$(PORT)
procfile: setup
	@$(VENV)/bin/honcho run $(PY) manage.py migrate --noinput -v0
	@$(VENV)/bin/honcho run $(PY) manage.py collectstatic --noinput -v0
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -p $(PORT)

## Debian packages for PDF rendering and browser tests (run as root; CI does).
system-deps:
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && command -v xgettext >/dev/null && dpkg -s libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils gettext >/dev/null)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
