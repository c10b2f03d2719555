"""``wheelhouse lock-build``: lock the build requirements of a pylock.toml, recursively.

For every package the run-time lock builds from its sdist (for the build
target, by the policy the Bazel extension uses: no wheel matches, or
``--from-source`` names it) and, recursively, for every build requirement that
is itself built from source:

1. fetch the sdist (hash-checked) and read its ``[build-system].requires``;
2. resolve those with uv for the target, fetch their wheels, and ask the
   backend for its dynamic requirements (``get_requires_for_build_wheel``) in
   the sandbox, offline, exactly as the real build will;
3. resolve the whole build environment (static + dynamic) on its own, as build
   isolation does (two sdists may need different setuptools).

The builds from source form a graph (:mod:`wheelhouse.buildgraph`): a cycle
is refused, spelled out, unless ``--seed`` names a member whose hash-pinned
wheel then seeds it. The result is :class:`~wheelhouse.buildlock.BuildLock`,
written as ``pylock.build.toml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..buildgraph import plan
from ..buildlock import BuildEntry, BuildLock, CycleEntry, LockedFile, LockedPackage, file_digest
from ..errors import BuildLockError, UsageError, WheelhouseError
from ..progress import Progress
from ..request import BuildRequest
from .fetch import Sources, fetch
from .frontend import build_requirements
from .resolve import Pin, Target, best_wheel, resolve
from .runtimelock import read_runtime_lock

__all__ = ["FromSource", "LockBuildOptions", "lock_build", "runtime_sdists"]


@dataclass(frozen=True)
class FromSource:
    """Which packages are built from their sdists.

    ``:all:`` every package that has an sdist; ``:none:`` only those without a
    wheel for the target; otherwise those named, plus those without a wheel.

    Attributes:
        spec: ``:all:``, ``:none:`` or comma-separated names (str).
    """

    spec: str = ":none:"

    @property
    def names(self) -> frozenset[str]:
        """The names listed (frozenset[str])."""
        if self.spec in (":all:", ":none:"):
            return frozenset()
        return frozenset(canonicalize_name(n) for n in self.spec.split(",") if n.strip())

    def wants(self, name: str, has_wheel: bool) -> bool:
        """Whether a package with (or without) a matching wheel is built from source."""
        return not has_wheel or self.spec == ":all:" or canonicalize_name(name) in self.names


@dataclass
class LockBuildOptions:
    """What ``lock-build`` works from.

    Attributes:
        runtime_lock: the run-time ``pylock.toml`` (Path).
        sources: indexes and find-links to resolve and fetch from (Sources).
        target: the build interpreter's version and platform (Target).
        interpreter: the interpreter that runs backends to ask them (Path).
        from_source: the policy (FromSource).
        seeds: names (or ``name==version``) of seed packages (list[str]).
        cache: the file store (Path).
        uv: the uv program (str).
        progress: where progress goes (Progress).
    """

    runtime_lock: Path
    sources: Sources
    target: Target
    interpreter: Path
    from_source: FromSource
    seeds: list[str]
    cache: Path
    uv: str
    progress: Progress = field(default_factory=Progress)
    backend_calls: int = 0


def runtime_sdists(lock_path: Path, target: Target, policy: FromSource) -> list[tuple[str, LockedFile]]:
    """The run-time lock's packages built from their sdists on ``target``: (``name==version``, sdist).

    Raises:
        BuildLockError: the lock is not valid TOML or PEP 751, or a file has no sha256.
    """
    packages, _ = read_runtime_lock(lock_path, target)
    return sorted(
        (p.key, p.sdist)
        for p in packages
        if p.sdist is not None and policy.wants(p.name, p.wheel is not None)
    )


def _seed_keys(seeds: Sequence[str], builds: dict[str, BuildEntry]) -> list[str]:
    keys = []
    for seed in seeds:
        name, _, version = seed.partition("==")
        found = [k for k in builds if k.split("==")[0] == canonicalize_name(name)]
        if version:
            found = [k for k in found if k.split("==")[1] == version]
        if not found:
            raise UsageError(
                f"--seed {seed}: no package of that name is built from source here; seeds break cycles "
                "among builds from source, drop it"
            )
        keys += found
    return sorted(set(keys))


def _requirements(texts: Sequence[str], where: str) -> list[str]:
    for text in texts:
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise BuildLockError(f"{where}: invalid build requirement {text!r} ({exc})") from None
    return list(texts)


def lock_build(opts: LockBuildOptions) -> BuildLock:
    """Lock the build requirements of ``opts.runtime_lock`` (see the module docstring).

    Raises:
        WheelhouseError: a fetch, resolution or backend failure, or a cycle
            without a seed, each one line naming the package and the fix.
    """
    progress = opts.progress
    target = opts.target
    queue = [
        (key, sdist, "runtime") for key, sdist in runtime_sdists(opts.runtime_lock, target, opts.from_source)
    ]
    builds: dict[str, BuildEntry] = {}
    packages: dict[str, Pin] = {}
    sdists: dict[str, LockedFile] = {}
    while queue:
        key, sdist, role = queue.pop(0)
        if key in builds:
            continue
        progress.phase(key, f"fetching {sdist.name}")
        path = fetch(sdist.name, sdist.sha256, sdist.url, opts.sources, opts.cache, package=key)
        entry, pins = _lock_one(opts, key, path, sdist, role)
        builds[key] = entry
        sdists[key] = sdist
        for pin in pins:
            packages.setdefault(pin.key, pin)
            wheel = best_wheel(pin.wheels, target)
            if opts.from_source.wants(pin.name, wheel is not None) and pin.key not in builds:
                if pin.sdist is None:
                    raise BuildLockError(
                        f"{pin.key} (in the build environment of {key}) has no wheel for Python "
                        f"{target.python} on {target.platform} and no sdist; make one available"
                    )
                queue.append((pin.key, pin.sdist, "build"))
    edges = {k: [p for p in b.environment if p in builds] for k, b in builds.items()}
    seed_keys = _seed_keys(opts.seeds, builds)
    steps = plan(edges, seed_keys)  # raises CycleError for a cycle without a seed
    locked: dict[str, LockedPackage] = {}
    for key, pin in packages.items():
        wheel = best_wheel(pin.wheels, target)
        from_source = key in builds
        if (not from_source or key in seed_keys) and wheel is None:
            raise BuildLockError(
                f"{key}: {'the seed' if from_source else 'a build requirement used as a wheel'} has no wheel "
                f"for Python {target.python} on {target.platform} on any index; give an index that has it, "
                "or build it from source (--from-source)"
            )
        wheels = (wheel,) if wheel is not None and (not from_source or key in seed_keys) else ()
        locked[key] = LockedPackage(pin.name, pin.version, pin.sdist if from_source else None, wheels)
    for key in builds:
        if key not in locked and builds[key].role == "build":
            name, version = key.split("==")
            locked[key] = LockedPackage(name, version, sdists[key], ())
    return BuildLock(
        runtime_lock=file_digest(opts.runtime_lock),
        python=target.python,
        platform=target.platform,
        from_source=opts.from_source.spec,
        seeds=tuple(seed_keys),
        packages=tuple(locked.values()),
        builds=tuple(builds.values()),
        cycles=tuple(CycleEntry(tuple(c.members), tuple(c.seeds)) for c in steps.cycles),
    )


def _lock_one(
    opts: LockBuildOptions, key: str, sdist: Path, locked: LockedFile, role: str
) -> tuple[BuildEntry, list[Pin]]:
    """Static requirements, dynamic ones (asked in the sandbox), and the resolved environment of one sdist."""
    from ..sdist import inspect_sdist

    progress = opts.progress
    info = inspect_sdist(sdist)
    static = _requirements([str(r) for r in info.build_system["requires"]], f"{sdist.name}")
    what = f"the build environment of {key}"
    static_pins = resolve(static, opts.target, opts.sources, uv=opts.uv, what=what)
    wheels = []
    for pin in static_pins:
        wheel = best_wheel(pin.wheels, opts.target)
        if wheel is None:
            raise BuildLockError(
                f"{key}: to ask its backend for its dynamic build requirements, {pin.key} must be installed, "
                f"and it has no wheel for Python {opts.target.python} on {opts.target.platform}; make one "
                "available on an --index or in a --find-links directory"
            )
        wheels.append(fetch(wheel.name, wheel.sha256, wheel.url, opts.sources, opts.cache, package=pin.key))
    progress.phase(key, "asking the backend for its dynamic build requirements (sandboxed, offline)")
    req = BuildRequest(sdist=sdist, find_links=(), wheels=tuple(wheels), python=opts.interpreter, verbosity=0)
    try:
        asked = build_requirements(req)
    except WheelhouseError as exc:
        # the same error (BuildFailed keeps its log tail), its message saying what lock-build was doing
        exc.args = (f"lock-build: asking {key} for its dynamic build requirements failed: {exc.message}",)
        raise
    opts.backend_calls += 1
    dynamic = _requirements(list(asked.dynamic), f"{sdist.name} (dynamic)")
    pins = (
        resolve([*static, *dynamic], opts.target, opts.sources, uv=opts.uv, what=what)
        if dynamic
        else static_pins
    )
    entry = BuildEntry(
        package=key,
        sdist=locked.sha256,
        role=role,
        requires=tuple(static),
        dynamic=tuple(dynamic),
        environment=tuple(sorted(p.key for p in pins)),
    )
    return entry, pins
