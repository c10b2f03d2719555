"""The Bazel rules on a real Bazel 7.7.1 (scripts/bazel), end to end.

Two copies of ``tests/e2e`` in different directories, with different output
bases, TZ, umask and user names, build against a PEP 503 index and an nginx
remote cache on loopback. Every wheel must have the same digest in both, every
``WheelhouseBuild`` action of the second copy must be a remote-cache hit (read
from ``--execution_log_json_file``), and ``bazel test`` must pass in both.
Timings land in ``.cache/e2e/report.json`` and the test output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inputs import REPO, fetch_e2e
from servers import nginx_cache, serve_directory, write_index

pytestmark = pytest.mark.bazel

BAZEL = REPO / "scripts" / "bazel"
TEMPLATE = REPO / "tests" / "e2e"
WORK = REPO / ".cache" / "e2e"
TEMPLATE_INDEX = "http://127.0.0.1:38451"
WHEELS = ("cext", "flit_core", "markupsafe", "pyyaml", "tomli", "vext", "vext_v3")


def make_copy(
    dest: Path, index_url: str, template: Path = TEMPLATE, placeholder: str = TEMPLATE_INDEX
) -> Path:
    """Copy a workspace two levels below the repo to ``dest`` (inside the repo).

    Relative paths are fixed, and ``placeholder`` (the index's base URL in the
    template) becomes ``index_url``.
    """
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns("bazel-*"))
    up = os.path.relpath(REPO, dest)
    module = (dest / "MODULE.bazel").read_text()
    module = module.replace('path = "../..', f'path = "{up}').replace(placeholder, index_url)
    (dest / "MODULE.bazel").write_text(module)
    (dest / ".bazelrc").write_text(f"import %workspace%/{up}/third_party/bazel_stubs/bazelrc\n")
    return dest


class Bazel:
    """``scripts/bazel`` for one workspace copy with its own output root and identity."""

    def __init__(self, workspace: Path, output_root: Path, tz: str, user: str, umask: int) -> None:
        self.workspace = workspace
        self.env = {
            **os.environ,
            "WHEELHOUSE_BAZEL_OUTPUT_USER_ROOT": str(output_root),
            "TZ": tz,
            "USER": user,
        }
        self.umask = umask

    def run(self, *args: str, timeout: float = 1800) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.monotonic()
        proc = subprocess.run(
            [str(BAZEL), *args],
            cwd=self.workspace,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=lambda: os.umask(self.umask) and None,
            check=False,
        )
        seconds = time.monotonic() - started
        assert proc.returncode == 0, (
            f"bazel {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-6000:]}"
        )
        return proc, seconds

    def wheel_digests(self) -> dict[str, tuple[str, str]]:
        bin_dir = Path(self.run("info", "bazel-bin")[0].stdout.strip())
        digests = {}
        for name in WHEELS:
            (wheel,) = (bin_dir / f"{name}.wheel").glob("*.whl")
            digests[name] = (wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest())
        return digests

    def shutdown(self) -> None:
        subprocess.run([str(BAZEL), "shutdown"], cwd=self.workspace, env=self.env, check=False, timeout=120)


def spawns(log: Path) -> list[dict[str, object]]:
    """The spawn records of a ``--execution_log_json_file`` (a stream of JSON objects)."""
    text = log.read_text()
    decoder = json.JSONDecoder()
    records, pos = [], 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        record, pos = decoder.raw_decode(text, pos)
        records.append(record)
    return records


def _remote_hit(record: dict[str, object]) -> bool:
    # Bazel 7.7 writes cacheHit plus runner "remote cache hit" (older: remoteCacheHit).
    hit = record.get("cacheHit", record.get("remoteCacheHit"))
    return bool(hit) and record.get("runner") == "remote cache hit"


@pytest.fixture(scope="module")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the loopback index (``/simple`` and ``/files`` below it)."""
    root = write_index(tmp_path_factory.mktemp("index"), fetch_e2e())
    with serve_directory(root) as url:
        yield url


@pytest.fixture(scope="module")
def remote_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with nginx_cache(tmp_path_factory.mktemp("nginx")) as url:
        yield url


def _fresh(path: Path) -> Path:
    """Remove an old output root (Bazel leaves read-only directories behind)."""
    if path.exists():
        for dirpath, dirnames, _files in os.walk(path):
            for name in dirnames:
                full = os.path.join(dirpath, name)
                if not os.path.islink(full):
                    os.chmod(full, 0o755)
        shutil.rmtree(path)
    return path


def test_two_copies_identical_wheels_and_remote_cache_hits(index_url: str, remote_cache: str) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    _fresh(WORK / "out-a")
    _fresh(WORK / "out-b")
    first = Bazel(make_copy(WORK / "a" / "ws", index_url), WORK / "out-a", "UTC", "alice", 0o022)
    second = Bazel(
        make_copy(WORK / "copies" / "second" / "ws", index_url),
        WORK / "out-b",
        "Asia/Kathmandu",
        "bob",
        0o027,
    )
    report: dict[str, object] = {}
    try:
        cache_flags = [f"--remote_cache={remote_cache}", "--remote_upload_local_results"]
        log_a = WORK / "first-exec.json"
        cold, report["cold_build_s"] = first.run(
            "build", "//...", *cache_flags, f"--execution_log_json_file={log_a}"
        )
        # Quiet success: a wheel build prints nothing, so Bazel shows no "From Building wheel" block.
        assert "From Building wheel" not in cold.stderr, cold.stderr[-3000:]
        _, report["warm_noop_build_s"] = first.run("build", "//...", *cache_flags)
        first.run("test", "//...", *cache_flags, "--test_output=errors")
        digests_a = first.wheel_digests()

        log = WORK / "second-exec.json"
        proc, report["cache_hit_build_s"] = second.run(
            "build", "//...", *cache_flags, f"--execution_log_json_file={log}"
        )
        records = spawns(log)
        builds = [r for r in records if r.get("mnemonic") == "WheelhouseBuild"]
        hits = [r for r in builds if _remote_hit(r)]
        report["wheelhouse_build_spawns"] = len(builds)
        report["wheelhouse_build_remote_hits"] = len(hits)
        report["all_spawns"] = len(records)
        report["all_remote_hits"] = sum(1 for r in records if _remote_hit(r))
        summary = [ln for ln in proc.stderr.splitlines() if "processes:" in ln]
        report["second_copy_summary"] = summary[-1].strip() if summary else ""
        keys_a = {(r.get("mnemonic"), r.get("targetLabel")): r.get("digest", {}) for r in spawns(log_a)}
        report["misses_in_second_copy"] = [
            {
                "mnemonic": r.get("mnemonic"),
                "target": r.get("targetLabel"),
                "same_action_key_as_first_copy": keys_a.get((r.get("mnemonic"), r.get("targetLabel")))
                == r.get("digest"),
            }
            for r in records
            if not _remote_hit(r)
        ]
        second.run("test", "//...", *cache_flags, "--test_output=errors")
        # One flag switches vext to its x86_64_v3 variant (built, like the plain one, by //...).
        v3 = "--define=x86_64_level=v3"
        second.run("test", "//:variant_test", v3, *cache_flags, "--test_output=errors")
        digests_b = second.wheel_digests()
        report["wheels"] = {name: {"file": f, "sha256": d} for name, (f, d) in digests_a.items()}
    finally:
        (WORK / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True))
        print(json.dumps(report, indent=2, sort_keys=True))
        first.shutdown()
        second.shutdown()
    assert digests_a == digests_b
    assert digests_a["vext_v3"][0] == "vext-1.0-cp314-cp314-linux_x86_64-x86_64_v3.whl", digests_a["vext_v3"]
    assert digests_a["vext"][0] == "vext-1.0-cp314-cp314-linux_x86_64.whl", digests_a["vext"]
    assert len(builds) == len(WHEELS), [r.get("targetLabel") for r in builds]
    assert len(hits) == len(builds), "every WheelhouseBuild action must be a remote cache hit"


ANALYSIS_ERRORS = {
    "both_tags": "set build_tag or local_version, not both",
    "build_dep_not_a_wheel": "build_deps entry @@//:cext_sdist is not a wheel: give a py_wheel_dep target",
    "sdist_not_an_sdist": "is not a source distribution (.tar.gz or .zip)",
    "library_of_non_wheels": "wheels entry @@//:cext_sdist is not a wheel",
    "bad_variant_property": 'variant_properties entry "x86_64 :: level" is not \'namespace :: feature',
}


def test_analysis_errors_say_what_to_do(index_url: str) -> None:
    bazel = Bazel(make_copy(WORK / "errors" / "ws", index_url), WORK / "out-a", "UTC", "carol", 0o022)
    try:
        for target, message in ANALYSIS_ERRORS.items():
            proc = subprocess.run(
                [str(BAZEL), "build", "--nobuild", f"//bad:{target}"],
                cwd=bazel.workspace,
                env=bazel.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert proc.returncode != 0, target
            assert message in proc.stderr, proc.stderr[-3000:]
    finally:
        bazel.shutdown()


def test_missing_build_requirement_names_the_target_and_the_fix(index_url: str) -> None:
    bazel = Bazel(make_copy(WORK / "errors" / "ws", index_url), WORK / "out-a", "UTC", "carol", 0o022)
    try:
        proc = subprocess.run(
            [str(BAZEL), "build", "//bad:missing_build_requirement"],
            cwd=bazel.workspace,
            env=bazel.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        bazel.shutdown()
    assert proc.returncode != 0
    line = next(ln for ln in proc.stderr.splitlines() if "wheelhouse: error:" in ln)
    assert "no wheel satisfies build requirement 'flit_core" in line, line
    assert "among setuptools-84.2.1-py3-none-any.whl" in line, line
    assert "add a target that provides it to build_deps of @@//bad:missing_build_requirement" in line, line
    assert "pip download" not in line


def test_missing_core_wheels_are_named_at_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    """An index without the toolchain's own wheels: one error lists all four, with versions."""
    empty = write_index(tmp_path_factory.mktemp("empty-index"), [])
    with serve_directory(empty) as url:
        bazel = Bazel(make_copy(WORK / "no-core" / "ws", url), WORK / "out-a", "UTC", "judy", 0o022)
        try:
            proc = subprocess.run(
                [str(BAZEL), "build", "--keep_going", "//:flit_core"],
                cwd=bazel.workspace, env=bazel.env, capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
        finally:
            bazel.shutdown()
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if "the toolchain runs the wheelhouse core" in ln]
    assert lines, proc.stderr[-3000:]
    line = lines[0]
    assert "6 of 6 are missing" in line, line
    core = (
        "packaging-26.3-",
        "installer-1.1.0-",
        "build-1.6.1-",
        "pyproject_hooks-1.3.3-",
        "variantlib-0.2.2-",
    )
    for name in core:
        assert name in line, line
    assert "pip download --no-deps --only-binary :all: -d DIR packaging==26.3" in line, line


def test_smoke_workspace_namespaces_inside_actions() -> None:
    """scripts/bazel works from a plain checkout, and actions may make namespaces."""
    bazel = Bazel(REPO / "tests" / "e2e_smoke", WORK / "out-smoke", "UTC", "dave", 0o022)
    try:
        bazel.run("build", "//...")
        bin_dir = Path(bazel.run("info", "bazel-bin")[0].stdout.strip())
        assert (bin_dir / "userns.txt").read_text().strip() == "namespaces-ok"
    finally:
        bazel.shutdown()
