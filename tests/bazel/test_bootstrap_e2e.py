"""Everything from source, build tools included, in Bazel: a build lock with a seeded cycle.

The test serves real sdists (setuptools, wheel, flit_core, hatchling and its
dependencies, setuptools-scm and vcs-versioning, poetry-core, calver, Cython,
iniconfig, ...) and generated ones (a backend and its plugin that need each
other, an app built with them, a Cython extension, a hatchling package) from a
loopback index; locks the run-time requirements with uv; runs ``wheelhouse
lock-build`` (refused without a seed, the cycle spelled out; then seeded);
and builds ``@pypi//...`` in Bazel, where every wheel and every wheel of every
build environment comes from a ``WheelhouseBuild`` except the one seed, and
``@pypi//:fixpoint_tests`` requires the cycle's stage 1 to equal stage 2.
Then the failures: a stale build lock, a missing entry.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e import BAZEL, TEMPLATE_INDEX, Bazel, _fresh, make_copy, spawns
from test_lock_e2e import lock_with_uv

from bootstrap_samples import seed_wheel, write_sdists
from inputs import REPO, _fetch_group, fetch, fetch_source_e2e
from servers import serve_directory, write_index

pytestmark = pytest.mark.bazel

TEMPLATE = REPO / "tests" / "e2e_source"
WORK = REPO / ".cache" / "e2e-source"
REQUIREMENTS = "iniconfig\nwheel\nsetuptools\nhatchpkg\ncyext\napp\n"


@pytest.fixture(scope="module")
def index() -> Iterator[tuple[str, Path]]:
    WORK.mkdir(parents=True, exist_ok=True)
    sdists, wheels = fetch_source_e2e()
    generated = write_sdists(_fresh(WORK / "generated"))
    seed = seed_wheel(WORK / "seed")
    core = _fetch_group(
        fetch().sdists.parent / "e2e" / "core", "core-wheels.txt", ["--no-deps", "--only-binary", ":all:"]
    )
    root = write_index(_fresh(WORK / "index"), [*sdists, *wheels, *generated, seed, *core])
    with serve_directory(root) as url:
        yield url, root


def lock_build(workspace: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wheelhouse", "lock-build", "pylock.toml", "--index", f"{url}/simple",
         "--python", "3.14", "--from-source", ":all:", *extra],
        cwd=workspace, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip


def test_everything_from_source_with_a_washed_out_seed(index: tuple[str, Path]) -> None:
    url, _ = index
    workspace = make_copy(WORK / "ws", url, TEMPLATE, TEMPLATE_INDEX)
    lock_with_uv(workspace, url, REQUIREMENTS)
    report: dict[str, object] = {}

    refused = lock_build(workspace, url)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    line = refused.stderr.strip().splitlines()[-1]
    assert "loopback-backend -> loopback-plugin -> loopback-backend" in line, line
    assert "--seed" in line, line
    report["refusal"] = line

    started = time.monotonic()
    seeded = lock_build(workspace, url, "--seed", "loopback-backend")
    report["lock_build_s"] = round(time.monotonic() - started, 1)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    report["lock_build"] = seeded.stdout.strip()
    assert re.search(r"20 builds from source, .* (\d+) backend calls", seeded.stdout), seeded.stdout
    build_lock = (workspace / "pylock.build.toml").read_text()
    assert 'seeds = ["loopback-backend==1.0"]' in build_lock
    again = lock_build(workspace, url, "--seed", "loopback-backend", "--check")
    assert again.returncode == 0, again.stdout + again.stderr

    bazel = Bazel(workspace, _fresh(WORK / "out"), "UTC", "kim", 0o022)
    try:
        log = WORK / "exec.json"
        _, report["cold_build_s"] = bazel.run("build", "@pypi//...", f"--execution_log_json_file={log}")
        records = spawns(log)
        report["wheel_builds"] = sum(1 for r in records if r.get("mnemonic") == "WheelhouseBuild")
        report["build_envs"] = sum(1 for r in records if r.get("mnemonic") == "WheelhouseBuildEnv")
        proc, _ = bazel.run("test", "//...", "@pypi//:fixpoint_tests", "--test_output=all")
        fixpoint = [
            ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith(("identical", "DIFFERENT"))
        ]
        report["fixpoint"] = fixpoint
        assert any(ln.startswith("identical loopback_backend-1.0-") for ln in fixpoint), proc.stdout[-3000:]
        assert any(ln.startswith("identical loopback_plugin-1.0-") for ln in fixpoint), proc.stdout[-3000:]
        # Every wheel any build environment holds was built here, but the seed (stage 1 only).
        output_base = Path(bazel.run("info", "output_base")[0].stdout.strip())
        (graph,) = output_base.glob("external/*pypi__graph/cp314_linux_x86_64/BUILD.bazel")
        envs = "".join(re.findall(r"py_build_env\(.*?\n\)\n", graph.read_text(), re.S))
        assert envs.count("py_build_env(") > 5, graph.read_text()[:3000]
        outside = sorted(set(re.findall(r"wheelhouse_([0-9a-f]{64})//file", envs)))
        seed = hashlib.sha256(
            (WORK / "seed" / "loopback_backend-1.0-py3-none-any.whl").read_bytes()
        ).hexdigest()
        assert outside == [seed], f"wheels not built from source in build environments: {outside}"
        report["fetched_wheels_in_build_envs"] = ["the seed, loopback_backend-1.0 (stage 1 only)"]
        assert report["wheel_builds"] == 22, report  # 20 builds + the 2 stage-1 builds of the cycle
    finally:
        print(json.dumps(report, indent=2))
        (WORK / "report.json").write_text(json.dumps(report, indent=2))
        bazel.shutdown()


def test_stale_or_incomplete_build_lock_fails_at_load_time(index: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = index
    source = WORK / "ws"
    if not (source / "pylock.build.toml").exists():
        pytest.skip("needs the build lock of the test above")
    workspace = make_copy(WORK / "ws-stale", url, TEMPLATE, TEMPLATE_INDEX)
    for name in ("pylock.toml", "pylock.build.toml"):
        shutil.copyfile(source / name, workspace / name)
    bazel = Bazel(workspace, _fresh(WORK / "out-stale"), "UTC", "lee", 0o022)

    def fails(*messages: str) -> None:
        proc = subprocess.run(
            [str(BAZEL), "build", "--nobuild", "@pypi//app"],
            cwd=workspace, env=bazel.env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert proc.returncode != 0
        for message in messages:
            assert message in proc.stderr, proc.stderr[-3000:]

    try:
        (workspace / "pylock.toml").write_text((source / "pylock.toml").read_text() + "\n# edited\n")
        fails("was made for another run-time lock", "wheelhouse lock-build")
        shutil.copyfile(source / "pylock.toml", workspace / "pylock.toml")
        text = (source / "pylock.build.toml").read_text()
        start = text.index('[[tool.wheelhouse.builds]]\npackage = "iniconfig==')
        end = text.index("[[tool.wheelhouse.builds]]", start + 10)
        (workspace / "pylock.build.toml").write_text(text[:start] + text[end:])
        fails("has no build entry for iniconfig==2.3.1", "wheelhouse lock-build")
    finally:
        bazel.shutdown()
