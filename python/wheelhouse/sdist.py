"""Reading, checking and extracting source distributions, within limits.

An sdist is untrusted input. :func:`inspect_sdist` reads it whole before
anything is written and refuses it unless every member is safe: a relative
name without ``..``, a regular file, directory, symbolic link whose target
stays inside the tree, or hard link to an earlier file; nothing below a link
or file, no directory in place of another member; no devices, FIFOs or
sparse files; one top-level directory holding ``pyproject.toml`` or
``setup.py``; at most :attr:`ExtractLimits.max_members` members and
:attr:`ExtractLimits.max_bytes` bytes of file data (a decompression bomb is
refused at the first header that crosses the limit, before its data is
read). The project name and version (from ``PKG-INFO``, else the file name,
else the top-level directory) must be a valid PEP 508 name and PEP 440
version, because they name files on the host (the build log).

:func:`extract_sdist` writes the members itself (no ``tarfile`` filter, so
it behaves the same on every Python >= 3.11, Debian bookworm's 3.11.2
included): files with mode 0644 or 0755 and directories 0755 whatever the
umask, never through a symbolic link, counting bytes again as it goes. It
runs inside the build sandbox.
"""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
import errno
import itertools
import math
import os
import posixpath
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import BadArchive, LimitExceeded, NoBuildSystem, UnsafeArchive
from .limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS

# The build worker extracts with this module before the backend runs: what only
# inspecting needs (packaging, email) is imported there, not here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_MEMBERS",
    "MAX_SOURCE_DATE_EPOCH",
    "MIN_SOURCE_DATE_EPOCH",
    "ExtractLimits",
    "SdistInfo",
    "clamp_epoch",
    "extract_sdist",
    "inspect_sdist",
    "valid_project_name",
]

#: Zip cannot store dates before 1980-01-01; this is the earliest epoch we use.
MIN_SOURCE_DATE_EPOCH = 315532800
#: ... nor after 2107-12-31 23:59:58 UTC (its year field ends there): the latest we use.
MAX_SOURCE_DATE_EPOCH = 4354819198


#: PEP 517's fallback for a project without a ``[build-system]`` table.
LEGACY_BUILD_SYSTEM: dict[str, Any] = {
    "requires": ["setuptools>=40.8.0", "wheel"],
    "build-backend": "setuptools.build_meta:__legacy__",
}

_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError)
_WANTED = ("pyproject.toml", "setup.py", "PKG-INFO")
_MAX_METADATA = 4 << 20  # bytes read from one of _WANTED
_CHUNK = 1 << 20
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_NOT_ROOT = "names the extraction directory itself but is not a directory"
_UNSAFE = "refusing a malformed or malicious sdist; fetch it again from a trusted source and check its hash"


@dataclass(frozen=True)
class ExtractLimits:
    """Caps on what one sdist may unpack to.

    Attributes:
        max_bytes: total bytes of file data (int).
        max_members: number of archive members (int).
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_members: int = DEFAULT_MAX_MEMBERS


def valid_project_name(name: str) -> bool:
    """Whether ``name`` is a valid PEP 508 project name."""
    return bool(_NAME.fullmatch(name))


def clamp_epoch(epoch: int) -> int:
    """``epoch`` moved into the range a zip file can store (1980 to 2107)."""
    return min(max(epoch, MIN_SOURCE_DATE_EPOCH), MAX_SOURCE_DATE_EPOCH)


@dataclass(frozen=True)
class SdistInfo:
    """What we know about an sdist before extracting it.

    Attributes:
        path: the archive (Path).
        top: name of its single top-level directory (str).
        name: canonical project name, a valid PEP 508 name (str).
        version: version as published, a valid PEP 440 version (str).
        newest_mtime: newest member modification time, Unix seconds (int).
        build_system: the ``[build-system]`` table, or PEP 517's legacy
            default when the sdist has no such table (dict).
        has_pyproject: whether ``pyproject.toml`` exists at the top (bool).
        members: number of members (int).
        size: bytes of file data (int).
    """

    path: Path
    top: str
    name: str
    version: str
    newest_mtime: int
    build_system: dict[str, Any]
    has_pyproject: bool
    members: int = 0
    size: int = 0

    @property
    def label(self) -> str:
        """``name version`` for messages (str)."""
        return f"{self.name} {self.version}"

    def source_date_epoch(self) -> int:
        """The newest member time, clamped to what a zip can store (int)."""
        return clamp_epoch(self.newest_mtime)

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
    kind: str  # "file", "dir", "symlink", "hardlink"
    size: int
    mtime: int
    executable: bool
    link: str = ""


def _is_zip(path: Path) -> bool:
    return path.name.lower().endswith(".zip")


def _unsafe(sdist: Path, name: str, why: str) -> UnsafeArchive:
    return UnsafeArchive(f"{sdist}: member {name!r} {why}; {_UNSAFE}")


def _clean_name(sdist: Path, name: str) -> str:
    """The member name without ``.`` parts or trailing slash ("" for ``./``); refuse names that escape."""
    stripped = name.rstrip("/")
    pure = PurePosixPath(stripped)
    if (
        not stripped
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or ".." in pure.parts
        or (len(name) > 1 and name[1] == ":")
    ):
        raise _unsafe(sdist, name, "points outside the extraction directory")
    return "/".join(part for part in pure.parts if part != ".")


def _check_symlink(sdist: Path, name: str, target: str) -> None:
    """Refuse a link that could lead outside the tree.

    ``..`` may only lead the target: the link's own parents are real
    directories, so climbing them is what it looks like, whereas a ``..``
    after a name that is itself a link would climb from wherever that link
    points (``a/l/..`` with ``a/l -> ..`` is the tree's parent).
    """
    if not target or target.startswith("/") or "\0" in target:
        raise _unsafe(sdist, name, f"is a symbolic link to {target!r}, outside the source tree")
    parts = [part for part in target.split("/") if part not in ("", ".")]
    if ".." in itertools.dropwhile("..".__eq__, parts):
        raise _unsafe(sdist, name, f"is a symbolic link to {target!r}, whose '..' after a name could escape")
    top = name.split("/", 1)[0]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if resolved != top and not resolved.startswith(top + "/"):
        raise _unsafe(sdist, name, f"is a symbolic link to {target!r}, outside the source tree")


class _Budget:
    """Counts members and bytes against the limits."""

    def __init__(self, sdist: Path, limits: ExtractLimits) -> None:
        self.sdist = sdist
        self.limits = limits
        self.members = 0
        self.bytes = 0

    def member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitExceeded(
                f"{self.sdist}: more than {self.limits.max_members} members; refusing it as a "
                "decompression bomb (raise the limit with --max-members if the sdist is genuine)"
            )

    def data(self, size: int) -> None:
        self.bytes += max(size, 0)
        if self.bytes > self.limits.max_bytes:
            raise LimitExceeded(
                f"{self.sdist}: unpacks to more than {self.limits.max_bytes} bytes; refusing it as a "
                "decompression bomb (raise the limit with --max-extract-bytes if the sdist is genuine)"
            )


@dataclass
class _Node:
    """A path in the tree so far: its latest member (None for an implied directory)."""

    member: _Member | None = None
    children: dict[str, _Node] = dataclasses.field(default_factory=dict)

    @property
    def is_dir(self) -> bool:
        return self.member is None or self.member.kind == "dir"


class _Tree:
    """The members seen so far; each new one is checked against them and the limits.

    A path trie, so a member costs the length of its name however deep it is.
    Nothing may go below a file or link, and a directory never takes the place
    of another kind of member or the other way round: so the parents of every
    member stay real directories for the whole extraction.
    """

    def __init__(self, sdist: Path, budget: _Budget) -> None:
        self.sdist = sdist
        self.budget = budget
        self.root = _Node()

    def add(self, member: _Member) -> _Member:
        """Check ``member`` and record it; return it as it will be extracted."""
        sdist, name = self.sdist, member.name
        *parents, last = name.split("/")
        node = self.root
        for depth, part in enumerate(parents):
            node = node.children.setdefault(part, _Node())
            if not node.is_dir:
                prefix = "/".join(parents[: depth + 1])
                raise _unsafe(sdist, name, f"would be written through {prefix!r}, which is not a directory")
        earlier = node.children.get(last)
        if earlier is not None and earlier.is_dir != (member.kind == "dir"):
            was = earlier.member.kind if earlier.member is not None else "dir"
            raise _unsafe(sdist, name, f"is a {member.kind} in place of an earlier {was} of the same name")
        if member.kind == "file":
            self.budget.data(member.size)
        elif member.kind == "symlink":
            _check_symlink(sdist, name, member.link)
        elif member.kind == "hardlink":
            source = self._file(member.link)
            if source is None:
                raise _unsafe(sdist, name, f"is a hard link to {member.link!r}, which is not an earlier file")
            self.budget.data(source.size)  # extracted as a copy
            member = dataclasses.replace(member, size=source.size, link=source.name)
        if earlier is None:
            node.children[last] = _Node(member)
        else:
            earlier.member = member
        return member

    def _file(self, name: str) -> _Member | None:
        """The earlier regular file ``name`` (a link target, relative to the archive root)."""
        if name.startswith("/"):
            return None
        node = self.root
        for part in name.split("/"):
            if part not in ("", "."):
                child = node.children.get(part)
                if child is None:
                    return None
                node = child
        member = node.member
        return member if member is not None and member.kind == "file" else None


def _tar_kind(sdist: Path, info: tarfile.TarInfo) -> str:
    if info.issparse():
        raise _unsafe(sdist, info.name, "is a sparse file, which an sdist has no use for")
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    raise _unsafe(sdist, info.name, "is a device, FIFO or other special file")


def _tar_mtime(value: object) -> int:
    """A member's time in whole seconds; 0 for what is not a finite number (a PAX ``mtime=inf``)."""
    if isinstance(value, (int, float)) and math.isfinite(value):
        return int(value)
    return 0


def _iter_tar(
    sdist: Path, tar: tarfile.TarFile, budget: _Budget
) -> Iterator[tuple[_Member, tarfile.TarInfo]]:
    tree = _Tree(sdist, budget)
    for info in tar:
        budget.member()
        name = _clean_name(sdist, info.name)
        kind = _tar_kind(sdist, info)
        if not name:  # "./": the directory the archive was made from, i.e. dest
            if kind != "dir":
                raise _unsafe(sdist, info.name, _NOT_ROOT)
            continue
        executable = bool(info.mode & 0o111)
        member = _Member(name, kind, info.size, _tar_mtime(info.mtime), executable, info.linkname)
        yield tree.add(member), info


def _iter_zip(sdist: Path, zf: zipfile.ZipFile, budget: _Budget) -> Iterator[tuple[_Member, zipfile.ZipInfo]]:
    tree = _Tree(sdist, budget)
    for info in zf.infolist():
        budget.member()
        name = _clean_name(sdist, info.filename)
        mode = (info.external_attr >> 16) & 0o170000
        if mode == stat.S_IFLNK:
            raise _unsafe(sdist, info.filename, "is a symbolic link, which a zip sdist cannot carry safely")
        if mode not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _unsafe(sdist, info.filename, "is a device, FIFO or other special file")
        kind = "dir" if info.is_dir() else "file"
        if not name:
            if kind != "dir":
                raise _unsafe(sdist, info.filename, _NOT_ROOT)
            continue
        try:
            mtime = calendar.timegm((*info.date_time, 0, 0, 0))
        except (ValueError, OverflowError):
            mtime = 0
        executable = bool((info.external_attr >> 16) & 0o111)
        yield tree.add(_Member(name, kind, info.file_size, mtime, executable)), info


def _read_capped(handle: IO[bytes], sdist: Path, name: str) -> bytes:
    data = handle.read(_MAX_METADATA + 1)
    if len(data) > _MAX_METADATA:
        raise BadArchive(f"{sdist}: {name} is larger than {_MAX_METADATA} bytes; this is not a real sdist")
    return data


def _scan(sdist: Path, limits: ExtractLimits) -> tuple[list[_Member], dict[str, bytes], _Budget]:
    budget = _Budget(sdist, limits)
    members: list[_Member] = []
    wanted: dict[str, bytes] = {}
    if _is_zip(sdist):
        with zipfile.ZipFile(sdist) as zf:
            checked = list(_iter_zip(sdist, zf, budget))  # every header, before any data
            for member, zinfo in checked:
                members.append(member)
                if member.kind != "file":
                    continue
                parts = member.name.split("/")
                with zf.open(zinfo) as handle:
                    if len(parts) == 2 and parts[1] in _WANTED:
                        wanted[parts[1]] = _read_capped(handle, sdist, member.name)
                    while handle.read(_CHUNK):  # to the end, where zipfile checks the CRC
                        pass
    else:
        with tarfile.open(sdist) as tar:
            for member, tinfo in _iter_tar(sdist, tar, budget):
                members.append(member)
                parts = member.name.split("/")
                if member.kind == "file" and len(parts) == 2 and parts[1] in _WANTED:
                    extracted = tar.extractfile(tinfo)
                    if extracted is not None:
                        wanted[parts[1]] = _read_capped(extracted, sdist, member.name)
    return members, wanted, budget


def inspect_sdist(sdist: Path, limits: ExtractLimits | None = None) -> SdistInfo:
    """Read and check ``sdist`` whole, without writing anything.

    Raises:
        BadArchive: not a readable tar/zip archive, empty, more than one
            top-level directory, an invalid ``pyproject.toml``, or an
            invalid project name or version.
        UnsafeArchive: a member that could escape the source tree, is special, or
            would be written through a link or file or in place of a directory.
        LimitExceeded: more members or bytes than ``limits`` allow.
        NoBuildSystem: neither ``pyproject.toml`` nor ``setup.py`` at the top.
    """
    limits = limits or ExtractLimits()
    if not sdist.is_file():
        raise BadArchive(f"{sdist}: no such file; pass the path of an sdist (.tar.gz or .zip)")
    try:
        members, wanted, budget = _scan(sdist, limits)
    except (UnsafeArchive, BadArchive, LimitExceeded):
        raise
    except _READ_ERRORS as exc:
        raise BadArchive(
            f"{sdist}: not a readable sdist archive ({type(exc).__name__}: {exc}); "
            "the download is corrupt or truncated, fetch it again and check its hash"
        ) from None
    if not members:
        raise BadArchive(f"{sdist}: the archive is empty; fetch the sdist again")
    tops = {m.name.split("/", 1)[0] for m in members}
    if len(tops) != 1:
        raise BadArchive(
            f"{sdist}: expected one top-level directory, found {len(tops)} "
            f"({', '.join(sorted(tops)[:3])}...); this is not a standard sdist"
        )
    top = tops.pop()
    if any(m.name == top and m.kind != "dir" for m in members):
        raise BadArchive(
            f"{sdist}: its top-level entry {top!r} is not a directory; this is not a standard sdist"
        )
    has_pyproject = "pyproject.toml" in wanted
    if not has_pyproject and "setup.py" not in wanted:
        raise NoBuildSystem(
            f"{sdist}: neither pyproject.toml nor setup.py in {top}/; it is not a "
            "buildable source distribution (build it from its source tree with a "
            "build backend, or use the project's published wheel)"
        )
    build_system = _build_system(sdist, top, wanted.get("pyproject.toml"))
    name, version = _name_version(sdist, wanted.get("PKG-INFO"), top)
    newest = max(m.mtime for m in members)
    return SdistInfo(
        sdist, top, name, version, newest, build_system, has_pyproject, budget.members, budget.bytes
    )


def _build_system(sdist: Path, top: str, raw: bytes | None) -> dict[str, Any]:
    build_system = {**LEGACY_BUILD_SYSTEM, "requires": list(LEGACY_BUILD_SYSTEM["requires"])}
    if raw is None:
        return build_system
    import tomllib

    try:
        pyproject = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadArchive(
            f"{sdist}: {top}/pyproject.toml is not valid TOML ({exc}); "
            "fix the file or report it to the project"
        ) from None
    table = pyproject.get("build-system")
    if not isinstance(table, dict):
        return build_system
    requires = table.get("requires", [])
    backend = table.get("build-backend", LEGACY_BUILD_SYSTEM["build-backend"])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise BadArchive(f"{sdist}: {top}/pyproject.toml [build-system] requires is not a list of strings")
    if not isinstance(backend, str):
        raise BadArchive(f"{sdist}: {top}/pyproject.toml [build-system] build-backend is not a string")
    build_system = {"requires": list(requires), "build-backend": backend}
    if "backend-path" in table:
        paths = table["backend-path"]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise BadArchive(f"{sdist}: {top}/pyproject.toml [build-system] backend-path is not a list")
        build_system["backend-path"] = list(paths)
    return build_system


def _checked(sdist: Path, name: str, version: str, where: str) -> tuple[str, str]:
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    if not valid_project_name(name):
        raise BadArchive(
            f"{sdist}: {where} gives the project name {name!r}, which is not a valid PEP 508 name; {_UNSAFE}"
        )
    try:
        if version != version.strip():  # Version() allows blanks around it, a file name must not have them
            raise InvalidVersion(version)
        Version(version)
    except InvalidVersion:
        raise BadArchive(
            f"{sdist}: {where} gives the version {version!r}, which is not a valid PEP 440 version; {_UNSAFE}"
        ) from None
    return canonicalize_name(name), version


def _name_version(sdist: Path, pkg_info: bytes | None, top: str) -> tuple[str, str]:
    if pkg_info is not None:
        import email.parser

        msg = email.parser.BytesParser().parsebytes(pkg_info, headersonly=True)
        name, version = msg.get("Name"), msg.get("Version")
        if name and version:
            return _checked(sdist, str(name).strip(), str(version).strip(), f"{top}/PKG-INFO")
    stem = sdist.name
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    errors: list[BadArchive] = []
    for candidate, where in ((stem, "its file name"), (top, "its top-level directory")):
        name, _, version = candidate.rpartition("-")
        try:
            return _checked(sdist, name, version, where)
        except BadArchive as exc:
            errors.append(exc)
    raise errors[0]


def _open_parent(sdist: Path, dest: Path, name: str) -> Path:
    """The directory for member ``name`` under ``dest``, created; never through a link."""
    current = dest
    for part in name.split("/")[:-1]:
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current)
            os.chmod(current, 0o755)  # whatever the umask
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise _unsafe(sdist, name, f"would be written through {part!r}, which is not a directory")
    return current


def _write_file(target: Path, source: IO[bytes], budget: _Budget, executable: bool) -> None:
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISDIR(os.lstat(target).st_mode):
            shutil.rmtree(target)
        else:
            os.unlink(target)
    mode = 0o755 if executable else 0o644
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    os.fchmod(fd, mode)  # whatever the umask
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = source.read(_CHUNK)
            if not chunk:
                break
            budget.data(len(chunk))
            out.write(chunk)


def _set_mtime(path: Path, mtime: int) -> None:
    when = min(max(mtime, 0), MAX_SOURCE_DATE_EPOCH)
    os.utime(path, (when, when), follow_symlinks=False)


def extract_sdist(info: SdistInfo, dest: Path, limits: ExtractLimits | None = None) -> Path:
    """Extract the sdist described by ``info`` into ``dest``; return the source tree.

    Every member is checked again as it is written (the archive could have
    changed since :func:`inspect_sdist`), and the bytes written are counted
    against ``limits``.

    Raises:
        UnsafeArchive, LimitExceeded, BadArchive: as :func:`inspect_sdist`.
    """
    limits = limits or ExtractLimits()
    budget = _Budget(info.path, limits)
    scan = _Budget(info.path, limits)
    dest.mkdir(parents=True, exist_ok=True)
    dirs: list[tuple[Path, int]] = []
    try:
        if _is_zip(info.path):
            with zipfile.ZipFile(info.path) as zf:
                for member, zinfo in list(_iter_zip(info.path, zf, scan)):  # every header first
                    if member.kind == "dir":
                        dirs.append((_make_dir(info.path, dest, member.name), member.mtime))
                        continue
                    parent = _open_parent(info.path, dest, member.name)
                    target = parent / member.name.rsplit("/", 1)[-1]
                    with zf.open(zinfo) as handle:
                        _write_file(target, handle, budget, member.executable)
                    _set_mtime(target, member.mtime)
        else:
            with tarfile.open(info.path) as tar:
                for member, tinfo in _iter_tar(info.path, tar, scan):
                    _extract_tar_member(info.path, tar, tinfo, member, dest, budget, dirs)
    except (UnsafeArchive, LimitExceeded, BadArchive):
        raise
    except _READ_ERRORS as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise LimitExceeded(f"{info.path}: no space left while extracting ({exc})") from None
        raise BadArchive(
            f"{info.path}: extraction failed ({type(exc).__name__}: {exc}); "
            "the download is corrupt or truncated, fetch it again and check its hash"
        ) from None
    for path, mtime in reversed(dirs):
        _set_mtime(path, mtime)
    return dest / info.top


def _make_dir(sdist: Path, dest: Path, name: str) -> Path:
    parent = _open_parent(sdist, dest, name + "/x")
    st = os.lstat(parent)
    if not stat.S_ISDIR(st.st_mode):
        raise _unsafe(sdist, name, "is a directory where a link or file exists")
    os.chmod(parent, 0o755)
    return parent


def _extract_tar_member(
    sdist: Path,
    tar: tarfile.TarFile,
    tinfo: tarfile.TarInfo,
    member: _Member,
    dest: Path,
    budget: _Budget,
    dirs: list[tuple[Path, int]],
) -> None:
    if member.kind == "dir":
        dirs.append((_make_dir(sdist, dest, member.name), member.mtime))
        return
    parent = _open_parent(sdist, dest, member.name)
    target = parent / member.name.rsplit("/", 1)[-1]
    if member.kind == "file":
        handle = tar.extractfile(tinfo)
        if handle is None:
            raise BadArchive(f"{sdist}: member {member.name!r} has no data; fetch the sdist again")
        with handle:
            _write_file(target, handle, budget, member.executable)
    elif member.kind == "hardlink":
        # An earlier regular file below real directories (see _Tree); never follow a link to it.
        fd = os.open(dest / member.link, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise _unsafe(sdist, member.name, f"is a hard link to {member.link!r}, which is not a file")
            _write_file(target, handle, budget, bool(mode & 0o111))
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        os.symlink(member.link, target)
    _set_mtime(target, member.mtime)
