"""Reading back what a build left in its private directory, trusting none of it.

The worker and the backend ran as the same user inside the sandbox, so every
file under the build root may be a symbolic link to a host file, a FIFO, a
directory where a file should be, or gigabytes long. The sandbox is gone
(every process in it was killed) when these functions run, so nothing
changes under them; they still open every path component with
``O_NOFOLLOW``, accept regular files only, cap sizes, and validate
``result.json`` before using a single value from it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SandboxError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

__all__ = [
    "checked_wheel_name",
    "copy_out",
    "copy_tree_out",
    "iter_debug_files",
    "open_inside",
    "read_result",
]

_MAX_RESULT = 1 << 20
_MAX_TAIL_LINES = 200
_DEBUG_NAME = re.compile(r"^[0-9a-f]{2}$|^[0-9a-f]{2,128}\.debug$|^sha256-[0-9a-f]{2,64}\.debug$")


def _bad(what: str) -> SandboxError:
    return SandboxError(
        f"the build left a malformed result ({what}); the build backend tampered with its "
        "sandbox or wheelhouse has a bug: rerun with -v and inspect the sdist"
    )


@contextmanager
def open_inside(root: Path, relative: str) -> Iterator[IO[bytes]]:
    """Open the regular file ``root/relative`` without following any link.

    Raises:
        SandboxError: a component is a link, not a directory, or the file is not regular.
    """
    parts = [p for p in relative.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise _bad(f"path {relative!r}")
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            try:
                next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError:
                raise _bad(f"{relative!r} is not a plain directory path") from None
            os.close(dir_fd)
            dir_fd = next_fd
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError:
            raise _bad(f"{relative!r} is missing or a link") from None
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _bad(f"{relative!r} is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        yield handle


def read_result(root: Path) -> dict[str, Any] | None:
    """The worker's ``result.json``, validated; None when there is none.

    Raises:
        SandboxError: the file is malformed.
    """
    try:
        with open_inside(root, "result.json") as handle:
            raw = handle.read(_MAX_RESULT + 1)
    except SandboxError:
        if not os.path.lexists(root / "result.json"):
            return None
        raise
    if len(raw) > _MAX_RESULT:
        raise _bad("result.json is too large")
    try:
        data = json.loads(raw)
    except ValueError:
        raise _bad("result.json is not JSON") from None
    if not isinstance(data, dict):
        raise _bad("result.json is not an object")
    if "error" in data:
        error = data["error"]
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            raise _bad("error without a message")
        if not isinstance(error.get("type"), str):
            raise _bad("error without a type")
        tail = error.get("log_tail", [])
        if not isinstance(tail, list) or not all(isinstance(t, str) for t in tail):
            raise _bad("log_tail")
        error["log_tail"] = [t[:500] for t in tail[-_MAX_TAIL_LINES:]]
        error["message"] = error["message"][:4000]
        if "requirement" in error and not isinstance(error["requirement"], str):
            raise _bad("requirement")
        return {"error": error}
    if data.get("requires_only") is True:
        keys: tuple[str, ...] = ()
    elif "env" in data:
        keys = ("env", "interpreter")
    else:
        keys = ("wheel", "interpreter")
    for key in keys:
        if not isinstance(data.get(key), str):
            raise _bad(f"no {key}")
    for key in ("environment", "dynamic"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and len(v) < 300 for v in value):
            raise _bad(key)
    return data


def checked_wheel_name(relative: str, project: str) -> str:
    """The wheel's file name from ``final/<name>.whl``, checked against the project.

    Raises:
        SandboxError: not a valid wheel name in ``final/``, or another project's.
    """
    directory, _, name = relative.partition("/")
    if directory != "final" or "/" in name:
        raise _bad(f"wheel path {relative!r}")
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    try:
        wheel_project = parse_wheel_filename(name)[0]
    except InvalidWheelFilename:
        raise _bad(f"wheel name {name!r}") from None
    if wheel_project != canonicalize_name(project):
        raise SandboxError(
            f"the build produced {name!r}, a wheel of another project than {project!r}; "
            "refusing it (the sdist's metadata and its build disagree)"
        )
    return name


def copy_out(root: Path, relative: str, dest: Path, *, max_bytes: int | None = None) -> int:
    """Copy the regular file ``root/relative`` to ``dest`` atomically; return its size.

    ``dest`` appears complete or not at all (temporary name, then rename).
    With ``max_bytes``, only the last ``max_bytes`` bytes are kept.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with open_inside(root, relative) as src, os.fdopen(fd, "wb") as out:
            size = os.fstat(src.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                src.seek(size - max_bytes)
            shutil.copyfileobj(src, out, 1 << 20)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return size


def iter_debug_files(root: Path) -> Iterator[str]:
    """The split debug files the build wrote: ``debug/.build-id/xx/rest.debug`` paths.

    Anything that does not look like one (or is not a regular file) is skipped.
    """
    top = root / "debug" / ".build-id"
    if top.is_symlink() or not top.is_dir() or (root / "debug").is_symlink():
        return
    for sub in sorted(os.listdir(top)):
        if not _DEBUG_NAME.match(sub) or len(sub) != 2:
            continue
        subdir = top / sub
        if subdir.is_symlink() or not subdir.is_dir():
            continue
        for name in sorted(os.listdir(subdir)):
            if _DEBUG_NAME.match(name) and name.endswith(".debug"):
                path = subdir / name
                if not path.is_symlink() and path.is_file():
                    yield f"debug/.build-id/{sub}/{name}"


def copy_tree_out(root: Path, relative: str, dest: Path) -> int:
    """Copy the directory ``root/relative`` (regular files and directories only) to ``dest``.

    ``dest`` must not exist, or be an empty directory; it appears complete or
    not at all (a temporary sibling, then a rename). Returns the file count.

    Raises:
        SandboxError: a link, device or FIFO in the tree, or a path that is not a plain directory.
    """
    top = root / relative
    if top.is_symlink() or not top.is_dir():
        raise _bad(f"{relative!r} is not a plain directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    count = 0
    try:
        for dirpath, dirnames, filenames in os.walk(top):
            base = Path(dirpath)
            rel_dir = base.relative_to(root)
            for name in sorted(dirnames):
                if (base / name).is_symlink():
                    raise _bad(f"{rel_dir / name} is a link")
                (staging / (base / name).relative_to(top)).mkdir()
            for name in sorted(filenames):
                rel = str(rel_dir / name)
                target = staging / (base / name).relative_to(top)
                with open_inside(root, rel) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                    mode = os.fstat(src.fileno()).st_mode
                os.chmod(target, 0o755 if mode & 0o111 else 0o644)
                count += 1
        if dest.exists():
            dest.rmdir()  # an empty directory (e.g. the one Bazel declared)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count
