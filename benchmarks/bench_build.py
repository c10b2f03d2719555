"""Benchmark ``wheelhouse build-wheel`` against ``uv build`` and ``pip wheel`` on real sdists.

The corpus is every real sdist the tests pin (``tests/data/sdists.txt`` and
the build tools of ``tests/data/e2e-source-sdists.txt``), 20 sdists; Cython's
C build alone takes about two minutes a run (``--skip cython`` leaves it
out). Every tool builds each sdist
offline from the same local wheels (the two pinned wheel directories as
``--find-links``, no index):

- ``wheelhouse``: ``build-wheel --no-cache`` with a warm cache of build
  environments (made by one untimed build first): the build runs, in the
  sandbox, without installing anything or asking the backend again;
- ``wheelhouse-cold``: an empty cache for every build (the environment is made);
- ``uv``: ``uv build --wheel`` with a warm uv cache (one untimed build first);
- ``uv-cold``: an empty uv cache for every build;
- ``pip``: ``pip wheel --no-deps --no-index`` (pip has no cache of build
  environments; its cache of built wheels is removed before each build).

Each tool builds each sdist ``--repeat`` times (at least 2), the tools'
order rotating from run to run so that changes in machine load hit all
alike; every build gets its own cwd, ``TMPDIR`` and output directory, so the
runs double as a reproducibility check (a tool is reproducible on a package
when all its wheels have the same sha256; wheelhouse warm and cold must also
agree with each other). The report gives per package the median wall time of
each tool and wheelhouse/uv, and in total the sum of the medians: the goal
is wheelhouse <= 0.8x uv in total and <= 1.0x on pure-Python packages.

Usage::

    .venv/bin/python benchmarks/bench_build.py [--repeat N] [--only NAME ...] [--skip NAME ...]
        [--tools T,...] [--json FILE]

Exit status: 0 when every build succeeded (whether or not the goals are
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
TOOLS = ("wheelhouse", "wheelhouse-cold", "uv", "uv-cold", "pip")
GOAL = "goal: 100% reproducible; wheelhouse/uv <= 0.8 in total, <= 1.0 on pure-Python packages"


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
        """Median wall time of the builds (None if any failed)."""
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
    """Every tool's builds of one sdist."""

    name: str
    sdist: Path
    tools: dict[str, ToolResult]

    @property
    def pure(self) -> bool:
        """Whether the wheel is pure Python (``-none-any``)."""
        wheels = [r.wheel for t in self.tools.values() for r in t.runs if r.wheel]
        return bool(wheels) and wheels[0].endswith("-none-any.whl")

    def ratio(self, tool: str, base: str) -> float | None:
        """Median ``tool`` time / median ``base`` time."""
        a, b = (
            self.tools[tool].median if tool in self.tools else None,
            self.tools[base].median if base in self.tools else None,
        )
        return a / b if a is not None and b else None

    @property
    def agree(self) -> bool:
        """wheelhouse warm and cold built the same bytes."""
        shas = {
            r.sha256 for t in ("wheelhouse", "wheelhouse-cold") if t in self.tools for r in self.tools[t].runs
        }
        return len(shas) == 1


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="bench_build.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, metavar="N", help="builds per tool and package (default 3)"
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="only this package (repeatable)"
    )
    parser.add_argument(
        "--skip", action="append", default=[], metavar="NAME", help="leave this package out (repeatable)"
    )
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        help=f"comma-separated subset of {', '.join(TOOLS)} (default: all)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="also write the raw numbers here"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None, metavar="DIR", help="keep builds here (default: temp)"
    )
    args = parser.parse_args(list(argv))
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.tools = [t for t in args.tools.split(",") if t]
    unknown = sorted(set(args.tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(unknown)}; choose from {', '.join(TOOLS)}")
    return args


def _load(name: str) -> ModuleType:
    path = REPO / "tests" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bin(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def _tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


class Bench:
    """The commands of each tool, with their caches."""

    def __init__(self, work: Path, find_links: list[Path]) -> None:
        self.work = work
        self.find_links = find_links
        self.python = str(Path(sys.executable))
        self.wh_cache = work / "wheelhouse-cache"
        self.uv_cache = work / "uv-cache"
        self.pip_cache = work / "pip-cache"
        self.counter = 0

    def fresh(self, what: str) -> Path:
        self.counter += 1
        path = self.work / "cold" / f"{what}-{self.counter}"
        path.mkdir(parents=True)
        return path

    def command(self, tool: str, sdist: Path, out: Path) -> list[str]:
        links = [a for d in self.find_links for a in ("--find-links", str(d))]
        if tool.startswith("wheelhouse"):
            cache = self.wh_cache if tool == "wheelhouse" else self.fresh("wh")
            return [_bin("wheelhouse"), "build-wheel", str(sdist), *links, "-o", str(out), "-q",
                    "--no-cache", "--cache-dir", str(cache)]  # fmt: skip
        if tool.startswith("uv"):
            cache = self.uv_cache if tool == "uv" else self.fresh("uv")
            return [_bin("uv"), "build", "--wheel", "--no-index", *links, "-o", str(out), "-q",
                    "--cache-dir", str(cache), "-p", self.python, "--no-python-downloads",
                    str(sdist)]  # fmt: skip
        shutil.rmtree(self.pip_cache / "wheels", ignore_errors=True)
        return [self.python, "-m", "pip", "wheel", "--no-deps", "--no-index", *links,
                "--disable-pip-version-check", "--cache-dir", str(self.pip_cache), str(sdist),
                "-w", str(out)]  # fmt: skip

    def build(self, tool: str, sdist: Path, run_dir: Path) -> Run:
        """Build ``sdist`` with ``tool`` in a fresh cwd, TMPDIR and output directory."""
        cwd, tmp, out = run_dir / "cwd", run_dir / "tmp", run_dir / "out"
        for d in (cwd, tmp, out):
            d.mkdir(parents=True)
        cmd = self.command(tool, sdist, out)
        log = run_dir / "log.txt"
        env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(self.work / "xdg")}
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


def bench_package(bench: Bench, name: str, sdist: Path, tools: list[str], runs: int) -> PackageResult:
    """Warm the warm caches (untimed), then ``runs`` rounds over the tools in rotating order."""
    result = PackageResult(name, sdist, {tool: ToolResult() for tool in tools})
    for tool in ("wheelhouse", "uv"):
        if tool in tools:
            warm = bench.build(tool, sdist, bench.work / name / f"{tool}-warmup")
            if warm.error:
                print(f"  {name:<18} {tool} warm-up failed: {warm.error}", file=sys.stderr)
    for i in range(runs):
        order = tools[i % len(tools) :] + tools[: i % len(tools)]
        for tool in order:
            run = bench.build(tool, sdist, bench.work / name / f"{tool}-{i + 1}")
            result.tools[tool].runs.append(run)
            status = f"{run.seconds:7.2f}s {run.sha256[:12] if run.sha256 else 'FAILED'}"
            print(f"  {name:<18} {tool:<16} run {i + 1}/{runs}: {status}", file=sys.stderr, flush=True)
    return result


def _fmt(value: float | None, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if value is not None else "-"


def _total(results: list[PackageResult], tool: str, pure: bool | None = None) -> float | None:
    chosen = [r for r in results if pure is None or r.pure == pure]
    medians = [r.tools[tool].median for r in chosen if tool in r.tools]
    return sum(m for m in medians if m is not None) if medians and None not in medians else None


def report(results: list[PackageResult], tools: list[str], runs: int) -> list[str]:
    """The plain-text report."""
    header = (
        f"{'package':<18} {'kind':<5} " + " ".join(f"{t:>15}" for t in tools) + f" {'wh/uv':>6} {'repro':>6}"
    )
    lines = [
        "wheelhouse build-wheel vs uv build vs pip wheel, offline from the same --find-links:",
        f"{runs} builds per tool and package, each in its own cwd, TMPDIR and output directory;",
        "median wall seconds",
        "",
        header,
        "-" * len(header),
    ]
    for r in results:
        repro = "yes" if all(t.reproducible for t in r.tools.values()) and r.agree else "NO"
        lines.append(
            f"{r.name:<18} {'pure' if r.pure else 'ext':<5} "
            + " ".join(f"{_fmt(r.tools[t].median):>15}" for t in tools)
            + f" {_fmt(r.ratio('wheelhouse', 'uv')):>6} {repro:>6}"
        )
    lines.append("-" * len(header))
    for label, pure in (("total", None), ("pure-Python", True), ("extensions", False)):
        totals = {t: _total(results, t, pure) for t in tools}
        lines.append(f"{label:<24} " + " ".join(f"{_fmt(totals[t], 1):>15}" for t in tools))
    for base in ("uv", "pip"):
        for tool in ("wheelhouse", "wheelhouse-cold"):
            if tool in tools and base in tools:
                parts = []
                for label, pure in (("total", None), ("pure", True), ("extensions", False)):
                    a, b = _total(results, tool, pure), _total(results, base, pure)
                    parts.append(f"{label} {_fmt(a / b if a is not None and b else None)}")
                lines.append(f"{tool}/{base}: " + ", ".join(parts))
    if "uv-cold" in tools and "wheelhouse-cold" in tools:
        a, b = _total(results, "wheelhouse-cold"), _total(results, "uv-cold")
        lines.append(
            f"cold caches, wheelhouse-cold/uv-cold: total {_fmt(a / b if a is not None and b else None)}"
        )
    for tool in tools:
        n = sum(r.tools[tool].reproducible for r in results)
        lines.append(f"{tool + ':':<17} {n}/{len(results)} reproducible")
    agree = sum(r.agree for r in results)
    lines.append(f"wheelhouse warm == cold bytes: {agree}/{len(results)}")
    lines.append(GOAL)
    failures = [
        f"  {r.name} {tool} run {i + 1}: {run.error}"
        for r in results
        for tool in tools
        for i, run in enumerate(r.tools[tool].runs)
        if run.error
    ]
    if failures:
        lines += ["", "failed builds:", *failures]
    differing = [
        f"  {r.name} {tool}: " + ", ".join(run.sha256[:16] for run in r.tools[tool].runs if run.sha256)
        for r in results
        for tool in tools
        if r.tools[tool].ok and not r.tools[tool].reproducible
    ]
    if differing:
        lines += ["", "differing wheels (sha256 prefixes per run):", *differing]
    return lines


def _version(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else "?"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    inputs = _load("inputs")
    base = inputs.fetch()
    sdists_e2e, _ = inputs.fetch_source_e2e()
    corpus: dict[str, Path] = {}
    for pin in inputs.read_pins(inputs.DATA / "sdists.txt"):
        corpus[_norm(pin.name)] = Path(base.sdist(pin.name)).absolute()
    for path in sdists_e2e:
        corpus.setdefault(_norm(re.sub(r"-[^-]+\.tar\.gz$", "", path.name)), path.absolute())
    unknown = sorted({_norm(n) for n in args.skip} - corpus.keys())
    if unknown:
        print(f"bench_build.py: error: not in the corpus: {', '.join(unknown)}", file=sys.stderr)
        return 2
    corpus = {k: v for k, v in corpus.items() if k not in {_norm(n) for n in args.skip}}
    if args.only:
        wanted = {_norm(n) for n in args.only}
        unknown = sorted(wanted - corpus.keys())
        if unknown:
            print(f"bench_build.py: error: not in the corpus: {', '.join(unknown)}", file=sys.stderr)
            return 2
        corpus = {k: v for k, v in corpus.items() if k in wanted}
    find_links = [
        Path(base.wheels).absolute(),
        (Path(base.sdists).parent / "e2e-source" / "wheels").absolute(),
    ]
    runs = max(args.repeat, 2)
    with tempfile.TemporaryDirectory(prefix="wheelhouse-bench-") as tmp:
        work = Path(tmp)
        if args.work_dir is not None:
            args.work_dir.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix="run-", dir=args.work_dir.absolute()))
        print(
            f"{len(corpus)} sdists, tools {', '.join(args.tools)}, {runs} runs each, work dir {work}",
            file=sys.stderr,
        )
        bench = Bench(work, find_links)
        results = [
            bench_package(bench, name, sdist, args.tools, runs) for name, sdist in sorted(corpus.items())
        ]
    lines = report(results, args.tools, runs)
    pip = _version([sys.executable, "-m", "pip", "--version"]).split(" from ")[0]
    uv = _version([_bin("uv"), "--version"])
    lines += ["", f"python {platform.python_version()}, {os.cpu_count()} CPUs; {uv}; {pip}"]
    print("\n".join(lines))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "runs_per_tool": runs,
            "tools": args.tools,
            "packages": {
                r.name: {
                    "sdist": str(r.sdist),
                    "pure": r.pure,
                    **{t: r.tools[t].to_json() for t in args.tools},
                }
                for r in results
            },
            "totals": {t: _total(results, t) for t in args.tools},
            "goal": GOAL,
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        print(f"raw numbers written to {args.json}", file=sys.stderr)
    return 0 if all(r.tools[t].ok for r in results for t in args.tools) else 1


if __name__ == "__main__":
    sys.exit(main())
