"""Benchmark ``wheelhouse lock-build`` on the from-source e2e lock: wall time and backend calls.

The same inputs as tests/bazel/test_bootstrap_e2e.py: real sdists of the
build tools (setuptools, wheel, flit_core, hatchling and its dependencies,
setuptools-scm, vcs-versioning, poetry-core, calver, Cython, iniconfig) and
generated ones (a backend and its plugin that need each other, an app, a
Cython extension, a hatchling package) on a loopback index; the run-time
lock made with uv; then ``lock-build --from-source :all: --seed
loopback-backend --python 3.14``, ``--rounds`` times (the file store keeps
fetched files between rounds; each round resolves and asks every backend
again).

    .venv/bin/python benchmarks/bench_lock_build.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "bazel")]

from bootstrap_samples import seed_wheel, write_sdists  # noqa: E402
from inputs import _fetch_group, fetch, fetch_source_e2e  # noqa: E402
from servers import serve_directory, write_index  # noqa: E402

WORK = REPO / ".cache" / "bench-lock-build"
REQUIREMENTS = "iniconfig\nwheel\nsetuptools\nhatchpkg\ncyext\napp\n"


def main(argv: list[str]) -> int:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    sdists, wheels = fetch_source_e2e()
    core = _fetch_group(
        fetch().sdists.parent / "e2e" / "core", "core-wheels.txt", ["--no-deps", "--only-binary", ":all:"]
    )
    files = [*sdists, *wheels, *write_sdists(WORK / "generated"), seed_wheel(WORK / "seed"), *core]
    root = write_index(WORK / "index", files)
    uv = str(Path(sys.executable).parent / "uv")
    times, outputs = [], []
    with serve_directory(root) as url:
        (WORK / "requirements.in").write_text(REQUIREMENTS)
        subprocess.run(
            [uv, "pip", "compile", "-q", "requirements.in", "--universal", "--python-version", "3.14",
             "--no-python-downloads", "--index-url", f"{url}/simple", "-o", "pylock.toml"],
            cwd=WORK, check=True, capture_output=True,
        )  # fmt: skip
        for _ in range(args.rounds):
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "wheelhouse", "lock-build", "pylock.toml", "--index", f"{url}/simple",
                 "--python", "3.14", "--from-source", ":all:", "--seed", "loopback-backend"],
                cwd=WORK, capture_output=True, text=True, check=False,
            )  # fmt: skip
            times.append(time.monotonic() - started)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            outputs.append(proc.stdout.strip())
    calls = re.search(r"(\d+) backend calls", outputs[-1])
    builds = re.search(r"(\d+) builds from source", outputs[-1])
    figures = {
        "builds_from_source": int(builds[1]) if builds else None,
        "backend_calls": int(calls[1]) if calls else None,
        "lock_build_s_median": round(statistics.median(times), 1),
        "lock_build_s_all": [round(t, 1) for t in times],
        "summary": outputs[-1],
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
