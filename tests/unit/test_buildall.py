"""``wheelhouse build pylock.toml``: a lock into a flat wheelhouse (find-links mode; the
build-lock mode runs in tests/integration/test_build_lock.py)."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from wheelhouse.cli import main
from wheelhouse.errors import BuildFailed, BuildLockError, MissingBuildRequirement, UsageError
from wheelhouse.host.buildall import BuildAllOptions, build_all
from wheelhouse.host.cache import Cache
from wheelhouse.host.fetch import Sources
from wheelhouse.progress import QUIET

from conftest import MakeSdist
from samples import FLIT, HATCH, probe, write_wheel


@pytest.fixture(autouse=True)
def logs_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("WHEELHOUSE_CACHE", raising=False)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry(
    name: str, version: str, *, sdist: Path | None = None, wheel: Path | None = None, marker: str = ""
) -> str:
    lines = ["[[packages]]", f'name = "{name}"', f'version = "{version}"']
    if marker:
        lines.append(f"marker = {marker!r}")
    if sdist is not None:
        lines.append(f'sdist = {{ name = "{sdist.name}", path = "files/{sdist.name}", '
                     f'hashes = {{ sha256 = "{sha(sdist)}" }} }}')  # fmt: skip
    if wheel is not None:
        lines.append(f'wheels = [{{ name = "{wheel.name}", path = "files/{wheel.name}", '
                     f'hashes = {{ sha256 = "{sha(wheel)}" }} }}]')  # fmt: skip
    return "\n".join(lines) + "\n"


def write_lock(root: Path, entries: list[str], files: list[Path]) -> Path:
    (root / "files").mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copyfile(f, root / "files" / f.name)
    lock = root / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "test"\n\n' + "\n".join(entries))
    return lock


@pytest.fixture
def project(make_sdist: MakeSdist, tmp_path: Path) -> Path:
    """A lock of two sdists (flit_core, hatchling), one wheel, and a package for another platform."""
    flit = make_sdist("flitpkg", "1.0", FLIT)
    hatch = make_sdist("hatchpkg", "1.0", HATCH)
    plain = write_wheel(tmp_path / "w", "plainwheel", "2.0", payload="plain")
    never = make_sdist("probe", "1.0", probe("fail"))
    return write_lock(
        tmp_path / "proj",
        [
            entry("flitpkg", "1.0", sdist=flit),
            entry("hatchpkg", "1.0", sdist=hatch),
            entry("plainwheel", "2.0", wheel=plain),
            entry("probe", "1.0", sdist=never, marker="sys_platform == 'win32'"),
        ],
        [flit, hatch, plain, never],
    )


def options(lock: Path, out: Path, cache: Path, wheel_dir: Path, **kw: object) -> BuildAllOptions:
    base: dict[str, object] = {
        "lock": lock,
        "output": out,
        "cache": Cache(cache),
        "sources": Sources(find_links=(wheel_dir,)),
        "jobs": 2,
        "verbosity": QUIET,
    }
    base.update(kw)
    return BuildAllOptions(**base)  # type: ignore[arg-type]


def test_a_lock_becomes_a_wheelhouse_with_its_own_lock_and_a_second_run_builds_nothing(
    project: Path, wheel_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "house"
    stream = io.StringIO()
    first = build_all(options(project, out, tmp_path / "c", wheel_dir, verbosity=1, stream=stream))
    assert (first.packages, first.built, first.cached, first.fetched) == (3, 2, 0, 1)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "flitpkg-1.0-py2.py3-none-any.whl",
        "hatchpkg-1.0-py2.py3-none-any.whl",
        "plainwheel-2.0-py3-none-any.whl",
        "pylock.toml",
    ]
    data = tomllib.loads((out / "pylock.toml").read_text())
    Pylock.from_dict(data)  # a valid PEP 751 lock
    assert data["created-by"] == "wheelhouse build"
    for package in data["packages"]:
        (wheel,) = package["wheels"]
        assert sha(out / wheel["path"]) == wheel["hashes"]["sha256"]
    assert [p["name"] for p in data["packages"]] == ["flitpkg", "hatchpkg", "plainwheel"]
    progress = stream.getvalue()
    assert "wheelhouse: [1/2] " in progress and "wheelhouse: [2/2] " in progress
    before = {p.name: sha(p) for p in out.iterdir()}

    second = build_all(options(project, out, tmp_path / "c", wheel_dir))
    assert (second.built, second.cached) == (0, 2)
    assert {p.name: sha(p) for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".house")]  # no staging left


def test_a_failing_build_leaves_the_wheelhouse_as_it_was_and_keeps_what_finished(
    project: Path, make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "house"
    build_all(options(project, out, tmp_path / "c", wheel_dir))
    before = {p.name: sha(p) for p in out.iterdir()}
    broken = make_sdist("probe", "1.0", probe("fail"))
    shutil.copyfile(broken, project.parent / "files" / broken.name)
    kept = project.read_text().split('[[packages]]\nname = "probe"', 1)[0]
    project.write_text(kept + entry("probe", "1.0", sdist=broken))  # now for every platform
    with pytest.raises(
        BuildFailed, match=r"^probe==1.0: probe-1.0.tar.gz \(probe 1.0\): build backend .* failed"
    ):
        build_all(options(project, out, tmp_path / "c", wheel_dir, read_actions=True))
    assert {p.name: sha(p) for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".house")]
    actions = [p for p in (tmp_path / "c" / "actions").iterdir() if not p.name.startswith(".")]
    assert len(actions) == 2  # the two good builds are cached


def test_bad_locks_and_outputs_are_one_line_errors(project: Path, wheel_dir: Path, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and not made by `wheelhouse build`"):
        build_all(options(project, stranger, tmp_path / "c", wheel_dir))
    assert (stranger / "notes.txt").read_text() == "mine"

    broken = tmp_path / "broken.toml"
    broken.write_text(
        "lock-version = '1.0'\ncreated-by = 't'\n[[packages]]\nname = 'x'\nversion = '1'\n"
        "sdist = { path = 'x-1.tar.gz', hashes = { md5 = '00' } }\n"
    )
    with pytest.raises(BuildLockError, match=r"broken.toml: x sdist x-1.tar.gz has no sha256 hash"):
        build_all(options(broken, tmp_path / "o", tmp_path / "c", wheel_dir))
    broken.write_text("this is not toml [")
    with pytest.raises(BuildLockError, match=r"broken.toml: not a readable TOML lock"):
        build_all(options(broken, tmp_path / "o", tmp_path / "c", wheel_dir))

    windows = write_wheel(tmp_path / "w", "ghost", "1.0")
    windows = windows.rename(windows.with_name("ghost-1.0-cp311-cp311-win_amd64.whl"))
    lonely = write_lock(tmp_path / "lonely", [entry("ghost", "1.0", wheel=windows)], [windows])
    with pytest.raises(BuildLockError, match=r"ghost==1.0 has no wheel for this interpreter .* and no sdist"):
        build_all(options(lonely, tmp_path / "o", tmp_path / "c", wheel_dir))
    lonely.write_text(lonely.read_text().split("[[packages]]")[0] + "[[packages]]\nname = 'tree'\n"
                      "directory = { path = 'src' }\n")  # fmt: skip
    with pytest.raises(
        BuildLockError, match=r"package tree comes from a directory source; .* sdists and wheels"
    ):
        build_all(options(lonely, tmp_path / "o", tmp_path / "c", wheel_dir))
    assert not (tmp_path / "o").exists()


def test_missing_build_requirement_names_the_fix(project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MissingBuildRequirement, match=r"^(flit|hatch)pkg==1.0: .*lock-build .*--build-lock"):
        build_all(options(project, tmp_path / "o", tmp_path / "c", empty))
    assert not (tmp_path / "o").exists()


def test_cli_build_then_env_twice_shares_one_installed_tree(
    project: Path, wheel_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = str(tmp_path / "c")
    out = tmp_path / "house"
    assert main(["build", str(project), "-o", str(out), "-f", str(wheel_dir), "-j", "2",
                 "--cache-dir", cache, "-q"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == str(out / "pylock.toml")
    code = (
        "import flitpkg, hatchpkg, plainwheel; print(flitpkg.ANSWER, hatchpkg.GREETING, plainwheel.PAYLOAD)"
    )
    for name in ("env1", "env2"):
        assert main(["env", str(out / "pylock.toml"), str(tmp_path / name), "--cache-dir", cache]) == 0
        assert capsys.readouterr().out.strip() == str(tmp_path / name)
        ran = subprocess.run(
            [str(tmp_path / name / "bin" / "python"), "-c", code], capture_output=True, text=True
        )
        assert ran.stdout.split() == ["42", "hello", "plain"], ran.stderr
    (first,) = (tmp_path / "env1").glob("lib/python*/site-packages/flitpkg/__init__.py")
    (second,) = (tmp_path / "env2").glob("lib/python*/site-packages/flitpkg/__init__.py")
    assert first.stat().st_ino == second.stat().st_ino  # hard links into the one cached tree
    venvs = [p for p in (tmp_path / "c" / "venvs").iterdir() if not p.name.startswith(".")]
    assert len(venvs) == 1
    assert main(["env", str(out / "pylock.toml"), str(tmp_path / "env1"), "--cache-dir", cache]) == 1
    assert "exists and is not empty" in capsys.readouterr().err
