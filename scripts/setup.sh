#!/usr/bin/env bash
# Set up a fresh machine of this project's kind (Debian bookworm, Python >= 3.11):
# the Debian packages builds and tests need, and a venv in .venv with the pinned
# tools and this package installed editable. Idempotent; fast when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# bubblewrap: the build sandbox (and the Bazel root's entry). util-linux: flock, unshare.
# binutils: strip/objcopy for --debug strip|split. patch: --patch. gcc/g++/make/cmake/ninja: the
# C/C++ toolchain the real sdists build with. faketime: verify's shifted clock.
# libyaml-dev: pyyaml's C extension. nginx-light: the remote cache of the Bazel tests.
# postgresql: BuildGrid's database in the remote-execution test (scripts/buildgrid).
# python3 python3-venv python3-dev: Debian's own Python, which the unit tests also run on.
APT_PACKAGES=(bubblewrap util-linux binutils patch gcc g++ make cmake ninja-build faketime libyaml-dev
  nginx-light postgresql python3 python3-venv python3-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .

# A second venv on Debian's own /usr/bin/python3 (bookworm: 3.11.2, without tarfile's
# extraction filters): `make unit-debian` runs the unit tests there too.
if [ ! -x .venv-debian/bin/python ]; then
  echo "setup: creating .venv-debian with $(/usr/bin/python3 --version)"
  /usr/bin/python3 -m venv .venv-debian
fi
.venv-debian/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
.venv-debian/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .

# buildifier (Starlark formatter/linter) from the npm registry, pinned; no lock
# file is written (it would name the registry's host).
BUILDIFIER_VERSION=8.2.1
if [ ! -x .cache/tools/node_modules/@bazel/buildifier/buildifier-linux_amd64 ]; then
  if command -v npm >/dev/null; then
    echo "setup: installing buildifier $BUILDIFIER_VERSION with npm"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix .cache/tools "@bazel/buildifier@$BUILDIFIER_VERSION" >/dev/null ||
      echo "setup: buildifier install failed; make lint will skip Starlark"
  else
    echo "setup: npm not found; skipping buildifier (make lint will skip Starlark)"
  fi
fi
echo "setup: ready (.venv/bin/wheelhouse)"
