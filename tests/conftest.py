"""Shared fixtures: the pinned input directories and tiny sdists made in tmp_path."""

from __future__ import annotations

import io
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wheelhouse import BuildRequest
from wheelhouse.progress import QUIET, Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inputs import Inputs, fetch

MakeSdist = Callable[..., Path]

#: A fixed mtime for members of test sdists (2023-11-14).
TEST_MTIME = 1700000000


@pytest.fixture(scope="session")
def inputs() -> Inputs:
    """The real sdists and build-requirement wheels, fetched once per machine."""
    return fetch()


@pytest.fixture(scope="session")
def wheel_dir(inputs: Inputs) -> Path:
    """The ``--find-links`` directory every test build uses."""
    return inputs.wheels


def request(sdist: Path, wheel_dir: Path, **kw: Any) -> BuildRequest:
    """A quiet build of ``sdist`` for this interpreter, with ``wheel_dir`` as --find-links."""
    return BuildRequest(
        sdist=sdist, find_links=(wheel_dir,), python=Path(sys.executable), verbosity=QUIET, **kw
    )


def quiet() -> Progress:
    """Progress that prints nothing."""
    return Progress(verbosity=QUIET)


def write_sdist(
    dest_dir: Path,
    name: str,
    version: str,
    files: dict[str, str | bytes],
    *,
    mtime: int = TEST_MTIME,
    top: str | None = None,
) -> Path:
    """Write ``{name}-{version}.tar.gz`` holding ``files`` under one top directory."""
    top = top or f"{name}-{version}"
    path = dest_dir / f"{name}-{version}.tar.gz"
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for rel, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            info.mtime = mtime
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def make_sdist(tmp_path: Path) -> MakeSdist:
    """Factory: ``make_sdist(name, version, files)`` -> path of a new sdist."""

    def make(name: str, version: str, files: dict[str, str | bytes], **kw: object) -> Path:
        return write_sdist(tmp_path / "sdists", name, version, files, **kw)  # type: ignore[arg-type]

    return make
