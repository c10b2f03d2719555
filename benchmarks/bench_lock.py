"""Benchmark the `wheelhouse.lock` extension on a synthetic pylock.toml: 500 packages x 5 wheels.

Every package ``pkgNNN`` 1.0 has five wheels in the lock (manylinux x86_64,
manylinux aarch64, musllinux x86_64, win_amd64, macOS arm64) and, like the
locks uv and pip write, no ``dependencies``: edges come from the x86_64
wheel's METADATA (each package requires up to two lower-numbered ones, one of
them through a marker). Only the x86_64 wheels exist (tiny but valid, served
from a loopback PEP 503 index); the others are never fetched, which the
benchmark checks.

With ``--build-lock``, every package also has an sdist in the lock and the
workspace a build lock (``pylock.build.toml``): a build entry per package whose
environment is two of 50 build tools, themselves built from source in a
chain; the graph then holds 550 ``py_wheel_dep``s and their environments.
(The sdists are never fetched: the wheels are chosen; the figure is what
reading and generating the build lock costs.)

Measured, on a real Bazel 7.7.1 (scripts/bazel), in a throwaway workspace:
- extension evaluation: the duration of the "evaluate module extension"
  event of the `wheelhouse` extension in Bazel's JSON profile, when only the
  lock changed (triggered by ``bazel query @pypi//:packages.bzl``);
- cold ``bazel build @pypi//...`` (fetch 500 files, 500 install actions);
- no-op ``bazel build @pypi//...`` (everything cached).
Target: extension evaluation under 2 s.

Usage::

    .venv/bin/python benchmarks/bench_lock.py [--packages N] [--wheels-per-package 5] \
        [--build-lock] [--json FILE]

Exit status: 0 when every build succeeded (whether or not the target is met), 1 otherwise.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "bazel"))

from wheelhouse.normalize import record_line  # noqa: E402

from inputs import fetch_e2e  # noqa: E402
from servers import serve_directory, write_index  # noqa: E402

BAZEL = REPO / "scripts" / "bazel"
WORK = REPO / ".cache" / "bench-lock"
PLATFORMS = [
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "win_amd64",
    "macosx_11_0_arm64",
]
DATE = (1980, 1, 1, 0, 0, 0)


def make_wheel(directory: Path, i: int, platform: str) -> Path:
    """A small valid wheel of ``pkg<i>`` whose METADATA requires lower-numbered packages."""
    name = f"pkg{i:03d}"
    requires = []
    if i > 0:
        requires.append(f"Requires-Dist: pkg{i - 1:03d}>=1.0")
    if i > 1:
        requires.append(f"Requires-Dist: pkg{i // 2:03d}; python_version >= '3.8'")
        requires.append(f"Requires-Dist: pkg{i // 3:03d}[extra]; sys_platform == 'win32'")
    files = {
        f"{name}/__init__.py": f"VALUE = {i}\n".encode(),
        f"{name}-1.0.dist-info/METADATA": (
            "\n".join(["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0", *requires]) + "\n"
        ).encode(),
        f"{name}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\n"
        + f"Tag: cp314-cp314-{platform.split('.')[0]}\n".encode(),
    }
    record = f"{name}-1.0.dist-info/RECORD"
    lines = [",".join(record_line(n, d)) for n, d in files.items()] + [f"{record},,"]
    files[record] = ("\n".join(lines) + "\n").encode()
    path = directory / f"{name}-1.0-cp314-cp314-{platform}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, d in files.items():
            archive.writestr(zipfile.ZipInfo(n, DATE), d)
    return path


TOOLS = 50


def _fake(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _build(key: str, sdist: str, role: str, env: list[str]) -> list[str]:
    return [
        "[[tool.wheelhouse.builds]]",
        f'package = "{key}"',
        f'sdist = "{_fake(sdist)}"',
        f'role = "{role}"',
        "requires = []",
        "dynamic = []",
        f"environment = {json.dumps(env)}",
        "",
    ]


def make_build_lock(lock_text: str, packages: int) -> str:
    """A build lock for the synthetic lock: per package an environment of two tools, built from source."""
    digest = "sha256:" + hashlib.sha256(lock_text.encode()).hexdigest()
    out = ['lock-version = "1.0"', 'created-by = "bench_lock.py"', ""]
    for t in range(TOOLS):
        name = f"tool{t:02d}-1.0.tar.gz"
        url = f"http://127.0.0.1:9/{name}"
        sdist = f'{{ name = "{name}", url = "{url}", hashes = {{ sha256 = "{_fake(name)}" }} }}'
        out += ["[[packages]]", f'name = "tool{t:02d}"', 'version = "1.0"', f"sdist = {sdist}", ""]
    out += ["[tool.wheelhouse]", "format = 1", f'runtime-lock = "{digest}"', 'python = "3.14"']
    out += ['platform = "x86_64-manylinux_2_28"', 'from-source = ":all:"', "seeds = []", ""]
    for t in range(TOOLS):
        out += _build(
            f"tool{t:02d}==1.0", f"tool{t:02d}-1.0.tar.gz", "build", [f"tool{t - 1:02d}==1.0"] if t else []
        )
    for i in range(packages):
        env = sorted({f"tool{i % TOOLS:02d}==1.0", f"tool{(i * 7 + 3) % TOOLS:02d}==1.0"})
        out += _build(f"pkg{i:03d}==1.0", f"pkg{i:03d}-1.0.tar.gz", "runtime", env)
    return "\n".join(out)


def make_lock(files: Path, packages: int, wheels_per_package: int, url: str, sdists: bool = False) -> str:
    """The synthetic lock; only the first wheel of each package is real (the sdists never are)."""
    out = ['lock-version = "1.0"', 'created-by = "bench_lock.py"', 'requires-python = ">=3.11"', ""]
    for i in range(packages):
        real = make_wheel(files, i, PLATFORMS[0])
        wheels = []
        for k, platform in enumerate(PLATFORMS[:wheels_per_package]):
            filename = f"pkg{i:03d}-1.0-cp314-cp314-{platform}.whl"
            sha = (
                hashlib.sha256(real.read_bytes()).hexdigest()
                if k == 0
                else hashlib.sha256(filename.encode()).hexdigest()
            )
            wheels.append(f'{{ url = "{url}/files/{filename}", hashes = {{ sha256 = "{sha}" }} }}')
        sdist = f"pkg{i:03d}-1.0.tar.gz"
        out += [
            "[[packages]]",
            f'name = "pkg{i:03d}"',
            'version = "1.0"',
            *(
                [f'sdist = {{ url = "{url}/files/{sdist}", hashes = {{ sha256 = "{_fake(sdist)}" }} }}']
                if sdists
                else []
            ),
            "wheels = [",
            *[f"    {w}," for w in wheels],
            "]",
            "",
        ]
    return "\n".join(out)


MODULE = """\
module(name = "bench_lock")

bazel_dep(name = "rules_wheelhouse")
local_path_override(module_name = "rules_wheelhouse", path = "{up}")

bazel_dep(name = "rules_python", version = "0.22.1")

local_path_override(module_name = "protobuf", path = "{up}/third_party/bazel_stubs/protobuf")
local_path_override(module_name = "buildozer", path = "{up}/third_party/bazel_stubs/buildozer")
local_path_override(module_name = "zlib", path = "{up}/third_party/bazel_stubs/zlib")
local_path_override(module_name = "apple_support", path = "{up}/third_party/bazel_stubs/apple_support")

wheelhouse = use_extension("@rules_wheelhouse//rules:extensions.bzl", "wheelhouse")
wheelhouse.index(url = "{url}/simple")
wheelhouse.lock(name = "pypi", lock = "//:pylock.toml"{build_lock})
use_repo(wheelhouse, "pypi")
"""


def bazel(workspace: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "WHEELHOUSE_BAZEL_OUTPUT_USER_ROOT": str(WORK / "out")}
    started = time.monotonic()
    proc = subprocess.run(
        [str(BAZEL), *args], cwd=workspace, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"bazel {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return proc, seconds


def extension_seconds(profile: Path) -> float:
    """The duration of the `wheelhouse` extension's evaluation event in a JSON profile."""
    with gzip.open(profile, "rt") as handle:
        events = json.load(handle)["traceEvents"]
    found = [
        e["dur"] / 1e6
        for e in events
        if e.get("ph") == "X"
        and str(e.get("name", "")).startswith("evaluate module extension: ")
        and str(e.get("name")).endswith("%wheelhouse")
    ]
    if not found:
        raise SystemExit(f"{profile}: no 'evaluate module extension' event for wheelhouse")
    return max(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--wheels-per-package", type=int, default=5, choices=range(1, len(PLATFORMS) + 1))
    parser.add_argument("--build-lock", action="store_true", help="add a build lock (see the docstring)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    if WORK.exists():
        subprocess.run(["chmod", "-R", "u+w", str(WORK)], check=False)
        shutil.rmtree(WORK)
    files = WORK / "files"
    files.mkdir(parents=True)
    ws = WORK / "ws"
    ws.mkdir()
    requests: list[str] = []
    with serve_directory(WORK / "index-root", requests=requests) as url:
        lock = make_lock(files, args.packages, args.wheels_per_package, url, sdists=args.build_lock)
        write_index(WORK / "index-root", [*sorted(files.iterdir()), *fetch_e2e()])
        (ws / "pylock.toml").write_text(lock)
        up = os.path.relpath(REPO, ws)
        extra = ', build_lock = "//:pylock.build.toml"' if args.build_lock else ""
        (ws / "MODULE.bazel").write_text(MODULE.format(up=up, url=url, build_lock=extra))
        (ws / "BUILD.bazel").write_text("")
        (ws / ".bazelrc").write_text(f"import %workspace%/{up}/third_party/bazel_stubs/bazelrc\n")
        if args.build_lock:
            (ws / "pylock.build.toml").write_text(make_build_lock(lock, args.packages))
        figures: dict[str, object] = {
            "build_lock_builds": args.packages + TOOLS if args.build_lock else 0,
            "packages": args.packages,
            "wheels_in_lock": args.packages * args.wheels_per_package,
        }
        try:
            # The extension runs when one of its repositories is needed: the hub.
            bazel(ws, "query", "@pypi//:packages.bzl")  # server start, module resolution
            evals = []
            for n in range(3):
                edited = lock + f"\n# edit {n}\n"
                (ws / "pylock.toml").write_text(edited)
                if args.build_lock:
                    (ws / "pylock.build.toml").write_text(make_build_lock(edited, args.packages))
                profile = WORK / f"eval-{n}.json.gz"
                bazel(ws, "query", "@pypi//:packages.bzl", f"--profile={profile}")
                evals.append(extension_seconds(profile))
            figures["extension_eval_s"] = sorted(evals)[1]
            figures["extension_eval_all_s"] = evals
            _, figures["cold_build_s"] = bazel(ws, "build", "@pypi//...")
            noop = [bazel(ws, "build", "@pypi//...")[1] for _ in range(3)]
            figures["noop_build_s"] = sorted(noop)[1]
            figures["noop_build_all_s"] = noop
            fetched = [p for p in requests if p.startswith("/files/pkg")]
            figures["wheel_files_fetched"] = len(fetched)
            figures["foreign_wheels_fetched"] = sum(
                1 for p in fetched if "x86_64.manylinux2014_x86_64" not in p
            )
        finally:
            subprocess.run(
                [str(BAZEL), "shutdown"],
                cwd=ws,
                env={**os.environ, "WHEELHOUSE_BAZEL_OUTPUT_USER_ROOT": str(WORK / "out")},
                check=False,
            )
    print(json.dumps(figures, indent=2))
    seconds = figures["extension_eval_s"]
    assert isinstance(seconds, float)
    print(f"target: extension evaluation < 2 s: {'met' if seconds < 2 else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
