"""One sdist in, one reproducible wheel out.

:func:`build_wheel` is the public entry (the ``build-wheel`` command and the
Bazel action both end here). It checks the inputs, makes a private work
directory, and starts :mod:`wheelhouse.worker` inside the sandbox
(:mod:`wheelhouse.sandbox`), which sees that directory at the fixed path
:data:`~wheelhouse.sandbox.FIXED_ROOT` and runs :func:`run_request`:

1. extract the sdist (``data`` filter) to ``FIXED_ROOT/src/<top>``;
2. resolve ``build-system.requires`` against the ``--find-links`` wheels and
   install them into a venv at ``FIXED_ROOT/env``;
3. ask the backend for dynamic requirements (``get_requires_for_build_wheel``)
   and install those too;
4. run ``build_wheel`` through pypa ``build`` with a cleared environment;
5. normalize the wheel (:mod:`wheelhouse.normalize`).

The worker reports through ``result.json`` in the private directory; only a
finished wheel is moved into the output directory (copy to a temporary name,
then rename), so a failure never leaves a partial file there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import buildenv, sandbox
from .errors import (
    BadArchive,
    BuildFailed,
    MissingBuildRequirement,
    NoBuildSystem,
    SandboxError,
    UnsafeArchive,
    UsageError,
    WheelhouseError,
)
from .normalize import DebugMode, NormalizeOptions, normalize_wheel
from .progress import Progress
from .sdist import SdistInfo, extract_sdist, inspect_sdist

__all__ = [
    "BuildRequest",
    "BuildResult",
    "backend_environment",
    "build_wheel",
    "default_log_dir",
    "find_faketime",
    "run_request",
]

_ERROR_TYPES: dict[str, type[WheelhouseError]] = {
    cls.__name__: cls
    for cls in (
        BadArchive,
        NoBuildSystem,
        SandboxError,
        UnsafeArchive,
        UsageError,
        WheelhouseError,
    )
}

_NETWORK_SIGNS = (
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "No address associated with hostname",
    "getaddrinfo failed",
    "Could not resolve host",
    "Failed to establish a new connection",
    "Cannot assign requested address",
    "NewConnectionError",
    "URLError",
)
_CMAKE_BACKENDS = ("scikit_build_core", "skbuild", "py_build_cmake", "cmake_build_extension")
_BUILD_DIR_BACKENDS = ("mesonpy", "scikit_build_core")
_TAIL_LINES = 40


@dataclass(frozen=True)
class BuildRequest:
    """Everything a build depends on (all paths absolute).

    Attributes:
        sdist: the source distribution (Path).
        find_links: directories of wheels for the build environment (tuple[Path, ...]).
        python: interpreter the wheel is built for (Path).
        debug: ``strip`` | ``split`` | ``keep`` (str).
        build_tag: build tag for the output wheel (str | None).
        local_version: local version label for the output wheel (str | None).
        config_settings: PEP 517 config settings (dict[str, str | list[str]]).
        env: extra environment for the backend, applied last (dict[str, str]).
        source_date_epoch: fixed time; default the sdist's newest member (int | None).
        sandbox: ``auto`` | ``namespace`` | ``lock`` (str).
        wheels: single wheel files for the build environment (tuple[Path, ...]).
        patches: patches applied with ``patch -p1`` to the source tree, in order
            (tuple[Path, ...]).
        clock_shift: libfaketime offset for the backend, e.g. ``+400d``; used by
            ``verify`` to run the second build on a different clock (str | None).
        verbosity: 0 quiet, 1 phases, 2 phases and backend output (int).
    """

    sdist: Path
    find_links: tuple[Path, ...]
    python: Path
    debug: DebugMode = "strip"
    build_tag: str | None = None
    local_version: str | None = None
    config_settings: dict[str, str | list[str]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    source_date_epoch: int | None = None
    sandbox: str = "auto"
    wheels: tuple[Path, ...] = ()
    patches: tuple[Path, ...] = ()
    clock_shift: str | None = None
    verbosity: int = 1

    def to_json(self) -> str:
        """Serialize for the worker."""
        data = dataclasses.asdict(self)
        for key in ("sdist", "python"):
            data[key] = str(data[key])
        for key in ("find_links", "wheels", "patches"):
            data[key] = [str(p) for p in getattr(self, key)]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BuildRequest:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        data["sdist"] = Path(data["sdist"])
        data["python"] = Path(data["python"])
        for key in ("find_links", "wheels", "patches"):
            data[key] = tuple(Path(p) for p in data[key])
        return cls(**data)


@dataclass(frozen=True)
class BuildResult:
    """A finished wheel.

    Attributes:
        wheel: its path in the output directory (Path).
        sha256: hex digest of the file (str).
        name: canonical project name (str).
        version: version of the sdist (str).
        interpreter: implementation, version and best tag of the target (str).
        log: the backend log (Path | None).
        debug_files: split debug files written (list[Path]).
        seconds: wall time of the whole build (float).
    """

    wheel: Path
    sha256: str
    name: str
    version: str
    interpreter: str
    log: Path | None
    debug_files: list[Path]
    seconds: float


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
    def fix(func: Callable[..., Any], target: str, _exc: object) -> None:
        try:
            os.chmod(target, stat.S_IRWXU)
            func(target)
        except OSError:
            pass

    if path.exists():
        shutil.rmtree(path, onerror=fix)


def _check_request(req: BuildRequest) -> None:
    for path in (req.sdist, req.python, *req.find_links, *req.wheels, *req.patches):
        if path == sandbox.FIXED_ROOT or sandbox.FIXED_ROOT in path.parents:
            raise UsageError(f"{path}: inputs may not live under {sandbox.FIXED_ROOT}")
    for patch in req.patches:
        if not patch.is_file():
            raise UsageError(f"--patch {patch}: no such file")
    for directory in req.find_links:
        if not directory.is_dir():
            raise UsageError(f"--find-links {directory}: not a directory")
    if not os.access(req.python, os.X_OK):
        raise UsageError(f"--python {req.python}: not an executable interpreter")
    NormalizeOptions(
        source_date_epoch=0,
        debug=req.debug,
        debug_dir=Path("/") if req.debug == "split" else None,
        build_tag=req.build_tag,
        local_version=req.local_version,
    )


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
    info = inspect_sdist(req.sdist, sandbox.FIXED_ROOT / "src")
    mode = sandbox.detect_mode(req.sandbox)
    if mode == "lock":
        progress.warn(
            "mount/network namespaces unavailable: builds take turns on "
            f"{sandbox.FIXED_ROOT} and the network is NOT closed"
        )
    log_target = log_file or default_log_dir() / f"{info.name}-{info.version}.log"
    if mode == "namespace":
        sandbox.FIXED_ROOT.mkdir(parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(prefix="wheelhouse-"))
        try:
            result = _run_worker(
                req, info, private, sandbox.namespace_prefix(), progress, worker_env, worker_umask
            )
            return _collect(result, req, info, private, out_dir, debug_dir, log_target, started)
        finally:
            _rmtree(private)
    with sandbox.fixed_root_lock() as root:
        result = _run_worker(req, info, root, [], progress, worker_env, worker_umask)
        return _collect(result, req, info, root, out_dir, debug_dir, log_target, started)


def _run_worker(
    req: BuildRequest,
    info: SdistInfo,
    private: Path,
    prefix: list[str],
    progress: Progress,
    noise: Mapping[str, str] | None,
    umask: int | None,
) -> dict[str, Any]:
    req = dataclasses.replace(req, verbosity=progress.verbosity)
    (private / "request.json").write_text(req.to_json())
    # The sdist was checked whole by the front end; the worker extracts it without re-reading.
    (private / "sdist.json").write_text(json.dumps(info.to_dict()))
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # The worker imports wheelhouse and its dependencies exactly as we did.
        "PYTHONPATH": os.pathsep.join(
            [package_parent, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        ),
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
        "WHEELHOUSE_START": repr(progress.start),
    }
    env.update(noise or {})
    cmd = [*prefix, sys.executable, "-m", "wheelhouse.worker", str(private)]
    if prefix:
        cmd.append("--bind")
    preexec = (lambda: os.umask(umask) and None) if umask is not None else None
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, preexec_fn=preexec, check=False)
    result_file = private / "result.json"
    if not result_file.exists():
        raise SandboxError(
            f"{req.sdist.name}: the build worker died (exit {proc.returncode}) without a "
            "result; rerun with -v and report it"
        )
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


def _collect(
    result: dict[str, Any],
    req: BuildRequest,
    info: SdistInfo,
    private: Path,
    out_dir: Path,
    debug_dir: Path | None,
    log_target: Path,
    started: float,
) -> BuildResult:
    log_src = private / "build.log"
    log_path: Path | None = None
    if log_src.exists():
        log_target.parent.mkdir(parents=True, exist_ok=True)
        tmp_log = log_target.with_name(log_target.name + ".tmp")
        shutil.copyfile(log_src, tmp_log)
        os.replace(tmp_log, log_target)
        log_path = log_target
    error = result.get("error")
    if error:
        if error["type"] == "BuildFailed":
            message = error["message"] + (f"; full log: {log_path}" if log_path else "")
            raise BuildFailed(message, error.get("log_tail", []), log_path)
        if error["type"] == "MissingBuildRequirement":
            searched = [*req.find_links, *req.wheels]
            raise MissingBuildRequirement(error["requirement"], req.sdist.name, searched)
        raise _ERROR_TYPES.get(error["type"], WheelhouseError)(error["message"])
    wheel_src = private / result["wheel"]
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / wheel_src.name
    fd, tmp_name = tempfile.mkstemp(prefix=f".{wheel_src.name}.", suffix=".tmp", dir=out_dir)
    os.close(fd)
    try:
        shutil.copyfile(wheel_src, tmp_name)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    debug_files: list[Path] = []
    if req.debug == "split":
        target_dir = debug_dir or out_dir / "debug"
        src_dir = private / "debug"
        for src in sorted(src_dir.rglob("*.debug")) if src_dir.exists() else []:
            dest = target_dir / src.relative_to(src_dir)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
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
    )


# --------------------------------------------------------------------------
# Inside the sandbox (the worker process)
# --------------------------------------------------------------------------


def find_faketime() -> str | None:
    """The libfaketime library, if installed (used for verify's shifted clock)."""
    for pattern in (
        "/usr/lib/*/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
        "/usr/local/lib/faketime/libfaketime.so.1",
    ):
        for match in sorted(Path("/").glob(pattern.lstrip("/"))):
            return str(match)
    return None


def backend_environment(
    req: BuildRequest, info: SdistInfo, source: Path, env_prefix: Path, epoch: int
) -> dict[str, str]:
    """The complete environment the build backend runs with.

    Nothing is inherited from the caller: reproducibility settings, prefix
    maps for the source and build-environment paths (``CPPFLAGS`` for
    setuptools and meson, which keep the interpreter's own ``CFLAGS``;
    ``CFLAGS``/``CXXFLAGS`` for CMake backends), then ``req.env`` last.
    """
    root = sandbox.FIXED_ROOT
    maps = [
        f"-ffile-prefix-map={source}=/usr/src/{info.top}",
        f"-ffile-prefix-map={env_prefix}=/usr/src/wheelhouse-env",
        f"-ffile-prefix-map={root / 'build'}=/usr/src/wheelhouse-build",
    ]
    flags = " ".join(maps)
    env = {
        "PATH": f"{env_prefix / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "SOURCE_DATE_EPOCH": str(epoch),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "PIP_NO_INDEX": "1",
        "CPPFLAGS": flags,
        "RUSTFLAGS": f"--remap-path-prefix={source}=/usr/src/{info.top}",
        "CARGO_NET_OFFLINE": "true",
    }
    backend = str(info.build_system.get("build-backend", ""))
    if backend.split(".")[0].split(":")[0] in _CMAKE_BACKENDS:
        env["CFLAGS"] = flags
        env["CXXFLAGS"] = flags
    if req.clock_shift:
        lib = find_faketime()
        if lib:
            env["LD_PRELOAD"] = lib
            env["FAKETIME"] = req.clock_shift
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            env["FAKETIME_DONT_RESET"] = "1"
    env.update(req.env)
    return env


class _LogRunner:
    """A pyproject_hooks runner: clean environment, output to the log."""

    def __init__(self, env: dict[str, str], log: IO[bytes], verbose: bool) -> None:
        self.env = env
        self.log = log
        self.verbose = verbose

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**self.env, **(extra_environ or {})}
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            self.log.write(line)
            if self.verbose:
                sys.stderr.buffer.write(line)
                sys.stderr.flush()
        self.log.flush()
        if proc.wait() != 0:
            raise subprocess.CalledProcessError(proc.returncode, list(cmd))


def _log_tail(log_path: Path) -> list[str]:
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return lines[-_TAIL_LINES:]


def _key_line(tail: list[str]) -> str:
    for line in reversed(tail):  # the compiler's or the backend's own diagnosis first
        if re.search(r"fatal error|Error:|No such file|not found", line) and line.strip():
            return line.strip()[:300]
    for line in reversed(tail):
        if re.search(r"error|exception|failed|not found|no such", line, re.I) and line.strip():
            return line.strip()[:300]
    for line in reversed(tail):
        if line.strip():
            return line.strip()[:300]
    return "no output"


def _config_settings(req: BuildRequest, info: SdistInfo) -> dict[str, str | list[str]]:
    settings = dict(req.config_settings)
    backend = str(info.build_system.get("build-backend", "")).split(".")[0].split(":")[0]
    if backend in _BUILD_DIR_BACKENDS and "build-dir" not in settings:
        settings["build-dir"] = str(sandbox.FIXED_ROOT / "build")
    return settings


def run_request(private: Path, bind: bool) -> dict[str, Any]:
    """Worker side: perform the build described by ``private/request.json``.

    Returns the result written to ``private/result.json``: ``wheel`` (path
    relative to the private directory) and ``interpreter``, or ``error``.
    """
    req = BuildRequest.from_json((private / "request.json").read_text())
    info = SdistInfo.from_dict(json.loads((private / "sdist.json").read_text()))
    if bind:
        sandbox.bind_fixed_root(private)
    root = sandbox.FIXED_ROOT
    os.umask(0o022)
    for sub in ("src", "home", "tmp", "build", "out", "final", "debug"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    start = float(os.environ.get("WHEELHOUSE_START", "-1"))
    os.environ.clear()
    os.environ.update(
        {
            "PATH": "/usr/bin:/bin",
            "TMPDIR": str(root / "tmp"),
            "HOME": str(root / "home"),
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        }
    )
    os.chdir(root)
    progress = Progress(verbosity=req.verbosity, start=start if start >= 0 else -1.0)
    log_path = root / "build.log"
    with open(log_path, "ab") as log:
        return _build(req, info, root, log, log_path, progress)


@dataclass
class _Job:
    """State of one build inside the worker."""

    req: BuildRequest
    info: SdistInfo
    root: Path
    source: Path
    log: IO[bytes]
    log_path: Path
    progress: Progress
    interp: buildenv.Interpreter
    candidates: list[buildenv.WheelCandidate]
    epoch: int

    def resolve(self, requirements: list[str]) -> list[buildenv.WheelCandidate]:
        return buildenv.resolve(
            requirements,
            self.candidates,
            self.interp,
            sdist=self.req.sdist.name,
            dirs=[*self.req.find_links, *self.req.wheels],
        )

    def phase(self, text: str) -> None:
        self.progress.phase(self.info.label, text)


def _apply_patch(req: BuildRequest, patch: Path, source: Path, log: IO[bytes]) -> None:
    cmd = [
        "patch",
        "-p1",
        "--batch",
        "--forward",
        "--no-backup-if-mismatch",
        "-d",
        str(source),
        "-i",
        str(patch),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
    except OSError as exc:
        raise UsageError(f"--patch {patch}: cannot run `patch` ({exc}); install GNU patch") from None
    log.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        detail = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()
        raise UsageError(
            f"{req.sdist.name}: patch {patch.name} does not apply "
            f"({detail[-1] if detail else 'exit ' + str(proc.returncode)}); update the patch for this version"
        )


def _pins(wheels: list[buildenv.WheelCandidate]) -> str:
    return ", ".join(f"{c.name}=={c.version}" for c in wheels) or "(nothing)"


def _build(
    req: BuildRequest, info: SdistInfo, root: Path, log: IO[bytes], log_path: Path, progress: Progress
) -> dict[str, Any]:
    epoch = req.source_date_epoch if req.source_date_epoch is not None else info.source_date_epoch()
    progress.phase(info.label, f"extracting {req.sdist.name}")
    source = extract_sdist(info, root / "src")
    for patch in req.patches:
        progress.phase(info.label, f"applying {patch.name}")
        _apply_patch(req, patch, source, log)
    job = _Job(
        req,
        info,
        root,
        source,
        log,
        log_path,
        progress,
        buildenv.describe_interpreter(req.python),
        buildenv.scan_find_links(req.find_links) + buildenv.scan_wheel_files(req.wheels),
        epoch,
    )
    with warnings.catch_warnings(record=True) as caught:
        # pyproject_hooks re-raises the backend's warnings in this process: log them.
        warnings.simplefilter("always")
        try:
            raw = _run_backend(job)
        finally:
            for warning in caught:
                text = f"warning: {warning.category.__name__}: {warning.message}\n".encode()
                log.write(text)
                if progress.verbose:
                    sys.stderr.buffer.write(text)
    job.phase(f"normalizing {raw.name} (debug: {req.debug})")
    opts = NormalizeOptions(
        source_date_epoch=epoch,
        debug=req.debug,
        debug_dir=root / "debug" if req.debug == "split" else None,
        build_tag=req.build_tag,
        local_version=req.local_version,
    )
    final = normalize_wheel(raw, root / "final", opts)
    job.phase(f"built {final.name}")
    return {"wheel": str(final.relative_to(root)), "interpreter": job.interp.key}


def _run_backend(job: _Job) -> Path:
    import build as pypa_build

    req, info = job.req, job.info
    static = [str(r) for r in info.build_system["requires"]]
    job.phase(f"resolving {len(static)} build requirement(s) for {job.interp.key}")
    chosen = job.resolve(static)
    env_prefix = job.root / "env"
    venv_python = buildenv.create_venv(req.python, env_prefix)
    job.phase(f"installing build environment: {_pins(chosen)}")
    buildenv.install_wheels(chosen, venv_python)
    runner = _LogRunner(
        backend_environment(req, info, job.source, env_prefix, job.epoch), job.log, job.progress.verbose
    )
    settings = _config_settings(req, info)
    backend = str(info.build_system.get("build-backend"))
    hook = "get_requires_for_build_wheel"
    try:
        builder = pypa_build.ProjectBuilder(job.source, python_executable=str(venv_python), runner=runner)
        job.phase("asking the backend for dynamic build requirements")
        dynamic = sorted(builder.get_requires_for_build("wheel", settings))
        if dynamic:
            full = job.resolve(static + dynamic)
            have = {(c.name, c.version) for c in chosen}
            if have <= {(c.name, c.version) for c in full}:
                extra = [c for c in full if (c.name, c.version) not in have]
            else:  # the dynamic requirements changed a version: start over
                buildenv.create_venv(req.python, env_prefix)
                extra = full
            job.phase(f"installing dynamic requirements: {_pins(extra)}")
            buildenv.install_wheels(extra, venv_python)
        hook = "build_wheel"
        job.phase(f"building with {backend} (SOURCE_DATE_EPOCH={job.epoch})")
        return Path(builder.build("wheel", job.root / "out", settings))
    except (pypa_build.BuildException, pypa_build.BuildBackendException) as exc:
        job.log.flush()
        tail = _log_tail(job.log_path)
        cause = _key_line(tail) if tail else str(exc)
        message = f"{req.sdist.name} ({info.label}): build backend {backend} failed in {hook}: {cause}"
        if any(sign in "\n".join(tail) for sign in _NETWORK_SIGNS):
            message += (
                "; the build tried to reach the network, which is closed during builds: "
                "provide what it downloads as a build requirement or patch the sdist"
            )
        raise BuildFailed(message, tail, None) from None


def error_result(exc: WheelhouseError) -> dict[str, Any]:
    """The ``result.json`` form of an error."""
    data: dict[str, Any] = {"type": type(exc).__name__, "message": exc.message}
    if isinstance(exc, BuildFailed):
        data["log_tail"] = exc.log_tail
    if isinstance(exc, MissingBuildRequirement):
        data["requirement"] = exc.requirement
    return {"error": data}
