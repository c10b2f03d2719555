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

import contextlib
import dataclasses
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from ..errors import (
    BadArchive,
    BuildFailed,
    DynamicRequirements,
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
from ..request import DEFAULT_MAX_PROCESSES, DEFAULT_TIMEOUT, BuildRequest, BuildRequirements, BuildResult
from ..sandboxed.buildenv import ENV_MANIFEST, Interpreter
from ..sandboxed.worker import BOOT
from ..sdist import ExtractLimits, SdistInfo, inspect_sdist
from . import collect, sandbox
from .hashing import file_sha256
from .sandbox import FIXED_ROOT, SANDBOX_CORE, SANDBOX_INPUTS, Mount

__all__ = [
    "build_env",
    "build_requirements",
    "build_wheel",
    "check_output",
    "check_request",
    "default_log_dir",
    "missing_requirement",
]

_ERROR_TYPES: dict[str, type[WheelhouseError]] = {
    cls.__name__: cls
    for cls in (BadArchive, LimitExceeded, NoBuildSystem, SandboxError, UnsafeArchive, UsageError)
}
#: The most of a backend log that is kept (its end).
MAX_LOG_BYTES = 64 << 20
_REQUEST_INSIDE = Path("/wheelhouse/request.json")
# What _raise_error names when the environment worker fails (it has no sdist).
_ENV_REQUEST = BuildRequest(sdist=Path("build-environment"), find_links=(), python=Path(sys.executable))


def default_log_dir() -> Path:
    """``logs`` in the cache directory (:func:`~wheelhouse.host.cache.cache_root`)."""
    from .cache import cache_root

    return cache_root() / "logs"


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


def check_request(req: BuildRequest) -> None:
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
    if req.env_dir is not None and not (req.env_dir / ENV_MANIFEST).is_file():
        raise UsageError(f"--build-env {req.env_dir}: not a build environment made by `wheelhouse build-env`")
    for directory in req.ro_binds:
        if not directory.is_absolute() or not directory.exists():
            raise UsageError(f"--ro-bind {directory}: no such absolute path")
    if not os.access(req.python, os.X_OK):
        raise UsageError(f"--python {req.python}: not an executable interpreter")
    # not > 0, so that a NaN time-out (which would never expire) is refused too
    if not req.timeout > 0 or req.max_extract_bytes <= 0 or req.max_members <= 0 or req.max_processes <= 0:
        raise UsageError("--timeout, --max-extract-bytes, --max-members and --max-processes must be positive")
    if req.variant_properties or req.variant_label is not None:
        from .variants import canonical_properties, check_label

        if canonical_properties(req.variant_properties) != req.variant_properties:
            raise UsageError("variant_properties must be canonical: pass them through canonical_properties()")
        check_label(req.variant_properties, req.variant_label)
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


def check_output(out_dir: Path, info: SdistInfo, debug_dir: Path | None) -> None:
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
            from packaging.utils import parse_wheel_filename

            project = parse_wheel_filename(entry.name)[0]
        except ValueError:  # packaging's InvalidWheelFilename
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
    interpreter: Interpreter | None = None,
    info: SdistInfo | None = None,
) -> BuildResult:
    """Build ``req.sdist`` into ``out_dir``; see the module docstring.

    ``worker_env`` and ``worker_umask`` add noise to the worker's own
    environment (``verify`` uses them); the backend's environment is built
    from scratch regardless. ``interpreter`` is ``req.python`` already
    described (:class:`~wheelhouse.host.cache.Cache` remembers it), so the
    worker need not start it to ask; ``info`` is what inspecting the sdist
    found, when the caller knows it (the worker checks every member again).

    Raises:
        WheelhouseError: any user-actionable failure; ``out_dir`` is untouched.
    """
    progress = progress or Progress(verbosity=req.verbosity)
    started = time.monotonic()
    check_request(req)
    if info is None:
        info = inspect_sdist(req.sdist, ExtractLimits(req.max_extract_bytes, req.max_members))
    target_debug = (debug_dir or out_dir / "debug") if req.debug == "split" else None
    check_output(out_dir, info, target_debug)
    log_target = _log_target(log_file, info, progress)

    def finish(result: dict[str, Any], description: str, root: Path) -> BuildResult:
        return _collect(result, description, req, info, root, out_dir, target_debug, log_target, started)

    return _run(_build_job(req, info, progress, worker_env, worker_umask, interpreter), finish)


def build_requirements(req: BuildRequest, *, progress: Progress | None = None) -> BuildRequirements:
    """What ``req.sdist`` needs to build: its static requirements, and the dynamic ones its
    backend asks for, run in the sandbox with ``req``'s wheels (those of the static
    requirements are enough). Builds nothing.

    Raises:
        WheelhouseError: as :func:`build_wheel` (a backend that fails, tries the network, ...).
    """
    req = dataclasses.replace(req, requires_only=True)
    progress = progress or Progress(verbosity=req.verbosity)
    check_request(req)
    info = inspect_sdist(req.sdist, ExtractLimits(req.max_extract_bytes, req.max_members))

    def finish(result: dict[str, Any], _description: str, _root: Path) -> BuildRequirements:
        if "error" in result:
            _raise_error(result["error"], req, None)  # the log's tail is in the error
        return BuildRequirements(
            name=info.name,
            version=info.version,
            requires=tuple(str(r) for r in info.build_system["requires"]),
            dynamic=tuple(result.get("dynamic", [])),
            backend_path=bool(info.build_system.get("backend-path")),
        )

    return _run(_build_job(req, info, progress, None, None), finish)


def build_env(
    wheels: Sequence[Path],
    find_links: Sequence[Path],
    python: Path,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    sandbox_mode: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    max_processes: int = DEFAULT_MAX_PROCESSES,
    interpreter: Interpreter | None = None,
    compile_bytecode: bool = False,
) -> tuple[str, ...]:
    """Install exactly ``wheels`` (and the wheels in ``find_links``) into a build environment
    for ``python`` at the fixed path, in the sandbox, and export it to ``out_dir`` (see
    :func:`wheelhouse.sandboxed.buildenv.export_env`). ``build_wheel`` then uses it
    read-only with ``BuildRequest(env_dir=out_dir)``. Returns the installed
    distributions (``name==version``). ``compile_bytecode`` adds ``.pyc`` files
    (``unchecked-hash``: never compared with their sources, which the cache
    verifies), so backends start without compiling themselves every build; the
    files depend on the interpreter's marshal, so Bazel's environments do not
    carry them.

    Raises:
        WheelhouseError: a bad wheel, two versions of one project, an output that exists.
    """
    progress = progress or Progress()
    for wheel in wheels:
        if not wheel.is_file():
            raise UsageError(f"--wheel {wheel}: no such file")
    for directory in find_links:
        if not directory.is_dir():
            raise UsageError(f"--find-links {directory}: not a directory")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(f"-o {out_dir}: exists; give a new or empty directory")
    _writable_dir(out_dir, "-o")

    def request(seen: _Inputs) -> dict[str, Any]:
        return {
            "kind": "env",
            "python": str(seen.python),
            "wheels": [str(w) for w in seen.wheels],
            "find_links": [str(d) for d in seen.find_links],
            "verbosity": progress.verbosity,
            "compile": compile_bytecode,
        }

    job = _Job(
        "build environment", _Inputs(python, None, tuple(find_links), tuple(wheels)), request, sandbox_mode,
        timeout, max_processes, (), progress, described=_described(interpreter),
    )  # fmt: skip

    def finish(result: dict[str, Any], _description: str, root: Path) -> tuple[str, ...]:
        if "error" in result:
            _raise_error(result["error"], _ENV_REQUEST, None)
        if result.get("env") != "final-env":
            raise SandboxError("the build environment worker left a malformed result; rerun with -v")
        collect.copy_tree_out(root, "final-env", out_dir)
        return tuple(result.get("environment", []))

    return _run(job, finish)


_T = TypeVar("_T")


@dataclass(frozen=True)
class _Inputs:
    """What the worker reads: host paths, or the same seen inside the sandbox."""

    python: Path
    sdist: Path | None = None
    find_links: tuple[Path, ...] = ()
    wheels: tuple[Path, ...] = ()
    patches: tuple[Path, ...] = ()
    env_dir: Path | None = None


@dataclass(frozen=True)
class _Job:
    """One run of the worker: what it reads, what it is told, and its limits.

    ``request`` makes the worker's JSON from the inputs as the worker sees them.
    """

    label: str
    inputs: _Inputs
    request: Callable[[_Inputs], dict[str, Any]]
    sandbox: str
    timeout: float
    max_processes: int
    ro_binds: tuple[Path, ...]
    progress: Progress
    noise: Mapping[str, str] | None = None
    umask: int | None = None
    described: dict[str, Any] | None = None


def _described(interp: Interpreter | None) -> dict[str, Any] | None:
    if interp is None:
        return None
    return {
        "implementation": interp.implementation,
        "version": interp.version,
        "markers": interp.markers,
        "tags": list(interp.tags),
    }


def _build_job(
    req: BuildRequest,
    info: SdistInfo,
    progress: Progress,
    noise: Mapping[str, str] | None,
    umask: int | None,
    interpreter: Interpreter | None = None,
) -> _Job:
    def request(seen: _Inputs) -> dict[str, Any]:
        assert seen.sdist is not None
        inside = dataclasses.replace(
            req,
            sdist=seen.sdist,
            find_links=seen.find_links,
            wheels=seen.wheels,
            patches=seen.patches,
            python=seen.python,
            env_dir=seen.env_dir,
            verbosity=progress.verbosity,
        )
        data: dict[str, Any] = json.loads(inside.to_json())
        data["info"] = info.to_dict()
        return data

    inputs = _Inputs(req.python, req.sdist, req.find_links, req.wheels, req.patches, req.env_dir)
    return _Job(
        f"{req.sdist.name} ({info.label})", inputs, request, req.sandbox, req.timeout,
        req.max_processes, req.ro_binds, progress, noise, umask, _described(interpreter),
    )  # fmt: skip


def _run(job: _Job, finish: Callable[[dict[str, Any], str, Path], _T]) -> _T:
    """Run the worker for ``job`` in the sandbox (or, asked for, without); ``finish`` reads the result."""
    mode, bwrap = sandbox.select_mode(job.sandbox)
    if mode == "none":
        job.progress.warn(
            "--sandbox none: the build runs on this machine without isolation, with the network "
            f"open, one at a time on {FIXED_ROOT}"
        )
    work = Path(tempfile.mkdtemp(prefix="wheelhouse-"))
    try:
        if mode == "bwrap":
            root = work / "root"
            root.mkdir()
            result, description = _launch(job, root, _bwrap_command(job, bwrap, work, root), isolated=True)
            return finish(result, description, root)
        with sandbox.fixed_root_lock() as root:
            result, description = _launch(job, root, _bare_command(job, work, root), isolated=False)
            return finish(result, description, root)
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


def _write_request(job: _Job, seen: _Inputs, path: Path) -> None:
    data = job.request(seen)
    data["start"] = job.progress.start
    if job.described is not None:
        data["described"] = job.described
    path.write_text(json.dumps(data, sort_keys=True))


def _bwrap_command(job: _Job, bwrap: str, work: Path, root: Path) -> list[str]:
    """The worker in the sandbox: the inputs, core and interpreters bound read-only."""
    given = job.inputs
    mounts, _ = sandbox.core_mounts(work)
    worker_mounts, worker_python = sandbox.interpreter_mounts(Path(sys.executable))
    target_mounts, target_python = sandbox.interpreter_mounts(given.python)
    for mount in [*worker_mounts, *target_mounts]:
        if mount not in mounts:
            mounts.append(mount)
    inputs = SANDBOX_INPUTS
    sdist_in = None
    if given.sdist is not None:
        sdist_in = inputs / "sdist" / given.sdist.name
        mounts.append(Mount(given.sdist, sdist_in))
    links_in = [inputs / "links" / str(i) for i in range(len(given.find_links))]
    for src, dst in zip(given.find_links, links_in, strict=True):
        mounts += sandbox.directory_mounts(src, dst, work)
    wheels_in = [inputs / "wheels" / str(i) / w.name for i, w in enumerate(given.wheels)]
    mounts += [Mount(src, dst) for src, dst in zip(given.wheels, wheels_in, strict=True)]
    patches_in = [inputs / "patches" / str(i) / p.name for i, p in enumerate(given.patches)]
    mounts += [Mount(src, dst) for src, dst in zip(given.patches, patches_in, strict=True)]
    mounts += [Mount(path, path) for path in job.ro_binds]
    nested: list[Mount] = []
    env_in = None
    if given.env_dir is not None:  # a prebuilt environment: its files read-only at the fixed path
        env_in = inputs / "env"
        mounts += sandbox.directory_mounts(given.env_dir, env_in, work)
        for part in ("lib", "include"):
            if (given.env_dir / part).is_dir():
                nested += sandbox.directory_mounts(given.env_dir / part, FIXED_ROOT / "env" / part, work)
    seen = _Inputs(target_python, sdist_in, tuple(links_in), tuple(wheels_in), tuple(patches_in), env_in)
    request = work / "request.json"
    _write_request(job, seen, request)
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
    return sandbox.bwrap_command(bwrap, root=root, etc=etc, mounts=mounts, argv=argv, nested=nested)


def _bare_command(job: _Job, work: Path, root: Path) -> list[str]:
    """``--sandbox none``: the worker on the host, the core's own directories on its path."""
    _, parents = sandbox.core_mounts(work)
    request = work / "request.json"
    _write_request(job, job.inputs, request)
    python = str(Path(sys.executable).resolve())
    return [python, "-I", "-S", "-c", BOOT, os.pathsep.join(map(str, parents)), str(root), str(request)]


def _launch(job: _Job, root: Path, cmd: list[str], isolated: bool) -> tuple[dict[str, Any], str]:
    """Run the worker within the limits; its result (validated) and how it was isolated."""
    limit = sandbox.ProcessLimit(job.max_processes)
    processes = (
        f"at most {job.max_processes} processes" if limit.active else "processes not limited: no pids cgroup"
    )
    if isolated:
        description = f"bwrap (user, mount, pid, ipc, uts, network namespaces; read-only system; {processes})"
    else:
        description = f"none (not isolated: the network was open; {processes})"
    threading.Thread(target=_preload, daemon=True).start()  # while the sandbox runs, on another core
    with _worker_output(job.progress) as output:
        outcome = sandbox.run_sandbox(
            cmd,
            env=_worker_env(job.progress, job.noise),
            timeout=job.timeout,
            limit=limit,
            umask=job.umask,
            stdout=output,
        )
    return _outcome_result(job, root, outcome, cmd[0] if isolated else ""), description


def _preload() -> None:
    """Import what reading the result back needs (its name checks use ``packaging``)."""
    with contextlib.suppress(Exception):
        import packaging.utils  # noqa: F401


@contextlib.contextmanager
def _worker_output(progress: Progress) -> Iterator[int | None]:
    """Where the worker's output goes: stderr, or line by line to ``progress.sink``."""
    sink = progress.sink
    if sink is None:
        try:
            fd: int | None = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        yield fd
        return
    read_fd, write_fd = os.pipe()

    def pump() -> None:
        with os.fdopen(read_fd, "rb") as lines:
            for raw in lines:
                sink(raw.decode(errors="replace").rstrip("\n"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield write_fd
    finally:
        os.close(write_fd)  # the worker's copies closed when it ended: the reader sees the end
        reader.join(timeout=5)


def _outcome_result(job: _Job, root: Path, outcome: sandbox.RunOutcome, bwrap: str) -> dict[str, Any]:
    if outcome.process_limit_hit:
        raise LimitExceeded(
            f"{job.label}: the build tried to run more than {job.max_processes} processes and threads "
            "(a fork bomb, or a very parallel build) and was stopped; raise the limit with "
            "--max-processes if it is genuine"
        )
    if outcome.timed_out:
        raise LimitExceeded(
            f"{job.label}: the build ran longer than {job.timeout:g} s and was stopped with every process "
            "it started; raise the limit with --timeout if it needs longer"
        )
    result = collect.read_result(root)
    if result is None and bwrap:
        sandbox.explain_failure(bwrap)  # the kernel refused the sandbox: say why and how to fix it
    if result is None:
        raise SandboxError(
            f"{job.label}: the build worker died (exit {outcome.returncode}) without a result; "
            "rerun with -v to see why"
        )
    return result


def _raise_error(error: dict[str, Any], req: BuildRequest, log_path: Path | None) -> NoReturn:
    """Raise the error the worker reported, as the exception it was, with host paths."""
    kind = error["type"]
    if kind == "BuildFailed":
        message = error["message"] + (f"; full log: {log_path}" if log_path else "")
        raise BuildFailed(message, error.get("log_tail", []), log_path)
    if kind == "DynamicRequirements" and isinstance(error.get("requirements"), list):
        raise DynamicRequirements([str(r) for r in error["requirements"]], req.sdist.name)
    if kind == "MissingBuildRequirement" and "requirement" in error:
        raise missing_requirement(req, str(error["requirement"]))
    raise _ERROR_TYPES.get(kind, WheelhouseError)(error["message"])


def missing_requirement(req: BuildRequest, requirement: str) -> MissingBuildRequirement:
    """The error for a build requirement none of ``req``'s wheels satisfies, with its fix."""
    searched = [*req.find_links, *req.wheels]
    if req.missing_fix:  # name the wheels that were there, not the directories
        searched = sorted({w for d in req.find_links for w in d.glob("*.whl")} | set(req.wheels))
    return MissingBuildRequirement(requirement, req.sdist.name, searched, req.missing_fix)


def _collect(
    result: dict[str, Any],
    description: str,
    req: BuildRequest,
    info: SdistInfo,
    root: Path,
    out_dir: Path,
    debug_dir: Path | None,
    log_target: Path | None,
    started: float,
) -> BuildResult:
    log_path: Path | None = None
    if log_target is not None and os.path.lexists(root / "build.log"):
        try:
            collect.copy_out(root, "build.log", log_target, max_bytes=MAX_LOG_BYTES)
            log_path = log_target
        except (OSError, SandboxError):
            log_path = None
    error = result.get("error")
    if error:
        _raise_error(error, req, log_path)
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
    if req.variant_properties:
        from .variants import make_variant_wheel

        try:
            final = make_variant_wheel(final, req.variant_properties, req.variant_label)
        except BaseException:
            final.unlink(missing_ok=True)
            raise
    debug_files: list[Path] = []
    if debug_dir is not None:
        for relative in collect.iter_debug_files(root):
            dest = debug_dir / relative[len("debug/") :]
            collect.copy_out(root, relative, dest)
            debug_files.append(dest)
    return BuildResult(
        wheel=final,
        sha256=file_sha256(final),
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
