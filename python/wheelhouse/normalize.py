"""Deterministic wheel rewriting.

The same wheel contents always give the same bytes: entries sorted (the
``.dist-info`` directory last, ``RECORD`` at the very end), every timestamp set
to ``SOURCE_DATE_EPOCH`` (in UTC, never before 1980), permissions 0644 or 0755,
DEFLATE at level 6, no directory entries, no extra fields, RECORD regenerated.
ELF files lose their debug info (``strip``), keep it in a side directory keyed
by build-id (``split``), or are left alone (``keep``). A build tag or a local
version label renames the wheel, its ``.dist-info``/``.data`` directories,
METADATA's ``Version`` and WHEEL's ``Build`` consistently.

Stripping alone is not enough for identical bytes. A backend that compiles in
a random temporary directory (``tempfile.mkdtemp()``) puts that path into the
DWARF info, and the linker's GNU build-id, computed over the unstripped file,
carries it into the stripped one. So after ``strip``/``split``:

* every path component right after the build's temporary directory
  (:attr:`NormalizeOptions.temp_root`) is renamed to a fixed name of the same
  length, numbered in order of first appearance (``tmpa1B2c3D4`` becomes
  ``t0000000000``), in the stripped object and in its debug file; same length
  means no offset moves;
* the stripped object's build-id is recomputed from its final bytes
  (:func:`wheelhouse.elf.recompute_build_id`), and the debug file gets that
  same id and is stored under it, so debuggers still pair them.

So the wheel is the same whatever the random name was. A split debug file gets
the same name and size, but its bytes can still differ: GCC writes
``.debug_str`` and ``.debug_line_str`` in the order of its hash table of the
strings, so the random name has already chosen the string order (and every
offset into it), which a rename cannot undo. Compressed debug sections
(``-gz``) hide paths from the rename.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import elf
from .errors import BadArchive, UsageError

# The build worker imports this module: ``packaging`` only where it is needed.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    DebugMode = Literal["strip", "split", "keep"]
else:
    DebugMode = str

__all__ = [
    "DebugMode",
    "NormalizeOptions",
    "normalize_wheel",
    "record_line",
    "rewrite_entries",
]

RunFn = Callable[[Sequence[str]], object]

_BUILD_TAG = re.compile(r"^\d[A-Za-z0-9_.]*$")
_LOCAL_LABEL = re.compile(r"^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$")
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_MIN_EPOCH = 315532800


@dataclass(frozen=True)
class NormalizeOptions:
    """How to rewrite a wheel.

    Attributes:
        source_date_epoch: Unix time for every entry (int; clamped to >= 1980).
        debug: ``strip`` | ``split`` | ``keep`` (str).
        debug_dir: where ``split`` writes ``.build-id/xx/rest.debug`` (Path | None).
        build_tag: PEP 427 build tag to apply, starts with a digit (str | None).
        local_version: PEP 440 local label to append (str | None).
        strip: the ``strip`` program (str).
        objcopy: the ``objcopy`` program (str).
        temp_root: the build's ``TMPDIR`` inside the sandbox; the directory name
            right under it is random per build and is renamed, same length, in
            stripped objects and split debug files (str; ``/tmp/wheelhouse-build/tmp``,
            the sandbox's ``FIXED_ROOT / "tmp"``).
    """

    source_date_epoch: int
    debug: DebugMode = "strip"
    debug_dir: Path | None = None
    build_tag: str | None = None
    local_version: str | None = None
    strip: str = "strip"
    objcopy: str = "objcopy"
    temp_root: str = "/tmp/wheelhouse-build/tmp"

    def __post_init__(self) -> None:
        if self.build_tag is not None and self.local_version is not None:
            raise UsageError("--build-tag and --local-version are exclusive; pick one")
        if self.build_tag is not None and not _BUILD_TAG.fullmatch(self.build_tag):
            raise UsageError(
                f"--build-tag {self.build_tag!r}: must start with a digit and contain only "
                "letters, digits, '_' and '.' (PEP 427), e.g. 1 or 1local"
            )
        if self.local_version is not None and not _LOCAL_LABEL.fullmatch(self.local_version):
            raise UsageError(
                f"--local-version {self.local_version!r}: must be letters and digits "
                "separated by '.', e.g. site1 or corp.2 (PEP 440 local label)"
            )
        if self.debug not in ("strip", "split", "keep"):
            raise UsageError(f"--debug {self.debug!r}: choose strip, split or keep")
        if self.debug == "split" and self.debug_dir is None:
            raise UsageError("--debug split needs a directory for the debug files (--debug-dir)")


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def record_line(path: str, data: bytes) -> list[str]:
    """One RECORD row: path, ``sha256=<urlsafe b64>``, size."""
    return [path, "sha256=" + _b64(hashlib.sha256(data).digest()), str(len(data))]


def _sort_key(name: str, dist_info: str) -> tuple[int, str]:
    if name == f"{dist_info}/RECORD":
        return (2, name)
    if name.startswith(dist_info + "/"):
        return (1, name)
    return (0, name)


def rewrite_entries(entries: dict[str, tuple[bytes, int]], dist_info: str, epoch: int) -> bytes:
    """Write ``{name: (data, mode)}`` plus a fresh RECORD as a deterministic zip.

    ``mode`` is 0o755 or 0o644. Any RECORD already in ``entries`` is replaced.
    """
    record_name = f"{dist_info}/RECORD"
    files = {k: v for k, v in entries.items() if k != record_name}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ordered = sorted(files, key=lambda n: _sort_key(n, dist_info))
    for name in ordered:
        writer.writerow(record_line(name, files[name][0]))
    writer.writerow([record_name, "", ""])
    files[record_name] = (out.getvalue().encode("utf-8"), 0o644)
    ordered.append(record_name)
    date_time = time.gmtime(max(epoch, _MIN_EPOCH))[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in ordered:
            data, mode = files[name]
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def _check_member(wheel: Path, name: str) -> None:
    pure = PurePosixPath(name)
    if name.startswith("/") or ".." in pure.parts or "\\" in name:
        raise BadArchive(f"{wheel}: member {name!r} points outside the wheel; refusing it")


def read_wheel_entries(wheel: Path) -> tuple[dict[str, tuple[bytes, int]], str]:
    """``({member: (data, mode)}, dist-info directory)`` of a wheel; signatures dropped.

    Raises:
        BadArchive: unreadable, a member outside the wheel, not exactly one dist-info with WHEEL.
    """
    entries: dict[str, tuple[bytes, int]] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                _check_member(wheel, info.filename)
                top, _, base = info.filename.partition("/")
                if top.endswith(".dist-info") and base in _SIGNATURES:
                    continue
                mode = 0o755 if (info.external_attr >> 16) & 0o111 else 0o644
                entries[info.filename] = (zf.read(info), mode)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BadArchive(f"{wheel}: not a readable wheel ({exc})") from None
    dist_infos = {n.split("/", 1)[0] for n in entries if n.split("/", 1)[0].endswith(".dist-info")}
    dist_infos = {d for d in dist_infos if f"{d}/WHEEL" in entries}
    if len(dist_infos) != 1:
        raise BadArchive(f"{wheel}: expected one .dist-info directory with WHEEL, found {len(dist_infos)}")
    return entries, dist_infos.pop()


def _temp_name(length: int, index: int) -> bytes:
    """The ``index``-th replacement name of ``length`` bytes: ``t0``, ``t1``, ``t00``..."""
    digits = str(index)
    if length == 1:
        return digits[-1:].encode()
    return ("t" + digits[-(length - 1) :].zfill(length - 1)).encode()


def _scrub_temp_paths(data: bytes, temp_root: str, names: dict[bytes, bytes]) -> bytes:
    """Rename each path component right after ``temp_root/`` to a fixed name of the same length.

    ``names`` maps the original names to their replacements and is extended in
    order of first appearance, so one directory gets one name across the files
    scrubbed with the same map. Names are distinct per length while the counter
    fits (10 one-byte names, 10**(n-1) names of n bytes).
    """
    root = temp_root.rstrip("/").encode()
    if not root:
        return data
    counts: dict[int, int] = {}
    for original in names:
        counts[len(original)] = counts.get(len(original), 0) + 1

    def replace(match: re.Match[bytes]) -> bytes:
        original = match.group(2)
        if original not in names:
            index = counts.get(len(original), 0)
            counts[len(original)] = index + 1
            names[original] = _temp_name(len(original), index)
        return match.group(1) + names[original]

    pattern = re.compile(b"(" + re.escape(root) + b"/)([^/\0]+)")
    return pattern.sub(replace, data)


def _process_elf(name: str, data: bytes, opts: NormalizeOptions, run: RunFn) -> bytes:
    """Strip ``data`` (splitting the debug info out if asked) and pin its build-id."""
    with tempfile.TemporaryDirectory(prefix="wheelhouse-elf-") as tmp:
        target = Path(tmp) / "obj"
        target.write_bytes(data)
        debug_data = None
        if opts.debug == "split":
            debug_file = Path(tmp) / "obj.debug"
            run([opts.objcopy, "--only-keep-debug", str(target), str(debug_file)])
            debug_data = debug_file.read_bytes()
        run([opts.strip, "--strip-debug", str(target)])
        names: dict[bytes, bytes] = {}
        stripped = elf.recompute_build_id(_scrub_temp_paths(target.read_bytes(), opts.temp_root, names))
    if debug_data is None:
        return stripped
    assert opts.debug_dir is not None
    debug_data = _scrub_temp_paths(debug_data, opts.temp_root, names)
    key = elf.build_id(stripped)
    if key:
        debug_data = elf.set_build_id(debug_data, bytes.fromhex(key))
    else:
        key = "sha256-" + hashlib.sha256(stripped).hexdigest()
    dest = opts.debug_dir / ".build-id" / key[:2] / f"{key[2:]}.debug"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_dest = dest.with_name(dest.name + ".tmp")
    tmp_dest.write_bytes(debug_data)
    os.replace(tmp_dest, dest)
    return stripped


def _retag(
    entries: dict[str, tuple[bytes, int]], dist_info: str, wheel_name: str, opts: NormalizeOptions
) -> tuple[dict[str, tuple[bytes, int]], str, str]:
    stem = wheel_name[: -len(".whl")]
    parts = stem.split("-")
    if len(parts) not in (5, 6):
        raise BadArchive(f"{wheel_name}: not a valid wheel file name")
    name, version, tags = parts[0], parts[1], parts[-3:]
    build = parts[2] if len(parts) == 6 else None
    new_version = version
    if opts.local_version is not None:
        label = opts.local_version.lower().replace("-", ".").replace("_", ".")
        new_version = f"{version}.{label}" if "+" in version else f"{version}+{label}"
        from packaging.version import InvalidVersion, Version

        try:
            Version(new_version)
        except InvalidVersion:
            raise UsageError(
                f"--local-version {opts.local_version!r} gives invalid version {new_version!r}"
            ) from None
    if opts.build_tag is not None:
        build = opts.build_tag
    dist_prefix = dist_info[: -len(".dist-info")].rpartition("-")[0]
    new_dist_info = f"{dist_prefix}-{new_version}.dist-info"
    old_data, new_data = (
        f"{dist_prefix}-{version}.data",
        f"{dist_prefix}-{new_version}.data",
    )
    renamed: dict[str, tuple[bytes, int]] = {}
    for member, value in entries.items():
        top, _, rest = member.partition("/")
        if top == dist_info:
            member = f"{new_dist_info}/{rest}"
        elif top == old_data:
            member = f"{new_data}/{rest}"
        renamed[member] = value
    meta_name = f"{new_dist_info}/METADATA"
    if meta_name not in renamed:
        raise BadArchive(f"{wheel_name}: no {dist_info}/METADATA; cannot apply a build tag or local version")
    meta, mode = renamed[meta_name]
    if new_version != version:
        meta = re.sub(rb"^Version: .*$", b"Version: " + new_version.encode(), meta, count=1, flags=re.M)
    renamed[meta_name] = (meta, mode)
    if opts.build_tag is not None:
        wheel_meta, wmode = renamed[f"{new_dist_info}/WHEEL"]
        lines = [ln for ln in wheel_meta.decode("utf-8").splitlines() if not ln.startswith("Build:")]
        body = [ln for ln in lines if ln.strip()]
        body.append(f"Build: {opts.build_tag}")
        renamed[f"{new_dist_info}/WHEEL"] = (("\n".join(body) + "\n").encode("utf-8"), wmode)
    fields = [name, new_version] + ([build] if build else []) + tags
    return renamed, new_dist_info, "-".join(fields) + ".whl"


def normalize_wheel(
    wheel: Path,
    out_dir: Path,
    opts: NormalizeOptions,
    run: RunFn | None = None,
) -> Path:
    """Rewrite ``wheel`` deterministically into ``out_dir``; return the new path.

    The output is written to a temporary name and renamed, so ``out_dir`` never
    holds a partial wheel.
    """
    runner: RunFn = run or (lambda cmd: subprocess.run(list(cmd), check=True, capture_output=True))
    entries, dist_info = read_wheel_entries(wheel)
    if opts.debug != "keep":
        for member, (data, mode) in list(entries.items()):
            # Only real ELF objects (a readable section table) are stripped.
            if elf.is_elf(data) and elf.sections(data):
                try:
                    entries[member] = (_process_elf(member, data, opts, runner), mode)
                except (OSError, subprocess.CalledProcessError) as exc:
                    raise BadArchive(
                        f"{wheel.name}: cannot strip {member} ({exc}); install binutils or pass --debug keep"
                    ) from None
    name = wheel.name
    if opts.build_tag is not None or opts.local_version is not None:
        entries, dist_info, name = _retag(entries, dist_info, name, opts)
    data = rewrite_entries(entries, dist_info, opts.source_date_epoch)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_wheel_file(out_dir / name, data)


def write_wheel_file(final: Path, data: bytes) -> Path:
    """Write ``data`` to ``final`` (mode 0644) under a temporary name, then rename: never partial."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return final
