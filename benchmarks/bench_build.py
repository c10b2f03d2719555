"""Benchmark ``wheelhouse build-wheel`` against ``pip wheel --no-deps`` on the pinned real sdists.

For every sdist in ``tests/data/sdists.txt`` (or those chosen with ``--only``)
each tool builds the wheel ``max(--repeat, 2)`` times, alternating pip and
wheelhouse so that a change in machine load hits both alike. Every build gets
its own fresh working directory, ``TMPDIR`` and output directory, so the runs
double as a reproducibility check: a tool is reproducible on a package when
all its wheels have the same sha256. Every build is also a timing sample; the
report gives the median wall time of each tool, the ratio wheelhouse/pip per
package and the median of those ratios.

pip runs as ``sys.executable -m pip wheel --no-deps SDIST -w DIR`` and gets
its build requirements from the machine's configured index (network allowed).
So that it really builds every time, pip uses a private cache directory
(``--pip-cache``, kept between invocations so downloads stay cached) whose
``wheels`` subdirectory -- pip's cache of wheels it built -- is removed before
each build. wheelhouse runs as ``wheelhouse build-wheel SDIST -f WHEELDIR -o
OUTDIR -q`` with the pinned build-requirement wheels from ``tests/inputs.py``
as its only source.

Usage::

    .venv/bin/python benchmarks/bench_build.py [--repeat N] [--only NAME ...] [--json FILE]

Exit status: 0 when every build succeeded (whether or not the targets are
met), 1 when a build failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOLS = ("pip", "wheelhouse")
TARGET = "target: 100% reproducible, ratio <= 1.0"


@dataclass
class Run:
    """One build: its wall time and, when it succeeded, the wheel and its sha256."""

    seconds: float
    wheel: str | None = None
    sha256: str | None = None
    error: str | None = None


@dataclass
class ToolResult:
    """All builds of one package by one tool."""

    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every build produced a wheel."""
        return bool(self.runs) and all(r.error is None for r in self.runs)

    @property
    def reproducible(self) -> bool:
        """True when at least two builds succeeded and all wheels are byte-identical."""
        return self.ok and len(self.runs) >= 2 and len({r.sha256 for r in self.runs}) == 1

    @property
    def median(self) -> float | None:
        """Median wall time of the successful builds (None if any build failed)."""
        return statistics.median(r.seconds for r in self.runs) if self.ok else None

    def to_json(self) -> dict[str, Any]:
        """The raw numbers."""
        return {
            "runs": [vars(r) for r in self.runs],
            "median_seconds": self.median,
            "reproducible": self.reproducible,
        }


@dataclass
class PackageResult:
    """Both tools' builds of one sdist."""

    name: str
    sdist: Path
    tools: dict[str, ToolResult]

    @property
    def ratio(self) -> float | None:
        """Median wheelhouse time / median pip time, when both are known."""
        pip, wh = self.tools["pip"].median, self.tools["wheelhouse"].median
        return wh / pip if pip and wh is not None else None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="bench_build.py",
        description="Reproducibility and speed of wheelhouse build-wheel vs pip wheel on the real sdists.",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="builds per tool and package (default 3; at least 2 are done for the reproducibility check)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="benchmark only this package (repeatable; default: all of tests/data/sdists.txt)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="also write the raw numbers here"
    )
    parser.add_argument(
        "--pip-cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="pip's private cache (default: $XDG_CACHE_HOME/wheelhouse/bench-pip-cache); "
        "its wheels/ subdirectory is removed before every pip build",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the build directories, logs and wheels here (default: a temporary directory, removed)",
    )
    args = parser.parse_args(list(argv))
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _load_inputs() -> ModuleType:
    """``tests/inputs.py`` as a module (it is not part of an importable package)."""
    path = REPO / "tests" / "inputs.py"
    spec = importlib.util.spec_from_file_location("_wheelhouse_test_inputs", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _wheelhouse_command() -> list[str]:
    script = Path(sys.executable).parent / "wheelhouse"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wheelhouse"]


def _default_pip_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wheelhouse" / "bench-pip-cache"


def _tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def build_once(tool: str, sdist: Path, wheels: Path, pip_cache: Path, run_dir: Path) -> Run:
    """Build ``sdist`` with ``tool`` in a fresh cwd, TMPDIR and output directory under ``run_dir``."""
    cwd, tmp, out = run_dir / "cwd", run_dir / "tmp", run_dir / "out"
    for d in (cwd, tmp, out):
        d.mkdir(parents=True)
    log = run_dir / "log.txt"
    if tool == "pip":
        shutil.rmtree(pip_cache / "wheels", ignore_errors=True)
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check"]
        cmd = [*pip, "--cache-dir", str(pip_cache), str(sdist), "-w", str(out)]
    else:
        cmd = [*_wheelhouse_command(), "build-wheel", str(sdist), "-f", str(wheels), "-o", str(out), "-q"]
    env = {**os.environ, "TMPDIR": str(tmp)}
    with log.open("wb") as log_f:
        log_f.write((" ".join(cmd) + "\n").encode())
        log_f.flush()
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log_f, stderr=log_f)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return Run(seconds, error=f"exit status {proc.returncode}: {_tail(log)} (log: {log})")
    built = sorted(out.glob("*.whl"))
    if len(built) != 1:
        return Run(seconds, error=f"expected one wheel in {out}, found {len(built)} (log: {log})")
    return Run(seconds, wheel=built[0].name, sha256=_sha256(built[0]))


def bench_package(
    name: str, sdist: Path, wheels: Path, pip_cache: Path, work: Path, runs: int
) -> PackageResult:
    """All builds of one sdist, alternating the tools (pip first on even runs, wheelhouse on odd)."""
    result = PackageResult(name, sdist, {tool: ToolResult() for tool in TOOLS})
    for i in range(runs):
        order = TOOLS if i % 2 == 0 else TOOLS[::-1]
        for tool in order:
            run = build_once(tool, sdist, wheels, pip_cache, work / name / f"{tool}-{i + 1}")
            result.tools[tool].runs.append(run)
            status = f"{run.seconds:7.2f}s {run.sha256[:12] if run.sha256 else 'FAILED'}"
            print(f"  {name:<14} {tool:<10} run {i + 1}/{runs}: {status}", file=sys.stderr, flush=True)
    return result


def _fmt_time(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _yes_no(tool: ToolResult) -> str:
    if not tool.ok:
        return "FAILED"
    return "yes" if tool.reproducible else "no"


def report(results: list[PackageResult], runs: int) -> list[str]:
    """The plain-text report."""
    header = (
        f"{'package':<14} {'version':<10} {'pip repro':>9} {'wh repro':>9} "
        f"{'pip s':>8} {'wh s':>8} {'wh/pip':>7}"
    )
    lines = [
        f"wheelhouse build-wheel vs pip wheel --no-deps: {runs} builds per tool and package,",
        "each in its own cwd, TMPDIR and output dir; times are medians of wall seconds",
        "",
        header,
        "-" * len(header),
    ]
    for r in results:
        version = r.sdist.name.removesuffix(".tar.gz").removesuffix(".zip").rpartition("-")[2]
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        lines.append(
            f"{r.name:<14} {version:<10} {_yes_no(r.tools['pip']):>9} {_yes_no(r.tools['wheelhouse']):>9} "
            f"{_fmt_time(r.tools['pip'].median):>8} {_fmt_time(r.tools['wheelhouse'].median):>8} {ratio:>7}"
        )
    lines.append("-" * len(header))
    total = len(results)
    for tool in TOOLS:
        n = sum(r.tools[tool].reproducible for r in results)
        lines.append(f"{tool + ':':<12} {n}/{total} reproducible")
    ratios = [r.ratio for r in results if r.ratio is not None]
    median_ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
    lines.append(f"{'ratio:':<12} median wheelhouse/pip {median_ratio} over {len(ratios)} package(s)")
    lines.append(TARGET)
    failures = [
        f"  {r.name} {tool} run {i + 1}: {run.error}"
        for r in results
        for tool in TOOLS
        for i, run in enumerate(r.tools[tool].runs)
        if run.error
    ]
    if failures:
        lines += ["", "failed builds:", *failures]
    differing = [
        f"  {r.name} {tool}: " + ", ".join(run.sha256[:16] for run in r.tools[tool].runs if run.sha256)
        for r in results
        for tool in TOOLS
        if r.tools[tool].ok and not r.tools[tool].reproducible
    ]
    if differing:
        lines += ["", "differing wheels (sha256 prefixes per run):", *differing]
    return lines


def _pip_version() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip()


def to_json(results: list[PackageResult], runs: int, wheels: Path, pip_cache: Path) -> dict[str, Any]:
    """Everything measured, for ``--json``."""
    ratios = [r.ratio for r in results if r.ratio is not None]
    return {
        "runs_per_tool": runs,
        "python": sys.executable,
        "python_version": platform.python_version(),
        "pip": _pip_version(),
        "wheelhouse_command": _wheelhouse_command(),
        "find_links": str(wheels),
        "pip_cache": str(pip_cache),
        "cpus": os.cpu_count(),
        "packages": {
            r.name: {
                "sdist": str(r.sdist),
                "ratio": r.ratio,
                **{tool: r.tools[tool].to_json() for tool in TOOLS},
            }
            for r in results
        },
        "totals": {
            **{f"{tool}_reproducible": sum(r.tools[tool].reproducible for r in results) for tool in TOOLS},
            "packages": len(results),
            "median_ratio": statistics.median(ratios) if ratios else None,
        },
        "target": TARGET,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    inputs_mod = _load_inputs()
    names = [str(p.name) for p in inputs_mod.read_pins(inputs_mod.DATA / "sdists.txt")]
    if args.only:
        wanted = {_norm(n) for n in args.only}
        unknown = sorted(wanted - {_norm(n) for n in names})
        if unknown:
            print(
                f"bench_build.py: error: not in tests/data/sdists.txt: {', '.join(unknown)}", file=sys.stderr
            )
            return 2
        names = [n for n in names if _norm(n) in wanted]
    inputs = inputs_mod.fetch()
    wheels = Path(inputs.wheels).absolute()
    pip_cache = (args.pip_cache or _default_pip_cache()).absolute()
    pip_cache.mkdir(parents=True, exist_ok=True)
    runs = max(args.repeat, 2)

    with tempfile.TemporaryDirectory(prefix="wheelhouse-bench-") as tmp:
        if args.work_dir is not None:
            work = args.work_dir.absolute()
            work.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix="run-", dir=work))
        else:
            work = Path(tmp)
        print(f"building {', '.join(names)}: {runs} runs per tool, work dir {work}", file=sys.stderr)
        results = [
            bench_package(name, Path(inputs.sdist(name)).absolute(), wheels, pip_cache, work, runs)
            for name in names
        ]

    print("\n".join(report(results, runs)))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(to_json(results, runs, wheels, pip_cache), indent=2) + "\n")
        print(f"raw numbers written to {args.json}", file=sys.stderr)
    return 0 if all(r.tools[t].ok for r in results for t in TOOLS) else 1


if __name__ == "__main__":
    sys.exit(main())
