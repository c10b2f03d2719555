"""The standalone workspaces under examples/, built and tested as a user would.

Each example is copied (its index placeholder, ``https://your.index.example``,
pointed at a PEP 503 index served on loopback), then: ``hand_written`` is
tested (pyyaml from its sdist, a py_test, a wheel_repro_test); ``pylock`` is
locked with uv against that index, run, tested, and queried for aarch64;
``remote_cache``'s script checks two copies against an nginx cache.
``make examples`` runs this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e import BAZEL, Bazel, _fresh, make_copy
from test_lock_e2e import lock_with_uv

from inputs import REPO, fetch_e2e, fetch_lock_e2e
from servers import nginx_cache, serve_directory, write_index

pytestmark = pytest.mark.bazel

EXAMPLES = REPO / "examples"
WORK = REPO / ".cache" / "examples"
PLACEHOLDER = "https://your.index.example"


@pytest.fixture(scope="module")
def index_url() -> Iterator[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    files = {f.name: f for f in [*fetch_e2e(), *fetch_lock_e2e()]}
    root = write_index(_fresh(WORK / "index"), sorted(files.values()))
    with serve_directory(root) as url:
        yield url


def test_hand_written(index_url: str) -> None:
    workspace = make_copy(WORK / "hand_written", index_url, EXAMPLES / "hand_written", PLACEHOLDER)
    bazel = Bazel(workspace, _fresh(WORK / "out-hand"), "UTC", "frank", 0o022)
    try:
        bazel.run("test", "//...", "--test_output=errors")
        testlogs = Path(bazel.run("info", "bazel-testlogs")[0].stdout.strip())
        assert "with libyaml" in (testlogs / "uses_yaml" / "test.log").read_text()
        assert "identical pyyaml-6.0.3-" in (testlogs / "pyyaml_repro_test" / "test.log").read_text()
    finally:
        bazel.shutdown()


def test_pylock(index_url: str) -> None:
    workspace = make_copy(WORK / "pylock", index_url, EXAMPLES / "pylock", PLACEHOLDER)
    lock_with_uv(workspace, index_url, requirements=None)
    bazel = Bazel(workspace, _fresh(WORK / "out-pylock"), "UTC", "grace", 0o022)
    try:
        out = bazel.run("run", "//:main")[0].stdout
        assert re.search(r"^msgpack: ", out, re.M) and re.search(r"^yaml: 6\.0\.3", out, re.M), out
        bazel.run("test", "//...", "--test_output=errors")
        aarch64 = bazel.run(
            "cquery",
            "--platforms=@rules_wheelhouse//platforms:linux_aarch64",
            "@pypi//msgpack/wheel",
            "--output=files",
        )[0].stdout
        assert re.search(r"msgpack-[^/]*-manylinux2014_aarch64\.[^/]*\.whl$", aarch64.strip()), aarch64
    finally:
        bazel.shutdown()


def test_remote_cache_script(index_url: str) -> None:
    work = _fresh(WORK / "two-copies")
    work.mkdir(parents=True)
    with nginx_cache(WORK / "nginx") as cache:
        proc = subprocess.run(
            [sys.executable, str(EXAMPLES / "remote_cache" / "two_copies.py"),
             "--remote-cache", cache, "--bazel", str(BAZEL), "--work-dir", str(work),
             "--workspace", str(EXAMPLES / "hand_written"), "--replace", f"{PLACEHOLDER}={index_url}"],
            capture_output=True, text=True, timeout=1800, check=False,
            env={**os.environ, "WHEELHOUSE_BAZEL_BINDS": str(work)},
        )  # fmt: skip
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert re.search(r"second copy: (\d+)/\1 WheelhouseBuild spawns were remote-cache hits", proc.stdout)
    assert "pyyaml.wheel/pyyaml-6.0.3-" in proc.stdout and "DIFFERENT" not in proc.stdout
