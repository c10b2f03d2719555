"""rules_wheelhouse core: reproducible wheels from sdists, offline.

The public API is :func:`build_wheel` / :class:`BuildRequest` (one sdist to one
wheel), :func:`verify` (build twice under perturbation, compare), and
:func:`normalize_wheel` (deterministic rewrite). The ``wheelhouse`` command in
:mod:`wheelhouse.cli` wraps them.
"""

from __future__ import annotations

from .builder import BuildRequest, BuildResult, build_wheel
from .errors import WheelhouseError
from .normalize import NormalizeOptions, normalize_wheel
from .verify import VerifyResult, verify

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

__version__ = "0.1.0"
