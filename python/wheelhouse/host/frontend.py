"""One sdist in, one reproducible wheel out: the host side of a build.

:func:`build_wheel` is the public entry (the ``build-wheel`` command and the
Bazel action both end here). On the host it only checks and moves files:

1. check the request, the output directory and the sdist (read whole, every
   member checked, within the limits: :func:`wheelhouse.sdist.inspect_sdist`)
   before anything is built;
2. make a private work directory and start the worker
   (:mod:`wheelhouse.sandboxed.worker`) in the sandbox
   (:mod:`wheelhouse.host.sandbox`), which sees that directory at the fixed
   path :data:`~wheelhouse.host.sandbox.FIXED_ROOT`, and the inputs read-only;
3. when the sandbox is gone, read back the result without trusting it
   (:mod:`wheelhouse.host.collect`): only a finished wheel of the sdist's own
   project is copied into the output directory (temporary name, then rename),
   so a failure never leaves a partial file there; the work directory is
   removed whatever happens, SIGINT and SIGTERM included.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ..errors import (
    BadArchive,
    BuildFailed,
    LimitExceeded,
    MissingBuildRequirement,
    NoBuildSystem,
    SandboxError,
    UnsafeArchive,
    UsageError,
    WheelhouseError,
)
from ..normalize import NormalizeOptions
from ..progress import Progress
from ..request import BuildRequest, BuildResult
from ..sandboxed.worker import BOOT
from ..sdist import ExtractLimits, SdistInfo, inspect_sdist
from . import collect, sandbox
from .sandbox import FIXED_ROOT, SANDBOX_CORE, SANDBOX_INPUTS, Mount

__all__ = ["build_wheel", "default_log_dir"]

_ERROR_TYPES: dict[str, type[WheelhouseError]] = {
    cls.__name__: cls
    for cls in (BadArchive, LimitExceeded, NoBuildSystem, SandboxError, UnsafeArchive, UsageError)
}
#: The most of a backend log that is kept (its end).
MAX_LOG_BYTES = 64 << 20
_REQUEST_INSIDE = Path("/wheelhouse/request.json")


def default_log_dir() -> Path:
    """``$XDG_CACHE_HOME/wheelhouse/logs`` (or ``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wheelhouse" / "logs"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rmtree(path: Path) -> None:
    """Remove a work directory the build may have filled with odd modes (never following links)."""

    def fix(func: Callable[..., Any], target: str, _exc: object) -> None:
        try:
            if stat.S_ISDIR(os.lstat(target).st_mode):
                os.chmod(target, stat.S_IRWXU)
            func(target)
        except OSError:
            pass

    if path.exists():
        shutil.rmtree(path, onerror=fix)


def _check_request(req: BuildRequest) -> None:
    for path in (req.sdist, req.python, *req.find_links, *req.wheels, *req.patches):
        if path == FIXED_ROOT or FIXED_ROOT in path.parents:
            raise UsageError(f"{path}: inputs may not live under {FIXED_ROOT}")
    for patch in req.patches:
        if not patch.is_file():
            raise UsageError(f"--patch {patch}: no such file")
    for directory in req.find_links:
        if not directory.is_dir():
            raise UsageError(f"--find-links {directory}: not a directory")
    for wheel in req.wheels:
        if not wheel.is_file():
            raise UsageError(f"--wheel {wheel}: no such file")
    for directory in req.ro_binds:
        if not directory.is_absolute() or not directory.exists():
            raise UsageError(f"--ro-bind {directory}: no such absolute path")
    if not os.access(req.python, os.X_OK):
        raise UsageError(f"--python {req.python}: not an executable interpreter")
    # not > 0, so that a NaN time-out (which would never expire) is refused too
    if not req.timeout > 0 or req.max_extract_bytes <= 0 or req.max_members <= 0 or req.max_processes <= 0:
        raise UsageError("--timeout, --max-extract-bytes, --max-members and --max-processes must be positive")
    NormalizeOptions(
        source_date_epoch=0,
        debug=req.debug,
        debug_dir=Path("/") if req.debug == "split" else None,
        build_tag=req.build_tag,
        local_version=req.local_version,
    )


def _writable_dir(path: Path, what: str) -> None:
    """``path`` is a writable directory, or can be created as one."""
    probe = path
    while not probe.exists() and not probe.is_symlink():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{what} {path}: {probe} is not a directory; give a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: {probe} is not writable; give a directory you can write to")


def _check_output(out_dir: Path, info: SdistInfo, debug_dir: Path | None) -> None:
    """Find output problems before a long build, not after it."""
    _writable_dir(out_dir, "-o")
    if debug_dir is not None:
        _writable_dir(debug_dir, "--debug-dir")
    if not out_dir.is_dir():
        return
    for entry in out_dir.iterdir():
        if not entry.name.endswith(".whl") or not entry.is_dir():
            continue
        try:
            project = parse_wheel_filename(entry.name)[0]
        except InvalidWheelFilename:
            continue
        if project == info.name:
            raise UsageError(
                f"-o {out_dir}: {entry.name} is a directory named like the wheel of {info.label}; "
                "remove it or choose another output directory"
            )


def _log_target(log_file: Path | None, info: SdistInfo, progress: Progress) -> Path | None:
    if log_file is not None:
        _writable_dir(log_file.parent, "--log-file")
        if log_file.is_dir():
            raise UsageError(f"--log-file {log_file}: is a directory; give a file name")
        return log_file
    # info.name and info.version were validated (PEP 508 / PEP 440): safe in a file name.
    target = default_log_dir() / f"{info.name}-{info.version}.log"
    try:
        _writable_dir(target.parent, "log directory")
    except UsageError as exc:
        progress.warn(f"{exc.message}; the backend log is not kept")
        return None
    return target


def build_wheel(
    req: BuildRequest,
    out_dir: Path,
    *,
    debug_dir: Path | None = None,
    log_file: Path | None = None,
    progress: Progress | None = None,
    worker_env: Mapping[str, str] | None = None,
    worker_umask: int | None = None,
) -> BuildResult:
    """Build ``req.sdist`` into ``out_dir``; see the module docstring.

    ``worker_env`` and ``worker_umask`` add noise to the worker's own
    environment (``verify`` uses them); the backend's environment is built
    from scratch regardless.

    Raises:
        WheelhouseError: any user-actionable failure; ``out_dir`` is untouched.
    """
    progress = progress or Progress(verbosity=req.verbosity)
    started = time.monotonic()
    _check_request(req)
    info = inspect_sdist(req.sdist, ExtractLimits(req.max_extract_bytes, req.max_members))
    target_debug = (debug_dir or out_dir / "debug") if req.debug == "split" else None
    _check_output(out_dir, info, target_debug)
    mode, bwrap = sandbox.select_mode(req.sandbox)
    log_target = _log_target(log_file, info, progress)
    if mode == "none":
        progress.warn(
            "--sandbox none: the build runs on this machine without isolation, with the network "
            f"open, one at a time on {FIXED_ROOT}"
        )
    work = Path(tempfile.mkdtemp(prefix="wheelhouse-"))
    try:
        if mode == "bwrap":
            job = _Job(req, info, work, work / "root", progress, worker_env, worker_umask)
            job.root.mkdir()
            result, description = _launch(job, _bwrap_command(job, bwrap), isolated=True)
            return _collect(
                result, description, req, info, job.root, out_dir, target_debug, log_target, started
            )
        with sandbox.fixed_root_lock() as root:
            job = _Job(req, info, work, root, progress, worker_env, worker_umask)
            result, description = _launch(job, _bare_command(job), isolated=False)
            return _collect(result, description, req, info, root, out_dir, target_debug, log_target, started)
    finally:
        _rmtree(work)


def _worker_env(progress: Progress, noise: Mapping[str, str] | None) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(FIXED_ROOT / "home"),
        "TMPDIR": str(FIXED_ROOT / "tmp"),
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "USER": sandbox.SANDBOX_USER,
        "LOGNAME": sandbox.SANDBOX_USER,
    }
    env.update(noise or {})
    return env


def _request_json(req: BuildRequest, info: SdistInfo, progress: Progress) -> str:
    data = json.loads(dataclasses.replace(req, verbosity=progress.verbosity).to_json())
    data["info"] = info.to_dict()
    data["start"] = progress.start
    return json.dumps(data, sort_keys=True)


@dataclass(frozen=True)
class _Job:
    """One build's request and the host directories it runs in."""

    req: BuildRequest
    info: SdistInfo
    work: Path
    root: Path
    progress: Progress
    noise: Mapping[str, str] | None
    umask: int | None


def _bwrap_command(job: _Job, bwrap: str) -> list[str]:
    """The worker in the sandbox: the inputs, core and interpreters bound read-only."""
    req, work = job.req, job.work
    mounts, _ = sandbox.core_mounts(work)
    worker_mounts, worker_python = sandbox.interpreter_mounts(Path(sys.executable))
    target_mounts, target_python = sandbox.interpreter_mounts(req.python)
    for mount in [*worker_mounts, *target_mounts]:
        if mount not in mounts:
            mounts.append(mount)
    inputs = SANDBOX_INPUTS
    sdist_in = inputs / "sdist" / req.sdist.name
    mounts.append(Mount(req.sdist, sdist_in))
    links_in = [inputs / "links" / str(i) for i in range(len(req.find_links))]
    for src, dst in zip(req.find_links, links_in, strict=True):
        mounts += sandbox.directory_mounts(src, dst, work)
    wheels_in = [inputs / "wheels" / str(i) / w.name for i, w in enumerate(req.wheels)]
    mounts += [Mount(src, dst) for src, dst in zip(req.wheels, wheels_in, strict=True)]
    patches_in = [inputs / "patches" / str(i) / p.name for i, p in enumerate(req.patches)]
    mounts += [Mount(src, dst) for src, dst in zip(req.patches, patches_in, strict=True)]
    mounts += [Mount(path, path) for path in req.ro_binds]
    inside = dataclasses.replace(
        req,
        sdist=sdist_in,
        find_links=tuple(links_in),
        wheels=tuple(wheels_in),
        patches=tuple(patches_in),
        python=target_python,
    )
    request = work / "request.json"
    request.write_text(_request_json(inside, job.info, job.progress))
    mounts.append(Mount(request, _REQUEST_INSIDE))
    etc = sandbox.write_etc(work / "etc")
    argv = [
        str(worker_python),
        "-I",
        "-S",
        "-c",
        BOOT,
        str(SANDBOX_CORE),
        str(FIXED_ROOT),
        str(_REQUEST_INSIDE),
    ]
    return sandbox.bwrap_command(bwrap, root=job.root, etc=etc, mounts=mounts, argv=argv)


def _bare_command(job: _Job) -> list[str]:
    """``--sandbox none``: the worker on the host, the core's own directories on its path."""
    _, parents = sandbox.core_mounts(job.work)
    request = job.work / "request.json"
    request.write_text(_request_json(job.req, job.info, job.progress))
    python = str(Path(sys.executable).resolve())
    return [python, "-I", "-S", "-c", BOOT, os.pathsep.join(map(str, parents)), str(job.root), str(request)]


def _launch(job: _Job, cmd: list[str], isolated: bool) -> tuple[dict[str, Any] | None, str]:
    """Run the worker within the limits; its result (validated) and how it was isolated."""
    limit = sandbox.ProcessLimit(job.req.max_processes)
    processes = (
        f"at most {job.req.max_processes} processes"
        if limit.active
        else "processes not limited: no pids cgroup"
    )
    if isolated:
        description = f"bwrap (user, mount, pid, ipc, uts, network namespaces; read-only system; {processes})"
    else:
        description = f"none (not isolated: the network was open; {processes})"
    outcome = sandbox.run_sandbox(
        cmd,
        env=_worker_env(job.progress, job.noise),
        timeout=job.req.timeout,
        limit=limit,
        umask=job.umask,
        stdout=_stderr(),
    )
    return _outcome_result(job.req, job.info, job.root, outcome), description


def _stderr() -> int | None:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _outcome_result(
    req: BuildRequest, info: SdistInfo, root: Path, outcome: sandbox.RunOutcome
) -> dict[str, Any] | None:
    label = f"{req.sdist.name} ({info.label})"
    if outcome.process_limit_hit:
        raise LimitExceeded(
            f"{label}: the build tried to run more than {req.max_processes} processes and threads "
            "(a fork bomb, or a very parallel build) and was stopped; raise the limit with "
            "--max-processes if it is genuine"
        )
    if outcome.timed_out:
        raise LimitExceeded(
            f"{label}: the build ran longer than {req.timeout:g} s and was stopped with every process "
            "it started; raise the limit with --timeout if it needs longer"
        )
    result = collect.read_result(root)
    if result is None:
        raise SandboxError(
            f"{label}: the build worker died (exit {outcome.returncode}) without a result; "
            "rerun with -v to see why"
        )
    return result


def _collect(
    result: dict[str, Any] | None,
    description: str,
    req: BuildRequest,
    info: SdistInfo,
    root: Path,
    out_dir: Path,
    debug_dir: Path | None,
    log_target: Path | None,
    started: float,
) -> BuildResult:
    assert result is not None
    log_path: Path | None = None
    if log_target is not None and os.path.lexists(root / "build.log"):
        try:
            collect.copy_out(root, "build.log", log_target, max_bytes=MAX_LOG_BYTES)
            log_path = log_target
        except (OSError, SandboxError):
            log_path = None
    error = result.get("error")
    if error:
        kind = error["type"]
        if kind == "BuildFailed":
            message = error["message"] + (f"; full log: {log_path}" if log_path else "")
            raise BuildFailed(message, error.get("log_tail", []), log_path)
        if kind == "MissingBuildRequirement" and "requirement" in error:
            searched = [*req.find_links, *req.wheels]
            if req.missing_fix:  # name the wheels that were there, not the directories
                searched = sorted({w for d in req.find_links for w in d.glob("*.whl")} | set(req.wheels))
            raise MissingBuildRequirement(error["requirement"], req.sdist.name, searched, req.missing_fix)
        raise _ERROR_TYPES.get(kind, WheelhouseError)(error["message"])
    name = collect.checked_wheel_name(result["wheel"], info.name)
    final = out_dir / name
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        collect.copy_out(root, result["wheel"], final)
    except OSError as exc:
        raise UsageError(
            f"-o {out_dir}: cannot write {name} ({exc.strerror or exc}); free the path or choose "
            "another output directory"
        ) from None
    debug_files: list[Path] = []
    if debug_dir is not None:
        for relative in collect.iter_debug_files(root):
            dest = debug_dir / relative[len("debug/") :]
            collect.copy_out(root, relative, dest)
            debug_files.append(dest)
    return BuildResult(
        wheel=final,
        sha256=_sha256(final),
        name=info.name,
        version=info.version,
        interpreter=str(result.get("interpreter", "")),
        log=log_path,
        debug_files=debug_files,
        seconds=time.monotonic() - started,
        sandbox=description,
        environment=tuple(result.get("environment", [])),
        dynamic=tuple(result.get("dynamic", [])),
    )
