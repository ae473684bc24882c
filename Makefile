VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench bench-scale index clean

$(STAMP): pyproject.toml
	@echo "Installing KSB Coach and its dependencies into $(VENV): about 1-2 minutes the first time, seconds after."
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

index: $(STAMP)
	$(VENV)/bin/ksb-coach index

run: index
	$(VENV)/bin/ksb-coach run

test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: index
	$(PY) -m bench

# 3 real `serve` replicas on PostgreSQL and a `chroma run` server, with the fake Slack API;
# about 5 minutes, so not part of `make bench` (bench/scale/__init__.py says what it proves)
bench-scale: $(STAMP)
	$(PY) -m bench.scale

# The README's pictures (docs/images/) from the real Slack and Teams payloads: needs Chromium
# (Debian: apt-get install chromium) and npm; the renderers install into docs/screenshots/.
screenshots: index
	cd docs/screenshots && npm install --no-audit --no-fund --loglevel=error
	$(PY) -m bench.screenshots

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
