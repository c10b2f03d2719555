"""``wheelhouse build pylock.toml``: a whole lock into a flat wheelhouse, without Bazel.

1. Read the run-time lock for this interpreter and platform (markers
   evaluated, the best wheel chosen by tag); the policy (``--from-source``, or
   the build lock's) says which packages are built from their sdists.
2. Plan the builds. With ``--build-lock`` every build gets exactly its locked
   environment, build requirements built from source are built first
   (topological order, :func:`wheelhouse.buildgraph.plan`), and a cycle is
   built twice from its seed; without one, each sdist's build requirements are
   resolved from ``--find-links``.
3. Fetch every file (hash-checked: the lock's URL, then each ``--index``, then
   each ``--find-links`` directory) and run the builds, ``-j`` at a time, each
   through the caches (:func:`wheelhouse.host.cached.build_cached`): a second
   run builds nothing.
4. Write ``DIR``: the run-time packages' wheels side by side (usable with
   ``--find-links``) and ``DIR/pylock.toml`` naming each with its sha256. The
   directory is assembled beside ``DIR`` and renamed into place, so a failure
   or an interrupt leaves ``DIR`` as it was; every finished build is cached.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..buildgraph import Step, plan
from ..buildlock import BuildLock, LockedFile, file_digest, loads
from ..errors import BuildLockError, UsageError, WheelhouseError
from ..progress import NORMAL, VERBOSE, Progress
from ..request import BuildRequest, BuildResult
from . import sandbox
from .cache import Cache
from .cached import build_cached
from .fetch import Sources, fetch
from .lockbuild import FromSource
from .resolve import Target, best_wheel
from .runtimelock import LockPackage, read_runtime_lock

__all__ = ["BuildAllOptions", "BuildSummary", "LockPackage", "build_all", "read_runtime_lock"]

#: What ``DIR/pylock.toml`` says made it (a directory with it may be replaced).
CREATED_BY = "wheelhouse build"


@dataclass
class BuildAllOptions:
    """What ``wheelhouse build`` works from.

    Attributes:
        lock: the run-time ``pylock.toml`` (Path).
        output: the wheelhouse directory to write (Path).
        cache: the caches (Cache).
        python: the interpreter the wheels are built for (Path).
        sources: indexes and find-links to fetch from; without a build lock the
            find-links directories are also where build requirements come from (Sources).
        build_lock: the ``pylock.build.toml`` (Path | None).
        from_source: the policy, when there is no build lock (str | None: ``:none:``).
        jobs: builds at a time (int).
        read_actions: use cached results (False: ``--no-cache``) (bool).
        sandbox: ``auto`` or ``bwrap`` (str).
        timeout: per build (float).
        max_processes: per build (int).
        verbosity: QUIET, NORMAL or VERBOSE (int).
        stream: where progress goes (TextIO).
    """

    lock: Path
    output: Path
    cache: Cache
    python: Path = field(default_factory=lambda: Path(sys.executable))
    sources: Sources = field(default_factory=Sources)
    build_lock: Path | None = None
    from_source: str | None = None
    jobs: int = 2
    read_actions: bool = True
    sandbox: str = "auto"
    timeout: float = 3600.0
    max_processes: int = 4096
    verbosity: int = NORMAL
    stream: TextIO = field(default_factory=lambda: sys.stderr)


@dataclass(frozen=True)
class BuildSummary:
    """What a run did.

    Attributes:
        packages: run-time packages written to the wheelhouse (int).
        built: builds run (int).
        cached: builds served from the action cache (int).
        fetched: wheels used as they were locked (int).
        seconds: wall time (float).
        lock: ``DIR/pylock.toml`` (Path).
    """

    packages: int
    built: int
    cached: int
    fetched: int
    seconds: float
    lock: Path


@dataclass(frozen=True)
class _Build:
    """One build to run: a step of the plan, its sdist and its environment."""

    key: str
    stage: int
    sdist: LockedFile
    env: tuple[tuple[str, int], ...]  # (package key, stage): stage -2 a locked wheel, -1 a seed wheel

    @property
    def label(self) -> str:
        return self.key + (f" (stage {self.stage})" if self.stage else "")


def _target(cache: Cache, python: Path) -> Target:
    interp = cache.interpreter(python)
    short = ".".join(interp.version.split(".")[:2])
    return Target(short, interp.tags[0].rsplit("-", 1)[-1], interp.tags, interp.markers)


def _plan_with_lock(
    opts: BuildAllOptions, packages: list[LockPackage], target: Target
) -> tuple[list[_Build], BuildLock, dict[str, LockedFile]]:
    """The builds of a build lock, and the locked wheels they use (by package key)."""
    assert opts.build_lock is not None
    where = str(opts.build_lock)
    try:
        text = opts.build_lock.read_text()
    except OSError as exc:
        raise UsageError(f"--build-lock {opts.build_lock}: cannot read it ({exc.strerror})") from None
    block = loads(text, where)
    rerun = f"rerun `wheelhouse lock-build {opts.lock}` with the same options"
    if block.runtime_lock != file_digest(opts.lock):
        raise BuildLockError(f"{where} was made for another version of {opts.lock}: it is stale; {rerun}")
    if block.python != target.python:
        raise BuildLockError(
            f"{where} locks build environments for Python {block.python}, not {target.python} "
            f"(the interpreter {opts.python}); pass --python for a {block.python} interpreter, or {rerun} "
            f"with --python {target.python}"
        )
    policy = FromSource(block.from_source)
    builds = {b.package: b for b in block.builds}
    sdists = {p.key: p.sdist for p in packages if p.sdist is not None}
    for pkg in packages:
        if policy.wants(pkg.name, pkg.wheel is not None) and pkg.key not in builds:
            raise BuildLockError(
                f"{where} has no build entry for {pkg.key}, which is built from source; {rerun}"
            )
    wheels: dict[str, LockedFile] = {}
    for locked in block.packages:
        if locked.wheels:
            wheels[locked.key] = best_wheel(locked.wheels, target) or locked.wheels[0]
        if locked.sdist is not None:
            sdists.setdefault(locked.key, locked.sdist)
    steps: list[Step] = plan(
        {k: [p for p in b.environment if p in builds] for k, b in builds.items()}, block.seeds
    ).steps
    out = []
    for step in steps:
        entry = builds[step.node]
        sdist = sdists.get(step.node)
        if sdist is None or sdist.sha256 != entry.sdist:
            raise BuildLockError(
                f"{where} builds {step.node} from an sdist neither lock has: it is stale; {rerun}"
            )
        from_deps = dict(step.deps)
        env = []
        for pin in entry.environment:
            if pin in from_deps:
                env.append((pin, from_deps[pin]))
            elif pin in wheels:
                env.append((pin, -2))
            else:
                raise BuildLockError(
                    f"{where}: {pin} (in the environment of {step.node}) has no wheel; {rerun}"
                )
        out.append(_Build(step.node, step.stage, sdist, tuple(env)))
    return out, block, wheels


class _Board:
    """Progress for a whole lock: done/total, what runs and its phase, elapsed time.

    On a terminal one status line is redrawn in place, finished packages
    scroll above it; otherwise every event is a plain line.
    """

    def __init__(self, total: int, verbosity: int, stream: TextIO) -> None:
        self.total = total
        self.verbosity = verbosity
        self.stream = stream
        self.tty = verbosity == NORMAL and _isatty(stream)
        self.done = 0
        self.running: dict[str, str] = {}
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._shown = False

    def __enter__(self) -> _Board:
        if self.tty:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
        with self.lock:
            self._clear()

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self.lock:
                self._draw()

    def _status(self) -> str:
        running = ", ".join(f"{k.split('==')[0]} ({v})" for k, v in sorted(self.running.items()))
        width = shutil.get_terminal_size((100, 20)).columns
        text = f"[{self.done}/{self.total}] {len(self.running)} running: {running or '-'} · "
        text += f"{time.monotonic() - self.started:.0f}s"
        return text if len(text) < width else text[: width - 2] + "…"

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self._shown = False

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self._status())
            self.stream.flush()
            self._shown = True

    def say(self, text: str) -> None:
        """A line that stays (a finished package, a warning)."""
        if self.verbosity < NORMAL:
            return
        with self.lock:
            self._clear()
            self.stream.write(text + "\n")
            self._draw()
            self.stream.flush()

    def sink(self, key: str) -> Callable[[str], None]:
        """Where one build's progress lines go."""
        prefix = re.compile(r"^wheelhouse: (?:.+?): (.*?)(?: \[[0-9.]+s\])?$")

        def take(line: str) -> None:
            match = prefix.match(line)
            if match is not None and not line.startswith("wheelhouse: warning:"):
                with self.lock:
                    if key in self.running:
                        self.running[key] = match.group(1)[:60]
                if not self.tty and self.verbosity >= NORMAL:
                    self.say(line)
            elif self.verbosity >= VERBOSE or line.startswith("wheelhouse: warning:"):
                self.say(line)

        return take

    def start(self, key: str) -> None:
        with self.lock:
            self.running[key] = "starting"

    def finish(self, key: str, text: str) -> None:
        with self.lock:
            self.running.pop(key, None)
            self.done += 1
            done = self.done
        self.say(f"wheelhouse: [{done}/{self.total}] {text}")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _check_output(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: exists and is not a directory; give a directory")
    if output.is_dir() and any(output.iterdir()):
        made = output / "pylock.toml"
        try:
            ours = tomllib.loads(made.read_text()).get("created-by") == CREATED_BY
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            ours = False
        if not ours:
            raise UsageError(
                f"-o {output}: not empty and not made by `wheelhouse build`; give a new or empty directory"
            )
    parent = output.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"-o {output}: cannot write in {parent}; give a directory you can write to")


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_pylock(path: Path, source: dict[str, Any], rows: list[tuple[LockPackage, Path, str]]) -> None:
    lines = ['lock-version = "1.0"', f"created-by = {_toml_str(CREATED_BY)}"]
    if isinstance(source.get("requires-python"), str):
        lines.append(f"requires-python = {_toml_str(source['requires-python'])}")
    for pkg, wheel, sha in rows:
        lines += [
            "",
            "[[packages]]",
            f"name = {_toml_str(pkg.name)}",
            f"version = {_toml_str(pkg.version)}",
            "wheels = [",
            f"  {{ name = {_toml_str(wheel.name)}, path = {_toml_str(wheel.name)}, "
            f"size = {wheel.stat().st_size}, hashes = {{ sha256 = {_toml_str(sha)} }} }},",
            "]",
        ]
    path.write_text("\n".join(lines) + "\n")


def build_all(opts: BuildAllOptions) -> BuildSummary:
    """Build ``opts.lock`` into ``opts.output`` (see the module docstring).

    Raises:
        WheelhouseError: one line naming the package and the fix; ``opts.output``
            is left as it was.
    """
    started = time.monotonic()
    if opts.jobs < 1:
        raise UsageError("-j must be at least 1")
    if sandbox.select_mode(opts.sandbox)[0] != "bwrap":
        raise UsageError("wheelhouse build runs every build in the bubblewrap sandbox; install bubblewrap")
    _check_output(opts.output)
    target = _target(opts.cache, opts.python)
    packages, source = read_runtime_lock(opts.lock, target)
    block: BuildLock | None = None
    locked_wheels: dict[str, LockedFile] = {}
    if opts.build_lock is not None:
        builds, block, locked_wheels = _plan_with_lock(opts, packages, target)
        if opts.from_source is not None and opts.from_source != block.from_source:
            raise UsageError(
                f"--from-source {opts.from_source}: {opts.build_lock} was locked with --from-source "
                f"{block.from_source}; drop the option or lock again with it"
            )
        policy = FromSource(block.from_source)
    else:
        policy = FromSource(opts.from_source or ":none:")
        builds = []
        for pkg in packages:
            if policy.wants(pkg.name, pkg.wheel is not None):
                if pkg.sdist is None:
                    continue  # reported below
                builds.append(_Build(pkg.key, 0, pkg.sdist, ()))
    for pkg in packages:
        wants = policy.wants(pkg.name, pkg.wheel is not None)
        if (wants and pkg.sdist is None and pkg.wheel is None) or (not wants and pkg.wheel is None):
            raise BuildLockError(
                f"{opts.lock}: {pkg.key} has no wheel for this interpreter ({target.tags[0]}) and no sdist; "
                "lock it for this platform or give it an sdist"
            )
    runtime_built = {p.key for p in packages if policy.wants(p.name, p.wheel is not None) and p.sdist}
    final_stage = {b.key: b.stage for b in builds}  # the last build of a key is its final wheel
    board_total = len(builds)
    cache_files = opts.cache.root

    def get(f: LockedFile, package: str) -> Path:
        return fetch(f.name, f.sha256, f.url, opts.sources, cache_files, package=package)

    progress = Progress(verbosity=opts.verbosity, stream=opts.stream)
    sdist_paths = {}
    wheel_paths: dict[str, Path] = {}
    fetch_list = [(b.sdist, b.key) for b in builds]
    fetch_list += [(p.wheel, p.key) for p in packages if p.key not in runtime_built and p.wheel is not None]
    fetch_list += [(f, k) for k, f in sorted(locked_wheels.items())]
    if fetch_list:
        progress.phase("fetch", f"{len(fetch_list)} files (hash-checked)")
    for locked, key in fetch_list:
        path = get(locked, key)
        if locked.name.endswith(".whl"):
            wheel_paths[key] = path
        else:
            sdist_paths[key] = path

    results: dict[tuple[str, int], BuildResult] = {}
    work = Path(tempfile.mkdtemp(prefix=f".{opts.output.name}.", dir=opts.output.absolute().parent))
    try:
        with _Board(board_total, opts.verbosity, opts.stream) as board:
            _run_builds(opts, builds, sdist_paths, wheel_paths, locked_wheels, results, work, board)
        staging = work / "out"
        staging.mkdir()
        rows: list[tuple[LockPackage, Path, str]] = []
        for pkg in packages:
            if pkg.key in runtime_built:
                result = results[(pkg.key, final_stage[pkg.key])]
                src, sha = result.wheel, result.sha256
            else:
                assert pkg.wheel is not None
                src, sha = wheel_paths[pkg.key], pkg.wheel.sha256
            dest = staging / src.name
            shutil.copyfile(src, dest)
            rows.append((pkg, dest, sha))
        _write_pylock(staging / "pylock.toml", source, rows)
        _replace_dir(staging, opts.output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    built = sum(1 for r in results.values() if not r.cached)
    return BuildSummary(
        packages=len(packages),
        built=built,
        cached=len(results) - built,
        fetched=len(packages) - len(runtime_built),
        seconds=time.monotonic() - started,
        lock=opts.output / "pylock.toml",
    )


def _replace_dir(staging: Path, output: Path) -> None:
    """Put ``staging`` at ``output``; an earlier ``output`` is removed only once the new one is there."""
    if not output.exists():
        os.replace(staging, output)
        return
    old = output.with_name(f".{output.name}.old-{os.getpid()}")
    os.replace(output, old)
    try:
        os.replace(staging, output)
    except OSError:
        os.replace(old, output)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _run_builds(
    opts: BuildAllOptions,
    builds: Sequence[_Build],
    sdists: dict[str, Path],
    wheels: dict[str, Path],
    locked_wheels: dict[str, LockedFile],
    results: dict[tuple[str, int], BuildResult],
    work: Path,
    board: _Board,
) -> None:
    """Run ``builds`` ``opts.jobs`` at a time, each once its environment is built."""
    final = {b.key: b.stage for b in builds}
    pending = list(builds)
    errors: list[tuple[_Build, WheelhouseError]] = []
    lock = threading.Lock()

    def provider(pin: str, stage: int) -> tuple[str, int] | None:
        """The build whose result ``pin`` at ``stage`` is (None: a locked wheel)."""
        if stage < 0:
            return None
        return (pin, final[pin]) if stage == 0 else (pin, 1)

    def ready(build: _Build) -> bool:
        for pin, stage in build.env:
            need = provider(pin, stage)
            if need is not None and need not in results:
                return False
        return True

    def env_of(build: _Build) -> list[tuple[Path, str]]:
        env = []
        for pin, stage in build.env:
            need = provider(pin, stage)
            if need is None:
                env.append((wheels[pin], locked_wheels[pin].sha256))
            else:
                result = results[need]
                env.append((result.wheel, result.sha256))
        return env

    def run(build: _Build) -> BuildResult:
        out = work / f"{build.key}-{build.stage}"
        req = BuildRequest(
            sdist=sdists[build.key],
            find_links=() if opts.build_lock else opts.sources.find_links,
            python=opts.python,
            sandbox=opts.sandbox,
            verbosity=max(opts.verbosity, NORMAL),
            timeout=opts.timeout,
            max_processes=opts.max_processes,
            missing_fix=(
                f"{opts.build_lock} does not lock it: rerun `wheelhouse lock-build {opts.lock}`"
                if opts.build_lock
                else "add a wheel of it to a --find-links directory, or lock the build requirements "
                f"with `wheelhouse lock-build {opts.lock}` and pass --build-lock"
            ),
        )
        progress = Progress(verbosity=req.verbosity, sink=board.sink(build.key))
        return build_cached(
            req,
            out,
            opts.cache,
            read_actions=opts.read_actions,
            log_file=opts.cache.root / "logs" / f"{build.key.replace('==', '-')}-{build.stage}.log",
            progress=progress,
            env_wheels=env_of(build) if opts.build_lock else None,
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        running: dict[concurrent.futures.Future[BuildResult], _Build] = {}
        try:
            while pending or running:
                while not errors and len(running) < opts.jobs:
                    build = next((b for b in pending if ready(b)), None)
                    if build is None:
                        break
                    pending.remove(build)
                    board.start(build.key)
                    running[pool.submit(run, build)] = build
                if not running:
                    break
                done, _ = concurrent.futures.wait(
                    running, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in done:
                    build = running.pop(future)
                    try:
                        result = future.result()
                    except WheelhouseError as exc:
                        with lock:
                            errors.append((build, exc))
                        board.finish(build.key, f"{build.label}: FAILED")
                        continue
                    results[(build.key, build.stage)] = result
                    how = "cached" if result.cached else f"built in {result.seconds:.1f}s"
                    board.finish(build.key, f"{build.label}: {how} {result.wheel.name}")
        except BaseException:
            sandbox.stop_all()  # an interrupt: stop the builds on the other threads
            for future in running:
                future.cancel()
            raise
    if errors:
        failed, first = errors[0]
        left = len(pending)
        more = f" ({len(errors) - 1} other build(s) failed too)" if len(errors) > 1 else ""
        rest = f"; {left} build(s) not started" if left else ""
        first.args = (
            f"{failed.label}: {first.message}{more}{rest}; finished builds are cached, fix it and rerun",
        )
        raise first
    if pending:  # pragma: no cover - plan() orders every build after its environment
        raise WheelhouseError(f"builds left that nothing can start: {', '.join(b.label for b in pending)}")
