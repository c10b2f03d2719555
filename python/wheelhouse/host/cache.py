"""The local caches: build environments by pinned set, build results by action digest.

Everything lives under :func:`cache_root` (``$WHEELHOUSE_CACHE``, else
``$XDG_CACHE_HOME/wheelhouse``, else ``~/.cache/wheelhouse``), content-addressed,
written through a temporary sibling and a rename (so concurrent writers race
harmlessly: the first rename wins), and verified before use (a damaged entry is
removed and made again, never used):

- ``envs/<key>/``: a build environment (``wheelhouse build-env`` layout) named by
  the sorted sha256s of its wheels, the interpreter (implementation, version,
  ABI, platform) and the core (:func:`core_digest`), with ``entry.json``
  holding a digest of its whole tree, checked on every use;
- ``actions/<key>/``: one built wheel (and its split debug files) and
  ``entry.json`` (their sha256s, the environment, the dynamic requirements),
  named by the digest of everything the build depends on (:func:`action_key`);
- ``venvs/<key>/``: the installed tree of ``wheelhouse env`` for one pinned set
  (:mod:`wheelhouse.host.envs`), verified on every use;
- ``dynamic/<key>.json``: what a backend asked for in
  ``get_requires_for_build_wheel`` for one sdist, environment and options;
- ``resolutions/<key>.json``: the wheels a requirement set resolved to, keyed
  by the requirements, the interpreter and the listing (names, sizes, times)
  of the directories resolved against;
- ``sdists/<sha256>.json``: what inspecting an sdist found;
- ``interpreters/<key>.json``, ``toolchains/<key>.json``: what an interpreter
  said about itself and the tools' versions, keyed by paths, sizes and times;
- ``core/<key>.json``: the digest of the core's own sources (:func:`core_digest`),
  keyed by their paths, sizes and times;
- ``files/<sha256>/<name>``: fetched files (:mod:`wheelhouse.host.fetch`);
- ``logs/``: the backends' logs of the last builds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..sandboxed.buildenv import Interpreter, describe_interpreter
from .hashing import file_sha256

__all__ = [
    "Cache",
    "CacheStats",
    "action_key",
    "cache_root",
    "core_digest",
    "digest",
    "env_key",
    "toolchain_key",
    "tree_digest",
]

KINDS = (
    "envs",
    "venvs",
    "actions",
    "dynamic",
    "resolutions",
    "sdists",
    "interpreters",
    "toolchains",
    "core",
    "files",
    "logs",
)
_ENTRY = "entry.json"


def cache_root() -> Path:
    """Where the caches live: ``$WHEELHOUSE_CACHE``, else ``$XDG_CACHE_HOME/wheelhouse``
    (``~/.cache/wheelhouse``)."""
    explicit = os.environ.get("WHEELHOUSE_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wheelhouse"


def digest(data: object) -> str:
    """sha256 of ``data`` as canonical JSON."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


_CORE: list[str] = []
_CORE_PACKAGES = ("wheelhouse", "packaging", "build", "pyproject_hooks", "installer")


def _core_files() -> list[Path]:
    import importlib.util

    files: list[Path] = []
    for name in _CORE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            files += sorted(Path(spec.origin).resolve().parent.rglob("*.py"))
    return files


def core_digest(root: Path | None = None) -> str:
    """The core's identity: the sha256 of the sources of the packages the worker runs
    (wheelhouse and its dependencies) and the version, so a change to the build code
    is a new key, released or not. Remembered under ``root/core`` by the files'
    paths, sizes and times."""
    if _CORE:
        return _CORE[0]
    files = _core_files()
    stamps = []
    for path in files:
        st = path.stat()
        stamps.append([str(path), st.st_size, st.st_mtime_ns])
    record = root / "core" / f"{digest([__version__, stamps])}.json" if root is not None else None
    try:
        value = str(json.loads(record.read_text())["core"]) if record is not None else ""
    except (OSError, ValueError, KeyError):
        value = ""
    if not value:
        hasher = hashlib.sha256(__version__.encode())
        for path in files:
            hasher.update(f"{path.parent.name}/{path.name}\0".encode() + path.read_bytes())
        value = hasher.hexdigest()
        if record is not None:
            with contextlib.suppress(OSError):
                record.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=record.parent)
                with os.fdopen(fd, "w") as handle:
                    json.dump({"core": value}, handle)
                os.replace(tmp, record)
    _CORE.append(value)
    return value


def env_key(wheel_sha256s: Sequence[str], interpreter: str) -> str:
    """The name of the environment of exactly these wheels for ``interpreter`` (its key)."""
    return digest({"wheels": sorted(wheel_sha256s), "interpreter": interpreter, "core": core_digest()})


def action_key(sdist_sha256: str, environment: str, options: Mapping[str, Any], toolchain: str) -> str:
    """The digest of a build: the sdist, its environment's key, the options, the toolchain."""
    return digest({"sdist": sdist_sha256, "env": environment, "options": options, "toolchain": toolchain})


_TOOLS = ("gcc", "g++", "cc", "c++", "strip", "objcopy", "ld", "patch")
_TOOL_PATH = "/usr/local/bin:/usr/bin:/bin"


def toolchain_key(interpreter: Interpreter) -> str:
    """The interpreter (its tags and real path), the compilers' and binutils' versions,
    and the core (:func:`core_digest`)."""
    versions = []
    for tool in _TOOLS:
        path = shutil.which(tool, path=_TOOL_PATH)
        if path is None:
            versions.append(f"{tool} missing")
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        versions.append((out.splitlines() or [f"{tool} ?"])[0])
    real = os.path.realpath(interpreter.executable)
    return f"{interpreter.key} {real} | {' | '.join(versions)} | core {core_digest()}"


def _stamp(path: str) -> list[Any]:
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, os.path.realpath(path), st.st_size, st.st_mtime_ns]


def tree_stamp(root: Path) -> str:
    """A digest of the status of every file under ``root`` (no contents: cheap to check)."""
    hasher = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name == _ENTRY and dirpath == str(root):
                continue
            st = os.lstat(os.path.join(dirpath, name))
            hasher.update(
                f"{dirpath}/{name}\0{st.st_mode:o}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}"
                f"\0{st.st_ino}\n".encode()
            )
    return hasher.hexdigest()


def tree_digest(root: Path) -> str:
    """A digest of every file under ``root`` (paths, modes and contents; links by target)."""
    hasher = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.name == _ENTRY and path.parent == root:
                continue
            st = os.lstat(path)
            hasher.update(f"{path.relative_to(root)}\0{st.st_mode:o}\0".encode())
            if os.path.islink(path):
                hasher.update(os.readlink(path).encode())
                continue
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    hasher.update(block)
    return hasher.hexdigest()


def _copy_checked(source: Path, dest: Path, sha256: str) -> bool:
    """Copy ``source`` to ``dest`` through a temporary name if its bytes have ``sha256``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    hasher = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
                out.write(block)
        if hasher.hexdigest() != sha256:
            os.unlink(tmp)
            return False
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        return True
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class CacheStats:
    """What one kind of cache entry holds.

    Attributes:
        kind: one of :data:`KINDS` (str).
        entries: how many (int).
        size: bytes on disk (int).
    """

    kind: str
    entries: int
    size: int


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


class Cache:
    """The caches under one root (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _entry(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def _publish(self, kind: str, key: str, staging: Path) -> Path:
        """Rename a complete ``staging`` directory into place (the first writer wins)."""
        final = self._entry(kind, key)
        if final.exists():
            shutil.rmtree(staging, ignore_errors=True)
            return final
        try:
            os.replace(staging, final)
        except OSError:  # another writer put it there first
            shutil.rmtree(staging, ignore_errors=True)
        return final

    def staging(self, kind: str) -> Path:
        """A new empty directory beside the entries of ``kind``, to fill and publish."""
        parent = self.root / kind
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))

    def _valid(self, path: Path) -> dict[str, Any] | None:
        """The entry's metadata if its tree is intact, else None.

        Fast path: the files' status (names, modes, sizes, modification and
        change times, inodes) is what it was when the entry was sealed; a write,
        even one that puts the modification time back, changes the change time.
        Otherwise (the cache was copied, or a file was touched) the contents are
        hashed: the same digest stamps the entry again, another one damns it.
        """
        try:
            meta: dict[str, Any] = json.loads((path / _ENTRY).read_text())
        except (OSError, ValueError):
            return None
        if meta.get("stamp") is not None and meta["stamp"] == tree_stamp(path):
            return meta
        if meta.get("digest") != tree_digest(path):
            return None
        meta["stamp"] = tree_stamp(path)
        with contextlib.suppress(OSError):
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "w") as handle:
                json.dump(meta, handle, sort_keys=True)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path / _ENTRY)
        return meta

    def _drop(self, path: Path) -> None:
        doomed = path.with_name(f".drop-{path.name}-{os.getpid()}-{time.monotonic_ns()}")
        with contextlib.suppress(OSError):
            os.replace(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def seal(self, path: Path, meta: Mapping[str, Any]) -> None:
        """Write ``entry.json`` (with the tree's digest) into a staged entry."""
        (path / _ENTRY).write_text(json.dumps({**meta, "digest": tree_digest(path)}, sort_keys=True))

    # ---- environments -------------------------------------------------------------

    def _tree(self, kind: str, key: str) -> Path | None:
        path = self._entry(kind, key)
        if not path.is_dir():
            return None
        if self._valid(path) is None:
            self._drop(path)
            return None
        os.utime(path)
        return path

    def env(self, key: str) -> Path | None:
        """The build environment ``key`` if it is there and intact (a damaged one is removed)."""
        return self._tree("envs", key)

    def put_env(self, key: str, staging: Path, meta: Mapping[str, Any]) -> Path:
        """Publish a staged build environment."""
        self.seal(staging, meta)
        return self._publish("envs", key, staging)

    def venv(self, key: str) -> Path | None:
        """The installed tree of ``wheelhouse env`` for ``key``, if there and intact."""
        return self._tree("venvs", key)

    def put_venv(self, key: str, staging: Path, meta: Mapping[str, Any]) -> Path:
        """Publish a staged installed tree."""
        self.seal(staging, meta)
        return self._publish("venvs", key, staging)

    # ---- build results -----------------------------------------------------------

    def copy_action(
        self, key: str, out_dir: Path, debug_dir: Path | None
    ) -> tuple[Path, dict[str, Any], list[Path]] | None:
        """Copy the cached wheel of build ``key`` (and its debug files) out, each checked
        against its recorded sha256; None when there is no intact entry (a damaged one is
        removed). Returns the wheel's new path, the record and the debug files written."""
        path = self._entry("actions", key)
        try:
            meta: dict[str, Any] = json.loads((path / _ENTRY).read_text())
            files = [(str(meta["wheel"]), str(meta["sha256"]), out_dir / str(meta["wheel"]))]
            if meta.get("debug") and debug_dir is None:
                return None
            for relative, sha in meta.get("debug", []):
                assert debug_dir is not None
                files.append((f"debug/{relative}", str(sha), debug_dir / str(relative)))
        except (OSError, ValueError, KeyError, TypeError):
            if path.exists():
                self._drop(path)
            return None
        if any(".." in Path(rel).parts or Path(rel).is_absolute() for rel, _, _ in files):
            self._drop(path)
            return None
        written: list[Path] = []
        try:
            for relative, sha, dest in files:
                if not _copy_checked(path / relative, dest, sha):
                    self._drop(path)
                    for done in written:
                        done.unlink(missing_ok=True)
                    return None
                written.append(dest)
        except BaseException:
            for done in written:
                done.unlink(missing_ok=True)
            raise
        os.utime(path)
        return written[0], meta, written[1:]

    def put_action(
        self, key: str, wheel: Path, meta: Mapping[str, Any], debug: Sequence[tuple[Path, Path]] = ()
    ) -> None:
        """Store a built wheel (and its split debug files: (file, path under the debug
        directory)) under ``key``; ``meta`` must hold the wheel's ``sha256``."""
        staging = self.staging("actions")
        try:
            shutil.copyfile(wheel, staging / wheel.name)
            listed = []
            for source, relative in debug:
                dest = staging / "debug" / relative
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
                listed.append([str(relative), file_sha256(dest)])
            self.seal(staging, {**meta, "wheel": wheel.name, "debug": listed})
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._publish("actions", key, staging)

    # ---- small records -------------------------------------------------------------

    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        """A small JSON record (dynamic requirements, an interpreter), if there."""
        try:
            data: dict[str, Any] = json.loads((self.root / kind / f"{key}.json").read_text())
            return data
        except (OSError, ValueError):
            return None

    def put_record(self, kind: str, key: str, data: Mapping[str, Any]) -> None:
        """Write a small JSON record atomically."""
        directory = self.root / kind
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, sort_keys=True)
        os.replace(tmp, directory / f"{key}.json")

    def interpreter(self, python: Path) -> Interpreter:
        """``describe_interpreter(python)``, remembered by path, size and modification time."""
        key = digest(_stamp(str(python)))
        data = self.record("interpreters", key)
        if data is None:
            found = describe_interpreter(python)
            data = {
                "implementation": found.implementation,
                "version": found.version,
                "markers": found.markers,
                "tags": list(found.tags),
            }
            self.put_record("interpreters", key, data)
        return Interpreter(
            python, data["implementation"], data["version"], data["markers"], tuple(data["tags"])
        )

    def toolchain(self, interpreter: Interpreter) -> str:
        """:func:`toolchain_key`, remembered by the tools' and the interpreter's paths, sizes and times."""
        stamps = [_stamp(str(interpreter.executable))]
        stamps += [_stamp(shutil.which(t, path=_TOOL_PATH) or t) for t in _TOOLS]
        key = digest({"stamps": stamps, "interpreter": interpreter.key, "core": core_digest()})
        data = self.record("toolchains", key)
        if data is None:
            data = {"toolchain": toolchain_key(interpreter)}
            self.put_record("toolchains", key, data)
        return str(data["toolchain"])

    # ---- info and prune ------------------------------------------------------------

    def stats(self) -> list[CacheStats]:
        """Entries and bytes per kind."""
        out = []
        for kind in KINDS:
            directory = self.root / kind
            entries = (
                [p for p in directory.iterdir() if not p.name.startswith(".")] if directory.is_dir() else []
            )
            out.append(CacheStats(kind, len(entries), sum(_size(p) for p in entries)))
        return out

    def _entries(self) -> Iterator[tuple[float, int, Path]]:
        for kind in KINDS:
            directory = self.root / kind
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                if not path.name.startswith("."):
                    yield path.stat().st_mtime, _size(path), path

    def prune(self, max_size: int) -> tuple[int, int]:
        """Remove the least recently used entries until at most ``max_size`` bytes remain.

        Returns (entries removed, bytes freed).
        """
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for _, size, path in entries:
            if total <= max_size:
                break
            if path.is_dir():
                self._drop(path)
            else:
                path.unlink(missing_ok=True)
            total -= size
            freed += size
            removed += 1
        for kind in KINDS:  # leftovers of interrupted writers
            directory = self.root / kind
            if directory.is_dir():
                for stale in directory.glob(".tmp-*"):
                    if time.time() - stale.stat().st_mtime > 3600:
                        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink()
        return removed, freed
