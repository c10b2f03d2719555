"""Reading and safely extracting source distributions.

An sdist is checked whole before anything is written: every member must pass
the tarfile ``data`` filter (no absolute paths, no ``..``, no links that point
outside, no device files), all members share one top-level directory, and that
directory holds ``pyproject.toml`` or ``setup.py``. Only then is it extracted.
"""

from __future__ import annotations

import calendar
import dataclasses
import email.parser
import tarfile
import tomllib
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.utils import InvalidSdistFilename, canonicalize_name, parse_sdist_filename

from .errors import BadArchive, NoBuildSystem, UnsafeArchive

__all__ = [
    "MIN_SOURCE_DATE_EPOCH",
    "SdistInfo",
    "extract_sdist",
    "inspect_sdist",
]

#: Zip cannot store dates before 1980-01-01; this is the earliest epoch we use.
MIN_SOURCE_DATE_EPOCH = 315532800

#: PEP 517's fallback for a project without a ``[build-system]`` table.
LEGACY_BUILD_SYSTEM: dict[str, Any] = {
    "requires": ["setuptools>=40.8.0", "wheel"],
    "build-backend": "setuptools.build_meta:__legacy__",
}

_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError)


@dataclass(frozen=True)
class SdistInfo:
    """What we know about an sdist before extracting it.

    Attributes:
        path: the archive (Path).
        top: name of its single top-level directory (str).
        name: canonical project name (str).
        version: version string as published (str).
        newest_mtime: newest member modification time, Unix seconds (int).
        build_system: the ``[build-system]`` table, or PEP 517's legacy
            default when the sdist has no such table (dict).
        has_pyproject: whether ``pyproject.toml`` exists at the top (bool).
    """

    path: Path
    top: str
    name: str
    version: str
    newest_mtime: int
    build_system: dict[str, Any]
    has_pyproject: bool

    @property
    def label(self) -> str:
        """``name version`` for messages (str)."""
        return f"{self.name} {self.version}"

    def source_date_epoch(self) -> int:
        """The newest member time, never before 1980 (int)."""
        return max(self.newest_mtime, MIN_SOURCE_DATE_EPOCH)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (handed from the front end to the build worker)."""
        return {**dataclasses.asdict(self), "path": str(self.path)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SdistInfo:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "path": Path(data["path"])})


@dataclass(frozen=True)
class _Member:
    name: str
    mtime: int
    is_file: bool


def _is_zip(path: Path) -> bool:
    return path.name.lower().endswith(".zip")


def _check_name(sdist: Path, name: str) -> None:
    pure = PurePosixPath(name)
    if name.startswith("/") or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(
            f"{sdist}: member {name!r} points outside the extraction directory; "
            "refusing to extract a malformed or malicious sdist, fetch it again "
            "from a trusted source and check its hash"
        )


def _tar_members(sdist: Path, dest: Path) -> tuple[list[_Member], dict[str, bytes]]:
    members: list[_Member] = []
    wanted: dict[str, bytes] = {}
    with tarfile.open(sdist) as tar:
        for info in tar:
            _check_name(sdist, info.name)
            try:
                tarfile.data_filter(info, str(dest))
            except tarfile.FilterError as exc:
                raise UnsafeArchive(
                    f"{sdist}: member {info.name!r} is unsafe ({exc}); refusing to "
                    "extract a malformed or malicious sdist, fetch it again from a "
                    "trusted source and check its hash"
                ) from None
            members.append(_Member(info.name, int(info.mtime), info.isfile()))
            parts = PurePosixPath(info.name).parts
            if info.isfile() and len(parts) == 2 and parts[1] in _WANTED:
                handle = tar.extractfile(info)
                if handle is not None:
                    wanted[parts[1]] = handle.read()
    return members, wanted


def _zip_members(sdist: Path) -> tuple[list[_Member], dict[str, bytes]]:
    members: list[_Member] = []
    wanted: dict[str, bytes] = {}
    with zipfile.ZipFile(sdist) as zf:
        for info in zf.infolist():
            _check_name(sdist, info.filename)
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise UnsafeArchive(
                    f"{sdist}: member {info.filename!r} is a symbolic link, which a zip "
                    "sdist cannot carry safely; refusing to extract it"
                )
            mtime = calendar.timegm((*info.date_time, 0, 0, 0))
            members.append(_Member(info.filename, mtime, not info.is_dir()))
            parts = PurePosixPath(info.filename).parts
            if not info.is_dir() and len(parts) == 2 and parts[1] in _WANTED:
                wanted[parts[1]] = zf.read(info)
        bad = zf.testzip()
        if bad is not None:
            raise BadArchive(f"{sdist}: member {bad!r} is corrupt (CRC mismatch)")
    return members, wanted


_WANTED = ("pyproject.toml", "setup.py", "PKG-INFO")


def inspect_sdist(sdist: Path, dest: Path) -> SdistInfo:
    """Read and validate ``sdist`` as if extracting it into ``dest``.

    Raises:
        BadArchive: the file is not a readable tar/zip archive, or is empty,
            or has more than one top-level directory, or an invalid
            ``pyproject.toml``.
        UnsafeArchive: a member would escape ``dest``.
        NoBuildSystem: neither ``pyproject.toml`` nor ``setup.py`` at the top.
    """
    if not sdist.is_file():
        raise BadArchive(f"{sdist}: no such file; pass the path of an sdist (.tar.gz)")
    try:
        if _is_zip(sdist):
            members, wanted = _zip_members(sdist)
        else:
            members, wanted = _tar_members(sdist, dest)
    except (UnsafeArchive, BadArchive):
        raise
    except _READ_ERRORS as exc:
        raise BadArchive(
            f"{sdist}: not a readable sdist archive ({type(exc).__name__}: {exc}); "
            "the download is corrupt or truncated, fetch it again and check its hash"
        ) from None
    if not members:
        raise BadArchive(f"{sdist}: the archive is empty; fetch the sdist again")
    tops = {PurePosixPath(m.name).parts[0] for m in members if PurePosixPath(m.name).parts}
    if len(tops) != 1:
        raise BadArchive(
            f"{sdist}: expected one top-level directory, found {len(tops)} "
            f"({', '.join(sorted(tops)[:3])}...); this is not a standard sdist"
        )
    top = tops.pop()
    has_pyproject = "pyproject.toml" in wanted
    if not has_pyproject and "setup.py" not in wanted:
        raise NoBuildSystem(
            f"{sdist}: neither pyproject.toml nor setup.py in {top}/; it is not a "
            "buildable source distribution (build it from its source tree with a "
            "build backend, or use the project's published wheel)"
        )
    build_system = {**LEGACY_BUILD_SYSTEM, "requires": list(LEGACY_BUILD_SYSTEM["requires"])}
    if has_pyproject:
        try:
            pyproject = tomllib.loads(wanted["pyproject.toml"].decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadArchive(
                f"{sdist}: {top}/pyproject.toml is not valid TOML ({exc}); "
                "fix the file or report it to the project"
            ) from None
        table = pyproject.get("build-system")
        if isinstance(table, dict):
            build_system = {
                "requires": list(table.get("requires", [])),
                "build-backend": table.get("build-backend", LEGACY_BUILD_SYSTEM["build-backend"]),
            }
            if "backend-path" in table:
                build_system["backend-path"] = list(table["backend-path"])
    name, version = _name_version(sdist, wanted.get("PKG-INFO"), top)
    newest = max(m.mtime for m in members)
    return SdistInfo(sdist, top, name, version, newest, build_system, has_pyproject)


def _name_version(sdist: Path, pkg_info: bytes | None, top: str) -> tuple[str, str]:
    if pkg_info is not None:
        msg = email.parser.BytesParser().parsebytes(pkg_info, headersonly=True)
        name, version = msg.get("Name"), msg.get("Version")
        if name and version:
            return canonicalize_name(str(name)), str(version)
    try:
        parsed_name, parsed_version = parse_sdist_filename(sdist.name)
        return parsed_name, str(parsed_version)
    except InvalidSdistFilename:
        name, _, version = top.rpartition("-")
        return canonicalize_name(name or top), version or "0"


def extract_sdist(info: SdistInfo, dest: Path) -> Path:
    """Extract the sdist described by ``info`` into ``dest``; return the source tree.

    The archive was validated by :func:`inspect_sdist`; extraction still goes
    through the ``data`` filter (tar) or the same path checks (zip).
    """
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if _is_zip(info.path):
            with zipfile.ZipFile(info.path) as zf:
                for member in zf.infolist():
                    _check_name(info.path, member.filename)
                    target = dest / member.filename
                    if member.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(member))
                    if (member.external_attr >> 16) & 0o111:
                        target.chmod(0o755)
        else:
            with tarfile.open(info.path) as tar:
                tar.extractall(dest, filter="data")
    except tarfile.FilterError as exc:
        raise UnsafeArchive(f"{info.path}: unsafe member ({exc}); refusing to extract") from None
    except _READ_ERRORS as exc:
        raise BadArchive(
            f"{info.path}: extraction failed ({type(exc).__name__}: {exc}); "
            "the download is corrupt or truncated, fetch it again and check its hash"
        ) from None
    return dest / info.top
