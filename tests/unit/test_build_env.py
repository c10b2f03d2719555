"""Prebuilt build environments (``build_env``, ``--build-env``) and ``wheelhouse compare``."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from wheelhouse import build_wheel
from wheelhouse.cli import main
from wheelhouse.errors import BuildFailed, MissingBuildRequirement, UsageError
from wheelhouse.host.frontend import build_env
from wheelhouse.sandboxed.buildenv import ENV_MANIFEST

from conftest import MakeSdist, quiet, request
from samples import CEXT, FLIT, write_wheel

SETUPTOOLS = "setuptools-*.whl"


def only(directory: Path, pattern: str) -> Path:
    (found,) = sorted(directory.glob(pattern))
    return found


def snapshot(top: Path) -> dict[str, tuple[int, str]]:
    """Every path under ``top``: its mode and, for files, its sha256 (links not followed)."""
    out = {}
    for path in sorted(top.rglob("*")):
        data = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[str(path.relative_to(top))] = (path.lstat().st_mode, data)
    return out


def digest16(wheel: Path, member: str) -> str:
    """How ``compare`` shows a member's hash: the first 16 hex digits of its sha256."""
    with zipfile.ZipFile(wheel) as zf:
        return hashlib.sha256(zf.read(member)).hexdigest()[:16]


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Build logs under tmp_path, never into the real ~/.cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(scope="module")
def setuptools_env(tmp_path_factory: pytest.TempPathFactory, wheel_dir: Path) -> Path:
    """A build environment holding exactly setuptools, made once."""
    out = tmp_path_factory.mktemp("env") / "setuptools"
    dists = build_env(
        [only(wheel_dir, SETUPTOOLS)], [], Path(request(out, wheel_dir).python), out, progress=quiet()
    )
    assert [d.split("==")[0] for d in dists] == ["setuptools"]
    manifest = json.loads((out / ENV_MANIFEST).read_text())
    assert manifest["dists"] == list(dists)
    return out


# --------------------------------------------------------------------------
# Building with a prebuilt environment
# --------------------------------------------------------------------------


def test_prebuilt_environment_builds_the_same_bytes(
    setuptools_env: Path, make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("cext", "1.0", CEXT)
    normal = build_wheel(request(sdist, wheel_dir), tmp_path / "normal", progress=quiet())
    prebuilt = build_wheel(
        request(sdist, wheel_dir, env_dir=setuptools_env), tmp_path / "prebuilt", progress=quiet()
    )
    assert prebuilt.wheel.name == normal.wheel.name
    assert prebuilt.sha256 == normal.sha256, "a prebuilt environment must not change the wheel"
    assert prebuilt.environment == normal.environment


WRITES_ENV = {
    "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["."]\n',
    "PKG-INFO": "Metadata-Version: 2.1\nName: writer\nVersion: 1.0\n",
    "b.py": "import os, sysconfig\n\n\n"
    "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
    "    target = os.path.join(sysconfig.get_paths()['purelib'], 'x')\n"
    "    with open(target, 'w') as f:\n"
    "        f.write('planted by the backend')\n",
}


def test_backend_cannot_write_into_the_environment(
    setuptools_env: Path, make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    before = snapshot(setuptools_env)
    sdist = make_sdist("writer", "1.0", WRITES_ENV)
    with pytest.raises(BuildFailed) as exc:
        build_wheel(request(sdist, wheel_dir, env_dir=setuptools_env), tmp_path / "out", progress=quiet())
    message = str(exc.value)
    assert "\n" not in message
    assert "writer-1.0.tar.gz" in message and "Read-only file system" in message, message
    assert snapshot(setuptools_env) == before, "the environment must be unchanged"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_static_requirement_in_the_environment(
    setuptools_env: Path, make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    with pytest.raises(MissingBuildRequirement) as exc:
        build_wheel(request(sdist, wheel_dir, env_dir=setuptools_env), tmp_path / "out", progress=quiet())
    assert exc.value.requirement == "flit_core>=3.2,<5"
    message = str(exc.value)
    assert "\n" not in message and "flitpkg-1.0.tar.gz" in message and "'flit_core>=3.2,<5'" in message


def test_not_a_build_environment(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"--build-env .*empty: not a build environment made by"):
        build_wheel(request(sdist, wheel_dir, env_dir=tmp_path / "empty"), tmp_path / "out", progress=quiet())


# --------------------------------------------------------------------------
# Refused environments
# --------------------------------------------------------------------------


def test_two_versions_of_one_project(tmp_path: Path, wheel_dir: Path) -> None:
    one = write_wheel(tmp_path / "a", "dup", "1.0")
    two = write_wheel(tmp_path / "b", "dup", "2.0")
    python = request(one, wheel_dir).python
    with pytest.raises(UsageError) as exc:
        build_env([one, two], [], python, tmp_path / "env", progress=quiet())
    message = str(exc.value)
    assert "\n" not in message
    assert "dup-2.0-py3-none-any.whl and dup-1.0-py3-none-any.whl" in message, message
    assert "one version of dup" in message
    assert not (tmp_path / "env").exists()


@pytest.mark.parametrize("kind", ["file", "non-empty directory"])
def test_output_that_exists(tmp_path: Path, wheel_dir: Path, kind: str) -> None:
    out = tmp_path / "env"
    if kind == "file":
        out.write_text("x")
    else:
        (out / "old").mkdir(parents=True)
    wheel = only(wheel_dir, SETUPTOOLS)
    with pytest.raises(UsageError, match=r"^-o .*env: exists; give a new or empty directory$"):
        build_env([wheel], [], request(wheel, wheel_dir).python, out, progress=quiet())


def test_missing_inputs(tmp_path: Path, wheel_dir: Path) -> None:
    python = request(tmp_path, wheel_dir).python
    with pytest.raises(UsageError, match=r"--wheel .*nope\.whl: no such file"):
        build_env([tmp_path / "nope.whl"], [], python, tmp_path / "env", progress=quiet())
    with pytest.raises(UsageError, match=r"--find-links .*nodir: not a directory"):
        build_env([], [tmp_path / "nodir"], python, tmp_path / "env", progress=quiet())


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------


def test_cli_build_env_then_build_wheel_with_it(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    flit_core = only(wheel_dir, "flit_core-*.whl")
    env = tmp_path / "env"
    assert main(["build-env", "--wheel", str(flit_core), "-o", str(env), "-q"]) == 0
    version = flit_core.name.split("-")[1]
    assert capfd.readouterr().out.strip() == f"{env} flit-core=={version}"
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    assert main(["build-wheel", str(sdist), "--build-env", str(env), "-o", str(tmp_path / "a"), "-q"]) == 0
    with_env = capfd.readouterr().out.strip()
    assert main(["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path / "b"), "-q"]) == 0
    normal = capfd.readouterr().out.strip()
    assert with_env.split(" sha256=")[1] == normal.split(" sha256=")[1]
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert capfd.readouterr().out.startswith("identical flitpkg-1.0-py2.py3-none-any.whl sha256=")


def test_cli_build_env_error_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "env" / "x").mkdir(parents=True)
    wheel = write_wheel(tmp_path / "w", "dup", "1.0")
    assert main(["build-env", "--wheel", str(wheel), "-o", str(tmp_path / "env")]) == 1
    err = capfd.readouterr().err.strip()
    assert err == f"wheelhouse: error: -o {tmp_path / 'env'}: exists; give a new or empty directory"


def test_compare_identical_and_different(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    first = write_wheel(tmp_path / "a", "pkg", "1.0", "one")
    same = shutil.copy(first, tmp_path / first.name)
    other = write_wheel(tmp_path / "b", "pkg", "1.0", "two")
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert main(["compare", str(first), str(same)]) == 0
    assert capfd.readouterr().out == f"identical {first.name} sha256={digest}\n"
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capfd.readouterr().out.splitlines()
    assert out[0] == f"DIFFERENT {first.name} vs {other.name}"
    record, module = "pkg-1.0.dist-info/RECORD", "pkg.py"
    assert out[1:] == [
        f"  {record}: 247 vs 247 bytes, sha256 {digest16(first, record)} vs {digest16(other, record)}",
        f"  {module}: 16 vs 16 bytes, sha256 {digest16(first, module)} vs {digest16(other, module)}",
    ]


def test_compare_needs_one_wheel_each(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_wheel(tmp_path / "two", "a", "1.0")
    write_wheel(tmp_path / "two", "b", "1.0")
    assert main(["compare", str(tmp_path / "two"), str(tmp_path / "two")]) == 1
    assert (
        capfd.readouterr().err.strip()
        == f"wheelhouse: error: {tmp_path / 'two'}: expected one .whl file, found 2"
    )
    assert main(["compare", str(tmp_path / "nope.whl"), str(tmp_path / "nope.whl")]) == 1
    assert capfd.readouterr().err.strip() == f"wheelhouse: error: {tmp_path / 'nope.whl'}: no such wheel"
