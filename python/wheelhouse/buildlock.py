"""``pylock.build.toml``: build requirements locked beside the run-time lock.

PEP 751 leaves build requirements out; this file keeps them in a named PEP 751
lock that any pylock tool can read: ``[[packages]]`` holds every file a build
environment uses (several versions of one name allowed), each pinned by
sha256, with the sdist of those to build from source and the wheel of those
used as binaries (and of seeds). ``[tool.wheelhouse]`` says how they fit:

- ``runtime-lock``: ``sha256:<hex>`` of the run-time lock this belongs to;
- ``python``, ``platform``, ``from-source``, ``seeds``: the inputs of ``lock-build``;
- ``[[tool.wheelhouse.builds]]``: per package built from source (``package`` =
  ``name==version``, ``sdist`` = its sha256, ``role`` = ``runtime`` or ``build``)
  its static ``requires``, the ``dynamic`` requirements its backend asked for,
  and its resolved build ``environment`` (``name==version`` each);
- ``[[tool.wheelhouse.cycles]]``: the cycles and the seeds that break them.

:func:`dumps` writes it deterministically (same inputs, same bytes);
:func:`loads` reads and validates it (the standard part with
``packaging.pylock``).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from .errors import BuildLockError

__all__ = [
    "BuildEntry",
    "BuildLock",
    "CycleEntry",
    "LockedFile",
    "LockedPackage",
    "dumps",
    "file_digest",
    "loads",
]

FORMAT_VERSION = 1


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file (how a build lock names its run-time lock)."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class LockedFile:
    """One file pinned by hash.

    Attributes:
        name: its file name (str).
        url: where it was found (str).
        sha256: hex digest (str).
    """

    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class LockedPackage:
    """One ``[[packages]]`` entry: a name, a version, its sdist and/or wheels.

    Attributes:
        name: normalized name (str).
        version: version (str).
        sdist: the sdist when it is built from source (LockedFile | None).
        wheels: wheels used as binaries, or as seeds (tuple[LockedFile, ...]).
    """

    name: str
    version: str
    sdist: LockedFile | None = None
    wheels: tuple[LockedFile, ...] = ()

    @property
    def key(self) -> str:
        """``name==version`` (str)."""
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class BuildEntry:
    """How one package is built from source.

    Attributes:
        package: ``name==version`` (str).
        sdist: sha256 of its sdist (str).
        role: ``runtime`` (a package of the run-time lock) or ``build`` (str).
        requires: its static ``build-system.requires`` (tuple[str, ...]).
        dynamic: what ``get_requires_for_build_wheel`` asked for (tuple[str, ...]).
        environment: its build environment, ``name==version`` each, sorted (tuple[str, ...]).
    """

    package: str
    sdist: str
    role: str
    requires: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()
    environment: tuple[str, ...] = ()


@dataclass(frozen=True)
class CycleEntry:
    """A cycle of builds and the seeds that break it.

    Attributes:
        members: ``name==version`` each (tuple[str, ...]).
        seeds: the members whose wheels seed stage 1 (tuple[str, ...]).
    """

    members: tuple[str, ...]
    seeds: tuple[str, ...]


@dataclass(frozen=True)
class BuildLock:
    """A whole build lock.

    Attributes:
        runtime_lock: ``sha256:<hex>`` of the run-time lock (str).
        python: the build interpreter's ``X.Y`` (str).
        platform: the platform the environments were resolved for (str).
        from_source: the policy, ``:all:``, ``:none:`` or names (str).
        seeds: ``name==version`` of the seeds (tuple[str, ...]).
        packages: every locked file's package (tuple[LockedPackage, ...]).
        builds: every build from source (tuple[BuildEntry, ...]).
        cycles: the cycles (tuple[CycleEntry, ...]).
    """

    runtime_lock: str
    python: str
    platform: str
    from_source: str
    seeds: tuple[str, ...] = ()
    packages: tuple[LockedPackage, ...] = ()
    builds: tuple[BuildEntry, ...] = ()
    cycles: tuple[CycleEntry, ...] = field(default_factory=tuple)

    def package(self, key: str) -> LockedPackage:
        """The ``[[packages]]`` entry for ``name==version``.

        Raises:
            BuildLockError: there is none.
        """
        for pkg in self.packages:
            if pkg.key == key:
                return pkg
        raise BuildLockError(f"the build lock has no package {key}; rerun `wheelhouse lock-build`")

    def build(self, key: str) -> BuildEntry | None:
        """The build entry of ``name==version``, if it is built from source."""
        return next((b for b in self.builds if b.package == key), None)


def _s(text: str) -> str:
    # a JSON string is a TOML basic string, but for DEL, which TOML wants escaped
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_s(i) for i in items) + "]"


def _file(f: LockedFile) -> str:
    return f"{{ name = {_s(f.name)}, url = {_s(f.url)}, hashes = {{ sha256 = {_s(f.sha256)} }} }}"


def dumps(lock: BuildLock) -> str:
    """The TOML text of ``lock``: sorted, so the same lock gives the same bytes."""
    out = [
        "# Build requirements of the run-time lock, written by `wheelhouse lock-build`.",
        "# Regenerate with the same command; `wheelhouse lock-build --check` says when it is stale.",
        'lock-version = "1.0"',
        'created-by = "wheelhouse"',
        "",
    ]
    for pkg in sorted(lock.packages, key=lambda p: (p.name, p.version)):
        out += ["[[packages]]", f"name = {_s(pkg.name)}", f"version = {_s(pkg.version)}"]
        if pkg.sdist is not None:
            out.append(f"sdist = {_file(pkg.sdist)}")
        if pkg.wheels:
            out.append("wheels = [")
            out += [f"    {_file(w)}," for w in sorted(pkg.wheels, key=lambda w: w.name)]
            out.append("]")
        out.append("")
    out += [
        "[tool.wheelhouse]",
        f"format = {FORMAT_VERSION}",
        f"runtime-lock = {_s(lock.runtime_lock)}",
        f"python = {_s(lock.python)}",
        f"platform = {_s(lock.platform)}",
        f"from-source = {_s(lock.from_source)}",
        f"seeds = {_list(sorted(lock.seeds))}",
        "",
    ]
    for build in sorted(lock.builds, key=lambda b: b.package):
        out += [
            "[[tool.wheelhouse.builds]]",
            f"package = {_s(build.package)}",
            f"sdist = {_s(build.sdist)}",
            f"role = {_s(build.role)}",
            f"requires = {_list(build.requires)}",
            f"dynamic = {_list(sorted(build.dynamic))}",
            f"environment = {_list(sorted(build.environment))}",
            "",
        ]
    for cycle in sorted(lock.cycles, key=lambda c: (sorted(c.members), sorted(c.seeds))):
        out += [
            "[[tool.wheelhouse.cycles]]",
            f"members = {_list(sorted(cycle.members))}",
            f"seeds = {_list(sorted(cycle.seeds))}",
            "",
        ]
    return "\n".join(out)


def _bad(where: str, what: str) -> BuildLockError:
    return BuildLockError(f"{where}: {what}; regenerate it with `wheelhouse lock-build`")


def _str_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(where, f"{key} is not a list of strings")
    return tuple(value)


def _locked_file(data: Any, where: str) -> LockedFile:
    if not isinstance(data, Mapping):
        raise _bad(where, "a file entry is not a table")
    hashes = data.get("hashes")
    sha = hashes.get("sha256") if isinstance(hashes, Mapping) else None
    name, url = data.get("name"), data.get("url", "")
    if not isinstance(name, str) or not isinstance(url, str) or not isinstance(sha, str) or len(sha) != 64:
        raise _bad(where, f"file {name!r} has no name or no sha256 hash")
    return LockedFile(name, url, sha.lower())


def loads(text: str, where: str = "pylock.build.toml") -> BuildLock:
    """Parse and check a build lock.

    Raises:
        BuildLockError: not TOML, not a valid PEP 751 lock, no ``[tool.wheelhouse]``,
            or a field of the wrong type (the message names the file).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(where, f"not valid TOML ({exc})") from None
    try:
        from packaging.pylock import Pylock, PylockValidationError

        Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise _bad(where, f"not a valid PEP 751 lock ({exc})") from None
    tool = data.get("tool", {}).get("wheelhouse")
    if not isinstance(tool, Mapping):
        raise _bad(where, "no [tool.wheelhouse] table (not a build lock)")
    if tool.get("format") != FORMAT_VERSION:
        raise _bad(where, f"format {tool.get('format')!r}, this wheelhouse reads {FORMAT_VERSION}")
    packages = []
    for entry in data.get("packages", []):
        sdist = _locked_file(entry["sdist"], where) if "sdist" in entry else None
        wheels = tuple(_locked_file(w, where) for w in entry.get("wheels", []))
        packages.append(
            LockedPackage(canonicalize_name(entry["name"]), str(entry.get("version", "")), sdist, wheels)
        )
    for key in ("builds", "cycles"):
        if not isinstance(tool.get(key, []), list):
            raise _bad(where, f"[tool.wheelhouse] {key} is not an array of tables")
    builds = []
    for entry in tool.get("builds", []):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("package"), str):
            raise _bad(where, "a [[tool.wheelhouse.builds]] entry has no package")
        if entry.get("role") not in ("runtime", "build") or not isinstance(entry.get("sdist"), str):
            raise _bad(where, f"build {entry['package']} has no sdist hash or role")
        builds.append(
            BuildEntry(
                entry["package"],
                entry["sdist"],
                entry["role"],
                _str_list(entry.get("requires", []), where, "requires"),
                _str_list(entry.get("dynamic", []), where, "dynamic"),
                _str_list(entry.get("environment", []), where, "environment"),
            )
        )
    if not all(isinstance(c, Mapping) for c in tool.get("cycles", [])):
        raise _bad(where, "a [[tool.wheelhouse.cycles]] entry is not a table")
    cycles = tuple(
        CycleEntry(_str_list(c.get("members"), where, "members"), _str_list(c.get("seeds"), where, "seeds"))
        for c in tool.get("cycles", [])
    )
    for key in ("runtime-lock", "python", "platform", "from-source"):
        if not isinstance(tool.get(key), str):
            raise _bad(where, f"[tool.wheelhouse] {key} is missing")
    lock = BuildLock(
        runtime_lock=tool["runtime-lock"],
        python=tool["python"],
        platform=tool["platform"],
        from_source=tool["from-source"],
        seeds=_str_list(tool.get("seeds", []), where, "seeds"),
        packages=tuple(packages),
        builds=tuple(builds),
        cycles=cycles,
    )
    keys = {p.key for p in lock.packages}
    for build in lock.builds:
        for pin in build.environment:
            if pin not in keys:
                raise _bad(
                    where,
                    f"the build environment of {build.package} names {pin}, which has no [[packages]] entry",
                )
    return lock
