"""Build twice under perturbation and compare bytes.

The second build differs from the first in everything that must not matter:
its private build directory and output directory, the worker's ``TZ``,
locale, ``PYTHONHASHSEED``, user name and umask, and (where libfaketime is
installed) the clock the backend sees, shifted by 400 days; if the backend
fails only under the shifted clock (libfaketime can break tools it is
preloaded into), the second build is retried without it and the result says so. Equal files pass;
otherwise :func:`explain` says which members differ and how, down to ELF
sections.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import elf
from .builder import BuildRequest, BuildResult, build_wheel, find_faketime
from .errors import BuildFailed
from .progress import Progress

__all__ = ["PERTURBED_ENV", "VerifyResult", "explain", "verify"]

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
    """

    identical: bool
    first: BuildResult
    second: BuildResult
    explanation: list[str]
    clock_shifted: bool


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
    """
    progress = progress or Progress(verbosity=req.verbosity)
    with tempfile.TemporaryDirectory(prefix="wheelhouse-verify-", dir=workdir) as tmp:
        base = Path(tmp)
        progress.phase(req.sdist.name, "verify: first build")
        first = build_wheel(
            req, out_dir or base / "first-output", debug_dir=base / "debug1", progress=progress
        )
        shifted = find_faketime() is not None
        perturbed = dataclasses.replace(req, clock_shift=CLOCK_SHIFT if shifted else None)
        progress.phase(
            req.sdist.name,
            "verify: second build (other dirs, TZ, locale, umask, hash seed"
            + (", clock +400 days)" if shifted else "; libfaketime absent, clock not shifted)"),
        )

        def perturbed_build(request: BuildRequest, output: Path) -> BuildResult:
            return build_wheel(
                request,
                base / "second" / output,
                debug_dir=base / "debug2",
                progress=progress,
                worker_env=PERTURBED_ENV,
                worker_umask=PERTURBED_UMASK,
            )

        try:
            second = perturbed_build(perturbed, Path("output-dir"))
        except BuildFailed as exc:
            if not shifted:
                raise
            # libfaketime occasionally breaks tools it is preloaded into (seen: EINVAL
            # from subprocess in scikit-build-core); the first build passed, so retry
            # without the shifted clock rather than call the sdist broken.
            progress.warn(f"the build failed under a shifted clock ({exc.message}); retrying without it")
            shifted = False
            second = perturbed_build(req, Path("retry-output"))
        identical = first.sha256 == second.sha256 and first.wheel.name == second.wheel.name
        explanation = [] if identical else explain(first.wheel, second.wheel)
        return VerifyResult(identical, first, second, explanation, shifted)
