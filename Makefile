# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
LINT_PATHS := python tests benchmarks scripts scripts/buildgrid rules examples
BUILDIFIER := .cache/tools/node_modules/@bazel/buildifier/buildifier-linux_amd64
STARLARK := MODULE.bazel BUILD.bazel rules toolchains platforms python/BUILD.bazel tests/e2e tests/e2e_smoke tests/e2e_lock tests/e2e_variants examples third_party

.PHONY: setup inputs demo test lint unit unit-debian integration e2e e2e-remote examples bench bench-lock bench-lock-build bench-build-lock dist clean

setup:
	bash scripts/setup.sh

inputs: setup
	$(BIN)/python tests/inputs.py

## Build and verify the real sdists; print each wheel's sha256 and whether the rebuild matched.
demo: inputs
	$(BIN)/python scripts/demo.py

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	if [ -x $(BUILDIFIER) ]; then $(BUILDIFIER) -mode=check -lint=warn -r $(STARLARK); fi

## Lint, type-check, then every test (unit, integration on real sdists, Bazel e2e), and the
## unit tests again on Debian's own Python.
test: lint inputs
	$(BIN)/pytest
	$(MAKE) unit-debian

unit: setup
	$(BIN)/pytest tests/unit

## The unit tests on Debian's /usr/bin/python3 (bookworm: 3.11.2), in .venv-debian.
unit-debian: inputs
	.venv-debian/bin/pytest -q tests/unit

integration: inputs
	$(BIN)/pytest tests/integration

## The Bazel e2e tests alone (Bazel 7.7.1 in the forky root; created on first use).
e2e: inputs
	$(BIN)/pytest tests/bazel -s

## Remote execution alone: BuildGrid + a buildbox bot on loopback (scripts/buildgrid), the e2e workspace
## and the pylock hub built remotely, compared with local builds; the report in .cache/e2e-remote/.
e2e-remote: inputs
	$(BIN)/pytest tests/bazel/test_remote_e2e.py -s

## The standalone workspaces under examples/, built and tested against a loopback index.
examples: inputs
	$(BIN)/pytest tests/bazel/test_examples.py -s

## wheelhouse vs uv vs pip on the 20 real sdists (Cython: ~2 min a build), warm and cold caches: wall time and
## reproducibility (a benchmark, not a test).
bench: inputs
	$(BIN)/python benchmarks/bench_build.py

## wheelhouse build of a 47-package lock (17 sdists) with -j2: cold, then the second run.
bench-build-lock: inputs
	$(BIN)/python benchmarks/bench_build_lock.py

## The pylock extension on a synthetic 500-package x 5-wheel lock: evaluation and no-op build.
bench-lock: inputs
	$(BIN)/python benchmarks/bench_lock.py

## The release archive dist/rules_wheelhouse-<version>.tar.gz (+ .sha256), byte for byte reproducible;
## prints its sha256, SRI integrity and an archive_override snippet.
dist:
	python3 scripts/dist.py

## lock-build on the from-source e2e lock: wall time and backend calls.
bench-lock-build: inputs
	$(BIN)/python benchmarks/bench_lock_build.py

clean:
	rm -rf $(VENV) .venv-debian .cache .pytest_cache .mypy_cache .ruff_cache
