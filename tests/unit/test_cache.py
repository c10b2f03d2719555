"""The local caches: build environments by pinned set, results by action digest (``build_cached``)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wheelhouse import build_wheel
from wheelhouse.cli import main
from wheelhouse.errors import MissingBuildRequirement
from wheelhouse.host import sandbox
from wheelhouse.host.cache import Cache, tree_digest
from wheelhouse.host.cached import build_cached
from wheelhouse.progress import Progress

from conftest import MakeSdist, quiet, request
from samples import CEXT, FLIT, probe, write_wheel

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def logs_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs and the default cache under tmp_path, never the real ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("WHEELHOUSE_CACHE", raising=False)


def entries(cache: Cache, kind: str) -> list[Path]:
    directory = cache.root / kind
    return sorted(p for p in directory.iterdir() if not p.name.startswith(".")) if directory.is_dir() else []


def leftovers(cache: Cache) -> list[Path]:
    return sorted(p for p in cache.root.rglob(".*") if p.name.startswith((".tmp-", ".drop-")))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_second_build_is_served_from_the_cache_without_a_sandbox(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache = Cache(tmp_path / "c")
    first = build_cached(request(sdist, wheel_dir), tmp_path / "o1", cache, progress=quiet())
    assert not first.cached
    assert first.environment == ("flit-core==4.2.0",)
    assert len(entries(cache, "envs")) == 1 and len(entries(cache, "actions")) == 1

    def no_sandbox(*_a: object, **_k: object) -> sandbox.RunOutcome:
        raise AssertionError("a cache hit started a sandbox")

    with monkeypatch.context() as patch:
        patch.setattr(sandbox, "run_sandbox", no_sandbox)
        hit = build_cached(request(sdist, wheel_dir), tmp_path / "o2", cache, progress=quiet())
    assert hit.cached and hit.sha256 == first.sha256 == sha(hit.wheel)
    assert sorted(p.name for p in (tmp_path / "o2").iterdir()) == [first.wheel.name]
    assert hit.environment == first.environment

    again = build_cached(
        request(sdist, wheel_dir), tmp_path / "o3", cache, read_actions=False, progress=quiet()
    )
    assert not again.cached and again.sha256 == first.sha256  # --no-cache builds, same bytes

    tagged = build_cached(request(sdist, wheel_dir, build_tag="7"), tmp_path / "o4", cache, progress=quiet())
    assert not tagged.cached and tagged.wheel.name == first.wheel.name.replace("-1.0-", "-1.0-7-")
    assert len(entries(cache, "actions")) == 2 and len(entries(cache, "envs")) == 1


def test_cached_environment_and_skipped_hook_build_the_same_bytes_as_a_plain_build(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    """setuptools writes egg-info when asked for its requirements; the wheel must not depend on it."""
    sdist = make_sdist("cext", "1.0", CEXT)
    plain = build_wheel(request(sdist, wheel_dir), tmp_path / "plain", progress=quiet())
    cache = Cache(tmp_path / "c")
    cold = build_cached(request(sdist, wheel_dir), tmp_path / "cold", cache, progress=quiet())
    warm = build_cached(
        request(sdist, wheel_dir), tmp_path / "warm", cache, read_actions=False, progress=quiet()
    )
    assert plain.sha256 == cold.sha256 == warm.sha256
    assert warm.environment == plain.environment


def test_dynamic_requirements_get_their_own_environment(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("probe", "1.0", probe("dynamic"))
    cache = Cache(tmp_path / "c")
    first = build_cached(request(sdist, wheel_dir), tmp_path / "o1", cache, progress=quiet())
    assert first.dynamic == ("flit_core",)
    assert first.environment == ("flit-core==4.2.0",)
    manifests = sorted(json.loads((e / "entry.json").read_text())["dists"] for e in entries(cache, "envs"))
    assert manifests == [[], ["flit-core==4.2.0"]]  # the static one, then static + dynamic
    (record,) = entries(cache, "dynamic")
    assert json.loads(record.read_text()) == {"dynamic": ["flit_core"]}
    second = build_cached(request(sdist, wheel_dir), tmp_path / "o2", cache, progress=quiet())
    rebuilt = build_cached(
        request(sdist, wheel_dir), tmp_path / "o3", cache, read_actions=False, progress=quiet()
    )
    assert second.cached and not rebuilt.cached
    assert first.sha256 == second.sha256 == rebuilt.sha256


def test_a_damaged_environment_is_made_again_not_used(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache = Cache(tmp_path / "c")
    first = build_cached(request(sdist, wheel_dir), tmp_path / "o1", cache, progress=quiet())
    (env,) = entries(cache, "envs")
    (module,) = env.glob("lib/python*/site-packages/flit_core/buildapi.py")
    module.write_text(module.read_text() + "\nraise SystemExit('tampered')\n")
    second = build_cached(
        request(sdist, wheel_dir), tmp_path / "o2", cache, read_actions=False, progress=quiet()
    )
    assert second.sha256 == first.sha256
    (env,) = entries(cache, "envs")
    assert "tampered" not in next(env.glob("lib/python*/site-packages/flit_core/buildapi.py")).read_text()
    assert json.loads((env / "entry.json").read_text())["digest"] == tree_digest(env)
    assert leftovers(cache) == []


def test_a_damaged_result_is_built_again(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache = Cache(tmp_path / "c")
    first = build_cached(request(sdist, wheel_dir), tmp_path / "o1", cache, progress=quiet())
    (action,) = entries(cache, "actions")
    cached_wheel = action / first.wheel.name
    cached_wheel.write_bytes(cached_wheel.read_bytes()[:-10])  # truncated
    out = tmp_path / "o2"
    second = build_cached(request(sdist, wheel_dir), out, cache, progress=quiet())
    assert not second.cached and second.sha256 == first.sha256 == sha(second.wheel)
    assert sorted(p.name for p in out.iterdir()) == [first.wheel.name]  # no partial copy left
    third = build_cached(request(sdist, wheel_dir), tmp_path / "o3", cache, progress=quiet())
    assert third.cached and third.sha256 == first.sha256


def test_verify_never_reads_the_action_cache(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A poisoned but self-consistent entry is served by build-wheel; verify and --no-cache build."""
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache_dir = tmp_path / "c"
    cache = Cache(cache_dir)
    first = build_cached(request(sdist, wheel_dir), tmp_path / "o1", cache, progress=quiet())
    (action,) = entries(cache, "actions")
    poison = write_wheel(tmp_path / "poison", "flitpkg", "1.0", payload="poisoned")
    (action / first.wheel.name).write_bytes(poison.read_bytes())
    meta = json.loads((action / "entry.json").read_text())
    meta["sha256"] = sha(poison)
    cache.seal(action, {k: v for k, v in meta.items() if k != "digest"})
    common = [str(sdist), "-f", str(wheel_dir), "-q", "--cache-dir", str(cache_dir)]
    assert main(["build-wheel", *common, "-o", str(tmp_path / "hit")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"sha256={sha(poison)}")  # the cache is trusted
    assert main(["build-wheel", *common, "--no-cache", "-o", str(tmp_path / "built")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"sha256={first.sha256}")
    assert main(["verify", str(sdist), "-f", str(wheel_dir), "-q", "-o", str(tmp_path / "v")]) == 0
    assert f"identical {first.wheel.name} sha256={first.sha256}" in capsys.readouterr().out


def test_cache_dir_none_uses_no_cache(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache_dir = tmp_path / "xdg" / "wheelhouse"
    args = ["build-wheel", str(sdist), "-f", str(wheel_dir), "-qq", "-o", str(tmp_path / "o")]
    assert main([*args, "--cache-dir", "none"]) == 0
    assert not (cache_dir / "actions").exists() and not (cache_dir / "envs").exists()
    assert main(args) == 0  # the default cache
    assert len(list((cache_dir / "actions").iterdir())) == 1


def test_missing_requirement_found_on_the_host_names_the_directories(
    make_sdist: MakeSdist, tmp_path: Path
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        MissingBuildRequirement,
        match=r"flitpkg-1.0.tar.gz: no wheel satisfies build requirement 'flit_core<5,>=3.2' in "
        r"--find-links .*empty",
    ):
        build_cached(request(sdist, empty), tmp_path / "o", Cache(tmp_path / "c"), progress=quiet())
    assert not (tmp_path / "o").exists()


def test_concurrent_builds_of_one_sdist_share_one_entry(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache_dir = tmp_path / "c"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wheelhouse",
                "build-wheel",
                str(sdist),
                "-f",
                str(wheel_dir),
                "-q",
                "--cache-dir",
                str(cache_dir),
                "-o",
                str(tmp_path / f"o{i}"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert len({out.split("sha256=")[1].strip() for out, _ in outs}) == 1
    cache = Cache(cache_dir)
    assert len(entries(cache, "actions")) == 1 and len(entries(cache, "envs")) == 1
    assert leftovers(cache) == []
    (env,) = entries(cache, "envs")
    assert json.loads((env / "entry.json").read_text())["digest"] == tree_digest(env)


def test_concurrent_publishers_of_one_environment_race_harmlessly(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    barrier = threading.Barrier(8)
    published: list[Path] = []

    def publish(i: int) -> None:
        staging = cache.staging("envs")
        (staging / "lib").mkdir()
        (staging / "lib" / "mod.py").write_text("X = 1\n")
        barrier.wait()
        published.append(cache.put_env("k" * 64, staging, {"writer": i}))

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(published)) == 1
    assert cache.env("k" * 64) == published[0]
    assert entries(cache, "envs") == published[:1] and leftovers(cache) == []


def _published_env(cache: Cache) -> Path:
    staging = cache.staging("envs")
    (staging / "lib").mkdir()
    (staging / "lib" / "mod.py").write_text("X = 1\n")
    return cache.put_env("e" * 64, staging, {})


def test_a_damaged_file_is_found_even_with_its_old_time_and_size(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    env = _published_env(cache)
    assert cache.env("e" * 64) == env  # sealed, then stamped on first use
    module = env / "lib" / "mod.py"
    before = module.stat()
    module.write_text("X = 2\n")  # same size
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old time
    assert cache.env("e" * 64) is None
    assert not env.exists() and leftovers(cache) == []


def test_a_copied_cache_is_checked_by_content_and_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    env = _published_env(cache)
    assert cache.env("e" * 64) == env
    subprocess.run(["cp", "-a", str(cache.root), str(tmp_path / "moved")], check=True)
    moved = Cache(tmp_path / "moved")
    stamp = json.loads((moved.root / "envs" / ("e" * 64) / "entry.json").read_text())["stamp"]
    found = moved.env("e" * 64)
    assert found is not None and (found / "lib" / "mod.py").read_text() == "X = 1\n"
    assert json.loads((found / "entry.json").read_text())["stamp"] != stamp  # stamped again


def test_cache_info_and_prune(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache_dir = tmp_path / "c"
    assert main(["build-wheel", str(sdist), "-f", str(wheel_dir), "-qq", "--cache-dir", str(cache_dir),
                 "-o", str(tmp_path / "o")]) == 0  # fmt: skip
    assert main(["cache", "info", "--cache-dir", str(cache_dir)]) == 0
    info = capsys.readouterr().out
    assert f"cache: {cache_dir}" in info
    assert any(line.split()[:2] == ["envs", "1"] for line in info.splitlines())
    assert any(line.split()[:2] == ["actions", "1"] for line in info.splitlines())
    total = sum(os.path.getsize(p) for p in cache_dir.rglob("*") if p.is_file())
    assert main(["cache", "prune", "--max-size", str(total - 1), "--cache-dir", str(cache_dir)]) == 0
    assert capsys.readouterr().out.startswith("removed ")
    assert sum(os.path.getsize(p) for p in cache_dir.rglob("*") if p.is_file()) < total
    assert main(["cache", "prune", "--cache-dir", str(cache_dir)]) == 0
    capsys.readouterr()
    assert [p for p in cache_dir.rglob("*") if p.is_file()] == []


def test_progress_of_a_hit_says_cached(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    cache = Cache(tmp_path / "c")
    build_cached(request(sdist, wheel_dir), tmp_path / "o1", cache, progress=quiet())
    lines: list[str] = []
    build_cached(request(sdist, wheel_dir), tmp_path / "o2", cache, progress=Progress(sink=lines.append))
    assert len(lines) == 1 and "flitpkg 1.0: cached flitpkg-1.0-py2.py3-none-any.whl (action " in lines[0]
