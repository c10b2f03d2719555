"""Resolving a set of requirements for one target, with uv as the resolver.

A build environment is resolved on its own, as build isolation does, for the
build interpreter's Python version and platform: :func:`resolve` writes the
requirements to a file, runs ``uv pip compile --format pylock.toml`` against
the given indexes (uv's default index strategy: a project found on the first
index that has it is never taken from a later one, which keeps dependency
confusion out) and ``--find-links`` directories, and reads back the pins with
every file uv lists for them, each with its sha256.
"""

from __future__ import annotations

import os
import platform as platform_module
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import default_environment
from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename

from ..buildlock import LockedFile
from ..errors import UsageError, WheelhouseError
from .fetch import Sources

__all__ = ["Pin", "ResolutionError", "Target", "best_wheel", "find_uv", "make_target", "resolve"]


class ResolutionError(WheelhouseError):
    """uv found no set of versions that satisfies the requirements."""


@dataclass(frozen=True)
class Target:
    """The interpreter and platform build environments are resolved for.

    Attributes:
        python: ``X.Y`` (str).
        platform: uv's ``--python-platform``, e.g. ``x86_64-manylinux_2_28`` (str).
        tags: supported wheel tags, best first (tuple[str, ...]).
        markers: PEP 508 environment (dict[str, str]).
    """

    python: str
    platform: str
    tags: tuple[str, ...]
    markers: dict[str, str]


def _linux_platforms(arch: str, glibc_minor: int) -> list[str]:
    plats = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 16, -1)]
    if glibc_minor >= 17:
        plats.append(f"manylinux2014_{arch}")
    return [*plats, f"linux_{arch}"]


def make_target(python: str | None = None, glibc: str = "2.28", arch: str | None = None) -> Target:
    """A CPython ``X.Y`` target on Linux ``arch`` with manylinux wheels up to ``glibc``.

    Defaults: the running interpreter's version and the machine's architecture.
    """
    version = python or "{}.{}".format(*sys.version_info[:2])
    if not re.fullmatch(r"3\.\d+", version):
        raise UsageError(f"--python {version!r}: give a CPython version as X.Y, e.g. 3.14")
    arch = arch or platform_module.machine()
    major, minor = (int(x) for x in version.split("."))
    glibc_minor = int(glibc.split(".")[1])
    plats = _linux_platforms(arch, glibc_minor)
    tags = [str(t) for t in cpython_tags((major, minor), platforms=plats)]
    tags += [str(t) for t in compatible_tags((major, minor), platforms=plats)]
    markers: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    running = "{}.{}".format(*sys.version_info[:2]) == version
    full = markers["python_full_version"] if running else f"{version}.0"
    markers.update(
        python_version=version,
        python_full_version=full,
        implementation_version=full,
        implementation_name="cpython",
        platform_python_implementation="CPython",
        platform_machine=arch,
        sys_platform="linux",
        platform_system="Linux",
        os_name="posix",
    )
    return Target(version, f"{arch}-manylinux_{glibc.replace('.', '_')}", tuple(tags), markers)


def best_wheel(files: Sequence[LockedFile], target: Target) -> LockedFile | None:
    """The wheel an installer would pick for ``target`` (best tag, then highest build tag)."""
    rank = {next(iter(parse_tag(t))): i for i, t in enumerate(target.tags)}
    best: tuple[int, tuple[int, str] | tuple[()], LockedFile] | None = None
    for f in files:
        if not f.name.endswith(".whl"):
            continue
        try:
            _, _, build, tags = parse_wheel_filename(f.name)
        except ValueError:
            continue
        score = min((rank[t] for t in tags if isinstance(t, Tag) and t in rank), default=None)
        if score is None:
            continue
        if best is None or (score, _neg(build)) < (best[0], _neg(best[1])):
            best = (score, build, f)
    return best[2] if best else None


def _neg(build: tuple[int, str] | tuple[()]) -> tuple[int, str]:
    return (-build[0], build[1]) if build else (1, "")


@dataclass(frozen=True)
class Pin:
    """One resolved project and the files uv knows for it.

    Attributes:
        name: normalized name (str).
        version: its version (str).
        sdist: its sdist (LockedFile | None).
        wheels: its wheels for the target (tuple[LockedFile, ...]).
    """

    name: str
    version: str
    sdist: LockedFile | None
    wheels: tuple[LockedFile, ...]

    @property
    def key(self) -> str:
        """``name==version`` (str)."""
        return f"{self.name}=={self.version}"


def find_uv() -> str:
    """The ``uv`` program: beside this interpreter, else on PATH.

    Raises:
        UsageError: uv is not installed.
    """
    beside = Path(sys.executable).parent / "uv"
    if os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("uv")
    if found:
        return found
    raise UsageError("lock-build resolves build environments with uv, which is not installed: pip install uv")


def _file(entry: dict[str, object]) -> LockedFile:
    url = str(entry.get("url") or entry.get("path") or "")
    name = str(entry.get("name") or urllib.parse.unquote(url.rsplit("/", 1)[-1]))
    hashes = entry.get("hashes")
    sha = str(hashes.get("sha256", "")) if isinstance(hashes, dict) else ""
    return LockedFile(name, url, sha)


def resolve(
    requirements: Sequence[str],
    target: Target,
    sources: Sources,
    *,
    uv: str,
    what: str,
) -> list[Pin]:
    """Pins that satisfy ``requirements`` on ``target`` (sorted by name).

    ``what`` names the environment in errors (e.g. ``the build environment of
    pluggy==1.7.0``).

    Raises:
        ResolutionError: no solution (uv's reason, on one line).
    """
    if not requirements:
        return []
    with tempfile.TemporaryDirectory(prefix="wheelhouse-resolve-") as tmp:
        base = Path(tmp)
        (base / "requirements.in").write_text("".join(f"{r}\n" for r in requirements))
        # --no-python-downloads: uv would otherwise look up interpreters online (seconds per call).
        cmd = [uv, "pip", "compile", "-q", "--no-header", "--no-progress", "--no-python-downloads"]
        cmd += ["requirements.in"]
        cmd += ["--python-version", target.python, "--python-platform", target.platform]
        cmd += ["--format", "pylock.toml", "-o", "pylock.toml"]
        if sources.indexes:
            cmd += ["--index-url", sources.indexes[0]]
            for extra in sources.indexes[1:]:
                cmd += ["--extra-index-url", extra]
        else:
            cmd += ["--no-index"]
        for directory in sources.find_links:
            cmd += ["--find-links", str(directory)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
        proc = subprocess.run(
            cmd, cwd=base, capture_output=True, text=True, env=env, check=False, timeout=900
        )
        if proc.returncode != 0:
            reason = " ".join(proc.stderr.split()) or f"uv exited {proc.returncode}"
            raise ResolutionError(
                f"cannot resolve {what} ({', '.join(requirements)}): {reason[:800]}; make the missing "
                "versions available on an --index or in a --find-links directory"
            )
        data = tomllib.loads((base / "pylock.toml").read_text())
    pins = []
    for entry in data.get("packages", []):
        sdist = _file(entry["sdist"]) if "sdist" in entry else None
        wheels = tuple(_file(w) for w in entry.get("wheels", []))
        pins.append(Pin(canonicalize_name(entry["name"]), str(entry["version"]), sdist, wheels))
    return sorted(pins, key=lambda p: p.name)
