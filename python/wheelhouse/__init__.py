"""rules_wheelhouse core: reproducible wheels from sdists, offline.

The public API is :func:`build_wheel` / :class:`BuildRequest` (one sdist to one
wheel, built in a bubblewrap sandbox), :func:`verify` (build twice under
perturbation, compare), and :func:`normalize_wheel` (deterministic rewrite).
The ``wheelhouse`` command in :mod:`wheelhouse.cli` wraps them.

The package is split along the trust boundary: :mod:`wheelhouse.host` runs on
the caller's machine (checks, the sandbox, reading results back),
:mod:`wheelhouse.sandboxed` runs inside the sandbox next to the untrusted build
backend; :mod:`~wheelhouse.sdist`, :mod:`~wheelhouse.normalize`,
:mod:`~wheelhouse.elf` and :mod:`~wheelhouse.request` are pure helpers used
on both sides.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib

TYPE_CHECKING = False  # not typing's: the build worker imports this package and needs no typing

if TYPE_CHECKING:
    from .errors import WheelhouseError
    from .host.frontend import build_wheel
    from .host.verify import VerifyResult, verify
    from .normalize import NormalizeOptions, normalize_wheel
    from .request import BuildRequest, BuildResult

# Imported on first use (PEP 562): the build worker imports this package inside the
# sandbox and needs none of the host side.
_LAZY = {
    "WheelhouseError": ".errors",
    "build_wheel": ".host.frontend",
    "VerifyResult": ".host.verify",
    "verify": ".host.verify",
    "NormalizeOptions": ".normalize",
    "normalize_wheel": ".normalize",
    "BuildRequest": ".request",
    "BuildResult": ".request",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BuildRequest",
    "BuildResult",
    "NormalizeOptions",
    "VerifyResult",
    "WheelhouseError",
    "build_wheel",
    "normalize_wheel",
    "verify",
]
