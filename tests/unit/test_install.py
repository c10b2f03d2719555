"""``wheelhouse install``: wheels into a self-contained tree, atomically."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wheelhouse import BuildRequest, build_wheel
from wheelhouse.cli import main
from wheelhouse.progress import QUIET, Progress

from conftest import MakeSdist
from samples import CEXT, FLIT


def _build(sdist: Path, wheel_dir: Path, out: Path) -> Path:
    req = BuildRequest(sdist=sdist, find_links=(wheel_dir,), python=Path(sys.executable), verbosity=QUIET)
    return build_wheel(req, out, progress=Progress(verbosity=QUIET)).wheel


def test_install_tree_from_files_and_directories(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cext = _build(make_sdist("cext", "1.0", CEXT), wheel_dir, tmp_path / "w1")
    _build(make_sdist("flitpkg", "1.0", FLIT), wheel_dir, tmp_path / "w2")
    dest = tmp_path / "tree"
    assert main(["install", "--dest", str(dest), str(cext), str(tmp_path / "w2")]) == 0
    assert capfd.readouterr().out.strip() == str(dest / "site-packages")
    assert not list(dest.rglob("*.pyc"))  # no bytecode: the tree depends only on the wheels
    code = "import cext, flitpkg; print(cext.add(1, 2), flitpkg.ANSWER)"
    out = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(dest / 'site-packages')!r}); {code}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["3", "42"]


def test_overlapping_wheels_fail_and_leave_nothing(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    wheel = _build(make_sdist("flitpkg", "1.0", FLIT), wheel_dir, tmp_path / "w")
    dest = tmp_path / "tree"
    assert main(["install", "--dest", str(dest), str(wheel), str(wheel)]) == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "flitpkg/__init__.py" in err[0]
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["sdists", "w"]


def test_corrupt_wheel_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    assert main(["install", "--dest", str(tmp_path / "tree"), str(bad)]) == 1
    assert str(bad) in capfd.readouterr().err
    assert not (tmp_path / "tree").exists()
