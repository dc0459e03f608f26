# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and installs what it needs.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-out

.PHONY: install lock test test-fast lint typecheck demo bench bench-quick bench-tools proof proof-quick clean

# The versions in requirements-dev.lock (hash-checked), then poalign and, beside it, the sandbox trackers
# (their own distribution, sandbox/pyproject.toml: the tests, the demo and the benchmarks need them, the
# production image does not) as editable installs that take nothing more: what CI installs (.ci/run).
$(STAMP): pyproject.toml sandbox/pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e . -e ./sandbox
	@touch $(STAMP)

install: $(STAMP)

# The lock files: every dependency pinned with the hashes of its files, resolved for Python 3.11 on Linux
# (the image's) whatever machine runs this. requirements.lock: what production runs (the image installs
# it); requirements-dev.lock: that plus [dev] and the sandbox's (CI and `make install`). Rerun after a
# dependency changes in pyproject.toml or sandbox/pyproject.toml: the pins already there are kept, only
# what is new or no longer fits is resolved (a few seconds); LOCK_FLAGS=--upgrade takes the newest of all.
LOCK := uv pip compile --quiet --generate-hashes --python-version 3.11 --python-platform linux \
	--custom-compile-command "make lock" $(LOCK_FLAGS)
lock:
	@test -x $(BIN)/uv || { test -x $(BIN)/python || python3 -m venv $(VENV); $(BIN)/pip install -q 'uv>=0.5'; }
	$(BIN)/$(LOCK) pyproject.toml -o requirements.lock
	$(BIN)/$(LOCK) --extra dev pyproject.toml sandbox/pyproject.toml -o requirements-dev.lock

lint: typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Strict on rules and connectors, standard on service and the sandbox ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy rules connectors service sandbox

# The whole suite, on SQLite and on a throwaway PostgreSQL server (skipped with a message when the
# machine has no initdb/pg_ctl; .ci/run installs them so CI always runs them).
# Two workers, each test file on one of them (--dist loadfile keeps a file's fixtures and servers together):
# the suite takes about half the time it does serially on 2 CPUs. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

test-fast: $(STAMP)
	$(BIN)/pytest -q -x --db sqlite -m "not slow"

# The main job end to end on the bundled demo world and SQLite; keeps serving the dashboard until
# Ctrl-C (DEMO_FLAGS=--exit stops after the showcase).
demo: $(STAMP)
	$(BIN)/poalign demo --dir $(DEMO_DIR) $(DEMO_FLAGS)

# Figures (JSON) for sync, rules, webhooks: printed and written to bench/results.json. Takes ~12 min
# at full size (the naive sync baseline alone ~10); bench-quick checks the machinery in a minute. The
# sync suite also runs the peers (tap-jira, Airbyte's source-jira), each installed into its own venv
# under .bench-peers/ the first time (a few minutes, from PyPI).
bench: $(STAMP) bench-tools
	@$(BIN)/python -m bench

bench-quick: $(STAMP) bench-tools
	$(BIN)/python -m bench --quick

# Break things on purpose: soak under tracker faults, SIGKILLs, a tracker outage, a PostgreSQL restart,
# bad input, security checks. Prints JSON figures and writes docs/RELIABILITY.md (~12½ min on 2 CPUs); reduced
# versions of each scenario run in `make test` (tests/proof).
proof: $(STAMP)
	@$(BIN)/python -m bench.proof

proof-quick: $(STAMP)
	$(BIN)/python -m bench.proof --quick

# wrk (C, Debian) loads the webhook intake: a Python client cannot outrun the service it measures.
bench-tools:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

clean:
	rm -rf $(DEMO_DIR) .pytest_cache .ruff_cache .mypy_cache
