"""``scripts/bazel`` binds what a workspace outside this repository names by itself.

A workspace under ``~/.cache`` (not ``/tmp``: actions see a private ``/tmp``), outside
the git tree, reaches rules_wheelhouse and the stub modules only through
``local_path_override`` (or ``archive_override`` of ``make dist``'s archive by a
``file://`` URL) and the stubs' bazelrc only through an ``import`` by absolute path;
no ``WHEELHOUSE_BAZEL_BINDS``. The fast tests read the binds the script would make
(``WHEELHOUSE_BAZEL_PRINT_BINDS=1``, no Bazel); the ``bazel`` ones build there with a
fresh output user root, then ``scripts/bazel shutdown`` must stop the server.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BAZEL = REPO / "scripts" / "bazel"
OUTSIDE = Path.home() / ".cache" / "rules_wheelhouse" / "test-outside"
STUBS = ("protobuf", "buildozer", "zlib", "apple_support")


@pytest.fixture
def outside() -> Iterator[Path]:
    """A fresh directory outside the repository and outside /tmp, removed afterwards."""
    path = OUTSIDE / uuid.uuid4().hex
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if OUTSIDE.exists() and not any(OUTSIDE.iterdir()):
            OUTSIDE.rmdir()


def make_workspace(ws: Path, override: str = "") -> Path:
    """A genrule reading a file of rules_wheelhouse, had through ``override`` (default:
    local_path_override by absolute path); the stubs by path, one of them relative."""
    ws.mkdir(parents=True)
    stubs = REPO / "third_party" / "bazel_stubs"
    lines = [
        'module(name = "outside")',
        "",
        'bazel_dep(name = "rules_wheelhouse", version = "0.1.0")',
        override or f'local_path_override(module_name = "rules_wheelhouse", path = "{REPO}")',
    ]
    for stub in STUBS:
        path = os.path.relpath(stubs / stub, ws) if stub == "zlib" else str(stubs / stub)
        lines += ["local_path_override(", f'    module_name = "{stub}",', f'    path = "{path}",', ")"]
    (ws / "MODULE.bazel").write_text("\n".join(lines) + "\n")
    (ws / "BUILD.bazel").write_text(
        "genrule(\n"
        '    name = "hello",\n'
        '    srcs = ["@rules_wheelhouse//:MODULE.bazel"],\n'
        '    outs = ["hello.txt"],\n'
        '    cmd = "head -n 1 $< > $@",\n'
        ")\n"
    )
    (ws / ".bazelrc").write_text(f"import {stubs}/bazelrc\n")
    return ws


def env_for(output_user_root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHEELHOUSE_BAZEL_")}
    env["WHEELHOUSE_BAZEL_OUTPUT_USER_ROOT"] = str(output_user_root)
    env.update(extra)
    return env


def print_binds(ws: Path, env: dict[str, str], *args: str) -> tuple[list[str], list[str]]:
    """The directories ``scripts/bazel`` would bind, and its warnings."""
    proc = subprocess.run(
        [str(BAZEL), *args],
        cwd=ws,
        env={**env, "WHEELHOUSE_BAZEL_PRINT_BINDS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines(), [line for line in proc.stderr.splitlines() if "warning:" in line]


def test_binds_of_an_outside_workspace(outside: Path) -> None:
    ws = make_workspace(outside / "ws")
    binds, warnings = print_binds(ws, env_for(outside / "out"), "build", "//...")
    assert warnings == []
    assert str(REPO) in binds  # local_path_override(path = REPO) and the bazelrc's directory
    assert str(ws) in binds
    assert str(outside / "out") in binds


def test_binds_from_module_and_bazelrc(outside: Path) -> None:
    ws = outside / "ws"
    for d in ("mod", "over", "files", "extra", "inc", "linked-target", "via-env"):
        (outside / d).mkdir(parents=True)
    (outside / "files" / "a.tar.gz").write_bytes(b"")
    (outside / "inc" / "more.bazelrc").write_text("build --override_repository=r=%workspace%/../extra\n")
    (outside / "link").symlink_to(outside / "linked-target")
    ws.mkdir()
    (ws / "sub").mkdir()
    (ws / "MODULE.bazel").write_text(
        'module(name = "w")\n'
        "local_path_override(\n"
        '    module_name = "m",\n'
        '    path = "../mod",\n'
        ")\n"
        'local_path_override(module_name = "gone", path = "../missing")\n'
        '# local_path_override(module_name = "c", path = "/commented/out")\n'
        f'archive_override(module_name = "a", urls = ["file://{outside}/files/a.tar.gz", "https://x/a"])\n'
        'local_path_override(module_name = "sys", path = "/usr/share/bazel/rules/python")\n'
        'local_path_override(module_name = "l", path = "../link")\n'
        'include("//sub:more.MODULE.bazel")\n'
    )
    (ws / "sub" / "more.MODULE.bazel").write_text(
        'lr = use_repo_rule("@bazel_tools//tools/build_defs/repo:local.bzl", "local_repository")\n'
        f'lr(name = "x", path = "{outside}/over")\n'
    )
    (ws / ".bazelrc").write_text(
        f"import {outside}/inc/more.bazelrc\n"
        "try-import %workspace%/user.bazelrc\n"
        "common --disk_cache=%workspace%/../disk  # created\n"
        f"build:ci --repository_cache {outside}/repo\n"
        "build --disk_cache=relative/ignored\n"
    )
    env = env_for(
        outside / "out",
        WHEELHOUSE_BAZEL_CACHE=str(outside / "cache"),
        WHEELHOUSE_BAZEL_BINDS=f"{outside}/files:{outside}/via-env",
    )
    binds, warnings = print_binds(
        ws, env, "build", f"--override_module=o={outside}/over", "--", "//...", f"--disk_cache={outside}/no"
    )
    o = str(outside)
    assert [b.replace(o, "O") for b in binds] == [
        "O/ws",  # the workspace (and the current directory)
        "O/cache",
        "O/out",
        "O/mod",  # local_path_override(path = "../mod")
        "O/files",  # the file:// URL's directory (WHEELHOUSE_BAZEL_BINDS names it again)
        "O/linked-target",  # path = "../link", resolved, and at the path as written:
        "O/link (from O/linked-target)",
        "O/over",  # local_repository in the include()d file
        "O/inc",  # the imported bazelrc's directory
        "O/extra",  # --override_repository=r=%workspace%/../extra in it
        "O/disk",  # --disk_cache=%workspace%/../disk, created
        "O/repo",  # --repository_cache DIR, created
        "O/via-env",  # WHEELHOUSE_BAZEL_BINDS still works
    ]
    assert (outside / "disk").is_dir() and (outside / "repo").is_dir()
    assert not (outside / "no").exists(), "nothing after -- is a flag"
    assert warnings == [
        f'scripts/bazel: warning: {ws}/MODULE.bazel:6: local_path_override(path = "../missing"): '
        f"{o}/missing does not exist; not bound"
    ]


def test_binds_when_python_cannot_parse_module(outside: Path) -> None:
    """A MODULE.bazel Python's ast refuses is scanned line by line (Bazel reports the error itself)."""
    (outside / "mod").mkdir()
    ws = outside / "ws"
    ws.mkdir()
    (ws / "MODULE.bazel").write_text(
        'module(name = "w"))\n# local_path_override(path = "/commented")\n'
        'local_path_override(\n    module_name = "m",\n    path = "../mod",\n)\n'
        'local_path_override(module_name = "n", path = "../none")\n'
    )
    binds, warnings = print_binds(ws, env_for(outside / "out", WHEELHOUSE_BAZEL_CACHE=str(outside / "cache")))
    assert binds[-1] == f"{outside}/mod"
    assert len(warnings) == 2, warnings
    assert "scanning it for paths line by line" in warnings[0]
    assert warnings[1].startswith(f"scripts/bazel: warning: {ws}/MODULE.bazel:7: ")


def build_and_shutdown(ws: Path, env: dict[str, str]) -> None:
    """``build //...`` (checking the genrule's output), then ``shutdown`` stops the server."""

    def bazel(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BAZEL), *args], cwd=ws, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        failed = f"bazel {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        assert proc.returncode == 0, failed
        assert "scripts/bazel: warning" not in proc.stderr, proc.stderr
        return proc

    pid = 0
    try:
        bazel("build", "//...")
        bin_dir = Path(bazel("info", "bazel-bin").stdout.strip())
        assert (bin_dir / "hello.txt").read_text().startswith("module(")
        pid = int(bazel("info", "server_pid").stdout.strip())
        assert Path(f"/proc/{pid}").exists()
        bazel("shutdown", timeout=120)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not Path(f"/proc/{pid}").exists(), f"the Bazel server {pid} still runs after shutdown"
    finally:
        if pid and Path(f"/proc/{pid}").exists():
            subprocess.run([str(BAZEL), "shutdown"], cwd=ws, env=env, check=False, timeout=120)


@pytest.mark.bazel
def test_build_and_shutdown_outside_the_repository(outside: Path) -> None:
    build_and_shutdown(make_workspace(outside / "ws"), env_for(outside / "out"))


@pytest.mark.bazel
def test_release_archive_through_archive_override(outside: Path) -> None:
    """``make dist``'s archive, as README.md shows it: archive_override with a file:// URL."""
    dist = outside / "dist"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dist.py"), "--out-dir", str(dist)],
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"},
    )
    (archive,) = dist.glob("rules_wheelhouse-*.tar.gz")
    digest = hashlib.sha256(archive.read_bytes()).digest()
    override = (
        "archive_override(\n"
        '    module_name = "rules_wheelhouse",\n'
        f'    urls = ["{archive.as_uri()}"],\n'
        f'    integrity = "sha256-{base64.b64encode(digest).decode()}",\n'
        f'    strip_prefix = "{archive.name.removesuffix(".tar.gz")}",\n'
        ")"
    )
    build_and_shutdown(make_workspace(outside / "ws", override), env_for(outside / "out"))
