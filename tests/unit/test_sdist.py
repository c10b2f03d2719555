"""Tests of wheelhouse.sdist: validating and safely extracting source distributions."""

from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import struct
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from wheelhouse.errors import BadArchive, LimitExceeded, NoBuildSystem, UnsafeArchive, WheelhouseError
from wheelhouse.sdist import (
    DEFAULT_MAX_BYTES,
    LEGACY_BUILD_SYSTEM,
    MAX_SOURCE_DATE_EPOCH,
    MIN_SOURCE_DATE_EPOCH,
    ExtractLimits,
    SdistInfo,
    clamp_epoch,
    extract_sdist,
    inspect_sdist,
    valid_project_name,
)

MTIME = 1700000000
PYPROJECT = '[build-system]\nrequires = ["flit_core>=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n'
PKG_INFO = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"


# --------------------------------------------------------------------------- writers


def tar_member(
    name: str,
    data: bytes = b"",
    *,
    kind: bytes = tarfile.REGTYPE,
    linkname: str = "",
    mtime: float = MTIME,
    mode: int = 0o644,
    pax: dict[str, str] | None = None,
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mtime = mtime
    info.mode = mode
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.pax_headers = dict(pax or {})
    return info, data


def write_tar(
    path: Path,
    members: list[tuple[tarfile.TarInfo, bytes]],
    mode: str = "w:gz",
    fmt: int = tarfile.PAX_FORMAT,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode, format=fmt) as tar:  # type: ignore[call-overload]
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def write_zip(
    path: Path,
    members: dict[str, bytes],
    *,
    date_time: tuple[int, int, int, int, int, int] = (2023, 11, 14, 22, 13, 20),
    modes: dict[str, int] | None = None,
) -> Path:
    """A zip of ``members``; ``modes`` gives a member's full ``st_mode`` (default 0o100644 / 0o040755)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            default = 0o100644 if not name.endswith("/") else 0o040755
            info.external_attr = (modes or {}).get(name, default) << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def good_members(top: str = "demo-1.0") -> list[tuple[tarfile.TarInfo, bytes]]:
    return [
        tar_member(f"{top}/", kind=tarfile.DIRTYPE, mode=0o755),
        tar_member(f"{top}/pyproject.toml", PYPROJECT.encode()),
        tar_member(f"{top}/PKG-INFO", PKG_INFO),
        tar_member(f"{top}/demo/__init__.py", b"X = 1\n"),
    ]


def good_tar(
    path: Path, top: str = "demo-1.0", extra: list[tuple[tarfile.TarInfo, bytes]] | None = None
) -> Path:
    return write_tar(path, good_members(top) + (extra or []))


def snapshot(root: Path) -> set[str]:
    """Every path under ``root`` (links not followed)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, n), root))
    return found


def written_bytes(root: Path) -> int:
    """Bytes of the regular files under ``root`` (0 if it does not exist)."""
    total = 0
    for dirpath, _, filenames in os.walk(root):
        for n in filenames:
            st_ = os.lstat(os.path.join(dirpath, n))
            if stat.S_ISREG(st_.st_mode):
                total += st_.st_size
    return total


def forged_info(sdist: Path, top: str = "demo-1.0") -> SdistInfo:
    """An SdistInfo that pretends the archive was inspected, to test extraction on its own."""
    return SdistInfo(sdist, top, "demo", "1.0", MTIME, dict(LEGACY_BUILD_SYSTEM), True)


def check_message(error: WheelhouseError, sdist: Path) -> None:
    """Messages are one line that names the sdist."""
    message = str(error)
    assert "\n" not in message
    assert sdist.name in message, message


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


def extra_tar(d: Path, *extra: tuple[tarfile.TarInfo, bytes], fmt: int = tarfile.PAX_FORMAT) -> Path:
    """The good sdist plus ``extra`` members."""
    return write_tar(d / "demo-1.0.tar.gz", good_members() + list(extra), fmt=fmt)


def case_dotdot(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/../../evil", b"boom"))


def case_dotdot_back_inside(d: Path) -> Path:
    # Lands inside once normalized, but a name with ".." is never a real sdist's.
    return extra_tar(d, tar_member("demo-1.0/../demo-1.0/evil.py", b"boom"))


def case_absolute(d: Path) -> Path:
    return extra_tar(d, tar_member(str(d / "abs-evil"), b"boom"))


def case_backslash(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0\\..\\..\\evil", b"boom"))


def case_nul_in_name(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/x", b"boom", pax={"path": "demo-1.0/a\0/../../evil"}))


def case_drive_letter(d: Path) -> Path:
    return extra_tar(d, tar_member("C:evil", b"boom"))


def case_dot_as_file(d: Path) -> Path:
    return extra_tar(d, tar_member(".", b"boom"))


def case_symlink_outside(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/link", kind=tarfile.SYMTYPE, linkname="../../etc/passwd"))


def case_symlink_then_write_through(d: Path) -> Path:
    return extra_tar(
        d,
        tar_member("demo-1.0/escape", kind=tarfile.SYMTYPE, linkname="../.."),
        tar_member("demo-1.0/escape/through-link", b"boom"),
    )


def case_symlink_inside_then_write_through(d: Path) -> Path:
    # The link itself is harmless; writing through it is not (it could be replaced meanwhile).
    return extra_tar(
        d,
        tar_member("demo-1.0/alias", kind=tarfile.SYMTYPE, linkname="demo"),
        tar_member("demo-1.0/alias/evil.py", b"boom"),
    )


def case_symlink_chain_escape(d: Path) -> Path:
    # "a/b/l/../.." stays inside when read as text, but a/b/l is itself a link to the top,
    # so x really points at the parent of the extraction directory.
    return extra_tar(
        d,
        tar_member("demo-1.0/a/", kind=tarfile.DIRTYPE, mode=0o755),
        tar_member("demo-1.0/a/b/", kind=tarfile.DIRTYPE, mode=0o755),
        tar_member("demo-1.0/a/b/l", kind=tarfile.SYMTYPE, linkname="../.."),
        tar_member("demo-1.0/x", kind=tarfile.SYMTYPE, linkname="a/b/l/../.."),
    )


def case_absolute_symlink(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd"))


def case_dir_over_symlink(d: Path) -> Path:
    return extra_tar(
        d,
        tar_member("demo-1.0/d", kind=tarfile.SYMTYPE, linkname="demo"),
        tar_member("demo-1.0/d/", kind=tarfile.DIRTYPE, mode=0o755),
    )


def case_symlink_over_dir(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/demo", kind=tarfile.SYMTYPE, linkname="."))


def case_file_over_dir(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/demo", b"was a directory"))


def case_hardlink_outside(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="../../etc/passwd"))


def case_hardlink_absolute(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="/demo-1.0/PKG-INFO"))


def case_hardlink_to_later(d: Path) -> Path:
    return extra_tar(
        d,
        tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="demo-1.0/later.py"),
        tar_member("demo-1.0/later.py", b"later\n"),
    )


def case_hardlink_to_nothing(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="demo-1.0/nope.py"))


def case_hardlink_to_symlink(d: Path) -> Path:
    return extra_tar(
        d,
        tar_member("demo-1.0/soft", kind=tarfile.SYMTYPE, linkname="demo/__init__.py"),
        tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="demo-1.0/soft"),
    )


def case_hardlink_to_dir(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/hard", kind=tarfile.LNKTYPE, linkname="demo-1.0/demo"))


def case_device(d: Path) -> Path:
    info, data = tar_member("demo-1.0/dev", kind=tarfile.CHRTYPE)
    info.devmajor, info.devminor = 1, 3
    return extra_tar(d, (info, data))


def case_block_device(d: Path) -> Path:
    info, data = tar_member("demo-1.0/disk", kind=tarfile.BLKTYPE)
    info.devmajor, info.devminor = 8, 0
    return extra_tar(d, (info, data))


def case_fifo(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/pipe", kind=tarfile.FIFOTYPE))


def case_sparse(d: Path) -> Path:
    return extra_tar(d, tar_member("demo-1.0/holes", kind=tarfile.GNUTYPE_SPARSE), fmt=tarfile.GNU_FORMAT)


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


def case_zip_fifo(d: Path) -> Path:
    return write_zip(
        d / "demo-1.0.zip",
        {"demo-1.0/pyproject.toml": PYPROJECT.encode(), "demo-1.0/pipe": b""},
        modes={"demo-1.0/pipe": 0o010644},
    )


def case_zip_file_under_file(d: Path) -> Path:
    return write_zip(
        d / "demo-1.0.zip",
        {"demo-1.0/pyproject.toml": PYPROJECT.encode(), "demo-1.0/a": b"file", "demo-1.0/a/b": b"under it"},
    )


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
    (case_dotdot_back_inside, UnsafeArchive),
    (case_absolute, UnsafeArchive),
    (case_backslash, UnsafeArchive),
    (case_nul_in_name, UnsafeArchive),
    (case_drive_letter, UnsafeArchive),
    (case_dot_as_file, UnsafeArchive),
    (case_symlink_outside, UnsafeArchive),
    (case_symlink_then_write_through, UnsafeArchive),
    (case_symlink_inside_then_write_through, UnsafeArchive),
    (case_symlink_chain_escape, UnsafeArchive),
    (case_absolute_symlink, UnsafeArchive),
    (case_dir_over_symlink, UnsafeArchive),
    (case_symlink_over_dir, UnsafeArchive),
    (case_file_over_dir, UnsafeArchive),
    (case_hardlink_outside, UnsafeArchive),
    (case_hardlink_absolute, UnsafeArchive),
    (case_hardlink_to_later, UnsafeArchive),
    (case_hardlink_to_nothing, UnsafeArchive),
    (case_hardlink_to_symlink, UnsafeArchive),
    (case_hardlink_to_dir, UnsafeArchive),
    (case_device, UnsafeArchive),
    (case_block_device, UnsafeArchive),
    (case_fifo, UnsafeArchive),
    (case_sparse, UnsafeArchive),
    (case_zip_dotdot, UnsafeArchive),
    (case_zip_absolute, UnsafeArchive),
    (case_zip_symlink, UnsafeArchive),
    (case_zip_fifo, UnsafeArchive),
    (case_zip_file_under_file, UnsafeArchive),
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


def case_id(make: BadCase) -> str:
    return make.__name__.removeprefix("case_")


@pytest.mark.parametrize(("make", "error"), BAD_CASES, ids=[case_id(c) for c, _ in BAD_CASES])
def test_bad_sdist_is_refused(tmp_path: Path, make: BadCase, error: type[WheelhouseError]) -> None:
    sdist_dir = tmp_path / "sdists" / "a" / "b"
    sdist_dir.mkdir(parents=True)
    sdist = make(sdist_dir)
    before = snapshot(tmp_path)
    with pytest.raises(WheelhouseError) as info:
        inspect_sdist(sdist)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    check_message(info.value, sdist)
    assert snapshot(tmp_path) == before  # inspecting writes nothing at all


@pytest.mark.parametrize(("make", "error"), BAD_CASES, ids=[case_id(c) for c, _ in BAD_CASES])
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
        check_message(exc, sdist)
        if error is UnsafeArchive:
            assert isinstance(exc, UnsafeArchive), f"{type(exc).__name__}: {exc}"
    created = snapshot(tmp_path) - before
    outside = {p for p in created if not (tmp_path / p).is_relative_to(tmp_path / "dest")}
    dest_parents = {"dest", os.path.join("dest", "x"), os.path.join("dest", "x", "y")}
    assert outside - dest_parents == set()
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "dest" / "evil").exists()
    assert not (sdist_dir / "abs-evil").exists()
    assert not (dest / "demo-1.0" / "demo" / "evil.py").exists()  # not even through a link inside
    for path in created:
        full = tmp_path / path
        if full.is_symlink():
            assert full.resolve().is_relative_to(dest.resolve()), path


UNSAFE_CASES = [make for make, error in BAD_CASES if error is UnsafeArchive]


@pytest.mark.parametrize("make", UNSAFE_CASES, ids=[case_id(c) for c in UNSAFE_CASES])
def test_extract_alone_refuses_unsafe_members(tmp_path: Path, make: BadCase) -> None:
    sdist = make(tmp_path)
    with pytest.raises(UnsafeArchive) as info:
        extract_sdist(forged_info(sdist), tmp_path / "dest")
    check_message(info.value, sdist)


def test_missing_file(tmp_path: Path) -> None:
    sdist = tmp_path / "nope-1.0.tar.gz"
    with pytest.raises(BadArchive) as info:
        inspect_sdist(sdist)
    check_message(info.value, sdist)


# --------------------------------------------------------------------------- limits


def many_members(path: Path, count: int) -> Path:
    """An sdist of exactly ``count`` members."""
    files = {"demo-1.0/pyproject.toml": PYPROJECT.encode()}
    files |= {f"demo-1.0/m{i}.py": b"" for i in range(count - 1)}
    if path.name.endswith(".zip"):
        return write_zip(path, files)
    return write_tar(path, [tar_member(name, data) for name, data in files.items()])


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_member_limit(tmp_path: Path, suffix: str) -> None:
    sdist = many_members(tmp_path / f"demo-1.0{suffix}", 10)
    at_limit = ExtractLimits(max_members=10)
    assert inspect_sdist(sdist, at_limit).members == 10
    extract_sdist(forged_info(sdist), tmp_path / "ok", at_limit)
    below = ExtractLimits(max_members=9)
    with pytest.raises(LimitExceeded) as info:
        inspect_sdist(sdist, below)
    check_message(info.value, sdist)
    assert "--max-members" in str(info.value)
    with pytest.raises(LimitExceeded) as info:
        extract_sdist(forged_info(sdist), tmp_path / "dest", below)
    assert "--max-members" in str(info.value)
    assert len(snapshot(tmp_path / "dest")) <= 9 + 1  # members written before the tenth, plus the top


BOMB_SIZE = 30 << 20
BOMB_LIMITS = ExtractLimits(max_bytes=10 << 20)


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_decompression_bomb(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"demo-1.0{suffix}"
    if suffix == ".zip":
        sdist = write_zip(path, {"demo-1.0/setup.py": b"setup()\n", "demo-1.0/zeros": bytes(BOMB_SIZE)})
    else:
        sdist = good_tar(path, extra=[tar_member("demo-1.0/zeros", bytes(BOMB_SIZE))])
    assert sdist.stat().st_size < 100_000  # a real bomb: 30 MB of zeros, compressed small
    with pytest.raises(LimitExceeded) as info:
        inspect_sdist(sdist, BOMB_LIMITS)
    check_message(info.value, sdist)
    assert "--max-extract-bytes" in str(info.value)
    dest = tmp_path / "dest"
    with pytest.raises(LimitExceeded) as info:
        extract_sdist(forged_info(sdist), dest, BOMB_LIMITS)
    check_message(info.value, sdist)
    assert "--max-extract-bytes" in str(info.value)
    assert written_bytes(dest) <= BOMB_LIMITS.max_bytes


def test_hard_link_copies_count_against_the_byte_limit(tmp_path: Path) -> None:
    # Hard links are extracted as copies: 1 MiB and twenty links to it unpack to 21 MiB.
    links = [
        tar_member(f"demo-1.0/copy{i}", kind=tarfile.LNKTYPE, linkname="demo-1.0/big") for i in range(20)
    ]
    sdist = good_tar(tmp_path / "demo-1.0.tar.gz", extra=[tar_member("demo-1.0/big", bytes(1 << 20)), *links])
    with pytest.raises(LimitExceeded) as info:
        inspect_sdist(sdist, BOMB_LIMITS)
    assert "--max-extract-bytes" in str(info.value)
    dest = tmp_path / "dest"
    with pytest.raises(LimitExceeded):
        extract_sdist(forged_info(sdist), dest, BOMB_LIMITS)
    assert written_bytes(dest) <= BOMB_LIMITS.max_bytes
    assert inspect_sdist(sdist).size > 21 << 20


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz"])
def test_huge_member_is_refused_at_its_header(tmp_path: Path, suffix: str) -> None:
    # The header declares 3 GiB, and the file ends right after it: reading any of the data
    # would fail with a truncated archive, so LimitExceeded proves nothing was read.
    info = tarfile.TarInfo("demo-1.0/huge.bin")
    info.size = 3 << 30
    info.mtime = MTIME
    header = info.tobuf(tarfile.PAX_FORMAT)
    sdist = tmp_path / f"demo-1.0{suffix}"
    sdist.write_bytes(gzip.compress(header) if suffix == ".tar.gz" else header)
    assert info.size > DEFAULT_MAX_BYTES
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as error:
        inspect_sdist(sdist)  # the default limits
    assert time.monotonic() - started < 10
    check_message(error.value, sdist)
    assert "--max-extract-bytes" in str(error.value)
    dest = tmp_path / "dest"
    with pytest.raises(LimitExceeded):
        extract_sdist(forged_info(sdist), dest)
    assert written_bytes(dest) == 0


def patch_zip_member(path: Path, name: str, *, size: int, crc: int | None) -> None:
    """Make the local and central headers of ``name`` declare ``size`` (and ``crc``)."""
    with zipfile.ZipFile(path) as zf:
        local = zf.getinfo(name).header_offset
        central = zf.start_dir
    raw = bytearray(path.read_bytes())
    while raw[central : central + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", raw, central + 28)
        if raw[central + 46 : central + 46 + name_len] == name.encode():
            struct.pack_into("<I", raw, central + 24, size)
            if crc is not None:
                struct.pack_into("<I", raw, central + 16, crc)
        central += 46 + name_len + extra_len + comment_len
    assert raw[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", raw, local + 22, size)
    if crc is not None:
        struct.pack_into("<I", raw, local + 14, crc)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("crc", ["of-all-data", "of-declared-data"])
def test_zip_whose_headers_lie_about_sizes(tmp_path: Path, crc: str) -> None:
    real, declared = bytes(5 << 20), 1000
    sdist = write_zip(tmp_path / "demo-1.0.zip", {"demo-1.0/setup.py": b"setup()\n", "demo-1.0/blob": real})
    fixed_crc = zlib.crc32(real[:declared]) if crc == "of-declared-data" else None
    patch_zip_member(sdist, "demo-1.0/blob", size=declared, crc=fixed_crc)
    limits = ExtractLimits(max_bytes=1 << 20)  # far below the real size
    dest = tmp_path / "dest"
    if fixed_crc is None:
        with pytest.raises(BadArchive) as info:  # inspect reads every member to its end
            inspect_sdist(sdist, limits)
        check_message(info.value, sdist)
        with pytest.raises((BadArchive, LimitExceeded)) as error:  # capped, or failed cleanly
            extract_sdist(forged_info(sdist), dest, limits)
        check_message(error.value, sdist)
    else:
        extracted = extract_sdist(inspect_sdist(sdist, limits), dest, limits)
        assert (extracted / "blob").read_bytes() == bytes(declared)
    blob = dest / "demo-1.0" / "blob"
    assert not blob.exists() or blob.stat().st_size <= declared
    assert written_bytes(dest) <= limits.max_bytes


# --------------------------------------------------------------------------- no tarfile filters

#: What Debian bookworm's Python 3.11.2 lacks (the extraction filters came in 3.11.4).
FILTER_API = [
    "data_filter",
    "tar_filter",
    "fully_trusted_filter",
    "FilterError",
    "AbsolutePathError",
    "OutsideDestinationError",
    "SpecialFileError",
    "AbsoluteLinkError",
    "LinkOutsideDestinationError",
]


@pytest.fixture
def tarfile_of_python_3_11_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tarfile`` without its extraction filters; extracting through it at all is an error."""
    for name in FILTER_API:  # absent already on Python < 3.11.4 (Debian bookworm's 3.11.2)
        monkeypatch.delattr(tarfile, name, raising=False)
    monkeypatch.delattr(tarfile.TarFile, "extraction_filter", raising=False)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extract_sdist must write the members itself")

    monkeypatch.setattr(tarfile.TarFile, "extract", refuse)
    monkeypatch.setattr(tarfile.TarFile, "extractall", refuse)


@pytest.mark.usefixtures("tarfile_of_python_3_11_2")
def test_works_without_tarfile_filters(tmp_path: Path) -> None:
    assert not hasattr(tarfile, "data_filter")
    sdist = good_tar(
        tmp_path / "demo-1.0.tar.gz",
        extra=[tar_member("demo-1.0/inner-link", kind=tarfile.SYMTYPE, linkname="demo/__init__.py")],
    )
    tree = extract_sdist(inspect_sdist(sdist), tmp_path / "dest")
    assert (tree / "pyproject.toml").read_text() == PYPROJECT
    assert (tree / "inner-link").is_symlink()
    assert (tree / "inner-link").read_bytes() == b"X = 1\n"


@pytest.mark.usefixtures("tarfile_of_python_3_11_2")
@pytest.mark.parametrize("make", [case_dotdot, case_symlink_outside, case_device], ids=case_id)
def test_refuses_traversal_without_tarfile_filters(tmp_path: Path, make: BadCase) -> None:
    sdist_dir = tmp_path / "sdists"
    sdist_dir.mkdir()
    sdist = make(sdist_dir)
    with pytest.raises(UnsafeArchive):
        inspect_sdist(sdist)
    with pytest.raises(UnsafeArchive):
        extract_sdist(forged_info(sdist), tmp_path / "dest")
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "dest" / "demo-1.0" / "link").exists()


# --------------------------------------------------------------------------- names and versions


def metadata_sdist(directory: Path, filename: str, top: str, pkg_info: bytes | None) -> Path:
    members = [tar_member(f"{top}/setup.py", b"setup()\n")]
    if pkg_info is not None:
        members.append(tar_member(f"{top}/PKG-INFO", b"Metadata-Version: 2.1\n" + pkg_info))
    return write_tar(directory / filename, members)


@pytest.mark.parametrize(
    ("filename", "top", "pkg_info", "expected"),
    [
        pytest.param(
            "demo-1.0.tar.gz",
            "demo-1.0",
            b"Name: demo\nVersion: 1.0/../../../evil\n",
            "PEP 440",
            id="pkg-info-version-with-path",
        ),
        pytest.param(
            "demo-1.0.tar.gz",
            "demo-1.0",
            b"Name: ../../evil\nVersion: 1.0\n",
            "PEP 508",
            id="pkg-info-name-path",
        ),
        pytest.param(
            "demo-1.0.tar.gz",
            "demo-1.0",
            b"Name: demo evil\nVersion: 1.0\n",
            "PEP 508",
            id="pkg-info-name-blank",
        ),
        pytest.param(
            "demo-1.0.tar.gz",
            "demo-1.0",
            b"Name: demo\nVersion: 1.0 2.0\n",
            "PEP 440",
            id="pkg-info-version-blank",
        ),
        pytest.param("demo-latest.tar.gz", "demo-latest", None, "PEP 440", id="file-name-version"),
        pytest.param("demo-1.0 .tar.gz", "demo-1.0 ", None, "PEP 440", id="file-name-version-trailing-blank"),
        pytest.param("demo\n-1.0.tar.gz", "demo\n-1.0", None, "PEP 508", id="file-name-newline"),
        pytest.param("download.tar.gz", "download", None, "PEP 508", id="file-name-without-version"),
    ],
)
def test_invalid_name_or_version_is_refused(
    tmp_path: Path, filename: str, top: str, pkg_info: bytes | None, expected: str
) -> None:
    sdist = metadata_sdist(tmp_path, filename, top, pkg_info)
    with pytest.raises(BadArchive) as info:
        inspect_sdist(sdist)
    message = str(info.value)
    assert expected in message
    assert str(tmp_path) in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("filename", "top", "pkg_info", "name", "version"),
    [
        pytest.param(
            "whatever.tar.gz",
            "x",
            b"Name: A.b_C-d\nVersion: 1!2.0.post1.dev3+local.7\n",
            "a-b-c-d",
            "1!2.0.post1.dev3+local.7",
            id="pkg-info",
        ),
        pytest.param(
            "zope.interface-1!2.0.post1.dev3+local.7.tar.gz",
            "zope.interface-1!2.0.post1.dev3+local.7",
            None,
            "zope-interface",
            "1!2.0.post1.dev3+local.7",
            id="file-name",
        ),
        pytest.param("download.tar.gz", "Demo_Pkg-v1.0rc1", None, "demo-pkg", "v1.0rc1", id="top-directory"),
        pytest.param("x.tar.gz", "x", b"Name: Z\nVersion: 0\n", "z", "0", id="one-character"),
    ],
)
def test_odd_but_valid_name_and_version(
    tmp_path: Path, filename: str, top: str, pkg_info: bytes | None, name: str, version: str
) -> None:
    info = inspect_sdist(metadata_sdist(tmp_path, filename, top, pkg_info))
    assert (info.name, info.version) == (name, version)


metadata_text = st.text(alphabet="aZ09.-_+!/\\ \t\n:\0", max_size=12)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=metadata_text, version=metadata_text)
def test_accepted_name_and_version_are_safe_in_file_names(name: str, version: str) -> None:
    pkg_info = f"Name: {name}\nVersion: {version}\n".encode()
    with tempfile.TemporaryDirectory() as tmp:
        sdist = metadata_sdist(Path(tmp), "demo-1.0.tar.gz", "demo-1.0", pkg_info)
        try:
            info = inspect_sdist(sdist)
        except BadArchive as exc:
            assert "PEP 508" in str(exc) or "PEP 440" in str(exc)
            return
    assert valid_project_name(info.name)
    Version(info.version)
    for part in (info.name, info.version):
        assert not set(part) & set("/\\ \t\n\r\0:"), part
        assert not part.startswith(".")


# --------------------------------------------------------------------------- epochs


@pytest.mark.parametrize(
    ("mtimes", "expected"),
    [
        ([MTIME, MTIME + 50, MTIME - 10], MTIME + 50),
        ([0, 0], MIN_SOURCE_DATE_EPOCH),
        ([5, MIN_SOURCE_DATE_EPOCH - 1], MIN_SOURCE_DATE_EPOCH),
        ([MIN_SOURCE_DATE_EPOCH + 1, 7], MIN_SOURCE_DATE_EPOCH + 1),
        ([MTIME, MAX_SOURCE_DATE_EPOCH], MAX_SOURCE_DATE_EPOCH),
        ([MTIME, MAX_SOURCE_DATE_EPOCH + 1], MAX_SOURCE_DATE_EPOCH),
        ([MTIME, 2**33], MAX_SOURCE_DATE_EPOCH),
    ],
)
def test_source_date_epoch(tmp_path: Path, mtimes: list[int], expected: int) -> None:
    members = [tar_member("demo-1.0/setup.py", b"setup()\n", mtime=mtimes[0])]
    members += [tar_member(f"demo-1.0/f{i}.py", b"", mtime=m) for i, m in enumerate(mtimes[1:])]
    info = inspect_sdist(write_tar(tmp_path / "demo-1.0.tar.gz", members))
    assert info.newest_mtime == max(mtimes)
    assert info.source_date_epoch() == expected


def test_member_dated_after_2107(tmp_path: Path) -> None:
    sdist = good_tar(tmp_path / "demo-1.0.tar.gz", extra=[tar_member("demo-1.0/future.py", b"", mtime=2**33)])
    info = inspect_sdist(sdist)
    assert info.source_date_epoch() == MAX_SOURCE_DATE_EPOCH
    tree = extract_sdist(info, tmp_path / "dest")
    assert os.lstat(tree / "future.py").st_mtime == MAX_SOURCE_DATE_EPOCH
    assert os.lstat(tree / "pyproject.toml").st_mtime == MTIME


@pytest.mark.parametrize("mtime", ["inf", "-inf", "nan", "1e400", "-1e300", "99999999999999999999"])
def test_unreal_pax_mtime(tmp_path: Path, mtime: str) -> None:
    sdist = good_tar(
        tmp_path / "demo-1.0.tar.gz", extra=[tar_member("demo-1.0/odd.py", pax={"mtime": mtime})]
    )
    info = inspect_sdist(sdist)
    assert MIN_SOURCE_DATE_EPOCH <= info.source_date_epoch() <= MAX_SOURCE_DATE_EPOCH
    tree = extract_sdist(info, tmp_path / "dest")
    assert 0 <= os.lstat(tree / "odd.py").st_mtime <= MAX_SOURCE_DATE_EPOCH


def test_epoch_bounds_are_what_a_zip_holds() -> None:
    assert time.gmtime(MIN_SOURCE_DATE_EPOCH)[:6] == (1980, 1, 1, 0, 0, 0)
    assert time.gmtime(MAX_SOURCE_DATE_EPOCH)[:6] == (2107, 12, 31, 23, 59, 58)


@settings(max_examples=100, deadline=None, database=None)
@given(epoch=st.integers(min_value=-(2**63), max_value=2**63))
def test_clamped_epoch_fits_a_zip(epoch: int) -> None:
    clamped = clamp_epoch(epoch)
    assert MIN_SOURCE_DATE_EPOCH <= clamped <= MAX_SOURCE_DATE_EPOCH
    if MIN_SOURCE_DATE_EPOCH <= epoch <= MAX_SOURCE_DATE_EPOCH:
        assert clamped == epoch
    date_time = time.gmtime(clamped)[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("x", date_time=date_time), b"")
    with zipfile.ZipFile(buf) as zf:
        stored = zf.getinfo("x").date_time
    assert stored[:5] == date_time[:5]
    assert stored[5] == date_time[5] // 2 * 2  # zip keeps even seconds


# --------------------------------------------------------------------------- links


def test_symlinks_inside_are_extracted_as_symlinks(tmp_path: Path) -> None:
    sdist = good_tar(
        tmp_path / "demo-1.0.tar.gz",
        extra=[
            tar_member("demo-1.0/docs/", kind=tarfile.DIRTYPE, mode=0o755),
            tar_member("demo-1.0/docs/readme", kind=tarfile.SYMTYPE, linkname="../demo/__init__.py"),
            tar_member("demo-1.0/docs/top", kind=tarfile.SYMTYPE, linkname=".."),
            tar_member("demo-1.0/dangling", kind=tarfile.SYMTYPE, linkname="not/yet"),
        ],
    )
    tree = extract_sdist(inspect_sdist(sdist), tmp_path / "dest")
    assert os.readlink(tree / "docs" / "readme") == "../demo/__init__.py"
    assert (tree / "docs" / "readme").read_bytes() == b"X = 1\n"
    assert os.readlink(tree / "docs" / "top") == ".."
    assert os.readlink(tree / "dangling") == "not/yet"


def test_symlink_inside_is_not_written_through(tmp_path: Path) -> None:
    sdist = case_symlink_inside_then_write_through(tmp_path)
    with pytest.raises(UnsafeArchive) as info:
        inspect_sdist(sdist)
    assert "demo-1.0/alias/evil.py" in str(info.value)
    assert "'demo-1.0/alias'" in str(info.value)
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchive):
        extract_sdist(forged_info(sdist), dest)
    assert not (dest / "demo-1.0" / "demo" / "evil.py").exists()


@pytest.mark.parametrize("prefix", ["", "./"], ids=["plain", "dot-slash"])
def test_hard_link_to_earlier_file_is_a_copy(tmp_path: Path, prefix: str) -> None:
    members = [
        tar_member(f"{prefix}demo-1.0/setup.py", b"setup()\n"),
        tar_member(f"{prefix}demo-1.0/run.sh", b"#!/bin/sh\n", mode=0o755),
        tar_member(f"{prefix}demo-1.0/bin/run", kind=tarfile.LNKTYPE, linkname=f"{prefix}demo-1.0/run.sh"),
    ]
    sdist = write_tar(tmp_path / "demo-1.0.tar.gz", members)
    info = inspect_sdist(sdist)
    assert info.size == 2 * len(b"#!/bin/sh\n") + len(b"setup()\n")
    tree = extract_sdist(info, tmp_path / "dest")
    copy, source = tree / "bin" / "run", tree / "run.sh"
    assert not copy.is_symlink()
    assert copy.read_bytes() == source.read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o755
    assert copy.stat().st_ino != source.stat().st_ino


link_target = st.lists(st.sampled_from(["..", ".", "", "a", "b", "l", "x"]), min_size=1, max_size=7).map(
    "/".join
)
link_name = st.sampled_from(["demo-1.0/l", "demo-1.0/x", "demo-1.0/a/l", "demo-1.0/a/x", "demo-1.0/a/b/l"])


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(links=st.lists(st.tuples(link_name, link_target), min_size=1, max_size=4))
@example(links=[("demo-1.0/a/l", ".."), ("demo-1.0/a/x", "l/..")])  # x -> dest, found by hypothesis
def test_accepted_symlinks_resolve_inside_the_tree(links: list[tuple[str, str]]) -> None:
    dirs = [tar_member(d, kind=tarfile.DIRTYPE, mode=0o755) for d in ("demo-1.0/a/", "demo-1.0/a/b/")]
    symlinks = [tar_member(name, kind=tarfile.SYMTYPE, linkname=target) for name, target in links]
    with tempfile.TemporaryDirectory() as tmp:
        sdist = good_tar(Path(tmp) / "in" / "demo-1.0.tar.gz", extra=dirs + symlinks)
        try:
            info = inspect_sdist(sdist)
        except UnsafeArchive:
            return
        tree = extract_sdist(info, Path(tmp) / "out" / "dest").resolve()
        for name, _ in links:
            path = Path(tmp) / "out" / "dest" / name
            try:
                resolved = Path(os.path.realpath(path, strict=True))
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    continue  # opening it fails: it leads nowhere
                resolved = Path(os.path.realpath(path))
            assert resolved.is_relative_to(tree), (name, os.readlink(path), resolved)


# --------------------------------------------------------------------------- modes


@pytest.fixture(params=[0o022, 0o077, 0o000], ids=lambda m: f"umask{m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Extraction under several umasks: the modes written must not depend on it."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


FILE_MODES = [
    (0o4777, 0o755),  # setuid
    (0o2755, 0o755),  # setgid
    (0o1755, 0o755),  # sticky
    (0o777, 0o755),
    (0o700, 0o755),
    (0o100, 0o755),
    (0o644, 0o644),
    (0o600, 0o644),
    (0o666, 0o644),
    (0o000, 0o644),
]


@pytest.mark.usefixtures("umask")
def test_tar_modes_are_normalized(tmp_path: Path) -> None:
    files = [tar_member(f"demo-1.0/f{mode:04o}", b"x", mode=mode) for mode, _ in FILE_MODES]
    dirs = [
        tar_member("demo-1.0/private/", kind=tarfile.DIRTYPE, mode=0o700),
        tar_member("demo-1.0/shared/", kind=tarfile.DIRTYPE, mode=0o1777),
    ]
    tree = extract_sdist(
        inspect_sdist(good_tar(tmp_path / "demo-1.0.tar.gz", extra=files + dirs)), tmp_path / "d"
    )
    for mode, expected in FILE_MODES:
        assert stat.S_IMODE(os.lstat(tree / f"f{mode:04o}").st_mode) == expected, oct(mode)
    for directory in (tree, tree / "private", tree / "shared", tree / "demo"):  # demo/ is implied
        assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o755, directory


@pytest.mark.usefixtures("umask")
def test_zip_modes_are_normalized(tmp_path: Path) -> None:
    members = {"demo-1.0/setup.py": b"setup()\n", "demo-1.0/lib/": b""}
    members |= {f"demo-1.0/sub/f{mode:04o}": b"x" for mode, _ in FILE_MODES}
    modes = {f"demo-1.0/sub/f{mode:04o}": stat.S_IFREG | mode for mode, _ in FILE_MODES}
    sdist = write_zip(tmp_path / "demo-1.0.zip", members, modes=modes | {"demo-1.0/lib/": 0o040700})
    tree = extract_sdist(inspect_sdist(sdist), tmp_path / "d")
    for mode, expected in FILE_MODES:
        assert stat.S_IMODE(os.lstat(tree / "sub" / f"f{mode:04o}").st_mode) == expected, oct(mode)
    for directory in (tree, tree / "lib", tree / "sub"):
        assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o755, directory


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
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(path)
    assert (info.name, info.version) == (name, version)
    assert not info.has_pyproject


def test_name_and_version_from_top_dir(tmp_path: Path) -> None:
    sdist = write_tar(tmp_path / "download.tar.gz", [tar_member("Some_Project-4.5/setup.py", b"setup()\n")])
    info = inspect_sdist(sdist)
    assert (info.name, info.version) == ("some-project", "4.5")


def test_legacy_build_system_without_pyproject(tmp_path: Path) -> None:
    sdist = write_tar(tmp_path / "demo-1.0.tar.gz", [tar_member("demo-1.0/setup.py", b"setup()\n")])
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
    assert (info.members, info.size) == (6, len(PYPROJECT) + len(PKG_INFO) + len(b"X = 1\n#!/bin/sh\n"))
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
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
    assert info.newest_mtime == MIN_SOURCE_DATE_EPOCH
    assert info.source_date_epoch() == MIN_SOURCE_DATE_EPOCH


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "w:"])
def test_tar_compressions(tmp_path: Path, mode: str) -> None:
    suffix = {"w:gz": ".tar.gz", "w:bz2": ".tar.bz2", "w:xz": ".tar.xz", "w:": ".tar"}[mode]
    sdist = write_tar(
        tmp_path / f"demo-1.0{suffix}", [tar_member("demo-1.0/pyproject.toml", PYPROJECT.encode())], mode
    )
    info = inspect_sdist(sdist)
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
    info = inspect_sdist(sdist)
    assert info.top == "demo-1.0"
    assert info.build_system["build-backend"] == "flit_core.buildapi"
    tree = extract_sdist(info, tmp_path / "dest")
    assert (tree / "pyproject.toml").read_text() == PYPROJECT
