"""Tests of wheelhouse.sdist: validating and safely extracting source distributions."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from wheelhouse.errors import BadArchive, NoBuildSystem, UnsafeArchive, WheelhouseError
from wheelhouse.sdist import (
    LEGACY_BUILD_SYSTEM,
    MIN_SOURCE_DATE_EPOCH,
    SdistInfo,
    extract_sdist,
    inspect_sdist,
)

MTIME = 1700000000
PYPROJECT = '[build-system]\nrequires = ["flit_core>=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n'


# --------------------------------------------------------------------------- writers


def tar_member(
    name: str,
    data: bytes = b"",
    *,
    kind: bytes = tarfile.REGTYPE,
    linkname: str = "",
    mtime: int = MTIME,
    mode: int = 0o644,
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mtime = mtime
    info.mode = mode
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], mode: str = "w:gz") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode) as tar:  # type: ignore[call-overload]
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def write_zip(
    path: Path,
    members: dict[str, bytes],
    *,
    date_time: tuple[int, int, int, int, int, int] = (2023, 11, 14, 22, 13, 20),
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = (0o100644 if not name.endswith("/") else 0o040755) << 16
            zf.writestr(info, data)
    return path


def good_tar(
    path: Path, top: str = "demo-1.0", extra: list[tuple[tarfile.TarInfo, bytes]] | None = None
) -> Path:
    members = [
        tar_member(f"{top}/", kind=tarfile.DIRTYPE, mode=0o755),
        tar_member(f"{top}/pyproject.toml", PYPROJECT.encode()),
        tar_member(f"{top}/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
        tar_member(f"{top}/demo/__init__.py", b"X = 1\n"),
    ]
    return write_tar(path, members + (extra or []))


def snapshot(root: Path) -> set[str]:
    """Every path under ``root`` (links not followed)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, n), root))
    return found


def forged_info(sdist: Path, top: str = "demo-1.0") -> SdistInfo:
    """An SdistInfo that pretends the archive was inspected, to test extraction on its own."""
    return SdistInfo(sdist, top, "demo", "1.0", MTIME, dict(LEGACY_BUILD_SYSTEM), True)


# --------------------------------------------------------------------------- bad sdists

BadCase = Callable[[Path], Path]


def case_random_bytes(d: Path) -> Path:
    path = d / "demo-1.0.tar.gz"
    path.write_bytes(os.urandom(4096))
    return path


def case_random_bytes_zip(d: Path) -> Path:
    path = d / "demo-1.0.zip"
    path.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    return path


def case_truncated_targz(d: Path) -> Path:
    src = d / "src" / "demo-1.0.tar.gz"
    big = os.urandom(200_000)  # incompressible, so the cut lands inside member data
    good_tar(src, extra=[tar_member("demo-1.0/blob.bin", big)])
    path = d / "demo-1.0.tar.gz"
    data = src.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    src.unlink()
    src.parent.rmdir()
    return path


def case_truncated_zip(d: Path) -> Path:
    src = write_zip(
        d / "src" / "demo-1.0.zip",
        {"demo-1.0/pyproject.toml": PYPROJECT.encode(), "demo-1.0/blob": os.urandom(50_000)},
    )
    path = d / "demo-1.0.zip"
    data = src.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    src.unlink()
    src.parent.rmdir()
    return path


def case_corrupt_zip_member(d: Path) -> Path:
    path = write_zip(
        d / "demo-1.0.zip",
        {"demo-1.0/pyproject.toml": PYPROJECT.encode(), "demo-1.0/blob": b"A" * 5000},
    )
    data = bytearray(path.read_bytes())
    start = data.find(b"demo-1.0/blob") + len("demo-1.0/blob")
    data[start + 10] ^= 0xFF  # inside the deflated data of the last member
    path.write_bytes(bytes(data))
    return path


def case_dotdot(d: Path) -> Path:
    return good_tar(d / "demo-1.0.tar.gz", extra=[tar_member("demo-1.0/../../evil", b"boom")])


def case_absolute(d: Path) -> Path:
    return good_tar(d / "demo-1.0.tar.gz", extra=[tar_member(str(d / "abs-evil"), b"boom")])


def case_symlink_outside(d: Path) -> Path:
    return good_tar(
        d / "demo-1.0.tar.gz",
        extra=[
            tar_member("demo-1.0/link", kind=tarfile.SYMTYPE, linkname="../../etc/passwd"),
        ],
    )


def case_symlink_then_write_through(d: Path) -> Path:
    return good_tar(
        d / "demo-1.0.tar.gz",
        extra=[
            tar_member("demo-1.0/escape", kind=tarfile.SYMTYPE, linkname="../.."),
            tar_member("demo-1.0/escape/through-link", b"boom"),
        ],
    )


def case_absolute_symlink(d: Path) -> Path:
    return good_tar(
        d / "demo-1.0.tar.gz",
        extra=[tar_member("demo-1.0/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd")],
    )


def case_hardlink_outside(d: Path) -> Path:
    return good_tar(
        d / "demo-1.0.tar.gz",
        extra=[tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="../../etc/passwd")],
    )


def case_device(d: Path) -> Path:
    info, data = tar_member("demo-1.0/dev", kind=tarfile.CHRTYPE)
    info.devmajor, info.devminor = 1, 3
    return good_tar(d / "demo-1.0.tar.gz", extra=[(info, data)])


def case_zip_dotdot(d: Path) -> Path:
    return write_zip(
        d / "demo-1.0.zip",
        {"demo-1.0/pyproject.toml": PYPROJECT.encode(), "demo-1.0/../../evil": b"boom"},
    )


def case_zip_absolute(d: Path) -> Path:
    return write_zip(
        d / "demo-1.0.zip",
        {"demo-1.0/pyproject.toml": PYPROJECT.encode(), str(d / "abs-evil"): b"boom"},
    )


def case_zip_symlink(d: Path) -> Path:
    path = d / "demo-1.0.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("demo-1.0/pyproject.toml", PYPROJECT)
        info = zipfile.ZipInfo("demo-1.0/link")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "../../etc/passwd")
    return path


def case_empty_tar(d: Path) -> Path:
    return write_tar(d / "demo-1.0.tar.gz", [])


def case_empty_file(d: Path) -> Path:
    path = d / "demo-1.0.tar.gz"
    path.write_bytes(b"")
    return path


def case_empty_zip(d: Path) -> Path:
    return write_zip(d / "demo-1.0.zip", {})


def case_two_tops(d: Path) -> Path:
    return write_tar(
        d / "demo-1.0.tar.gz",
        [
            tar_member("demo-1.0/pyproject.toml", PYPROJECT.encode()),
            tar_member("other-2.0/setup.py", b"from setuptools import setup\nsetup()\n"),
        ],
    )


def case_file_at_top(d: Path) -> Path:
    return write_tar(
        d / "demo-1.0.tar.gz",
        [
            tar_member("demo-1.0/pyproject.toml", PYPROJECT.encode()),
            tar_member("README", b"stray file at the top\n"),
        ],
    )


def case_no_build_system(d: Path) -> Path:
    return write_tar(
        d / "demo-1.0.tar.gz",
        [
            tar_member("demo-1.0/README.md", b"hello\n"),
            tar_member("demo-1.0/sub/pyproject.toml", PYPROJECT.encode()),
            tar_member("demo-1.0/sub/setup.py", b"setup()\n"),
        ],
    )


def case_no_build_system_zip(d: Path) -> Path:
    return write_zip(d / "demo-1.0.zip", {"demo-1.0/README.md": b"hello\n"})


def case_invalid_toml(d: Path) -> Path:
    return write_tar(
        d / "demo-1.0.tar.gz",
        [
            tar_member(
                "demo-1.0/pyproject.toml",
                b'[build-system]\nrequires = ["setuptools"\nbuild-backend = oops\n',
            )
        ],
    )


def case_non_utf8_toml(d: Path) -> Path:
    return write_tar(d / "demo-1.0.tar.gz", [tar_member("demo-1.0/pyproject.toml", b"name = '\xff\xfe'\n")])


BAD_CASES: list[tuple[BadCase, type[WheelhouseError]]] = [
    (case_random_bytes, BadArchive),
    (case_random_bytes_zip, BadArchive),
    (case_truncated_targz, BadArchive),
    (case_truncated_zip, BadArchive),
    (case_corrupt_zip_member, BadArchive),
    (case_dotdot, UnsafeArchive),
    (case_absolute, UnsafeArchive),
    (case_symlink_outside, UnsafeArchive),
    (case_symlink_then_write_through, UnsafeArchive),
    (case_absolute_symlink, UnsafeArchive),
    (case_hardlink_outside, UnsafeArchive),
    (case_device, UnsafeArchive),
    (case_zip_dotdot, UnsafeArchive),
    (case_zip_absolute, UnsafeArchive),
    (case_zip_symlink, UnsafeArchive),
    (case_empty_tar, BadArchive),
    (case_empty_file, BadArchive),
    (case_empty_zip, BadArchive),
    (case_two_tops, BadArchive),
    (case_file_at_top, BadArchive),
    (case_no_build_system, NoBuildSystem),
    (case_no_build_system_zip, NoBuildSystem),
    (case_invalid_toml, BadArchive),
    (case_non_utf8_toml, BadArchive),
]


@pytest.mark.parametrize(("make", "error"), BAD_CASES, ids=[c.__name__[5:] for c, _ in BAD_CASES])
def test_bad_sdist_is_refused(tmp_path: Path, make: BadCase, error: type[WheelhouseError]) -> None:
    sdist_dir = tmp_path / "sdists" / "a" / "b"
    sdist_dir.mkdir(parents=True)
    sdist = make(sdist_dir)
    dest = tmp_path / "dest" / "x" / "y"
    before = snapshot(tmp_path)
    with pytest.raises(WheelhouseError) as info:
        inspect_sdist(sdist, dest)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert "\n" not in message
    assert len(message.splitlines()) == 1
    assert sdist.name in message
    assert snapshot(tmp_path) == before  # inspecting writes nothing at all


@pytest.mark.parametrize(("make", "error"), BAD_CASES, ids=[c.__name__[5:] for c, _ in BAD_CASES])
def test_extract_never_writes_outside(tmp_path: Path, make: BadCase, error: type[WheelhouseError]) -> None:
    # Even when called without inspect_sdist, extraction stays inside dest.
    sdist_dir = tmp_path / "sdists" / "a" / "b"
    sdist_dir.mkdir(parents=True)
    sdist = make(sdist_dir)
    dest = tmp_path / "dest" / "x" / "y"
    before = snapshot(tmp_path)
    try:
        extract_sdist(forged_info(sdist), dest)
    except WheelhouseError as exc:
        assert "\n" not in str(exc)
        assert sdist.name in str(exc)
        if error is UnsafeArchive:
            assert isinstance(exc, UnsafeArchive), f"{type(exc).__name__}: {exc}"
    created = snapshot(tmp_path) - before
    outside = {p for p in created if not (tmp_path / p).is_relative_to(tmp_path / "dest")}
    dest_parents = {"dest", os.path.join("dest", "x"), os.path.join("dest", "x", "y")}
    assert outside - dest_parents == set()
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "dest" / "evil").exists()
    assert not (sdist_dir / "abs-evil").exists()
    for path in created:
        full = tmp_path / path
        if full.is_symlink():
            assert full.resolve().is_relative_to(dest.resolve()), path


UNSAFE_TAR_CASES = [
    case_dotdot,
    case_symlink_outside,
    case_symlink_then_write_through,
    case_absolute_symlink,
    case_hardlink_outside,
    case_device,
    case_zip_dotdot,
    case_zip_absolute,
]


@pytest.mark.parametrize("make", UNSAFE_TAR_CASES, ids=[c.__name__[5:] for c in UNSAFE_TAR_CASES])
def test_extract_alone_refuses_unsafe_members(tmp_path: Path, make: BadCase) -> None:
    sdist = make(tmp_path)
    with pytest.raises(UnsafeArchive) as info:
        extract_sdist(forged_info(sdist), tmp_path / "dest")
    assert "\n" not in str(info.value)
    assert sdist.name in str(info.value)


def test_zip_symlink_is_extracted_as_plain_file(tmp_path: Path) -> None:
    sdist = case_zip_symlink(tmp_path)
    dest = tmp_path / "dest"
    extract_sdist(forged_info(sdist), dest)
    link = dest / "demo-1.0" / "link"
    assert not link.is_symlink()
    assert link.read_bytes() == b"../../etc/passwd"


def test_missing_file(tmp_path: Path) -> None:
    sdist = tmp_path / "nope-1.0.tar.gz"
    with pytest.raises(BadArchive) as info:
        inspect_sdist(sdist, tmp_path / "dest")
    assert "nope-1.0.tar.gz" in str(info.value)
    assert not (tmp_path / "dest").exists()


# --------------------------------------------------------------------------- good sdists


def test_name_and_version_from_pkg_info(tmp_path: Path) -> None:
    sdist = write_tar(
        tmp_path / "whatever.tar.gz",
        [
            tar_member("odd-top/pyproject.toml", PYPROJECT.encode()),
            tar_member(
                "odd-top/PKG-INFO",
                b"Metadata-Version: 2.1\nName: My_Fancy.Pkg\nVersion: 2.0.post1\n\nbody\n",
            ),
        ],
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert (info.name, info.version) == ("my-fancy-pkg", "2.0.post1")
    assert info.top == "odd-top"
    assert info.label == "my-fancy-pkg 2.0.post1"
    assert info.has_pyproject
    assert info.path == sdist


def test_nested_pkg_info_is_ignored(tmp_path: Path) -> None:
    sdist = write_tar(
        tmp_path / "real_name-3.1.tar.gz",
        [
            tar_member("real_name-3.1/setup.py", b"setup()\n"),
            tar_member("real_name-3.1/src/x.egg-info/PKG-INFO", b"Name: wrong\nVersion: 9\n"),
        ],
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert (info.name, info.version) == ("real-name", "3.1")


@pytest.mark.parametrize(
    ("filename", "name", "version"),
    [
        ("demo_pkg-1.2.3.tar.gz", "demo-pkg", "1.2.3"),
        ("Demo.Pkg-0.1rc1.tar.gz", "demo-pkg", "0.1rc1"),
        ("demo-2024.1.zip", "demo", "2024.1"),
    ],
)
def test_name_and_version_from_filename(tmp_path: Path, filename: str, name: str, version: str) -> None:
    top = filename.removesuffix(".tar.gz").removesuffix(".zip")
    path = tmp_path / filename
    if filename.endswith(".zip"):
        write_zip(path, {f"{top}/setup.py": b"setup()\n"})
    else:
        write_tar(path, [tar_member(f"{top}/setup.py", b"setup()\n")])
    info = inspect_sdist(path, tmp_path / "dest")
    assert (info.name, info.version) == (name, version)
    assert not info.has_pyproject


def test_name_and_version_from_top_dir(tmp_path: Path) -> None:
    sdist = write_tar(tmp_path / "download.tar.gz", [tar_member("Some_Project-4.5/setup.py", b"setup()\n")])
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert (info.name, info.version) == ("some-project", "4.5")


@pytest.mark.parametrize(
    ("mtimes", "expected"),
    [
        ([MTIME, MTIME + 50, MTIME - 10], MTIME + 50),
        ([0, 0], MIN_SOURCE_DATE_EPOCH),
        ([5, MIN_SOURCE_DATE_EPOCH - 1], MIN_SOURCE_DATE_EPOCH),
        ([MIN_SOURCE_DATE_EPOCH + 1, 7], MIN_SOURCE_DATE_EPOCH + 1),
    ],
)
def test_source_date_epoch(tmp_path: Path, mtimes: list[int], expected: int) -> None:
    members = [tar_member("demo-1.0/setup.py", b"setup()\n", mtime=mtimes[0])]
    members += [tar_member(f"demo-1.0/f{i}.py", b"", mtime=m) for i, m in enumerate(mtimes[1:])]
    info = inspect_sdist(write_tar(tmp_path / "demo-1.0.tar.gz", members), tmp_path / "dest")
    assert info.newest_mtime == max(mtimes)
    assert info.source_date_epoch() == expected


def test_legacy_build_system_without_pyproject(tmp_path: Path) -> None:
    sdist = write_tar(tmp_path / "demo-1.0.tar.gz", [tar_member("demo-1.0/setup.py", b"setup()\n")])
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.build_system == {
        "requires": ["setuptools>=40.8.0", "wheel"],
        "build-backend": "setuptools.build_meta:__legacy__",
    }


def test_legacy_build_system_without_table(tmp_path: Path) -> None:
    sdist = write_tar(
        tmp_path / "demo-1.0.tar.gz",
        [
            tar_member("demo-1.0/setup.py", b"setup()\n"),
            tar_member("demo-1.0/pyproject.toml", b"[tool.black]\nline-length = 100\n"),
        ],
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.has_pyproject
    assert info.build_system["build-backend"] == "setuptools.build_meta:__legacy__"
    assert info.build_system["requires"] == ["setuptools>=40.8.0", "wheel"]
    # Callers may change the table they got without changing the module default.
    info.build_system["requires"].append("mutated")
    assert LEGACY_BUILD_SYSTEM["requires"] == ["setuptools>=40.8.0", "wheel"]


def test_build_system_table(tmp_path: Path) -> None:
    pyproject = (
        b'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'
    )
    sdist = write_tar(tmp_path / "demo-1.0.tar.gz", [tar_member("demo-1.0/pyproject.toml", pyproject)])
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.build_system == {
        "requires": ["hatchling"],
        "build-backend": "backend",
        "backend-path": ["_build"],
    }


def test_build_system_without_backend_uses_legacy_backend(tmp_path: Path) -> None:
    sdist = write_tar(
        tmp_path / "demo-1.0.tar.gz",
        [tar_member("demo-1.0/pyproject.toml", b'[build-system]\nrequires = ["setuptools>=61"]\n')],
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.build_system == {
        "requires": ["setuptools>=61"],
        "build-backend": "setuptools.build_meta:__legacy__",
    }


def test_extract_tar(tmp_path: Path) -> None:
    sdist = good_tar(
        tmp_path / "demo-1.0.tar.gz",
        extra=[
            tar_member("demo-1.0/run.sh", b"#!/bin/sh\n", mode=0o755),
            tar_member("demo-1.0/inner-link", kind=tarfile.SYMTYPE, linkname="demo/__init__.py"),
        ],
    )
    dest = tmp_path / "dest"
    info = inspect_sdist(sdist, dest)
    assert not dest.exists()
    tree = extract_sdist(info, dest)
    assert tree == dest / "demo-1.0"
    assert (tree / "pyproject.toml").read_text() == PYPROJECT
    assert (tree / "demo" / "__init__.py").read_bytes() == b"X = 1\n"
    assert os.access(tree / "run.sh", os.X_OK)
    assert (tree / "inner-link").is_symlink()
    assert (tree / "inner-link").read_bytes() == b"X = 1\n"
    assert sorted(p.name for p in dest.iterdir()) == ["demo-1.0"]


def test_zip_sdist(tmp_path: Path) -> None:
    sdist = write_zip(
        tmp_path / "demo_zip-0.5.zip",
        {
            "demo_zip-0.5/": b"",
            "demo_zip-0.5/pyproject.toml": PYPROJECT.encode(),
            "demo_zip-0.5/PKG-INFO": b"Metadata-Version: 2.1\nName: demo-zip\nVersion: 0.5\n",
            "demo_zip-0.5/pkg/__init__.py": b"Y = 2\n",
        },
        date_time=(2023, 11, 14, 22, 13, 20),
    )
    dest = tmp_path / "dest"
    info = inspect_sdist(sdist, dest)
    assert (info.name, info.version, info.top) == ("demo-zip", "0.5", "demo_zip-0.5")
    assert info.newest_mtime == 1700000000
    assert info.build_system["build-backend"] == "flit_core.buildapi"
    tree = extract_sdist(info, dest)
    assert tree == dest / "demo_zip-0.5"
    assert (tree / "pkg" / "__init__.py").read_bytes() == b"Y = 2\n"
    assert (tree / "pyproject.toml").read_text() == PYPROJECT


def test_zip_sdist_old_dates_clamped(tmp_path: Path) -> None:
    sdist = write_zip(
        tmp_path / "demo-1.0.zip", {"demo-1.0/setup.py": b"setup()\n"}, date_time=(1980, 1, 1, 0, 0, 0)
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.newest_mtime == MIN_SOURCE_DATE_EPOCH
    assert info.source_date_epoch() == MIN_SOURCE_DATE_EPOCH


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "w:"])
def test_tar_compressions(tmp_path: Path, mode: str) -> None:
    suffix = {"w:gz": ".tar.gz", "w:bz2": ".tar.bz2", "w:xz": ".tar.xz", "w:": ".tar"}[mode]
    sdist = write_tar(
        tmp_path / f"demo-1.0{suffix}", [tar_member("demo-1.0/pyproject.toml", PYPROJECT.encode())], mode
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.top == "demo-1.0"
    assert (extract_sdist(info, tmp_path / "dest") / "pyproject.toml").is_file()


def test_dot_slash_prefixed_tar(tmp_path: Path) -> None:
    sdist = write_tar(
        tmp_path / "demo-1.0.tar.gz",
        [
            tar_member(".", kind=tarfile.DIRTYPE, mode=0o755),
            tar_member("./demo-1.0/pyproject.toml", PYPROJECT.encode()),
            tar_member("./demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
        ],
    )
    info = inspect_sdist(sdist, tmp_path / "dest")
    assert info.top == "demo-1.0"
    assert info.build_system["build-backend"] == "flit_core.buildapi"
    tree = extract_sdist(info, tmp_path / "dest")
    assert (tree / "pyproject.toml").read_text() == PYPROJECT
