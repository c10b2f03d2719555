"""Benchmark ``wheelhouse build pylock.toml -j2``: a 40+ package lock, cold and again.

A loopback index serves the real files the tests pin (sdists and wheels of
the build tools, the pylock e2e's pure wheels) and the pure wheels of
``tests/data/bench-lock-wheels.txt``. uv locks ``REQUIREMENTS`` for this
interpreter (47 packages); ``wheelhouse build`` then fetches every file
(hash-checked, from the lock's URLs), builds the ``FROM_SOURCE`` packages
and those with only an sdist (17 sdists) in the sandbox, two at a time,
with build requirements from the pinned build wheels (``--find-links``),
into a fresh cache: the cold run. The second run, same cache, must build
nothing; the target is < 2 s. The wheelhouse is then installed offline
with uv as a check.

    .venv/bin/python benchmarks/bench_build_lock.py [--jobs 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "bazel")]

from inputs import DATA, _fetch_group, fetch, fetch_lock_e2e, fetch_source_e2e, find_file, read_pins  # noqa: E402
from servers import serve_directory, write_index  # noqa: E402

WORK = REPO / ".cache" / "bench-build-lock"
REQUIREMENTS = """\
requests
pytest
rich
jinja2
click
python-dateutil
pytz
tzdata
platformdirs
filelock
distlib
more-itertools
typing-extensions
attrs
pyyaml
tomli
hatchling
hatch-vcs
hatch-fancy-pypi-readme
setuptools
wheel
flit-core
poetry-core
calver
tomlkit
meson-python
scikit-build-core
nanobind
cython
iniconfig
six
"""
#: Built from their sdists although the index has wheels (markupsafe, pyyaml and tomli have none).
FROM_SOURCE = (
    "attrs,iniconfig,calver,flit-core,hatchling,pathspec,pluggy,poetry-core,setuptools,"
    "tomlkit,trove-classifiers,wheel,setuptools-scm,vcs-versioning,packaging"
)
TARGET_SECONDS = 2.0


def _files() -> tuple[list[Path], list[Path]]:
    """Every file the index serves, and the directories of build-requirement wheels."""
    base = fetch()
    sdists, source_wheels = fetch_source_e2e()
    sdists = [p for p in sdists if not p.name.lower().startswith("cython")]  # minutes to compile
    sdists += [base.sdist(name) for name in ("markupsafe", "pyyaml", "tomli")]
    build_wheels = [find_file(base.wheels, p) for p in read_pins(DATA / "build-wheels.txt")]
    pure = ["--no-deps", "--only-binary", ":all:", "--platform", "any", "--implementation", "py"]
    extra = _fetch_group(
        base.sdists.parent / "bench-lock", "bench-lock-wheels.txt", [*pure, "--python-version", "3.11"]
    )
    lock_wheels = [p for p in fetch_lock_e2e() if p.name.endswith("-none-any.whl")]
    files = {p.name: p for p in [*sdists, *source_wheels, *build_wheels, *extra, *lock_wheels]}
    return sorted(files.values()), [base.wheels, source_wheels[0].parent]


def _run(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=3600)
    return time.monotonic() - started, done


def _summary(stderr: str) -> tuple[int, int, int]:
    match = re.search(r"(\d+) packages in \S+: (\d+) built, (\d+) cached", stderr)
    if not match:
        raise SystemExit(f"no summary line in:\n{stderr[-3000:]}")
    packages, built, cached = (int(g) for g in match.groups())
    return packages, built, cached


def main(argv: list[str]) -> int:
    """Lock, build cold, build again, install; print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", "-j", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    files, build_wheels = _files()
    root = write_index(WORK / "index", files)
    uv = str(Path(sys.executable).parent / "uv")
    python = "{}.{}".format(*sys.version_info[:2])
    with serve_directory(root) as url:
        (WORK / "requirements.in").write_text(REQUIREMENTS)
        subprocess.run(
            [uv, "pip", "compile", "-q", "requirements.in", "--python-version", python,
             "--no-python-downloads", "--no-cache", "--index-url", f"{url}/simple", "-o", "pylock.toml"],
            cwd=WORK, check=True, timeout=600,
        )  # fmt: skip
        lock = (WORK / "pylock.toml").read_text()
        names = re.findall(r'^name = "(.+)"$', lock, re.M)
        cache = str(WORK / "cache")
        build = [sys.executable, "-m", "wheelhouse", "build", "pylock.toml", "-o", "house", "-j",
                 str(args.jobs), "--from-source", FROM_SOURCE, "--cache-dir", cache]  # fmt: skip
        for directory in build_wheels:
            build += ["--find-links", str(directory)]
        cold_s, cold = _run(build, WORK)
        if cold.returncode != 0:
            print(cold.stderr[-4000:], file=sys.stderr)
            return 1
        warm_s, warm = _run(build, WORK)
        if warm.returncode != 0:
            print(warm.stderr[-4000:], file=sys.stderr)
            return 1
    packages, cold_built, cold_cached = _summary(cold.stderr)
    _, warm_built, warm_cached = _summary(warm.stderr)
    env = WORK / "env"
    subprocess.run([uv, "venv", "-q", "--no-python-downloads", "-p", sys.executable, str(env)], check=True)
    installed = subprocess.run(
        [uv, "pip", "install", "-q", "--offline", "--no-index", "--no-cache", "--no-python-downloads",
         "-p", str(env / "bin" / "python"), "-r", str(WORK / "house" / "pylock.toml")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    figures: dict[str, Any] = {
        "packages_in_lock": len(names),
        "packages_built_from_sdists": cold_built + cold_cached,
        "jobs": args.jobs,
        "cold_s": round(cold_s, 2),
        "cold_built": cold_built,
        "second_s": round(warm_s, 3),
        "second_built": warm_built,
        "second_cached": warm_cached,
        "offline_install_ok": installed.returncode == 0,
    }
    print(json.dumps(figures, indent=2))
    met = warm_built == 0 and warm_s < TARGET_SECONDS and packages == len(names) >= 40
    verdict = "met" if met else "NOT met"
    print(f"target: >= 40 packages, second run < {TARGET_SECONDS:g} s with 0 builds: {verdict}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if installed.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
