"""Fetch the pinned real inputs once: sdists and build-requirement wheels.

Files are downloaded with pip (which uses the machine's configured index) and
checked against the sha256 pins in ``tests/data/*.txt``; a cache directory
keeps them between runs (``$WHEELHOUSE_TEST_CACHE``, default ``.cache/inputs``
in the repository). Run ``python tests/inputs.py`` to fetch and print the two
directories.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Pin:
    """One pinned file: project name, version and sha256."""

    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Inputs:
    """Where the fetched files are."""

    sdists: Path
    wheels: Path

    def sdist(self, name: str) -> Path:
        """The cached sdist of project ``name``."""
        pin = next(p for p in read_pins(DATA / "sdists.txt") if p.name == name)
        return find_file(self.sdists, pin)


def read_pins(path: Path) -> list[Pin]:
    """Parse a ``name==version --hash=sha256:...`` file."""
    pins = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if not match:
            raise ValueError(f"{path}: cannot parse pin line {line!r}")
        pins.append(Pin(match["name"], match["version"], match["sha"]))
    return pins


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def find_file(directory: Path, pin: Pin) -> Path:
    """The file in ``directory`` for ``pin`` (matched by name, version, hash)."""
    for path in sorted(directory.iterdir()) if directory.is_dir() else []:
        stem = _norm(path.name)
        if stem.startswith(f"{_norm(pin.name)}_{_norm(pin.version)}") and _sha256(path) == pin.sha256:
            return path
    raise FileNotFoundError(f"{directory}: no file for {pin.name}=={pin.version} with the pinned hash")


def _missing(directory: Path, pins: list[Pin]) -> list[Pin]:
    missing = []
    for pin in pins:
        try:
            find_file(directory, pin)
        except FileNotFoundError:
            missing.append(pin)
    return missing


def _pip(args: list[str]) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q", *args]
    subprocess.run(cmd, check=True)


def fetch(cache: Path | None = None) -> Inputs:
    """Download whatever is missing and return the directories."""
    cache = cache or Path(os.environ.get("WHEELHOUSE_TEST_CACHE", REPO / ".cache" / "inputs"))
    inputs = Inputs(cache / "sdists", cache / "wheels")
    wheel_pins = read_pins(DATA / "build-wheels.txt")
    missing = _missing(inputs.wheels, wheel_pins)
    if missing:
        reqs = [f"{p.name}=={p.version}" for p in missing]
        _pip(["--no-deps", "--only-binary", ":all:", "-d", str(inputs.wheels), *reqs])
    sdist_pins = read_pins(DATA / "sdists.txt")
    missing = _missing(inputs.sdists, sdist_pins)
    if missing:
        names = ",".join(p.name for p in missing)
        reqs = [f"{p.name}=={p.version}" for p in missing]
        _pip(["--no-deps", "--no-binary", names, "-d", str(inputs.sdists), *reqs])
    for directory, pins in ((inputs.wheels, wheel_pins), (inputs.sdists, sdist_pins)):
        bad = _missing(directory, pins)
        if bad:
            raise SystemExit(
                f"{directory}: {', '.join(p.name for p in bad)} missing or with a hash "
                "that differs from tests/data pins; delete the cache directory and retry"
            )
    return inputs


#: Files of the Bazel e2e workspace's index beyond the main inputs.
E2E_SDISTS = ("pyyaml", "markupsafe", "tomli")
E2E_WHEELS = ("setuptools",)
_PY314 = [
    "--python-version",
    "3.14",
    "--implementation",
    "cp",
    "--abi",
    "cp314",
    "--platform",
    "manylinux_2_28_x86_64",
]


def _fetch_group(directory: Path, pins_file: str, *arg_sets: list[str]) -> list[Path]:
    """Fetch the pins of ``pins_file`` with pip, once per argument set (e.g. per platform)."""
    pins = read_pins(DATA / pins_file)
    for args in arg_sets:
        missing = _missing(directory, pins)
        if missing:
            reqs = sorted({f"{p.name}=={p.version}" for p in missing})
            _pip([*args, "-d", str(directory), *reqs])
    bad = _missing(directory, pins)
    if bad:
        raise SystemExit(f"{directory}: {', '.join(p.name for p in bad)} missing or not matching {pins_file}")
    return [find_file(directory, p) for p in pins]


def fetch_e2e(cache: Path | None = None) -> list[Path]:
    """Every file the e2e workspace's loopback index serves (fetched once)."""
    base = fetch(cache)
    root = base.sdists.parent / "e2e"
    files = _fetch_group(root / "core", "core-wheels.txt", ["--no-deps", "--only-binary", ":all:"])
    files += _fetch_group(root / "sdists", "e2e-sdists.txt", ["--no-deps", "--no-binary", "flit_core"])
    files += _fetch_group(
        root / "py314", "e2e-py314-wheels.txt", ["--no-deps", "--only-binary", ":all:", *_PY314]
    )
    files += [base.sdist(name) for name in E2E_SDISTS]
    wheel_pins = read_pins(DATA / "build-wheels.txt")
    files += [find_file(base.wheels, p) for p in wheel_pins if p.name in E2E_WHEELS]
    return files


#: Platforms of the lock e2e's foreign msgpack wheels (tests/data/e2e-lock-foreign.txt).
_FOREIGN = ("manylinux_2_28_aarch64", "win_amd64", "macosx_11_0_arm64")


def fetch_lock_e2e(cache: Path | None = None) -> list[Path]:
    """Every file the pylock e2e workspace's loopback index serves (fetched once).

    The packages the test locks with uv (pure wheels, msgpack for four
    platforms, pyyaml and markupsafe as sdists, setuptools and cython to build
    them) plus the core's wheels that the toolchain fetches.
    """
    base = fetch(cache)
    root = base.sdists.parent / "e2e"
    binary = ["--no-deps", "--only-binary", ":all:"]
    files = _fetch_group(root / "core", "core-wheels.txt", binary)
    files += _fetch_group(root / "lock", "e2e-lock-wheels.txt", [*binary, *_PY314])
    foreign = [[*binary, *_PY314[:-1], platform] for platform in _FOREIGN]
    files += _fetch_group(root / "foreign", "e2e-lock-foreign.txt", *foreign)
    files += _fetch_group(root / "py314", "e2e-py314-wheels.txt", [*binary, *_PY314])
    files += [base.sdist(name) for name in ("pyyaml", "markupsafe")]
    files += [
        find_file(base.wheels, p) for p in read_pins(DATA / "build-wheels.txt") if p.name == "setuptools"
    ]
    return sorted({f.name: f for f in files}.values())


def fetch_source_e2e(cache: Path | None = None) -> tuple[list[Path], list[Path]]:
    """The from-source e2e's files (tests/data/e2e-source-*.txt): (sdists, probe wheels), fetched once.

    The sdists are every build tool the e2e builds from source; the pure
    wheels only let ``lock-build`` ask backends for their dynamic requirements.
    """
    base = fetch(cache)
    root = base.sdists.parent / "e2e-source"
    pins = read_pins(DATA / "e2e-source-sdists.txt")
    names = ",".join(sorted({p.name for p in pins}))
    sdists = _fetch_group(root / "sdists", "e2e-source-sdists.txt", ["--no-deps", "--no-binary", names])
    pure = ["--no-deps", "--only-binary", ":all:", "--platform", "any", "--implementation", "py"]
    wheels = _fetch_group(root / "wheels", "e2e-source-wheels.txt", [*pure, "--python-version", "3.11"])
    return sdists, wheels


if __name__ == "__main__":
    got = fetch()
    print(f"sdists: {got.sdists}")
    print(f"wheels: {got.wheels}")
