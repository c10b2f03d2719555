"""The ``lock-build`` command: options to :func:`~wheelhouse.host.lockbuild.lock_build`, the file."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from ..buildlock import BuildLock, dumps, loads
from ..errors import WheelhouseError
from ..progress import NORMAL, QUIET, VERBOSE, Progress
from .fetch import Sources
from .lockbuild import FromSource, LockBuildOptions, lock_build
from .resolve import find_uv, make_target

__all__ = ["changes", "default_cache", "run_lock_build"]


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/wheelhouse`` (or ``~/.cache/wheelhouse``): the file store and logs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wheelhouse"


def changes(old: BuildLock, new: BuildLock) -> list[str]:
    """What differs between two build locks, one line each (for ``--check``)."""
    lines = []
    if old.runtime_lock != new.runtime_lock:
        lines.append(f"the run-time lock changed ({old.runtime_lock[:19]}... -> {new.runtime_lock[:19]}...)")
    before = {b.package: b for b in old.builds}
    after = {b.package: b for b in new.builds}
    lines += [f"new build: {k}" for k in sorted(after.keys() - before.keys())]
    lines += [f"no longer built: {k}" for k in sorted(before.keys() - after.keys())]
    for key in sorted(before.keys() & after.keys()):
        if before[key].environment != after[key].environment:
            was, now = ", ".join(before[key].environment), ", ".join(after[key].environment)
            lines.append(f"{key}: environment {was} -> {now}")
        elif before[key] != after[key]:
            lines.append(f"{key}: its sdist or requirements changed")
    for attr in ("python", "platform", "from_source", "seeds"):
        if getattr(old, attr) != getattr(new, attr):
            lines.append(f"{attr}: {getattr(old, attr)} -> {getattr(new, attr)}")
    if not lines and old != new:
        lines.append("the locked files changed")
    return lines


def run_lock_build(args: argparse.Namespace) -> int:
    """Run ``wheelhouse lock-build``; 0 on success (or a fresh lock with ``--check``)."""
    verbosity = QUIET if args.quiet else VERBOSE if args.verbose else NORMAL
    progress = Progress(verbosity=verbosity)
    output: Path = args.output or args.lock.with_name("pylock.build.toml")
    started = time.monotonic()
    try:
        interpreter = args.interpreter if args.interpreter.is_absolute() else Path.cwd() / args.interpreter
        opts = LockBuildOptions(
            runtime_lock=args.lock,
            sources=Sources(tuple(p.absolute() for p in args.find_links), tuple(args.indexes)),
            target=make_target(args.python, args.glibc),
            interpreter=interpreter,
            from_source=FromSource(args.from_source),
            seeds=list(args.seeds),
            cache=default_cache(),
            uv=find_uv(),
            progress=progress,
        )
        lock = lock_build(opts)
        text = dumps(lock)
        if args.check:
            if not output.is_file():
                print(
                    f"wheelhouse: error: {output}: no build lock; run `wheelhouse lock-build {args.lock}`",
                    file=sys.stderr,
                )
                return 1
            old_text = output.read_text()
            if old_text == text:
                print(f"{output}: up to date")
                return 0
            print(f"{output}: stale; rerun `wheelhouse lock-build {args.lock} -o {output}`:")
            for line in changes(loads(old_text, str(output)), lock):
                print(f"  {line}")
            return 1
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except WheelhouseError as exc:
        print(f"wheelhouse: error: {exc.message}", file=sys.stderr)
        return 1
    cycles = (
        "; ".join(" + ".join(c.members) + f" (seeds: {', '.join(c.seeds)})" for c in lock.cycles) or "none"
    )
    if verbosity >= NORMAL:
        print(
            f"{output}: {len(lock.builds)} builds from source, {len(lock.packages)} locked packages, "
            f"cycles: {cycles}; {opts.backend_calls} backend calls in {time.monotonic() - started:.1f} s"
        )
    return 0
