# The two commands of README.md: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PATRON_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000
# apt-get needs root; use sudo when we are not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test system-deps lint test-sqlite test-postgres messages format clean

## make run: install, migrate, load demo data on first start, serve on http://127.0.0.1:8000
run: install
	@PATRON_HTTPS=$${PATRON_HTTPS:-0} $(PY) -m patron setup
	@echo ""
	@echo "  Patron is starting on http://$(HOST):$(PORT)/"
	@echo "  Sign in with the admin email and password printed at first start"
	@echo "  (default email admin@example.com, or PATRON_ADMIN_EMAIL / PATRON_ADMIN_PASSWORD)."
	@echo "  Stop with Ctrl+C."
	@echo ""
	@PATRON_HTTPS=$${PATRON_HTTPS:-0} exec $(PY) -m patron serve --host $(HOST) --port $(PORT)

## make test: install (Python packages, chromium, gettext, openssl) and run the whole suite on
## SQLite, then on a throwaway PostgreSQL cluster; lint first.
test: install-test system-deps lint test-sqlite test-postgres

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml requirements.lock
	$(PIP) install --quiet -c requirements.lock -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -c requirements.lock -e '.[test]'
	@touch $@

install: $(VENV)/.installed
	@$(PY) -m patron compilemessages

install-test: install $(VENV)/.installed-test

# Debian packages the tests need: chromium (browser tests), gettext (catalogue checks).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v xgettext >/dev/null || missing="$$missing gettext"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: install-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

test-sqlite: install-test
	$(VENV)/bin/pytest -p no:cacheprovider

test-postgres: install-test
	scripts/with-postgres.sh $(VENV)/bin/pytest -p no:cacheprovider

## make messages: refresh the .po catalogues after changing UI strings (needs gettext)
messages: install
	cd src/patron && ../../$(PY) -m patron manage makemessages -l he -l ar -l hy -l ka -l ms --ignore 'static/*' --no-obsolete

format: install-test
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
