# Jiannuo: the two set-up commands are `make demo` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATA_DIR ?= var

.PHONY: demo test venv venv-test check pytest browser messages doctor

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e .

venv-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

## Install and run the demo district on http://127.0.0.1:$(PORT)/
demo: venv
	scripts/install-system-deps.sh
	$(BIN)/jiannuo demo --port $(PORT) --data-dir $(DATA_DIR)

## Install everything and run lint, migration check and the whole test suite
test: venv-test
	scripts/install-system-deps.sh --test
	$(MAKE) check
	$(BIN)/pytest -n 2 --dist loadfile

check:
	$(BIN)/ruff check jiannuo tests bench
	$(BIN)/ruff format --check jiannuo tests bench
	JIANNUO_DATA_DIR=$$(mktemp -d) $(BIN)/jiannuo makemigrations --check --dry-run

pytest:
	$(BIN)/pytest -m "not browser"

browser:
	$(BIN)/pytest -m browser

## Re-extract the Chinese catalogue after changing strings, then compile it
messages:
	cd jiannuo && JIANNUO_DATA_DIR=$$(mktemp -d) ../$(BIN)/jiannuo makemessages -l zh_Hans --no-obsolete
	cd jiannuo && JIANNUO_DATA_DIR=$$(mktemp -d) ../$(BIN)/jiannuo compilemessages -l zh_Hans

doctor:
	$(BIN)/jiannuo doctor --data-dir $(DATA_DIR)

