"""Tests of wheelhouse.elf against objects compiled here with the real gcc."""

from __future__ import annotations

import re
import shutil
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
    lines = elf.diff_sections(garbage, garbage)
    assert lines == ["no section differs; the ELF headers or section layout differ"]


def test_truncated_elf_never_raises(two_builds: tuple[Path, Path]) -> None:
    data = two_builds[0].read_bytes()
    for cut in [*range(0, 80, 7), len(data) // 3, len(data) // 2, len(data) - 1]:
        part = data[:cut]
        secs = elf.sections(part)
        assert isinstance(secs, list)
        assert elf.build_id(part) is None or isinstance(elf.build_id(part), str)
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
