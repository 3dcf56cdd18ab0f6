# geomap: two commands on a fresh machine — `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export GEOMAP_DB ?= data/geomap.db

.PHONY: serve test lint assets browser postgres ingest bench eval clean

# Runtime install: venv + package (re-run when pyproject changes).
.stamp-venv: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Dev install: the package with its test/lint extra.
.stamp-dev: .stamp-venv
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Browser assets (Leaflet and friends) from npm, served under /static/vendor/.
.stamp-assets: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: .stamp-assets

ingest: .stamp-venv .stamp-assets
	mkdir -p $(dir $(GEOMAP_DB))
	$(BIN)/geomap ingest seeds/

serve: .stamp-venv .stamp-assets ingest
	$(BIN)/geomap serve --host $(HOST) --port $(PORT)

# Debian's chromium for the real-browser test: installed when missing and root.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium is missing: run 'sudo apt-get install chromium' to enable the browser test"; \
		if [ "$$CI" = true ]; then exit 1; fi; \
	fi

# Debian's PostgreSQL and PostGIS for the PostGIS backend tests and bench (each run starts
# a throwaway cluster on a free port and removes it: tests/pg_cluster.py); installed when
# missing and root. Without them the PostGIS tests skip, or fail when CI=true.
PG_PACKAGES ?= postgresql postgresql-15-postgis-3
postgres:
	@if ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian $(PG_PACKAGES) for the PostGIS tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PG_PACKAGES) >/dev/null; \
	else \
		echo "PostgreSQL/PostGIS is missing: run 'sudo apt-get install $(PG_PACKAGES)' to enable the PostGIS tests"; \
		if [ "$$CI" = true ]; then exit 1; fi; \
	fi

lint: .stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: .stamp-dev .stamp-assets browser postgres lint
	$(BIN)/python -m pytest -q

# Benchmarks: figures against the targets of the performance issue (README, "Performance").
# They never fail on time: the exit status is non-zero only when a benchmark crashes.
# The load test is driven by Debian's wrk, installed when missing and root (otherwise a
# Python load generator stands in). BENCH_LONG=1 runs the full 60 s load run.
bench: .stamp-dev .stamp-assets postgres
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian wrk for the load benchmark"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
			|| echo "could not install wrk: the Python load generator stands in"; \
	else \
		echo "wrk is missing ('sudo apt-get install wrk'): the Python load generator stands in"; \
	fi
	$(BIN)/python tests/bench/run.py

# Scores on annotated article sets (the kit's dev set and tests/eval/news), as the
# held-out check computes them; prints figures, never fails on a score.
eval: .stamp-venv
	$(BIN)/python tests/eval/run.py

clean:
	rm -rf $(VENV) node_modules data .stamp-* tests/output
