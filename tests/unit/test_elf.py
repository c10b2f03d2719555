"""Tests of wheelhouse.elf against objects compiled here with the real gcc."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wheelhouse import elf

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

C_SOURCE = """\
static int counter;

int answer(int x) {
    counter += x;
    return counter * 2 + 42;
}
"""


def compile_so(directory: Path, name: str = "libanswer.so") -> bytes:
    """Compile ``C_SOURCE`` with debug info inside ``directory`` (no prefix maps)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "answer.c").write_text(C_SOURCE)
    subprocess.run(
        ["gcc", "-g", "-O1", "-shared", "-fPIC", "-Wl,--build-id", "-o", name, "answer.c"],
        cwd=directory,
        check=True,
        capture_output=True,
    )
    return (directory / name).read_bytes()


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same source compiled in two different directories."""
    base = tmp_path_factory.mktemp("elf")
    first, second = base / "first-tree", base / "second-tree-longer"
    compile_so(first)
    compile_so(second)
    return first / "libanswer.so", second / "libanswer.so"


def test_is_elf(two_builds: tuple[Path, Path]) -> None:
    assert elf.is_elf(two_builds[0].read_bytes())
    assert not elf.is_elf(b"PK\x03\x04")
    assert not elf.is_elf(b"")


def test_sections_lists_debug_and_text(two_builds: tuple[Path, Path]) -> None:
    secs = elf.sections(two_builds[0].read_bytes())
    names = [s.name for s in secs]
    assert ".text" in names
    assert ".debug_info" in names
    assert ".note.gnu.build-id" in names
    assert secs[0].name == ""  # the null section comes first, in header order


def test_sections_match_readelf(two_builds: tuple[Path, Path]) -> None:
    out = subprocess.run(
        ["readelf", "-W", "-S", str(two_builds[0])], check=True, capture_output=True, text=True
    ).stdout
    expected = set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)", out, flags=re.M)) - {"NULL"}
    ours = {s.name for s in elf.sections(two_builds[0].read_bytes())} - {""}
    assert ours == expected


def test_bss_has_no_contents(two_builds: tuple[Path, Path]) -> None:
    bss = [s for s in elf.sections(two_builds[0].read_bytes()) if s.name == ".bss"]
    assert len(bss) == 1
    assert bss[0].data == b""
    assert bss[0].size > 0


def test_build_id_matches_readelf(two_builds: tuple[Path, Path]) -> None:
    for path in two_builds:
        out = subprocess.run(["readelf", "-n", str(path)], check=True, capture_output=True, text=True).stdout
        match = re.search(r"Build ID: ([0-9a-f]+)", out)
        assert match is not None, out
        assert elf.build_id(path.read_bytes()) == match.group(1)


def test_no_build_id(tmp_path: Path) -> None:
    (tmp_path / "answer.c").write_text(C_SOURCE)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-Wl,--build-id=none", "-o", "lib.so", "answer.c"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    data = (tmp_path / "lib.so").read_bytes()
    assert elf.sections(data)
    assert elf.build_id(data) is None


def test_diff_sections_names_debug_section(two_builds: tuple[Path, Path]) -> None:
    first, second = (p.read_bytes() for p in two_builds)
    assert first != second
    lines = elf.diff_sections(first, second)
    assert any(re.match(r"section \.debug_\w+: ", line) for line in lines), lines
    assert all("\n" not in line for line in lines)
    # Code does not depend on the directory; only debug info and the build-id do.
    assert not any(line.startswith("section .text:") for line in lines), lines


def test_diff_sections_same_image(two_builds: tuple[Path, Path]) -> None:
    data = two_builds[0].read_bytes()
    assert elf.diff_sections(data, data) == ["no section differs; the ELF headers or section layout differ"]


def test_diff_sections_only_in_one(two_builds: tuple[Path, Path], tmp_path: Path) -> None:
    stripped = tmp_path / "stripped.so"
    subprocess.run(
        ["strip", "--strip-debug", "-o", str(stripped), str(two_builds[0])],
        check=True,
        capture_output=True,
    )
    lines = elf.diff_sections(two_builds[0].read_bytes(), stripped.read_bytes())
    assert any(line.startswith("section .debug_info: only in first") for line in lines), lines
    lines = elf.diff_sections(stripped.read_bytes(), two_builds[0].read_bytes())
    assert any(line.startswith("section .debug_info: only in second") for line in lines), lines


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x7fELF",
        b"\x7fELF" + b"\x00" * 60,
        b"\x7fELF\x02\x01" + b"\xff" * 200,
        b"\x7fELF\x01\x02" + b"\xff" * 200,
        b"not an elf file at all" * 10,
        bytes(range(256)) * 4,
    ],
)
def test_garbage_gives_nothing(garbage: bytes) -> None:
    assert elf.sections(garbage) == []
    assert elf.build_id(garbage) is None
    assert elf.recompute_build_id(garbage) == garbage
    assert elf.set_build_id(garbage, b"\x01" * 20) == garbage
    lines = elf.diff_sections(garbage, garbage)
    assert lines == ["no section differs; the ELF headers or section layout differ"]


def test_truncated_elf_never_raises(two_builds: tuple[Path, Path]) -> None:
    data = two_builds[0].read_bytes()
    for cut in [*range(0, 80, 7), len(data) // 3, len(data) // 2, len(data) - 1]:
        part = data[:cut]
        secs = elf.sections(part)
        assert isinstance(secs, list)
        assert elf.build_id(part) is None or isinstance(elf.build_id(part), str)
        assert len(elf.recompute_build_id(part)) == len(part)
        assert len(elf.set_build_id(part, b"\x01" * 20)) == len(part)
    # Without the section header table (at the end of the file) nothing is readable.
    assert elf.sections(data[: len(data) // 2]) == []


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=300), is64=st.booleans(), little=st.booleans())
def test_random_elf_headers_never_raise(payload: bytes, is64: bool, little: bool) -> None:
    data = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2]) + payload
    secs = elf.sections(data)
    assert all(isinstance(s, elf.Section) for s in secs)
    bid = elf.build_id(data)
    assert bid is None or re.fullmatch(r"[0-9a-f]*", bid)
    assert elf.diff_sections(data, b"")
    check_rewrites_never_raise(data)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corrupted_real_elf_never_raises(two_builds: tuple[Path, Path], data: st.DataObject) -> None:
    image = bytearray(two_builds[0].read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(image) - 1))
        image[pos] = data.draw(st.integers(0, 255))
    blob = bytes(image)
    assert isinstance(elf.sections(blob), list)
    bid = elf.build_id(blob)
    assert bid is None or isinstance(bid, str)
    assert elf.diff_sections(blob, two_builds[0].read_bytes())
    check_rewrites_never_raise(blob)


def check_rewrites_never_raise(data: bytes) -> None:
    """The build-id rewrites keep the length, and change nothing without a build-id."""
    new = elf.recompute_build_id(data)
    assert len(new) == len(data)
    assert elf.recompute_build_id(new) == new
    if elf.build_id(data) is None:
        assert new == data
    replaced = elf.set_build_id(data, b"\xab" * 20)
    assert len(replaced) == len(data)


# ----------------------------------------------------------------- build-id rewriting


def strip_debug(path: Path, out: Path) -> bytes:
    subprocess.run(["strip", "--strip-debug", "-o", str(out), str(path)], check=True, capture_output=True)
    return out.read_bytes()


def readelf_build_id(data: bytes, tmp_path: Path) -> str | None:
    """The build-id ``readelf -n`` reports for ``data``, or None."""
    path = tmp_path / "readelf-input"
    path.write_bytes(data)
    out = subprocess.run(["readelf", "-n", str(path)], check=True, capture_output=True, text=True).stdout
    ids = re.findall(r"Build ID: ([0-9a-f]+)", out)
    assert len(set(ids)) <= 1, out
    return ids[0] if ids else None


def zero_desc(data: bytes, bid: str) -> bytes:
    """``data`` with the (single) occurrence of the build-id bytes zeroed."""
    raw = bytes.fromhex(bid)
    assert data.count(raw) == 1
    return data.replace(raw, bytes(len(raw)))


@pytest.fixture(scope="module")
def stripped_pair(
    two_builds: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[bytes, bytes]:
    """``two_builds`` stripped: equal but for the build-id the linker computed before stripping."""
    out = tmp_path_factory.mktemp("stripped")
    return strip_debug(two_builds[0], out / "a.so"), strip_debug(two_builds[1], out / "b.so")


def test_stripped_builds_differ_only_in_build_id(stripped_pair: tuple[bytes, bytes]) -> None:
    first, second = stripped_pair
    assert first != second
    assert elf.diff_sections(first, second) == ["section .note.gnu.build-id: 36 vs 36 bytes, contents differ"]
    assert elf.recompute_build_id(first) == elf.recompute_build_id(second)


def test_recompute_build_id_is_sha1_of_the_zeroed_file(
    stripped_pair: tuple[bytes, bytes], tmp_path: Path
) -> None:
    data = stripped_pair[0]
    old = elf.build_id(data)
    assert old is not None and len(old) == 40
    new_data = elf.recompute_build_id(data)
    new = elf.build_id(new_data)
    assert new == hashlib.sha1(zero_desc(data, old)).hexdigest()
    assert new != old
    assert len(new_data) == len(data)
    assert zero_desc(new_data, new) == zero_desc(data, old)  # nothing else moved
    assert readelf_build_id(new_data, tmp_path) == new
    # readelf still reads the whole object.
    (tmp_path / "new.so").write_bytes(new_data)
    subprocess.run(["readelf", "-W", "-a", str(tmp_path / "new.so")], check=True, capture_output=True)


def test_recompute_build_id_is_idempotent(
    two_builds: tuple[Path, Path], stripped_pair: tuple[bytes, bytes]
) -> None:
    for data in (*stripped_pair, two_builds[0].read_bytes()):
        once = elf.recompute_build_id(data)
        assert elf.recompute_build_id(once) == once


def test_recompute_build_id_ignores_the_old_id(stripped_pair: tuple[bytes, bytes]) -> None:
    data = stripped_pair[0]
    other = elf.set_build_id(data, bytes(range(20)))
    assert other != data
    assert elf.recompute_build_id(other) == elf.recompute_build_id(data)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changing_any_other_byte_changes_the_id(
    stripped_pair: tuple[bytes, bytes], data: st.DataObject
) -> None:
    original = stripped_pair[0]
    old = elf.build_id(original)
    assert old is not None
    start = original.index(bytes.fromhex(old))
    pos = data.draw(st.integers(0, len(original) - 1).filter(lambda p: not start <= p < start + 20))
    image = bytearray(original)
    image[pos] ^= data.draw(st.integers(1, 255))
    changed = bytes(image)
    if elf.build_id(changed) != old:
        return  # the byte was part of the note's header, so the note is gone or moved
    assert elf.build_id(elf.recompute_build_id(changed)) != elf.build_id(elf.recompute_build_id(original))


def compile_with(tmp_path: Path, *flags: str) -> bytes:
    (tmp_path / "answer.c").write_text(C_SOURCE)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", *flags, "-o", "lib.so", "answer.c"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    return (tmp_path / "lib.so").read_bytes()


@pytest.mark.parametrize(
    ("style", "length"),
    [("sha1", 20), ("md5", 16), ("uuid", 16), ("0x01020304", 4), ("0x" + "ab" * 40, 40)],
)
def test_recompute_keeps_the_length(tmp_path: Path, style: str, length: int) -> None:
    data = compile_with(tmp_path, f"-Wl,--build-id={style}")
    old = elf.build_id(data)
    assert old is not None and len(old) == 2 * length
    new_data = elf.recompute_build_id(data)
    new = elf.build_id(new_data)
    assert new is not None and len(new) == 2 * length
    assert readelf_build_id(new_data, tmp_path) == new
    zeroed = zero_desc(data, old)
    if length == 20:
        assert new == hashlib.sha1(zeroed).hexdigest()
    else:
        digest = hashlib.sha256(zeroed).digest()
        assert bytes.fromhex(new)[: min(length, 32)] == digest[:length]
    assert elf.recompute_build_id(new_data) == new_data


def test_recompute_32_bit(tmp_path: Path) -> None:
    try:
        data = compile_with(tmp_path, "-m32", "-nostdlib", "-Wl,--build-id")
    except subprocess.CalledProcessError:
        pytest.skip("gcc cannot make 32-bit objects here")
    assert data[4] == 1  # ELFCLASS32
    old = elf.build_id(data)
    assert old is not None
    new_data = elf.recompute_build_id(data)
    assert elf.build_id(new_data) == hashlib.sha1(zero_desc(data, old)).hexdigest()
    assert readelf_build_id(new_data, tmp_path) == elf.build_id(new_data)


def test_build_id_from_pt_note_without_sections(stripped_pair: tuple[bytes, bytes], tmp_path: Path) -> None:
    data = stripped_pair[0]
    assert data[4] == 2 and data[5] == 1  # the tests run on a 64-bit little-endian host
    image = bytearray(data)
    struct.pack_into("<Q", image, 0x28, 0)  # e_shoff
    struct.pack_into("<HHH", image, 0x3A, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    headless = bytes(image)
    assert elf.sections(headless) == []
    assert elf.build_id(headless) == elf.build_id(data)
    assert readelf_build_id(headless, tmp_path) == elf.build_id(data)
    new = elf.recompute_build_id(headless)
    assert new != headless
    assert readelf_build_id(new, tmp_path) == elf.build_id(new)


def test_set_build_id(stripped_pair: tuple[bytes, bytes], tmp_path: Path) -> None:
    data = stripped_pair[0]
    wanted = bytes(range(100, 120))
    new = elf.set_build_id(data, wanted)
    assert len(new) == len(data)
    assert elf.build_id(new) == wanted.hex()
    assert readelf_build_id(new, tmp_path) == wanted.hex()
    assert elf.set_build_id(new, bytes.fromhex(elf.build_id(data) or "")) == data
    # Another length would move offsets: nothing is written.
    assert elf.set_build_id(data, b"\x01" * 16) == data
    assert elf.set_build_id(data, b"") == data


def test_no_build_id_is_left_alone(tmp_path: Path) -> None:
    data = compile_with(tmp_path, "-Wl,--build-id=none")
    assert elf.sections(data)
    assert elf.recompute_build_id(data) == data
    assert elf.set_build_id(data, b"\x01" * 20) == data
