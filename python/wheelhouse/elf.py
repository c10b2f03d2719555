"""Just enough ELF reading to name differing sections and find a GNU build-id.

Only the section header table is read (32/64-bit, either byte order); nothing
is executed or relocated. Malformed input gives an empty section list, never an
exception, because this is used to *explain* differences, not to validate.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

__all__ = ["Section", "build_id", "diff_sections", "is_elf", "sections"]

_SHT_NOBITS = 8
_NT_GNU_BUILD_ID = 3


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


def is_elf(data: bytes) -> bool:
    """Whether ``data`` starts with the ELF magic."""
    return data[:4] == b"\x7fELF"


def sections(data: bytes) -> list[Section]:
    """The sections of an ELF image, in header order; ``[]`` if unreadable."""
    try:
        return _sections(data)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError, OverflowError):
        return []


def _sections(data: bytes) -> list[Section]:
    if not is_elf(data) or len(data) < 52:
        return []
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is64:
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
        name_off, sh_type, _flags, _addr, offset, size = fields[:6]
        headers.append((name_off, sh_type, offset, size))
    if not headers or shstrndx >= len(headers):
        return []
    _n, _t, str_off, str_size = headers[shstrndx]
    strtab = data[str_off : str_off + str_size]
    result = []
    for name_off, sh_type, offset, size in headers:
        end = strtab.find(b"\0", name_off)
        name = strtab[name_off:end].decode("utf-8")
        body = b"" if sh_type == _SHT_NOBITS else data[offset : offset + size]
        result.append(Section(name, size, hashlib.sha256(body).hexdigest(), body))
    return result


def build_id(data: bytes) -> str | None:
    """The GNU build-id as hex, or None."""
    for sec in sections(data):
        if sec.name != ".note.gnu.build-id" or len(sec.data) < 16:
            continue
        endian = "<" if data[5] == 1 else ">"
        namesz, descsz, ntype = struct.unpack_from(endian + "III", sec.data, 0)
        if ntype != _NT_GNU_BUILD_ID:
            continue
        start = 12 + ((namesz + 3) & ~3)
        return sec.data[start : start + descsz].hex()
    return None


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
