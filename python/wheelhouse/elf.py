"""Just enough ELF reading to name differing sections and to pin a GNU build-id.

Only the ELF header, the section header table and the program header table are
read (32/64-bit, either byte order); nothing is executed or relocated. Malformed
input gives an empty section list, no build-id and unchanged bytes, never an
exception, because this is used to *explain* differences and to rewrite
wheels whose objects we did not make, not to validate them.

Why the build-id is rewritten: the linker computes the GNU build-id
(``NT_GNU_BUILD_ID``, a sha1 by default) over the *unstripped* file, so a
random build directory that lands in the DWARF info still shows in the
build-id after ``strip --strip-debug``. :func:`recompute_build_id` makes the
id a function of the final bytes instead, much as ``ld --build-id=sha1`` does:
a digest of the whole file with the id's own bytes zeroed, written back in
place with the same length, so no offset in the file moves.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "Section",
    "build_id",
    "diff_sections",
    "is_elf",
    "recompute_build_id",
    "sections",
    "set_build_id",
]

_SHT_NOTE = 7
_SHT_NOBITS = 8
_PT_NOTE = 4
_NT_GNU_BUILD_ID = 3
_GNU_NAME = b"GNU\0"
_BUILD_ID_SECTION = ".note.gnu.build-id"
_ERRORS = (struct.error, IndexError, UnicodeDecodeError, ValueError, OverflowError)


@dataclass(frozen=True)
class Section:
    """One ELF section.

    Attributes:
        name: section name, e.g. ``.debug_info`` (str).
        size: size in bytes (int).
        digest: sha256 of its contents, empty for NOBITS sections (str).
        data: its contents (bytes).
    """

    name: str
    size: int
    digest: str
    data: bytes


@dataclass(frozen=True)
class _Region:
    """A section or segment: its name ("" for a segment), type, file range and alignment."""

    name: str
    kind: int
    offset: int
    size: int
    align: int


def is_elf(data: bytes) -> bool:
    """Whether ``data`` starts with the ELF magic."""
    return data[:4] == b"\x7fELF"


def _endian(data: bytes) -> str:
    return "<" if data[5] == 1 else ">"


def _section_regions(data: bytes) -> list[_Region]:
    """The section headers with their names; ``[]`` without a usable header table."""
    if not is_elf(data) or len(data) < 52:
        return []
    endian = _endian(data)
    if data[4] == 2:
        (shoff,) = struct.unpack_from(endian + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x3A)
        fmt = endian + "IIQQQQIIQQ"
    else:
        (shoff,) = struct.unpack_from(endian + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x2E)
        fmt = endian + "IIIIIIIIII"
    headers = []
    for i in range(shnum):
        fields = struct.unpack_from(fmt, data, shoff + i * shentsize)
        name_off, sh_type, _flags, _addr, offset, size, _link, _info, align = fields[:9]
        headers.append((name_off, sh_type, offset, size, align))
    if not headers or shstrndx >= len(headers):
        return []
    _n, _t, str_off, str_size, _a = headers[shstrndx]
    strtab = data[str_off : str_off + str_size]
    regions = []
    for name_off, sh_type, offset, size, align in headers:
        end = strtab.find(b"\0", name_off)
        regions.append(_Region(strtab[name_off:end].decode("utf-8"), sh_type, offset, size, align))
    return regions


def _segment_regions(data: bytes) -> list[_Region]:
    """The program headers; ``[]`` without a usable header table."""
    if not is_elf(data) or len(data) < 52:
        return []
    endian = _endian(data)
    if data[4] == 2:
        (phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
        fmt = endian + "IIQQQQQQ"
        order = (0, 2, 5, 7)  # p_type, p_offset, p_filesz, p_align
    else:
        (phoff,) = struct.unpack_from(endian + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
        fmt = endian + "IIIIIIII"
        order = (0, 1, 4, 7)
    regions = []
    for i in range(phnum):
        fields = struct.unpack_from(fmt, data, phoff + i * phentsize)
        p_type, offset, size, align = (fields[j] for j in order)
        regions.append(_Region("", p_type, offset, size, align))
    return regions


def sections(data: bytes) -> list[Section]:
    """The sections of an ELF image, in header order; ``[]`` if unreadable."""
    try:
        return _sections(data)
    except _ERRORS:
        return []


def _sections(data: bytes) -> list[Section]:
    result = []
    for region in _section_regions(data):
        body = b"" if region.kind == _SHT_NOBITS else data[region.offset : region.offset + region.size]
        result.append(Section(region.name, region.size, hashlib.sha256(body).hexdigest(), body))
    return result


def _notes_in(data: bytes, region: _Region) -> list[tuple[int, int]]:
    """``(offset, length)`` of the desc of every GNU build-id note in ``region``."""
    endian = _endian(data)
    pad = 8 if region.align == 8 else 4
    end = region.offset + region.size
    if region.offset < 0 or end > len(data):
        return []
    found = []
    pos = region.offset
    while pos + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from(endian + "III", data, pos)
        desc = pos + 12 + (namesz + pad - 1) // pad * pad
        nxt = desc + (descsz + pad - 1) // pad * pad
        if desc + descsz > end:
            break
        if ntype == _NT_GNU_BUILD_ID and data[pos + 12 : pos + 12 + namesz] == _GNU_NAME:
            found.append((desc, descsz))
        pos = nxt
    return found


def _build_id_descs(data: bytes) -> list[tuple[int, int]]:
    """Every distinct GNU build-id desc in the file, the ``.note.gnu.build-id`` one first.

    Notes are looked for in the section named ``.note.gnu.build-id``, then in any
    other ``SHT_NOTE`` section, then in ``PT_NOTE`` segments (a file without
    section headers). Unreadable input gives ``[]``.
    """
    try:
        secs = _section_regions(data)
    except _ERRORS:
        secs = []
    try:
        segs = _segment_regions(data)
    except _ERRORS:
        segs = []
    regions = [s for s in secs if s.name == _BUILD_ID_SECTION and s.kind == _SHT_NOTE]
    regions += [s for s in secs if s.name != _BUILD_ID_SECTION and s.kind == _SHT_NOTE]
    regions += [p for p in segs if p.kind == _PT_NOTE]
    found: list[tuple[int, int]] = []
    for region in regions:
        try:
            notes = _notes_in(data, region)
        except _ERRORS:
            continue
        found.extend(d for d in notes if d not in found)
    return found


def build_id(data: bytes) -> str | None:
    """The GNU build-id as hex, or None."""
    descs = _build_id_descs(data)
    if not descs:
        return None
    offset, length = descs[0]
    return data[offset : offset + length].hex()


def _digest(data: bytes, length: int) -> bytes:
    """``length`` bytes of digest: sha1 for the usual 20, else sha256 (extended by counter)."""
    if length == 20:
        return hashlib.sha1(data).digest()
    base = hashlib.sha256(data).digest()
    out = base
    counter = 0
    while len(out) < length:
        counter += 1
        out += hashlib.sha256(base + counter.to_bytes(4, "big")).digest()
    return out[:length]


def _writable_descs(data: bytes) -> list[tuple[int, int]]:
    """The non-empty build-id descs, or ``[]`` if two of them overlap (a corrupt file)."""
    descs = sorted(d for d in _build_id_descs(data) if d[1] > 0)
    if any(a_off + a_len > b_off for (a_off, a_len), (b_off, _) in pairwise(descs)):
        return []
    return descs


def _write_descs(data: bytes, descs: list[tuple[int, int]], values: list[bytes]) -> bytes | None:
    """``data`` with each desc replaced, or None if that would move or hide a note."""
    image = bytearray(data)
    for (offset, length), value in zip(descs, values, strict=True):
        image[offset : offset + length] = value
    result = bytes(image)
    # In a corrupt file a desc can overlap a note header; never write such a file.
    return result if _writable_descs(result) == descs else None


def recompute_build_id(data: bytes) -> bytes:
    """Set the GNU build-id to a digest of the final bytes and return the new image.

    The digest covers the whole file with every build-id desc zeroed, so the
    result does not depend on the old id and applying this twice changes
    nothing. The id keeps its length (a sha1 for the usual 20 bytes, sha256
    bytes for any other length), so no offset moves. Every build-id note in the
    file gets the same value. An image without a build-id note, or one that
    cannot be read, is returned unchanged.
    """
    descs = _writable_descs(data)
    if not descs:
        return data
    zeroed = _write_descs(data, descs, [bytes(n) for _, n in descs])
    if zeroed is None:
        return data
    return _write_descs(data, descs, [_digest(zeroed, n) for _, n in descs]) or data


def set_build_id(data: bytes, build_id: bytes) -> bytes:
    """Write ``build_id`` into every GNU build-id note of the same length, in place.

    Used to give a split debug file the id of its stripped object, so debuggers
    pair them. Notes of another length are left alone; an image without a
    build-id note, or one that cannot be read, is returned unchanged.
    """
    descs = _writable_descs(data)
    if not any(n == len(build_id) for _, n in descs):
        return data
    values = [build_id if n == len(build_id) else data[off : off + n] for off, n in descs]
    return _write_descs(data, descs, values) or data


def diff_sections(a: bytes, b: bytes) -> list[str]:
    """Describe which sections differ between two ELF images, one line each."""
    sa = {s.name: s for s in sections(a)}
    sb = {s.name: s for s in sections(b)}
    lines = []
    for name in sorted(sa.keys() | sb.keys()):
        x, y = sa.get(name), sb.get(name)
        if x is None:
            lines.append(f"section {name}: only in second ({y.size if y else 0} bytes)")
        elif y is None:
            lines.append(f"section {name}: only in first ({x.size} bytes)")
        elif x.digest != y.digest:
            lines.append(f"section {name}: {x.size} vs {y.size} bytes, contents differ")
    if not lines:
        lines.append("no section differs; the ELF headers or section layout differ")
    return lines
