"""The run-time pylock.toml as this machine sees it: one reader for `build`, `env` and `lock-build`.

Markers are evaluated for the target interpreter, each package's best wheel for it
is chosen, and every file must be pinned by sha256; VCS, directory and archive
sources are refused with one line (wheelhouse fetches files by hash only).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from ..buildlock import LockedFile
from ..errors import BuildLockError
from .resolve import Target, best_wheel

__all__ = ["LockPackage", "read_runtime_lock"]


@dataclass(frozen=True)
class LockPackage:
    """A package of the run-time lock for this machine.

    Attributes:
        name: normalized name (str).
        version: its version (str).
        wheel: the best wheel for this interpreter (LockedFile | None).
        sdist: its sdist (LockedFile | None).
    """

    name: str
    version: str
    wheel: LockedFile | None
    sdist: LockedFile | None

    @property
    def key(self) -> str:
        """``name==version`` (str)."""
        return f"{self.name}=={self.version}"


def _locked(entry: Any, lock: Path, what: str) -> LockedFile:
    if not isinstance(entry, dict):
        raise BuildLockError(f"{lock}: {what} is not a table")
    url = str(entry.get("url") or "")
    path = entry.get("path")
    if not url and isinstance(path, str):
        url = (lock.parent / path).resolve().as_uri()  # PEP 751: relative to the lock
    name = str(entry.get("name") or url.rsplit("/", 1)[-1])
    hashes = entry.get("hashes")
    sha = str(hashes.get("sha256", "")) if isinstance(hashes, dict) else ""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
        raise BuildLockError(f"{lock}: {what} {name} has no sha256 hash; lock it with hashes")
    return LockedFile(name, url, sha.lower())


def read_runtime_lock(lock: Path, target: Target) -> tuple[list[LockPackage], dict[str, Any]]:
    """The lock's packages for ``target`` (markers evaluated), and the lock's top-level table.

    Raises:
        BuildLockError: not TOML, not PEP 751, an invalid marker, a file without a sha256.
    """
    try:
        data = tomllib.loads(lock.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BuildLockError(f"{lock}: not a readable TOML lock ({exc}); give a pylock.toml") from None
    from packaging.pylock import Pylock, PylockValidationError

    try:
        Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise BuildLockError(f"{lock}: not a valid PEP 751 lock ({exc}); regenerate it") from None
    out = []
    for entry in data.get("packages", []):
        name = canonicalize_name(str(entry.get("name", "")))
        marker = entry.get("marker")
        try:
            if marker and not Marker(marker).evaluate(target.markers):
                continue
        except InvalidMarker:
            raise BuildLockError(f"{lock}: package {name} has an invalid marker {marker!r}") from None
        kind = next((k for k in ("vcs", "directory", "archive") if k in entry), None)
        if kind is not None:
            raise BuildLockError(
                f"{lock}: package {name} comes from a {kind} source; wheelhouse builds locked sdists and "
                "wheels only: lock it from an index or a --find-links directory instead"
            )
        version = str(entry.get("version") or "")
        if not version:
            raise BuildLockError(f"{lock}: package {name} has no version; lock exact versions")
        wheels = [_locked(w, lock, f"{name} wheel") for w in entry.get("wheels", [])]
        sdist = _locked(entry["sdist"], lock, f"{name} sdist") if "sdist" in entry else None
        out.append(LockPackage(name, version, best_wheel(wheels, target), sdist))
    return sorted(out, key=lambda p: p.name), data
