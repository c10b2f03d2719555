"""A fixed absolute build path that is private to one build, and a closed network.

Every build sees its files under :data:`FIXED_ROOT` (source tree, build
environment, build directory), so paths baked into outputs are the same on
every machine. Two mechanisms keep concurrent builds apart:

``namespace`` (preferred): the worker runs under ``unshare`` in a new mount
namespace (and a new user namespace when not root) and a new network namespace
with no interfaces up. It bind-mounts its own private directory onto
:data:`FIXED_ROOT`, so each build has its own view of the same path and nothing
can reach the network.

``lock`` (fallback, where namespaces are not allowed, e.g. some containers):
builds take an exclusive ``flock`` on ``FIXED_ROOT.lock`` and use the real
directory one at a time; the network is *not* closed (a warning says so).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal

from .errors import SandboxError

__all__ = [
    "FIXED_ROOT",
    "SandboxMode",
    "bind_fixed_root",
    "detect_mode",
    "fixed_root_lock",
    "namespace_prefix",
]

#: The path every build sees its work under.
FIXED_ROOT = Path("/tmp/wheelhouse-build")

SandboxMode = Literal["namespace", "lock"]

_MS_BIND = 4096
_MS_REC = 16384


def namespace_prefix() -> list[str]:
    """The ``unshare`` command line that starts the worker in new namespaces."""
    unshare = shutil.which("unshare") or "unshare"
    prefix = [unshare]
    if os.geteuid() != 0:
        prefix += ["--user", "--map-root-user"]
    return [*prefix, "--mount", "--net", "--propagation", "private", "--"]


@lru_cache(maxsize=1)
def _namespaces_work() -> bool:
    try:
        probe = subprocess.run([*namespace_prefix(), "true"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def detect_mode(requested: str = "auto") -> SandboxMode:
    """Resolve ``auto`` to the best mechanism this machine allows.

    Raises:
        SandboxError: ``namespace`` was requested but is not available.
    """
    if requested == "lock":
        return "lock"
    if _namespaces_work():
        return "namespace"
    if requested == "namespace":
        raise SandboxError(
            "--sandbox namespace: cannot create mount/network namespaces here "
            "(unshare failed); allow unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1) or use --sandbox lock"
        )
    return "lock"


def bind_fixed_root(private: Path) -> None:
    """Inside a fresh mount namespace: make ``private`` appear at FIXED_ROOT."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    FIXED_ROOT.mkdir(parents=True, exist_ok=True)
    rc = libc.mount(str(private).encode(), str(FIXED_ROOT).encode(), None, _MS_BIND | _MS_REC, None)
    if rc != 0:
        err = ctypes.get_errno()
        raise SandboxError(
            f"cannot bind {private} onto {FIXED_ROOT}: {os.strerror(err)}; "
            "run with --sandbox lock where mounts are not permitted"
        )


@contextmanager
def fixed_root_lock() -> Iterator[Path]:
    """Hold the exclusive lock on FIXED_ROOT and yield it, emptied."""
    FIXED_ROOT.parent.mkdir(parents=True, exist_ok=True)
    lock_path = FIXED_ROOT.with_name(FIXED_ROOT.name + ".lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            shutil.rmtree(FIXED_ROOT, ignore_errors=True)
            FIXED_ROOT.mkdir(parents=True)
            yield FIXED_ROOT
        finally:
            shutil.rmtree(FIXED_ROOT, ignore_errors=True)
            fcntl.flock(handle, fcntl.LOCK_UN)
