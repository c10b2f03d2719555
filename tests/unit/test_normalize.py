"""Tests of wheelhouse.normalize: deterministic zips, RECORD, retagging, ELF debug info."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import random
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from datetime import datetime
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from installer.sources import WheelFile
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from wheelhouse import elf
from wheelhouse.errors import BadArchive, UsageError, WheelhouseError
from wheelhouse.normalize import NormalizeOptions, normalize_wheel, record_line, rewrite_entries

MIN_EPOCH = 315532800
EPOCH = 1700000000
DIST_INFO = "demo_pkg-1.0.dist-info"

Entries = dict[str, tuple[bytes, int]]


# --------------------------------------------------------------------------- helpers


def zip_date_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """What a zip entry stores for ``epoch``: DOS time keeps seconds // 2."""
    y, mo, d, h, mi, s = time.gmtime(max(epoch, MIN_EPOCH))[:6]
    return (y, mo, d, h, mi, s - s % 2)


def b64_sha256(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def read_record(zf: zipfile.ZipFile, dist_info: str) -> list[list[str]]:
    text = zf.read(f"{dist_info}/RECORD").decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def check_record(blob: bytes, dist_info: str) -> None:
    """RECORD lists every other member with its hash and size, and itself last, empty."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        names = zf.namelist()
        rows = read_record(zf, dist_info)
        assert [r[0] for r in rows] == names
        assert rows[-1] == [f"{dist_info}/RECORD", "", ""]
        for path, digest, size in rows[:-1]:
            data = zf.read(path)
            assert digest == b64_sha256(data)
            assert "=" not in digest[len("sha256=") :]
            assert size == str(len(data))


def write_wheel(
    path: Path,
    files: dict[str, bytes | str],
    *,
    modes: dict[str, int] | None = None,
    shuffle: int | None = None,
    date_time: tuple[int, int, int, int, int, int] = (2001, 2, 3, 4, 5, 6),
    dirs: bool = False,
) -> Path:
    """Write a (deliberately messy) wheel: any order, any dates, optional directory entries."""
    modes = modes or {}
    items = list(files.items())
    if shuffle is not None:
        random.Random(shuffle).shuffle(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        if dirs:
            for name in sorted({n.rpartition("/")[0] + "/" for n, _ in items if "/" in n}):
                zf.writestr(zipfile.ZipInfo(name, date_time=date_time), b"")
        for name, content in items:
            data = content.encode() if isinstance(content, str) else content
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = (0o100000 | modes.get(name, 0o664)) << 16
            zf.writestr(info, data)
    return path


def demo_files(
    name: str = "demo_pkg", version: str = "1.0", build: str | None = None
) -> dict[str, bytes | str]:
    dist_info = f"{name}-{version}.dist-info"
    data_dir = f"{name}-{version}.data"
    wheel_meta = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    if build:
        wheel_meta += f"Build: {build}\n"
    return {
        "demo_pkg/__init__.py": "VALUE = 1\n",
        "demo_pkg/sub/mod.py": "def f() -> int:\n    return 2\n",
        f"{data_dir}/scripts/demo-tool": "#!python\nprint('hi')\n",
        f"{data_dir}/data/share/demo/readme.txt": "data file\n",
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n"
            "Summary: demo\n\nA long description.\n"
        ),
        f"{dist_info}/WHEEL": wheel_meta,
        f"{dist_info}/top_level.txt": "demo_pkg\n",
        f"{dist_info}/RECORD": "stale,sha256=nonsense,1\n",
    }


def demo_wheel(directory: Path, **kw: object) -> Path:
    return write_wheel(
        directory / "demo_pkg-1.0-py3-none-any.whl",
        demo_files(),
        modes={"demo_pkg-1.0.data/scripts/demo-tool": 0o775},
        **kw,  # type: ignore[arg-type]
    )


def validate_with_installer(wheel: Path) -> None:
    with WheelFile.open(wheel) as source:
        source.validate_record()


# ---------------------------------------------------------------- rewrite_entries

segment = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,7}", fullmatch=True).filter(
    lambda s: s not in (".", "..")
)
member_path = st.lists(segment, min_size=1, max_size=3).map("/".join)
member = st.tuples(st.binary(max_size=300), st.sampled_from([0o644, 0o755]))


@st.composite
def wheel_entries(draw: st.DrawFn) -> Entries:
    outside = draw(st.dictionaries(member_path, member, max_size=8))
    inside = draw(st.dictionaries(member_path, member, min_size=0, max_size=4))
    entries: Entries = {k: v for k, v in outside.items() if not k.startswith(DIST_INFO)}
    for name, value in inside.items():
        entries[f"{DIST_INFO}/{name}"] = value
    entries[f"{DIST_INFO}/WHEEL"] = (b"Wheel-Version: 1.0\n", 0o644)
    if draw(st.booleans()):
        entries[f"{DIST_INFO}/RECORD"] = (b"old,record,1\n", 0o755)
    return entries


epochs = st.integers(min_value=-(2**31), max_value=4102444799)  # up to 2099-12-31


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=wheel_entries(), epoch=epochs, seed=st.randoms(use_true_random=False))
def test_rewrite_is_independent_of_insertion_order(entries: Entries, epoch: int, seed: random.Random) -> None:
    items = list(entries.items())
    seed.shuffle(items)
    assert rewrite_entries(dict(items), DIST_INFO, epoch) == rewrite_entries(entries, DIST_INFO, epoch)


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=wheel_entries(), epoch=epochs)
def test_rewrite_record_and_zip_fields(entries: Entries, epoch: int) -> None:
    blob = rewrite_entries(entries, DIST_INFO, epoch)
    check_record(blob, DIST_INFO)
    expected_members = {n for n in entries if n != f"{DIST_INFO}/RECORD"} | {f"{DIST_INFO}/RECORD"}
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert {i.filename for i in infos} == expected_members
        assert len(infos) == len(expected_members)
        for info in infos:
            assert info.date_time == zip_date_time(epoch)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.create_system == 3
            mode = info.external_attr >> 16
            assert mode & 0o170000 == 0o100000  # a regular file
            assert mode & 0o7777 in (0o644, 0o755)
            assert info.extra == b""
            assert not info.is_dir()
            if info.filename == f"{DIST_INFO}/RECORD":
                assert mode & 0o7777 == 0o644
            else:
                data, want_mode = entries[info.filename]
                assert mode & 0o7777 == want_mode
                assert zf.read(info) == data
        names = [i.filename for i in infos]
        in_dist_info = [n.startswith(DIST_INFO + "/") for n in names]
        # .dist-info entries form one block at the end; RECORD is the very last.
        assert in_dist_info == sorted(in_dist_info)
        assert names[-1] == f"{DIST_INFO}/RECORD"
        outside = [n for n in names if not n.startswith(DIST_INFO + "/")]
        assert outside == sorted(outside)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=wheel_entries(), epoch=st.integers(min_value=MIN_EPOCH, max_value=4102444799))
def test_rewrite_depends_on_the_epoch(entries: Entries, epoch: int) -> None:
    a = rewrite_entries(entries, DIST_INFO, epoch)
    b = rewrite_entries(entries, DIST_INFO, epoch + 86400)
    assert a != b


@pytest.mark.parametrize("epoch", [-1, 0, 1, 100000, MIN_EPOCH - 1, MIN_EPOCH])
def test_rewrite_clamps_epoch_to_1980(epoch: int) -> None:
    entries: Entries = {"a.py": (b"x", 0o644), f"{DIST_INFO}/WHEEL": (b"w", 0o644)}
    blob = rewrite_entries(entries, DIST_INFO, epoch)
    assert blob == rewrite_entries(entries, DIST_INFO, MIN_EPOCH)
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_rewrite_date_is_utc() -> None:
    entries: Entries = {f"{DIST_INFO}/WHEEL": (b"w", 0o644)}
    blob = rewrite_entries(entries, DIST_INFO, 1700000000)  # 2023-11-14 22:13:20 UTC
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert zf.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)


def test_record_line() -> None:
    assert record_line("a/b.py", b"") == [
        "a/b.py",
        "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "0",
    ]
    assert record_line("x", b"hello")[2] == "5"


def test_rewrite_record_quotes_odd_names() -> None:
    entries: Entries = {
        "pkg/a,b.txt": (b"comma", 0o644),
        'pkg/q"uote.txt': (b"quote", 0o644),
        f"{DIST_INFO}/WHEEL": (b"w", 0o644),
    }
    blob = rewrite_entries(entries, DIST_INFO, EPOCH)
    check_record(blob, DIST_INFO)


# ----------------------------------------------------------------- normalize_wheel


def test_normalize_is_idempotent_and_order_independent(tmp_path: Path) -> None:
    opts = NormalizeOptions(source_date_epoch=EPOCH)
    messy_a = demo_wheel(tmp_path / "a", shuffle=1, dirs=True)
    messy_b = demo_wheel(tmp_path / "b", shuffle=2, date_time=(2020, 5, 5, 5, 5, 5))
    assert messy_a.read_bytes() != messy_b.read_bytes()
    out_a = normalize_wheel(messy_a, tmp_path / "out-a", opts)
    out_b = normalize_wheel(messy_b, tmp_path / "out-b", opts)
    assert out_a.name == "demo_pkg-1.0-py3-none-any.whl"
    assert out_a.read_bytes() == out_b.read_bytes()
    again = normalize_wheel(out_a, tmp_path / "out-again", opts)
    assert again.read_bytes() == out_a.read_bytes()
    check_record(out_a.read_bytes(), DIST_INFO)
    validate_with_installer(out_a)
    assert sorted(p.name for p in (tmp_path / "out-a").iterdir()) == [out_a.name]  # no temp files


def test_normalize_fixes_modes_and_drops_directories(tmp_path: Path) -> None:
    wheel = write_wheel(
        tmp_path / "demo_pkg-1.0-py3-none-any.whl",
        demo_files(),
        modes={"demo_pkg-1.0.data/scripts/demo-tool": 0o700, "demo_pkg/__init__.py": 0o600},
        dirs=True,
    )
    out = normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH))
    with zipfile.ZipFile(out) as zf:
        modes = {i.filename: (i.external_attr >> 16) & 0o7777 for i in zf.infolist()}
        assert not any(i.is_dir() for i in zf.infolist())
    assert modes["demo_pkg-1.0.data/scripts/demo-tool"] == 0o755
    assert modes["demo_pkg/__init__.py"] == 0o644
    assert set(modes.values()) <= {0o644, 0o755}


def test_normalize_drops_record_signatures(tmp_path: Path) -> None:
    files = demo_files()
    files[f"{DIST_INFO}/RECORD.jws"] = "signature"
    files[f"{DIST_INFO}/RECORD.p7s"] = "signature"
    wheel = write_wheel(tmp_path / "demo_pkg-1.0-py3-none-any.whl", files)
    out = normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH))
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert f"{DIST_INFO}/RECORD.jws" not in names
    assert f"{DIST_INFO}/RECORD.p7s" not in names
    check_record(out.read_bytes(), DIST_INFO)


def test_normalize_keeps_package_files_named_like_signatures(tmp_path: Path) -> None:
    # Only the .dist-info signature files are dropped, never a package's own data.
    files = demo_files()
    files["demo_pkg/RECORD.jws"] = "package data"
    files["demo_pkg/sub/RECORD.p7s"] = "package data"
    wheel = write_wheel(tmp_path / "demo_pkg-1.0-py3-none-any.whl", files)
    out = normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH))
    with zipfile.ZipFile(out) as zf:
        assert zf.read("demo_pkg/RECORD.jws") == b"package data"
        assert zf.read("demo_pkg/sub/RECORD.p7s") == b"package data"


def test_normalize_uses_the_epoch(tmp_path: Path) -> None:
    wheel = demo_wheel(tmp_path)
    a = normalize_wheel(wheel, tmp_path / "a", NormalizeOptions(source_date_epoch=EPOCH))
    b = normalize_wheel(wheel, tmp_path / "b", NormalizeOptions(source_date_epoch=0))
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert {i.date_time for i in za.infolist()} == {zip_date_time(EPOCH)}
        assert {i.date_time for i in zb.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def metadata_version(zf: zipfile.ZipFile, dist_info: str) -> str:
    msg = BytesParser().parsebytes(zf.read(f"{dist_info}/METADATA"))
    return str(msg["Version"])


@pytest.mark.parametrize(
    ("label", "version"),
    [("site1", "1.0+site1"), ("Corp-2", "1.0+corp.2"), ("a_b.c", "1.0+a.b.c")],
)
def test_local_version_renames_consistently(tmp_path: Path, label: str, version: str) -> None:
    wheel = demo_wheel(tmp_path)
    out = normalize_wheel(
        wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH, local_version=label)
    )
    assert out.name == f"demo_pkg-{version}-py3-none-any.whl"
    name, parsed_version, build, tags = parse_wheel_filename(out.name)
    assert (name, parsed_version, build) == ("demo-pkg", Version(version), ())
    assert {str(t) for t in tags} == {"py3-none-any"}
    new_dist_info = f"demo_pkg-{version}.dist-info"
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert metadata_version(zf, new_dist_info) == version
        assert zf.read(f"{new_dist_info}/METADATA").startswith(b"Metadata-Version: 2.1\n")
        assert b"Build:" not in zf.read(f"{new_dist_info}/WHEEL")
    assert not any(n.startswith(("demo_pkg-1.0.dist-info", "demo_pkg-1.0.data")) for n in names)
    assert f"demo_pkg-{version}.data/scripts/demo-tool" in names
    assert f"demo_pkg-{version}.data/data/share/demo/readme.txt" in names
    assert {n.split("/")[0] for n in names} == {
        "demo_pkg",
        f"demo_pkg-{version}.data",
        new_dist_info,
    }
    check_record(out.read_bytes(), new_dist_info)
    validate_with_installer(out)


def test_local_version_appends_to_existing_label(tmp_path: Path) -> None:
    files = demo_files(version="1.0+up")
    wheel = write_wheel(tmp_path / "demo_pkg-1.0+up-py3-none-any.whl", files)
    out = normalize_wheel(
        wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH, local_version="site1")
    )
    assert out.name == "demo_pkg-1.0+up.site1-py3-none-any.whl"
    with zipfile.ZipFile(out) as zf:
        assert metadata_version(zf, "demo_pkg-1.0+up.site1.dist-info") == "1.0+up.site1"
        assert "demo_pkg-1.0+up.site1.data/scripts/demo-tool" in zf.namelist()
    validate_with_installer(out)


@pytest.mark.parametrize("existing", [None, "7old"])
def test_build_tag_renames_consistently(tmp_path: Path, existing: str | None) -> None:
    stem = "demo_pkg-1.0" + (f"-{existing}" if existing else "")
    wheel = write_wheel(tmp_path / f"{stem}-py3-none-any.whl", demo_files(build=existing))
    out = normalize_wheel(
        wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH, build_tag="1local")
    )
    assert out.name == "demo_pkg-1.0-1local-py3-none-any.whl"
    name, version, build, _tags = parse_wheel_filename(out.name)
    assert (name, version, build) == ("demo-pkg", Version("1.0"), (1, "local"))
    with zipfile.ZipFile(out) as zf:
        wheel_meta = zf.read(f"{DIST_INFO}/WHEEL").decode()
        assert metadata_version(zf, DIST_INFO) == "1.0"
        assert "demo_pkg-1.0.data/scripts/demo-tool" in zf.namelist()
    build_lines = [ln for ln in wheel_meta.splitlines() if ln.startswith("Build:")]
    assert build_lines == ["Build: 1local"]
    assert "Tag: py3-none-any" in wheel_meta.splitlines()
    check_record(out.read_bytes(), DIST_INFO)
    validate_with_installer(out)
    # Applying the same build tag again changes nothing.
    again = normalize_wheel(
        out, tmp_path / "again", NormalizeOptions(source_date_epoch=EPOCH, build_tag="1local")
    )
    assert again.read_bytes() == out.read_bytes()


def test_options_reject_both_tags() -> None:
    with pytest.raises(UsageError, match="exclusive"):
        NormalizeOptions(source_date_epoch=EPOCH, build_tag="1", local_version="site1")


@pytest.mark.parametrize("tag", ["", "a1", "local", "_1", "1-2", "1 2", "1+x", "1\n", "1/x"])
def test_options_reject_bad_build_tag(tag: str) -> None:
    with pytest.raises(UsageError) as info:
        NormalizeOptions(source_date_epoch=EPOCH, build_tag=tag)
    assert "\n" not in str(info.value)
    assert "--build-tag" in str(info.value)


@pytest.mark.parametrize("tag", ["1", "0", "1local", "20240101.1", "3_x"])
def test_options_accept_good_build_tag(tag: str) -> None:
    assert NormalizeOptions(source_date_epoch=EPOCH, build_tag=tag).build_tag == tag


@pytest.mark.parametrize(
    "label", ["", "+site", "a..b", "a b", "-a", "a-", "a+b", "é", "site1\n", "a/b", "a..", "."]
)
def test_options_reject_bad_local_label(label: str) -> None:
    with pytest.raises(UsageError) as info:
        NormalizeOptions(source_date_epoch=EPOCH, local_version=label)
    assert "\n" not in str(info.value)
    assert "--local-version" in str(info.value)


def test_options_reject_bad_debug_mode(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        NormalizeOptions(source_date_epoch=EPOCH, debug="drop")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="debug-dir"):
        NormalizeOptions(source_date_epoch=EPOCH, debug="split")
    assert NormalizeOptions(source_date_epoch=EPOCH, debug="split", debug_dir=tmp_path).debug == "split"


@pytest.mark.parametrize(
    "evil",
    ["../evil", "/abs", "demo_pkg/../../evil", "demo_pkg/../evil.py", "/etc/passwd", "a\\..\\b"],
)
def test_member_outside_wheel_is_refused(tmp_path: Path, evil: str) -> None:
    files = demo_files()
    files[evil] = "boom"
    wheel = write_wheel(tmp_path / "in" / "demo_pkg-1.0-py3-none-any.whl", files)
    out_dir = tmp_path / "out"
    with pytest.raises(BadArchive) as info:
        normalize_wheel(wheel, out_dir, NormalizeOptions(source_date_epoch=EPOCH))
    message = str(info.value)
    assert "\n" not in message
    assert wheel.name in message
    assert not out_dir.exists() or not any(out_dir.iterdir())
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40],
)
def test_unreadable_wheel(tmp_path: Path, content: bytes) -> None:
    wheel = tmp_path / "demo_pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(content)
    with pytest.raises(BadArchive) as info:
        normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH))
    assert "\n" not in str(info.value)
    assert wheel.name in str(info.value)


def test_truncated_wheel(tmp_path: Path) -> None:
    good = demo_wheel(tmp_path / "good").read_bytes()
    wheel = tmp_path / "demo_pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(good[: len(good) // 2])
    with pytest.raises(BadArchive):
        normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH))


def test_wheel_without_dist_info_wheel_file(tmp_path: Path) -> None:
    files = demo_files()
    del files[f"{DIST_INFO}/WHEEL"]
    wheel = write_wheel(tmp_path / "demo_pkg-1.0-py3-none-any.whl", files)
    with pytest.raises(BadArchive, match=r"one \.dist-info"):
        normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH))


# ------------------------------------------------------------------------- ELF files

needs_gcc = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("gcc", "strip", "objcopy")), reason="needs gcc and binutils"
)

C_SOURCE = "static int calls;\nint demo_answer(int x) { calls += x; return calls + 42; }\n"


@pytest.fixture(scope="module")
def shared_object(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    src = tmp_path_factory.mktemp("so")
    (src / "demo.c").write_text(C_SOURCE)
    subprocess.run(
        ["gcc", "-g", "-shared", "-fPIC", "-Wl,--build-id", "-o", "_demo.so", "demo.c"],
        cwd=src,
        check=True,
        capture_output=True,
    )
    return (src / "_demo.so").read_bytes()


SO_NAME = "demo_pkg/_demo.cpython-311-x86_64-linux-gnu.so"


def elf_wheel(directory: Path, so: bytes) -> Path:
    files = demo_files()
    files[SO_NAME] = so
    files[f"{DIST_INFO}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"
    )
    return write_wheel(directory / "demo_pkg-1.0-cp311-cp311-linux_x86_64.whl", files, modes={SO_NAME: 0o775})


def section_names(data: bytes) -> set[str]:
    return {s.name for s in elf.sections(data)}


@needs_gcc
def test_strip_removes_debug_info(tmp_path: Path, shared_object: bytes) -> None:
    assert ".debug_info" in section_names(shared_object)
    wheel = elf_wheel(tmp_path / "in", shared_object)
    opts = NormalizeOptions(source_date_epoch=EPOCH, debug="strip")
    out = normalize_wheel(wheel, tmp_path / "out", opts)
    with zipfile.ZipFile(out) as zf:
        stripped = zf.read(SO_NAME)
        mode = (zf.getinfo(SO_NAME).external_attr >> 16) & 0o7777
    names = section_names(stripped)
    assert not any(n.startswith(".debug_") for n in names), names
    assert {".text", ".dynsym", ".note.gnu.build-id"} <= names
    # The build-id is the linker's own recipe, applied to the stripped bytes.
    assert elf.build_id(stripped) != elf.build_id(shared_object)
    assert elf.recompute_build_id(stripped) == stripped
    assert mode == 0o755
    check_record(out.read_bytes(), DIST_INFO)
    validate_with_installer(out)
    again = normalize_wheel(out, tmp_path / "again", opts)
    assert again.read_bytes() == out.read_bytes()


@needs_gcc
def test_keep_leaves_elf_alone(tmp_path: Path, shared_object: bytes) -> None:
    wheel = elf_wheel(tmp_path / "in", shared_object)
    out = normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH, debug="keep"))
    with zipfile.ZipFile(out) as zf:
        kept = zf.read(SO_NAME)
    assert kept == shared_object
    assert ".debug_info" in section_names(kept)


@needs_gcc
def test_split_writes_debug_file_by_build_id(tmp_path: Path, shared_object: bytes) -> None:
    wheel = elf_wheel(tmp_path / "in", shared_object)
    debug_dir = tmp_path / "debug"
    opts = NormalizeOptions(source_date_epoch=EPOCH, debug="split", debug_dir=debug_dir)
    out = normalize_wheel(wheel, tmp_path / "out", opts)
    with zipfile.ZipFile(out) as zf:
        stripped = zf.read(SO_NAME)
    assert not any(n.startswith(".debug_") for n in section_names(stripped))
    bid = elf.build_id(stripped)
    assert bid is not None and len(bid) >= 8
    debug_files = sorted(p for p in debug_dir.rglob("*") if p.is_file())
    expected = debug_dir / ".build-id" / bid[:2] / f"{bid[2:]}.debug"
    assert debug_files == [expected]
    debug_data = expected.read_bytes()
    assert ".debug_info" in section_names(debug_data)
    assert elf.build_id(debug_data) == bid
    # The split output is the same wheel that strip gives.
    plain = normalize_wheel(wheel, tmp_path / "plain", NormalizeOptions(source_date_epoch=EPOCH))
    assert plain.read_bytes() == out.read_bytes()


@needs_gcc
def test_missing_strip_program_is_a_clear_error(tmp_path: Path, shared_object: bytes) -> None:
    wheel = elf_wheel(tmp_path / "in", shared_object)
    opts = NormalizeOptions(source_date_epoch=EPOCH, strip=str(tmp_path / "no-such-strip"))
    with pytest.raises(BadArchive) as info:
        normalize_wheel(wheel, tmp_path / "out", opts)
    assert isinstance(info.value, WheelhouseError)
    assert "\n" not in str(info.value)
    assert SO_NAME in str(info.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


FILE_SOURCE = C_SOURCE + "const char *demo_file(void) { return __FILE__; }\n"


def build_in(
    directory: Path, source: str = C_SOURCE, *, absolute: bool = False, debug_flags: tuple[str, ...] = ("-g",)
) -> bytes:
    """Compile ``source`` with debug info in ``directory`` and no prefix map, as a backend would.

    ``absolute`` names the source by its full path, so ``__FILE__`` (in
    ``.rodata``) carries the directory as well as the DWARF info.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "demo.c").write_text(source)
    name = str(directory / "demo.c") if absolute else "demo.c"
    subprocess.run(
        ["gcc", *debug_flags, "-O1", "-shared", "-fPIC", "-Wl,--build-id", "-o", "_demo.so", name],
        cwd=directory,
        check=True,
        capture_output=True,
    )
    return (directory / "_demo.so").read_bytes()


def readelf_build_id(path: Path) -> str | None:
    out = subprocess.run(["readelf", "-n", str(path)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"Build ID: ([0-9a-f]+)", out)
    return match.group(1) if match else None


def assert_same_wheels(first: Path, second: Path) -> None:
    """Byte-identical wheels; otherwise name the member (and ELF sections) that differ."""
    if first.read_bytes() == second.read_bytes():
        return
    with zipfile.ZipFile(first) as za, zipfile.ZipFile(second) as zb:
        problems = []
        for name in sorted(set(za.namelist()) | set(zb.namelist())):
            a = za.read(name) if name in za.namelist() else b""
            b = zb.read(name) if name in zb.namelist() else b""
            if a != b:
                detail = elf.diff_sections(a, b) if elf.is_elf(a) and elf.is_elf(b) else ["contents differ"]
                problems.append(f"{name}: {', '.join(detail)}")
    pytest.fail("wheels differ: " + "; ".join(problems or ["zip structure"]))


@needs_gcc
def test_strip_is_identical_across_random_build_dirs(tmp_path: Path) -> None:
    opts = NormalizeOptions(source_date_epoch=EPOCH, debug="strip")
    outs, originals = [], []
    for i in range(2):
        build_dir = Path(tempfile.mkdtemp(dir=tmp_path))
        so = build_in(build_dir)
        assert build_dir.name.encode() in so  # DW_AT_comp_dir
        originals.append(so)
        outs.append(normalize_wheel(elf_wheel(tmp_path / f"in{i}", so), tmp_path / f"out{i}", opts))
    # The linker hashed the DWARF info, random path included, into the build-id.
    assert elf.build_id(originals[0]) != elf.build_id(originals[1])
    assert_same_wheels(outs[0], outs[1])
    with zipfile.ZipFile(outs[0]) as zf:
        stripped = zf.read(SO_NAME)
    (tmp_path / "stripped.so").write_bytes(stripped)
    bid = readelf_build_id(tmp_path / "stripped.so")
    assert bid is not None and len(bid) == 40
    assert bid == elf.build_id(stripped)


def split_in_random_dir(
    tmp_path: Path, temp_root: Path, i: int, debug_flags: tuple[str, ...] = ("-g",)
) -> tuple[Path, Path, bytes]:
    """Build in a fresh ``mkdtemp`` under ``temp_root`` and normalize with ``--debug split``.

    Checks what must hold for every such build and returns the wheel, the debug
    file's path under the debug directory, and the debug file's bytes.
    """
    build_dir = Path(tempfile.mkdtemp(dir=temp_root))
    so = build_in(build_dir, FILE_SOURCE, absolute=True, debug_flags=debug_flags)
    assert build_dir.name.encode() in so
    debug_dir = tmp_path / f"debug{i}"
    opts = NormalizeOptions(
        source_date_epoch=EPOCH, debug="split", debug_dir=debug_dir, temp_root=str(temp_root)
    )
    wheel = elf_wheel(tmp_path / f"in{i}", so)
    out = normalize_wheel(wheel, tmp_path / f"out{i}", opts)
    with zipfile.ZipFile(out) as zf:
        stripped = zf.read(SO_NAME)
    debug_files = sorted(p for p in debug_dir.rglob("*") if p.is_file())
    assert len(debug_files) == 1, debug_files
    debug_data = debug_files[0].read_bytes()
    for data in (stripped, debug_data):
        assert build_dir.name.encode() not in data
    # Renamed, same length: the path is still there, under a fixed name.
    fixed = f"{temp_root}/t{'0' * (len(build_dir.name) - 1)}/demo.c".encode()
    assert fixed in stripped  # __FILE__
    assert fixed in debug_data  # DW_AT_name
    bid = elf.build_id(stripped)
    assert bid is not None and len(bid) == 40
    assert debug_files[0] == debug_dir / ".build-id" / bid[:2] / f"{bid[2:]}.debug"
    assert elf.build_id(debug_data) == bid
    assert readelf_build_id(debug_files[0]) == bid
    (tmp_path / f"stripped{i}.so").write_bytes(stripped)
    assert readelf_build_id(tmp_path / f"stripped{i}.so") == bid
    assert elf.recompute_build_id(stripped) == stripped
    # The debug info is still readable DWARF.
    dump = subprocess.run(
        ["readelf", "--debug-dump=info", str(debug_files[0])], check=True, capture_output=True, text=True
    ).stdout
    assert "demo_answer" in dump
    # strip gives the same wheel; keep leaves the object alone.
    plain = normalize_wheel(
        wheel, tmp_path / f"plain{i}", NormalizeOptions(source_date_epoch=EPOCH, temp_root=str(temp_root))
    )
    assert plain.read_bytes() == out.read_bytes()
    kept = normalize_wheel(
        wheel,
        tmp_path / f"kept{i}",
        NormalizeOptions(source_date_epoch=EPOCH, debug="keep", temp_root=str(temp_root)),
    )
    with zipfile.ZipFile(kept) as zf:
        assert zf.read(SO_NAME) == so
    return out, debug_files[0].relative_to(debug_dir), debug_data


@needs_gcc
def test_split_is_identical_across_random_temp_dirs(tmp_path: Path) -> None:
    temp_root = tmp_path / "sandbox" / "tmp"
    temp_root.mkdir(parents=True)
    (out0, path0, debug0), (out1, path1, debug1) = (
        split_in_random_dir(tmp_path, temp_root, i) for i in (0, 1)
    )
    assert_same_wheels(out0, out1)
    assert path0 == path1
    # Not asserted: debug0 == debug1. GCC writes .debug_str and .debug_line_str in
    # the order of its hash table of the strings, so the random name has already
    # chosen the string layout (and every offset into it); a same-length rename
    # cannot reorder them. The test below pins the bytes where the layout does not
    # depend on the name.
    assert len(debug0) == len(debug1)


@needs_gcc
def test_split_debug_files_are_identical_across_random_temp_dirs(tmp_path: Path) -> None:
    temp_root = tmp_path / "sandbox" / "tmp"
    temp_root.mkdir(parents=True)
    # DWARF 4 with unmerged strings keeps the paths inline, out of GCC's hashed string tables.
    flags = ("-gdwarf-4", "-fno-merge-debug-strings")
    (out0, path0, debug0), (out1, path1, debug1) = (
        split_in_random_dir(tmp_path, temp_root, i, flags) for i in (0, 1)
    )
    assert_same_wheels(out0, out1)
    assert path0 == path1
    assert debug0 == debug1, elf.diff_sections(debug0, debug1)


@needs_gcc
def test_temp_dir_names_are_distinct_and_keep_their_length(tmp_path: Path) -> None:
    temp_root = tmp_path / "tmp"
    dirs = ["q", "zz", "build-abc", "build-xyz", "r"]
    sources = []
    for i, name in enumerate(dirs):
        src = temp_root / name / f"f{i}.c"
        src.parent.mkdir(parents=True)
        src.write_text(f"const char *file{i}(void) {{ return __FILE__; }}\n")
        sources.append(str(src))
    out_dir = tmp_path / "obj"
    out_dir.mkdir()
    subprocess.run(
        ["gcc", "-g", "-shared", "-fPIC", "-Wl,--build-id", "-o", "_demo.so", *sources],
        cwd=out_dir,
        check=True,
        capture_output=True,
    )
    so = (out_dir / "_demo.so").read_bytes()
    for opts in (
        NormalizeOptions(source_date_epoch=EPOCH, temp_root=str(temp_root)),
        NormalizeOptions(source_date_epoch=EPOCH, temp_root=str(temp_root) + "/"),
    ):
        out = normalize_wheel(elf_wheel(tmp_path / "in", so), tmp_path / "out", opts)
        with zipfile.ZipFile(out) as zf:
            stripped = zf.read(SO_NAME)
        found = re.findall(re.escape(str(temp_root).encode()) + rb"/([^/\0]+)/f(\d)\.c", stripped)
        renamed = {int(i): name.decode() for name, i in found}
        assert set(renamed) == set(range(len(dirs)))
        assert all(len(renamed[i]) == len(dirs[i]) for i in renamed), renamed
        assert len(set(renamed.values())) == len(dirs), renamed  # still one name per directory
        assert not set(renamed.values()) & set(dirs)
        assert set(renamed.values()) == {"0", "1", "t0", "t00000000", "t00000001"}


@pytest.mark.parametrize("opt", [{"local_version": "site1"}, {"build_tag": "1"}])
def test_retag_without_metadata_is_bad_archive(tmp_path: Path, opt: dict[str, str]) -> None:
    files = demo_files()
    del files[f"{DIST_INFO}/METADATA"]
    wheel = write_wheel(tmp_path / "demo_pkg-1.0-py3-none-any.whl", files)
    with pytest.raises(BadArchive) as info:
        normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH, **opt))  # type: ignore[arg-type]
    assert wheel.name in str(info.value)
    assert "METADATA" in str(info.value)


def test_retag_of_badly_named_wheel(tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path / "demo.whl", demo_files())
    with pytest.raises(BadArchive) as info:
        normalize_wheel(wheel, tmp_path / "out", NormalizeOptions(source_date_epoch=EPOCH, build_tag="1"))
    assert "demo.whl" in str(info.value)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    extra=st.dictionaries(member_path, member, max_size=6),
    seeds=st.tuples(st.integers(0, 1000), st.integers(0, 1000)),
    dates=st.tuples(
        st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2107, 12, 31)).map(
            lambda d: d.timetuple()[:6]
        ),
        st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2107, 12, 31)).map(
            lambda d: d.timetuple()[:6]
        ),
    ),
    epoch=epochs,
)
def test_normalize_wheel_property(
    tmp_path_factory: pytest.TempPathFactory,
    extra: Entries,
    seeds: tuple[int, int],
    dates: tuple[tuple[int, ...], tuple[int, ...]],
    epoch: int,
) -> None:
    base = tmp_path_factory.mktemp("prop")
    files: dict[str, bytes | str] = dict(demo_files())
    modes = {}
    for name, (data, mode) in extra.items():
        if not name.startswith("demo_pkg-1.0."):
            files[f"demo_pkg/{name}"] = data
            modes[f"demo_pkg/{name}"] = mode
    outs = []
    for i in range(2):
        wheel = write_wheel(
            base / f"in{i}" / "demo_pkg-1.0-py3-none-any.whl",
            files,
            modes=modes,
            shuffle=seeds[i],
            date_time=dates[i],  # type: ignore[arg-type]
            dirs=bool(i),
        )
        outs.append(normalize_wheel(wheel, base / f"out{i}", NormalizeOptions(source_date_epoch=epoch)))
    assert outs[0].read_bytes() == outs[1].read_bytes()
    again = normalize_wheel(outs[0], base / "again", NormalizeOptions(source_date_epoch=epoch))
    assert again.read_bytes() == outs[0].read_bytes()
    check_record(outs[0].read_bytes(), DIST_INFO)
    validate_with_installer(outs[0])
