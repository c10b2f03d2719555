"""Build twice under perturbation and compare bytes.

The second build differs from the first in everything that must not matter:
its private build directory and output directory, the worker's ``TZ``,
locale, ``PYTHONHASHSEED``, user name, ``CFLAGS`` and ``SOURCE_DATE_EPOCH``
and umask, and (where libfaketime is installed) the clock that the build's
Python processes see, shifted by 400 days. Equal files pass; otherwise
:func:`explain` says which members differ and how, down to ELF sections.

``verify`` never reports a failure that only the perturbation tool caused:
if the shifted second build fails in any way, or sets up a different build
environment than the first (other dynamic requirements, other pins), it is
built again without the shifted clock, and the result says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import elf
from ..errors import WheelhouseError
from ..progress import Progress
from ..request import BuildRequest, BuildResult
from ..sandboxed.build import find_faketime
from .frontend import build_wheel

__all__ = ["PERTURBED_ENV", "VerifyFailed", "VerifyResult", "explain", "verify"]

#: Noise in the second build's worker environment.
PERTURBED_ENV = {
    "TZ": "Pacific/Chatham",
    "LC_ALL": "POSIX",
    "LANG": "de_DE.ISO-8859-1",
    "PYTHONHASHSEED": "4242",
    "USER": "wheelhouse-verify",
    "LOGNAME": "wheelhouse-verify",
    "SOURCE_DATE_EPOCH": "1",
    "CFLAGS": "-O0 -g3",
}
PERTURBED_UMASK = 0o077
CLOCK_SHIFT = "+400d"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`.

    Attributes:
        identical: whether both wheels have the same bytes (bool).
        first: the first build (BuildResult).
        second: the perturbed build (BuildResult).
        explanation: one line per difference, empty when identical (list[str]).
        clock_shifted: whether the second build ran on a shifted clock (bool).
        perturbed: what the second build changed, for the report (list[str]).
    """

    identical: bool
    first: BuildResult
    second: BuildResult
    explanation: list[str]
    clock_shifted: bool
    perturbed: list[str]


class VerifyFailed(WheelhouseError):
    """The first build passed but the perturbed second one failed: the build is not reproducible."""


_PERTURBATIONS = [
    "build and output directories",
    "TZ",
    "locale",
    "umask 077",
    "PYTHONHASHSEED",
    "user name",
    "CFLAGS and SOURCE_DATE_EPOCH in the caller's environment",
]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def explain(first: Path, second: Path) -> list[str]:
    """Describe, member by member, how two wheels differ."""
    lines: list[str] = []
    if first.name != second.name:
        lines.append(f"file name: {first.name} vs {second.name}")
    with zipfile.ZipFile(first) as za, zipfile.ZipFile(second) as zb:
        ia = {i.filename: i for i in za.infolist()}
        ib = {i.filename: i for i in zb.infolist()}
        for name in sorted(ia.keys() - ib.keys()):
            lines.append(f"{name}: only in the first wheel")
        for name in sorted(ib.keys() - ia.keys()):
            lines.append(f"{name}: only in the second wheel")
        if [i.filename for i in za.infolist()] != [i.filename for i in zb.infolist()] and not (
            ia.keys() ^ ib.keys()
        ):
            lines.append("member order differs")
        for name in sorted(ia.keys() & ib.keys()):
            a, b = za.read(name), zb.read(name)
            x, y = ia[name], ib[name]
            if a != b:
                lines.append(f"{name}: {len(a)} vs {len(b)} bytes, sha256 {_digest(a)} vs {_digest(b)}")
                if elf.is_elf(a) and elf.is_elf(b):
                    lines.extend(f"  {name}: {d}" for d in elf.diff_sections(a, b))
                continue
            for attr in ("date_time", "external_attr", "compress_type", "create_system", "extra"):
                if getattr(x, attr) != getattr(y, attr):
                    lines.append(f"{name}: {attr} {getattr(x, attr)!r} vs {getattr(y, attr)!r}")
    if not lines:
        lines.append("members are equal; the zip container bytes differ (compression or headers)")
    return lines


def _setup(result: BuildResult) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return result.environment, result.dynamic


def verify(
    req: BuildRequest,
    out_dir: Path | None = None,
    *,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> VerifyResult:
    """Build ``req`` twice (second one perturbed) and compare the wheels.

    The first wheel is kept in ``out_dir`` when given; everything else lives in
    a temporary directory under ``workdir`` that is removed afterwards.

    Raises:
        WheelhouseError: the first build failed (its own error).
        VerifyFailed: the first build passed, the perturbed one failed even
            without the shifted clock.
    """
    progress = progress or Progress(verbosity=req.verbosity)
    with tempfile.TemporaryDirectory(prefix="wheelhouse-verify-", dir=workdir) as tmp:
        base = Path(tmp)
        progress.phase(req.sdist.name, "verify: first build")
        first = build_wheel(
            req, out_dir or base / "first-output", debug_dir=base / "debug1", progress=progress
        )

        def perturbed_build(shift: bool, output: str) -> BuildResult:
            request = dataclasses.replace(req, clock_shift=CLOCK_SHIFT if shift else None)
            progress.phase(
                req.sdist.name,
                "verify: second build ("
                + ", ".join(_PERTURBATIONS)
                + (", clock +400 days)" if shift else "; clock not shifted)"),
            )
            return build_wheel(
                request,
                base / "second" / output,
                debug_dir=base / output / "debug",
                progress=progress,
                worker_env=PERTURBED_ENV,
                worker_umask=PERTURBED_UMASK,
            )

        shifted = find_faketime() is not None
        note = "" if shifted else "clock not shifted: libfaketime is not installed"
        second: BuildResult | None = None
        if shifted:
            try:
                second = perturbed_build(True, "shifted")
            except WheelhouseError as exc:
                # The first build passed: a failure under the shifted clock may be the
                # clock tool's doing (it is preloaded into the build's processes).
                note = f"clock not shifted: the build failed under the shifted clock ({exc.message})"
            else:
                if _setup(second) != _setup(first):
                    note = (
                        "clock not shifted: under the shifted clock the build set up another "
                        f"environment ({', '.join(second.dynamic) or 'no dynamic requirements'} vs "
                        f"{', '.join(first.dynamic) or 'no dynamic requirements'})"
                    )
                    second = None
        if second is None:
            if shifted:
                progress.warn(f"{note}; building again without it")
            shifted = False
            try:
                second = perturbed_build(False, "unshifted")
            except WheelhouseError as exc:
                raise VerifyFailed(
                    f"{req.sdist.name}: the first build passed but the perturbed second build failed: "
                    f"{exc.message}"
                ) from None
        identical = first.sha256 == second.sha256 and first.wheel.name == second.wheel.name
        explanation = [] if identical else explain(first.wheel, second.wheel)
        if _setup(first) != _setup(second):
            explanation.insert(
                0,
                f"build environment: {', '.join(first.environment)} vs {', '.join(second.environment)}",
            )
            identical = False
        perturbed = [*_PERTURBATIONS, "clock +400 days (Python processes)" if shifted else note]
        return VerifyResult(identical, first, second, explanation, shifted, perturbed)
