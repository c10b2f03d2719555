"""The ``wheelhouse`` command.

``wheelhouse build-wheel SDIST --find-links DIR -o OUTDIR`` builds one
reproducible wheel in the sandbox and prints ``<path> sha256=<hex>`` (not
with ``-qq``, as in a Bazel action, which must print nothing on success).
``wheelhouse verify SDIST --find-links DIR`` builds it twice under
perturbation and exits 0 only when both wheels are byte-identical.
``wheelhouse install --dest DIR WHEEL...`` installs wheels into a
self-contained tree (``DIR/site-packages``, ``DIR/bin``) and prints its
site-packages path.

Progress goes to stderr (``-q`` silences it, ``-v`` adds the backend's full
output; both go before or after the command, as with pip and uv); an error
is one line, ``wheelhouse: error: ...``. Exit status: 0 success, 1 an error
(or, for ``verify``, wheels that differ), 2 a bad command line, 130 on
SIGINT, 143 on SIGTERM (the build is stopped and its files removed).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import __version__
from .errors import BuildFailed, Interrupted, UsageError, WheelhouseError
from .limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS
from .progress import NORMAL, QUIET, VERBOSE, Progress
from .request import DEFAULT_MAX_PROCESSES, DEFAULT_TIMEOUT, BuildRequest

if TYPE_CHECKING:
    from .host.cache import Cache

__all__ = ["main", "parse_args", "request_from_args"]


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _size(text: str) -> int:
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    number, unit = text.rstrip("BbiI"), ""
    if number and number[-1].upper() in units:
        number, unit = number[:-1], number[-1].upper()
    try:
        value = int(float(number) * units[unit])
    except (ValueError, OverflowError):  # OverflowError: inf, 1e400
        raise argparse.ArgumentTypeError(f"expected a size such as 500M or 2G, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {text!r}")
    return value


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if not value > 0:  # not <= 0: NaN is refused too
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def _verbosity_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """``-q``/``-v``, accepted before the command (``top``) and after it."""
    default = 0 if top else argparse.SUPPRESS
    parser.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="print only the result and errors; twice (-qq): only errors",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="stream the backend's full output",
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sdist", type=Path, help="the source distribution (.tar.gz or .zip)")
    for flags, dest, metavar, text in (
        (("--find-links", "-f"), "find_links", "DIR", "directory of wheels for the build environment"),
        (("--wheel",), "wheels", "WHEEL", "a single wheel file for the build environment"),
        (("--patch",), "patches", "FILE", "patch applied with `patch -p1` to the extracted source, in order"),
        (("--ro-bind",), "ro_binds", "DIR", "host directory visible read-only in the sandbox, same path"),
    ):
        parser.add_argument(
            *flags,
            dest=dest,
            type=Path,
            action="append",
            default=[],
            metavar=metavar,
            help=f"{text} (repeatable)",
        )
    parser.add_argument(
        "--python",
        type=Path,
        default=Path(sys.executable),
        help="interpreter to build for (default: the one running wheelhouse)",
    )
    parser.add_argument(
        "--debug",
        choices=("strip", "split", "keep"),
        default="strip",
        help="debug info in ELF files: strip it (default), split it to --debug-dir, keep it",
    )
    parser.add_argument(
        "--debug-dir",
        type=Path,
        default=None,
        help="where --debug split writes .build-id/xx/rest.debug (default: OUTDIR/debug)",
    )
    tag = parser.add_mutually_exclusive_group()
    tag.add_argument("--build-tag", default=None, help="PEP 427 build tag for the wheel, e.g. 1")
    tag.add_argument("--local-version", default=None, help="PEP 440 local label, e.g. site1 -> 1.0+site1")
    parser.add_argument(
        "--variant-property",
        dest="variant_properties",
        action="append",
        default=[],
        metavar="NS::FEATURE::VALUE",
        help="make a PEP 825 variant wheel with this property (repeatable); the backend sees them "
        "in $WHEELHOUSE_VARIANT_PROPERTIES, ';'-separated",
    )
    parser.add_argument(
        "--variant-label",
        default=None,
        metavar="LABEL",
        help="the variant wheel's label (default: the hash variantlib derives from the properties)",
    )
    parser.add_argument(
        "--config-setting",
        "-C",
        dest="config_settings",
        type=_key_value,
        action="append",
        default=[],
        metavar="K=V",
        help="PEP 517 config setting (repeatable)",
    )
    parser.add_argument(
        "--env",
        dest="env",
        type=_key_value,
        action="append",
        default=[],
        metavar="K=V",
        help="environment variable for the backend (repeatable)",
    )
    parser.add_argument(
        "--source-date-epoch",
        type=int,
        default=None,
        help="fixed timestamp (default: newest file in the sdist, kept between 1980 and 2107)",
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        default=None,
        help="where the backend log goes (default: ~/.cache/wheelhouse/logs/NAME-VERSION.log)",
    )
    parser.add_argument(
        "--sandbox",
        choices=("auto", "bwrap", "none"),
        default="auto",
        help="isolate the build with bubblewrap (auto, bwrap: the default, an error where it cannot), "
        "or none: no isolation, network open",
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop the build after this long (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-extract-bytes",
        type=_size,
        default=DEFAULT_MAX_BYTES,
        metavar="SIZE",
        help="refuse an sdist that unpacks to more (default 1G)",
    )
    parser.add_argument(
        "--max-members",
        type=_positive(int),
        default=DEFAULT_MAX_MEMBERS,
        metavar="N",
        help=f"refuse an sdist with more members (default {DEFAULT_MAX_MEMBERS})",
    )
    parser.add_argument(
        "--max-processes",
        type=_positive(int),
        default=DEFAULT_MAX_PROCESSES,
        metavar="N",
        help="processes and threads a build may run, where a pids cgroup can be made "
        f"(default {DEFAULT_MAX_PROCESSES})",
    )
    parser.add_argument(
        "--build-env",
        dest="env_dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="a build environment made by `wheelhouse build-env`, used read-only instead of "
        "resolving and installing one (it must hold every requirement)",
    )
    parser.add_argument(
        "--missing-hint",
        default="",
        metavar="TEXT",
        help="advice printed when a build requirement is missing, instead of the pip download line "
        "(the Bazel rules name the attribute to change)",
    )
    _verbosity_options(parser, top=False)


def _cache_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR|none",
        help="the cache of build environments and results (default: $WHEELHOUSE_CACHE, else "
        "$XDG_CACHE_HOME/wheelhouse or ~/.cache/wheelhouse); none: use no cache",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="build even when the result is cached (environments are still reused; the result is stored)",
    )


def _cache(args: argparse.Namespace) -> Cache | None:
    """The cache ``--cache-dir`` names (None for ``none``)."""
    return None if args.cache_dir == "none" else _cache_at(args.cache_dir)


def _add_cache(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = sub.add_parser("cache", help="show or prune the cache of environments, results and files")
    cache.add_argument("action", choices=("info", "prune", "dir"), help="info: what it holds; prune: trim it")
    cache.add_argument("--cache-dir", default=None, metavar="DIR", help="the cache (default as build-wheel)")
    cache.add_argument(
        "--max-size",
        type=_size,
        default=None,
        metavar="SIZE",
        help="prune: remove the least recently used entries until at most SIZE remain (default: remove all)",
    )
    _verbosity_options(cache, top=False)


def _run_cache(args: argparse.Namespace) -> int:
    cache = _cache_at(args.cache_dir)
    if args.action == "dir":
        print(cache.root)
        return 0
    if args.action == "prune":
        removed, freed = cache.prune(args.max_size if args.max_size is not None else 0)
        print(f"removed {removed} entries, {_human(freed)} from {cache.root}")
        return 0
    print(f"cache: {cache.root}")
    total = 0
    for stat in cache.stats():
        total += stat.size
        noun = "entry" if stat.entries == 1 else "entries"
        print(f"  {stat.kind:<13} {stat.entries:>6} {noun:<7} {_human(stat.size):>10}")
    print(f"  {'total':<13} {'':>6}         {_human(total):>10}")
    return 0


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _index_options(parser: argparse.ArgumentParser, index_help: str, find_links_help: str) -> None:
    parser.add_argument(
        "--index", dest="indexes", action="append", default=[], metavar="URL", help=index_help
    )
    parser.add_argument(
        "--find-links",
        "-f",
        dest="find_links",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=find_links_help,
    )


def _sources_options(parser: argparse.ArgumentParser, find_links_help: str) -> None:
    _index_options(
        parser, "simple index to fetch from after the lock's own URL (repeatable, in order)", find_links_help
    )
    parser.add_argument(
        "--python",
        type=Path,
        default=Path(sys.executable),
        help="the interpreter it is for (default: the one running wheelhouse)",
    )


def _add_build(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    build = sub.add_parser(
        "build", help="build a whole pylock.toml into a flat wheelhouse with its own pylock.toml"
    )
    build.add_argument("lock", type=Path, help="the run-time pylock.toml")
    build.add_argument(
        "-o",
        "--output-dir",
        dest="output_dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="the wheelhouse",
    )
    build.add_argument(
        "--build-lock",
        type=Path,
        default=None,
        metavar="FILE",
        help="pylock.build.toml from `wheelhouse lock-build`: exact build environments, build "
        "requirements built from source first",
    )
    _sources_options(
        build,
        "directory of files to fetch from, last (repeatable); without --build-lock also where build "
        "requirements come from",
    )
    build.add_argument(
        "--from-source",
        default=None,
        metavar=":all:|:none:|NAME,...",
        help="what to build from sdists: everything, only what has no wheel here (default), or these "
        "names too (with --build-lock: the build lock's)",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=_positive(int),
        default=os.cpu_count() or 1,
        metavar="N",
        help="builds at a time (default: the number of CPUs)",
    )
    build.add_argument("--timeout", type=_positive(float), default=DEFAULT_TIMEOUT, metavar="SECONDS")
    build.add_argument("--max-processes", type=_positive(int), default=DEFAULT_MAX_PROCESSES, metavar="N")
    build.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="the cache (default: $WHEELHOUSE_CACHE, else $XDG_CACHE_HOME/wheelhouse or ~/.cache/wheelhouse)",
    )
    build.add_argument("--no-cache", action="store_true", help="build even what is cached (and store it)")
    _verbosity_options(build, top=False)
    env = sub.add_parser("env", help="make a virtual environment of a pylock.toml (shared by its pinned set)")
    env.add_argument("lock", type=Path, help="a pylock.toml with wheels for this interpreter")
    env.add_argument("dest", type=Path, help="new or empty directory for the environment")
    _sources_options(env, "directory of files to fetch from, last (repeatable)")
    env.add_argument("--cache-dir", default=None, metavar="DIR", help="the cache (default as build)")
    _verbosity_options(env, top=False)


def _verbosity(args: argparse.Namespace) -> int:
    """-q / -v as a Progress verbosity."""
    return QUIET if args.quiet else VERBOSE if args.verbose else NORMAL


def _python(args: argparse.Namespace) -> Path:
    """--python, absolute (a relative path is taken from the current directory, not resolved)."""
    python: Path = args.python
    return python if python.is_absolute() else Path.cwd() / python


def _cache_at(value: str | None) -> Cache:
    from .host.cache import Cache, cache_root

    return Cache(Path(value).absolute() if value else cache_root())


def _run_build(args: argparse.Namespace) -> int:
    from .host.buildall import BuildAllOptions, build_all
    from .host.fetch import Sources

    verbosity, python = _verbosity(args), _python(args)
    opts = BuildAllOptions(
        lock=args.lock.absolute(),
        output=args.output_dir.absolute(),
        cache=_cache_at(args.cache_dir),
        python=python,
        sources=Sources(tuple(d.absolute() for d in args.find_links), tuple(args.indexes)),
        build_lock=args.build_lock.absolute() if args.build_lock else None,
        from_source=args.from_source,
        jobs=args.jobs,
        read_actions=not args.no_cache,
        timeout=args.timeout,
        max_processes=args.max_processes,
        verbosity=verbosity,
    )
    try:
        summary = build_all(opts)
    except WheelhouseError as exc:
        return _fail(exc, verbosity)
    if verbosity >= NORMAL:
        print(
            f"wheelhouse: {summary.packages} packages in {args.output_dir}: {summary.built} built, "
            f"{summary.cached} cached, {summary.fetched} wheels as locked [{summary.seconds:.1f}s]",
            file=sys.stderr,
        )
    if args.quiet < 2:
        print(summary.lock)
    return 0


def _run_env(args: argparse.Namespace) -> int:
    from .host.envs import make_env
    from .host.fetch import Sources

    verbosity, python = _verbosity(args), _python(args)
    try:
        summary = make_env(
            args.lock.absolute(),
            args.dest.absolute(),
            _cache_at(args.cache_dir),
            python=python,
            sources=Sources(tuple(d.absolute() for d in args.find_links), tuple(args.indexes)),
            progress=Progress(verbosity=verbosity),
        )
    except WheelhouseError as exc:
        return _fail(exc, verbosity)
    if verbosity >= NORMAL:
        how = "linked from the cache" if summary.reused else "installed into the cache and linked"
        print(
            f"wheelhouse: {len(summary.packages)} packages, environment {summary.key[:12]} {how} "
            f"({summary.linked} hard links)",
            file=sys.stderr,
        )
    if args.quiet < 2:
        print(summary.path)
    return 0


def _add_lock_build(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lb = sub.add_parser(
        "lock-build",
        help="lock the build requirements of a pylock.toml (recursively) into pylock.build.toml",
    )
    lb.add_argument("lock", type=Path, help="the run-time pylock.toml")
    lb.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="the build lock (default: pylock.build.toml beside LOCK)",
    )
    _index_options(
        lb,
        "simple index to resolve and fetch from (repeatable, in priority order)",
        "directory of files to resolve and fetch from (repeatable)",
    )
    lb.add_argument(
        "--from-source",
        default=":none:",
        metavar=":all:|:none:|NAME,...",
        help="what to build from sdists: everything, only what has no wheel for the target "
        "(default), or these names too",
    )
    lb.add_argument(
        "--seed",
        dest="seeds",
        action="append",
        default=[],
        metavar="NAME",
        help="break a build cycle with NAME's hash-pinned wheel (repeatable)",
    )
    lb.add_argument(
        "--python",
        default=None,
        metavar="X.Y",
        help="the build interpreter's version (default: the interpreter that runs --interpreter)",
    )
    lb.add_argument(
        "--interpreter",
        type=Path,
        default=Path(sys.executable),
        help="the interpreter that runs backends to ask them (default: this one)",
    )
    lb.add_argument("--glibc", default="2.28", help="oldest glibc of the target (manylinux wheels up to it)")
    lb.add_argument(
        "--check",
        action="store_true",
        help="do not write: exit 1, saying what changed, when the build lock is stale",
    )
    _verbosity_options(lb, top=False)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line (exits 2 with a usage message when it is wrong)."""
    parser = argparse.ArgumentParser(
        prog="wheelhouse", description="Reproducible Python wheels from sdists, built in a sandbox, offline."
    )
    parser.add_argument("--version", action="version", version=f"wheelhouse {__version__}")
    _verbosity_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    bw = sub.add_parser("build-wheel", help="build one sdist into one reproducible wheel")
    _add_common(bw)
    bw.add_argument("-o", "--output-dir", dest="output_dir", type=Path, required=True, metavar="OUTDIR")
    _cache_options(bw)
    vf = sub.add_parser("verify", help="build twice under perturbation, compare the bytes")
    _add_common(vf)
    vf.add_argument(
        "-o",
        "--output-dir",
        dest="output_dir",
        type=Path,
        default=None,
        metavar="OUTDIR",
        help="keep the first build's wheel here",
    )
    inst = sub.add_parser(
        "install", help="install wheels into a self-contained directory (site-packages, bin)"
    )
    inst.add_argument(
        "wheels", type=Path, nargs="+", metavar="WHEEL", help="wheel files, or directories of wheels"
    )
    inst.add_argument("--dest", type=Path, required=True, help="new or empty directory to install into")
    inst.add_argument(
        "--interpreter", default="/usr/bin/env python3", help="interpreter written into script shebangs"
    )
    _verbosity_options(inst, top=False)
    cmp = sub.add_parser("compare", help="compare two wheels byte for byte and explain any difference")
    cmp.add_argument("first", type=Path, help="a wheel, or a directory holding one")
    cmp.add_argument("second", type=Path, help="a wheel, or a directory holding one")
    _verbosity_options(cmp, top=False)
    be = sub.add_parser("build-env", help="install exactly these wheels into a build environment to reuse")
    be.add_argument(
        "--wheel",
        dest="wheels",
        type=Path,
        action="append",
        default=[],
        metavar="WHEEL",
        help="a wheel to install (repeatable)",
    )
    be.add_argument(
        "--find-links",
        "-f",
        dest="find_links",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="install every wheel in DIR (repeatable)",
    )
    be.add_argument("--python", type=Path, default=Path(sys.executable), help="the interpreter it is for")
    be.add_argument(
        "-o",
        "--output-dir",
        dest="output_dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="new or empty directory for the environment",
    )
    be.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto")
    _verbosity_options(be, top=False)
    _add_lock_build(sub)
    _add_build(sub)
    _add_cache(sub)
    tk = sub.add_parser(
        "toolchain-key",
        help="print the MODULE.bazel line declaring this interpreter and its compilers as a toolchain",
        description="Print wheelhouse.toolchain(python = ..., interpreter_key = ..., tools_key = ...) for "
        "the interpreter running this command and the gcc, g++ and strip on --tools-path: run it on a "
        "remote worker to declare the workers' toolchain where Bazel runs.",
    )
    tk.add_argument(
        "--tools-path",
        default="/usr/local/bin:/usr/bin:/bin",
        metavar="PATH",
        help="where the compilers are looked up, as the toolchain's tools_path (default: %(default)s)",
    )
    _verbosity_options(tk, top=False)
    args = parser.parse_args(list(argv))
    if args.quiet and args.verbose:
        parser.error("-q/--quiet and -v/--verbose exclude each other")
    return args


def _expand_wheels(paths: list[Path]) -> list[Path]:
    wheels: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.whl"))
            if not found:
                raise UsageError(f"{path}: directory holds no .whl file")
            wheels.extend(found)
        else:
            wheels.append(path)
    return wheels


def _install(args: argparse.Namespace) -> int:
    try:
        from .install import install_tree

        site = install_tree(_expand_wheels(args.wheels), args.dest, args.interpreter)
    except WheelhouseError as exc:
        return _fail(exc, NORMAL)
    if not args.quiet:
        print(site)
    return 0


def _one_wheel(path: Path) -> Path:
    if path.is_dir():
        found = sorted(path.glob("*.whl"))
        if len(found) != 1:
            raise UsageError(f"{path}: expected one .whl file, found {len(found)}")
        return found[0]
    if not path.is_file():
        raise UsageError(f"{path}: no such wheel")
    return path


def _compare(args: argparse.Namespace) -> int:
    try:
        first, second = _one_wheel(args.first), _one_wheel(args.second)
    except WheelhouseError as exc:
        return _fail(exc, NORMAL)
    if first.name == second.name and first.read_bytes() == second.read_bytes():
        print(f"identical {first.name} sha256={hashlib.sha256(first.read_bytes()).hexdigest()}")
        return 0
    print(f"DIFFERENT {first.name} vs {second.name}")
    from .host.verify import explain

    for line in explain(first, second):
        print(f"  {line}")
    return 1


def _build_env(args: argparse.Namespace) -> int:
    verbosity, python = _verbosity(args), _python(args)
    try:
        from .host.frontend import build_env

        dists = build_env(
            [w.absolute() for w in args.wheels],
            [d.absolute() for d in args.find_links],
            python,
            args.output_dir.absolute(),
            progress=Progress(verbosity=verbosity),
            sandbox_mode=args.sandbox,
        )
    except WheelhouseError as exc:
        return _fail(exc, verbosity)
    if args.quiet < 2:
        print(f"{args.output_dir} {' '.join(dists)}")
    return 0


def _settings(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    settings: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key in settings:
            old = settings[key]
            settings[key] = [*old, value] if isinstance(old, list) else [old, value]
        else:
            settings[key] = value
    return settings


def request_from_args(args: argparse.Namespace) -> BuildRequest:
    """The :class:`BuildRequest` that ``args`` describe (paths made absolute)."""
    verbosity, python = _verbosity(args), _python(args)
    variant_properties: tuple[str, ...] = ()
    if args.variant_properties:
        from .host.variants import canonical_properties

        variant_properties = canonical_properties(args.variant_properties)
    return BuildRequest(
        variant_properties=variant_properties,
        variant_label=args.variant_label,
        sdist=args.sdist.absolute(),
        find_links=tuple(p.absolute() for p in args.find_links),
        wheels=tuple(p.absolute() for p in args.wheels),
        patches=tuple(p.absolute() for p in args.patches),
        python=python,
        debug=args.debug,
        build_tag=args.build_tag,
        local_version=args.local_version,
        config_settings=_settings(args.config_settings),
        env=dict(args.env),
        source_date_epoch=args.source_date_epoch,
        sandbox=args.sandbox,
        verbosity=verbosity,
        timeout=args.timeout,
        max_extract_bytes=args.max_extract_bytes,
        max_members=args.max_members,
        max_processes=args.max_processes,
        ro_binds=tuple(p.absolute() for p in args.ro_binds),
        missing_fix=args.missing_hint,
        env_dir=args.env_dir.absolute() if args.env_dir else None,
    )


def _fail(exc: WheelhouseError, verbosity: int) -> int:
    if isinstance(exc, BuildFailed) and verbosity >= NORMAL and exc.log_tail:
        print("wheelhouse: last lines of the backend log:", file=sys.stderr)
        for line in exc.log_tail[-15:]:
            print(f"  | {line}", file=sys.stderr)
    print(f"wheelhouse: error: {exc.message}", file=sys.stderr)
    return 1


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` while a command runs."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wheelhouse`` console script."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        with _signals_interrupt():
            return _run(args)
    except Interrupted as stop:
        name = signal.Signals(stop.signum).name
        print(
            f"wheelhouse: error: interrupted by {name}; the build was stopped and its files removed",
            file=sys.stderr,
        )
        return 128 + stop.signum


def _run(args: argparse.Namespace) -> int:
    if args.command in ("build-wheel", "install"):
        # In a Bazel action (possibly on a remote worker): is this the toolchain the key names?
        from .host.toolchain import ToolchainMismatch, check_action_toolchain

        try:
            check_action_toolchain(os.environ, tools=args.command == "build-wheel")
        except ToolchainMismatch as exc:
            return _fail(exc, NORMAL)
    if args.command == "toolchain-key":
        from .host.toolchain import declaration

        print(declaration(sys.executable, args.tools_path))
        return 0
    if args.command == "install":
        return _install(args)
    if args.command == "build-env":
        return _build_env(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "lock-build":
        from .host.lockcli import run_lock_build

        return run_lock_build(args)
    if args.command == "cache":
        return _run_cache(args)
    if args.command == "build":
        return _run_build(args)
    if args.command == "env":
        return _run_env(args)
    try:
        req = request_from_args(args)
    except UsageError as exc:
        return _fail(exc, NORMAL)
    progress = Progress(verbosity=req.verbosity)
    debug_dir = args.debug_dir.absolute() if args.debug_dir else None
    try:
        if args.command == "build-wheel":
            cache = _cache(args)
            log_file = args.log_file.absolute() if args.log_file else None
            if cache is None:
                from .host.frontend import build_wheel

                result = build_wheel(
                    req, args.output_dir.absolute(), debug_dir=debug_dir, log_file=log_file, progress=progress
                )
            else:
                from .host.cached import build_cached

                result = build_cached(
                    req,
                    args.output_dir.absolute(),
                    cache,
                    read_actions=not args.no_cache,
                    debug_dir=debug_dir,
                    log_file=log_file,
                    progress=progress,
                )
            if args.quiet < 2:
                print(f"{result.wheel} sha256={result.sha256}")
            return 0
        from .host.verify import verify

        outcome = verify(req, args.output_dir.absolute() if args.output_dir else None, progress=progress)
    except WheelhouseError as exc:
        return _fail(exc, req.verbosity)
    name = outcome.first.wheel.name
    if outcome.identical:
        print(f"identical {name} sha256={outcome.first.sha256}")
    else:
        print(f"DIFFERENT {name}: sha256 {outcome.first.sha256} vs {outcome.second.sha256}")
        for line in outcome.explanation:
            print(f"  {line}")
    print(f"  perturbed: {'; '.join(outcome.perturbed)}")
    return 0 if outcome.identical else 1
