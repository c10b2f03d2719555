"""The build itself, run by the worker inside the sandbox next to the untrusted backend.

:func:`run_request` performs one build under :data:`FIXED_ROOT` (the sandbox's
only writable directory, the same absolute path for every build):

1. extract the sdist to ``FIXED_ROOT/src/<top>`` (members checked again,
   bytes counted against the limits);
2. resolve ``build-system.requires`` against the given wheels and install
   them into a venv at ``FIXED_ROOT/env``, with the hook that makes
   temporary names deterministic (:mod:`wheelhouse.sandboxed.tempnames`);
3. ask the backend for dynamic requirements (``get_requires_for_build_wheel``)
   and install those too;
4. run ``build_wheel`` through ``pyproject_hooks`` (as pypa ``build``
   does) with an environment built from scratch;
5. normalize the wheel (:mod:`wheelhouse.normalize`) into ``FIXED_ROOT/final``.

Everything here may be tampered with by the backend, which runs as the same
user: the front end trusts nothing it reads back (see
:mod:`wheelhouse.host.collect`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildFailed, DynamicRequirements, MissingBuildRequirement, UsageError, WheelhouseError
from ..progress import Progress
from ..request import BuildRequest
from ..sdist import ExtractLimits, SdistInfo, extract_sdist
from . import buildenv

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

__all__ = [
    "FIXED_ROOT",
    "backend_environment",
    "error_result",
    "find_faketime",
    "run_request",
]

#: The path every build sees its work under (inside the sandbox).
FIXED_ROOT = Path("/tmp/wheelhouse-build")

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
# Python programs a shifted clock is preloaded into; compilers, cmake and ninja keep the real one.
_FAKETIME_COMMANDS = "python,python3," + ",".join(f"python3.{minor}" for minor in range(8, 20))


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
    maps for the source and build-environment paths, and ``-g0`` when debug
    info is stripped anyway (``CPPFLAGS`` for setuptools and meson, which keep
    the interpreter's own ``CFLAGS``; ``CFLAGS``/``CXXFLAGS`` for CMake
    backends), then ``req.env`` last.
    With ``req.clock_shift``, libfaketime is preloaded, but only into
    Python processes (the backends, where embedded build times come from),
    and with the monotonic clock shifted too: libfaketime 0.9.10 with
    ``FAKETIME_DONT_FAKE_MONOTONIC`` makes every ``clock_nanosleep`` on the
    monotonic clock fail with EINVAL, so Python's ``time.sleep`` and any
    ``subprocess`` wait with a time-out failed once a child was slow to exit
    (scikit-build-core's cmake probe under load).
    """
    root = FIXED_ROOT
    maps = [
        f"-ffile-prefix-map={source}=/usr/src/{info.top}",
        f"-ffile-prefix-map={env_prefix}=/usr/src/wheelhouse-env",
        f"-ffile-prefix-map={root / 'build'}=/usr/src/wheelhouse-build",
    ]
    if req.debug == "strip":
        # Debug info that normalizing would strip is not worth generating: GCC and Clang emit
        # the same code with and without -g, so the stripped wheel is the same bytes, built
        # faster (pyyaml's extension: 15-25 % less wall time). Last, so it overrides the
        # interpreter's own -g; a CMake build type's -g comes later and is stripped as before.
        maps.append("-g0")
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
        "USER": "wheelhouse",
        "LOGNAME": "wheelhouse",
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
            env["FAKETIME_ONLY_CMDS"] = _FAKETIME_COMMANDS
            env["FAKETIME_DONT_RESET"] = "1"
    if req.variant_properties:
        env["WHEELHOUSE_VARIANT_PROPERTIES"] = ";".join(req.variant_properties)
    env.update(req.env)
    return env


class _LogRunner:
    """A pyproject_hooks runner: clean environment, output to the log.

    Reads the backend's output until the backend process exits, not until
    the pipe closes: a process it left in the background may hold the pipe
    open forever (it dies with the sandbox).
    """

    def __init__(self, env: dict[str, str], log: IO[bytes], verbose: bool) -> None:
        self.env = env
        self.log = log
        self.verbose = verbose

    def _emit(self, data: bytes) -> None:
        self.log.write(data)
        if self.verbose:
            sys.stderr.buffer.write(data)
            sys.stderr.flush()

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**self.env, **(extra_environ or {})}
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=write_fd, stderr=write_fd
            )
        finally:
            os.close(write_fd)
        try:
            exited = False
            while True:
                ready, _, _ = select.select([read_fd], [], [], 0.2)
                if ready:
                    data = os.read(read_fd, 1 << 16)
                    if not data:
                        break
                    self._emit(data)
                elif exited:
                    break  # the backend is gone and nothing more is pending
                if not exited and proc.poll() is not None:
                    exited = True
        finally:
            os.close(read_fd)
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
        settings["build-dir"] = str(FIXED_ROOT / "build")
    return settings


def run_request(root: Path, request: Path) -> dict[str, Any]:
    """Worker side: perform the build that ``request`` describes, under ``root``.

    ``root`` is :data:`FIXED_ROOT` (inside the sandbox, or on the host with
    ``--sandbox none``). Returns the result the worker writes to
    ``root/result.json``: ``wheel`` (path relative to ``root``),
    ``interpreter``, ``environment`` and ``dynamic``, or ``error``.
    """
    data = json.loads(request.read_text())
    start = float(data.pop("start", -1.0))
    kind = data.pop("kind", "build")
    os.umask(0o022)
    for sub in ("src", "home", "tmp", "build", "out", "final", "debug"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.environ.clear()
    os.environ.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "TMPDIR": str(root / "tmp"),
            "HOME": str(root / "home"),
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        }
    )
    os.chdir(root)
    progress = Progress(verbosity=int(data.get("verbosity", 1)), start=start if start >= 0 else -1.0)
    described = data.pop("described", None)
    if kind == "env":
        return _make_env(data, root, progress, described)
    info = SdistInfo.from_dict(data.pop("info"))
    req = BuildRequest.from_json(json.dumps(data))
    log_path = root / "build.log"
    with open(log_path, "ab") as log:
        return _build(req, info, root, log, log_path, progress, _interpreter(req.python, described))


def _interpreter(python: Path, described: dict[str, Any] | None) -> buildenv.Interpreter:
    """``python`` as the front end already described it (saving a start of it), or asked now."""
    if described is None:
        return buildenv.describe_interpreter(python)
    return buildenv.Interpreter(
        python,
        str(described["implementation"]),
        str(described["version"]),
        {str(k): str(v) for k, v in described["markers"].items()},
        tuple(str(t) for t in described["tags"]),
    )


def _make_env(
    data: dict[str, Any], root: Path, progress: Progress, described: dict[str, Any] | None
) -> dict[str, Any]:
    """Install exactly the given wheels into a venv at the fixed path and export it to ``root/final-env``."""
    python = Path(data["python"])
    candidates = buildenv.scan_wheel_files([Path(w) for w in data["wheels"]])
    candidates += buildenv.scan_find_links([Path(d) for d in data["find_links"]])
    seen: dict[str, buildenv.WheelCandidate] = {}
    for cand in candidates:
        other = seen.setdefault(cand.name, cand)
        if other is not cand:
            raise UsageError(
                f"{cand.path.name} and {other.path.name}: one build environment holds one version of "
                f"{cand.name}; give one"
            )
    interp = _interpreter(python, described)
    chosen = sorted(seen.values(), key=lambda c: c.name)
    progress.phase("build environment", f"installing {_pins(chosen)} for {interp.key}")
    venv_python = _new_env(python, root / "env", interp)
    buildenv.install_wheels(chosen, venv_python, interp=interp)
    if data.get("compile"):
        progress.phase("build environment", "compiling bytecode")
        buildenv.compile_env(venv_python, interp=interp)
    dists = [f"{c.name}=={c.version}" for c in chosen]
    buildenv.export_env(root / "env", root / "final-env", dists, interp.key)
    return {"env": "final-env", "environment": dists, "interpreter": interp.key}


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
    epoch: int
    candidates: list[buildenv.WheelCandidate] | None = field(default=None)

    def resolve(self, requirements: list[str]) -> list[buildenv.WheelCandidate]:
        if self.candidates is None:  # scanned when first needed: a prebuilt environment never needs it
            self.candidates = buildenv.scan_find_links(self.req.find_links) + buildenv.scan_wheel_files(
                self.req.wheels
            )
        return buildenv.resolve(
            requirements,
            self.candidates,
            self.interp,
            sdist=self.req.sdist.name,
            dirs=[*self.req.find_links, *self.req.wheels],
        )

    def phase(self, text: str) -> None:
        self.progress.phase(self.info.label, text)

    def check(self, requirements: list[str], installed: list[str]) -> None:
        where = [self.req.env_dir] if self.req.env_dir is not None else []
        buildenv.check_installed(requirements, installed, self.interp, sdist=self.req.sdist.name, where=where)


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
        raise UsageError(f"--patch {patch.name}: cannot run `patch` ({exc}); install GNU patch") from None
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
    req: BuildRequest,
    info: SdistInfo,
    root: Path,
    log: IO[bytes],
    log_path: Path,
    progress: Progress,
    interp: buildenv.Interpreter,
) -> dict[str, Any]:
    epoch = req.source_date_epoch if req.source_date_epoch is not None else info.source_date_epoch()
    progress.phase(info.label, f"extracting {req.sdist.name}")
    limits = ExtractLimits(max_bytes=req.max_extract_bytes, max_members=req.max_members)
    source = extract_sdist(_at_path(info, req.sdist), root / "src", limits)
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
        interp,
        epoch,
    )
    with warnings.catch_warnings(record=True) as caught:
        # pyproject_hooks re-raises the backend's warnings in this process: log them.
        warnings.simplefilter("always")
        try:
            raw, environment, dynamic = _run_backend(job)
        finally:
            for warning in caught:
                text = f"warning: {warning.category.__name__}: {warning.message}\n".encode()
                log.write(text)
                if progress.verbose:
                    sys.stderr.buffer.write(text)
    if raw is None:  # req.requires_only
        return {"requires_only": True, "environment": environment, "dynamic": dynamic}
    job.phase(f"normalizing {raw.name} (debug: {req.debug})")
    from ..normalize import NormalizeOptions, normalize_wheel  # loaded while the backend ran

    opts = NormalizeOptions(
        source_date_epoch=epoch,
        debug=req.debug,
        debug_dir=root / "debug" if req.debug == "split" else None,
        build_tag=req.build_tag,
        local_version=req.local_version,
    )
    final = normalize_wheel(raw, root / "final", opts)
    job.phase(f"built {final.name}")
    return {
        "wheel": str(final.relative_to(root)),
        "interpreter": job.interp.key,
        "environment": environment,
        "dynamic": dynamic,
    }


def _at_path(info: SdistInfo, path: Path) -> SdistInfo:
    """``info`` for the same sdist seen at ``path`` (its path inside the sandbox)."""
    return SdistInfo.from_dict({**info.to_dict(), "path": str(path)})


def _new_env(python: Path, prefix: Path, interp: buildenv.Interpreter) -> Path:
    venv_python = buildenv.create_venv(python, prefix, interp=interp)
    buildenv.add_tempnames_hook(venv_python, interp=interp)
    return venv_python


def _preload() -> None:
    """Import what the worker needs after the backend, while the backend runs (on another core)."""
    with contextlib.suppress(Exception):
        import wheelhouse.normalize  # noqa: F401


class _Hooks:
    """The backend's PEP 517 hooks, called through ``pyproject_hooks`` with our runner."""

    def __init__(self, job: _Job, venv_python: Path, runner: _LogRunner) -> None:
        from pyproject_hooks import BuildBackendHookCaller

        system = job.info.build_system
        self.backend = str(system.get("build-backend") or "setuptools.build_meta:__legacy__")
        path = system.get("backend-path")
        self.caller = BuildBackendHookCaller(
            str(job.source),
            self.backend,
            backend_path=[str(p) for p in path] if isinstance(path, list) else None,
            runner=runner,
            python_executable=str(venv_python),
        )

    def get_requires(self, settings: dict[str, str | list[str]]) -> list[str]:
        return sorted(set(self.caller.get_requires_for_build_wheel(settings)))

    def build(self, outdir: Path, settings: dict[str, str | list[str]]) -> Path:
        outdir.mkdir(parents=True, exist_ok=True)
        return outdir / str(self.caller.build_wheel(str(outdir), settings))


def _run_backend(job: _Job) -> tuple[Path | None, list[str], list[str]]:
    """Install the environment and run the backend: (raw wheel, environment pins, dynamic).

    With ``requires_only`` the wheel is None: the backend is only asked for its
    dynamic requirements, which need not be among the given wheels. With a
    prebuilt environment and ``dynamic_known``, the caller has checked that the
    environment holds the static and those dynamic requirements: the backend is
    not asked again and nothing is checked here.
    """
    req, info = job.req, job.info
    static = [str(r) for r in info.build_system["requires"]]
    env_prefix = job.root / "env"
    prebuilt: list[str] | None = None
    known = req.dynamic_known is not None and req.env_dir is not None
    if req.env_dir is not None:  # a prebuilt environment, read-only: check it, never add to it
        venv_python, prebuilt = buildenv.adopt_env(req.env_dir, env_prefix, req.python, interp=job.interp)
        job.phase(f"using the prebuilt build environment: {', '.join(prebuilt) or '(nothing)'}")
        if not known:
            job.check(static, prebuilt)
        chosen: list[buildenv.WheelCandidate] = []
    else:
        job.phase(f"resolving {len(static)} build requirement(s) for {job.interp.key}")
        chosen = job.resolve(static)
        venv_python = _new_env(req.python, env_prefix, job.interp)
        job.phase(f"installing build environment: {_pins(chosen)}")
        buildenv.install_wheels(chosen, venv_python, interp=job.interp)
    runner = _LogRunner(
        backend_environment(req, info, job.source, env_prefix, job.epoch), job.log, job.progress.verbose
    )
    settings = _config_settings(req, info)
    hook = "get_requires_for_build_wheel"
    installed = list(chosen)
    dynamic: list[str] = []
    from pyproject_hooks import BackendUnavailable, HookMissing

    hooks = _Hooks(job, venv_python, runner)
    backend = hooks.backend
    try:
        if known:
            dynamic = sorted(req.dynamic_known or ())  # asked before for this sdist, environment, options
        else:
            job.phase("asking the backend for dynamic build requirements")
            dynamic = hooks.get_requires(settings)
        if req.requires_only:
            return None, sorted(f"{c.name}=={c.version}" for c in chosen), dynamic
        if prebuilt is not None and not known:
            try:
                job.check(dynamic, prebuilt)
            except MissingBuildRequirement:
                if not req.report_dynamic:
                    raise
                raise DynamicRequirements(dynamic, req.sdist.name) from None
        elif prebuilt is None and dynamic:
            full = job.resolve(static + dynamic)
            have = {(c.name, c.version) for c in chosen}
            if have <= {(c.name, c.version) for c in full}:
                extra = [c for c in full if (c.name, c.version) not in have]
            else:  # the dynamic requirements changed a version: start over
                _new_env(req.python, env_prefix, job.interp)
                extra = full
            job.phase(f"installing dynamic requirements: {_pins(extra)}")
            buildenv.install_wheels(extra, venv_python, interp=job.interp)
            installed = full
        hook = "build_wheel"
        job.phase(f"building with {backend} (SOURCE_DATE_EPOCH={job.epoch})")
        threading.Thread(target=_preload, daemon=True).start()
        wheel = hooks.build(job.root / "out", settings)
    except WheelhouseError:
        raise
    except Exception as exc:  # the hook process failed, or could not start
        job.log.flush()
        tail = _log_tail(job.log_path)
        if isinstance(exc, BackendUnavailable):
            lines = [ln.strip() for ln in str(exc.traceback or "").splitlines() if ln.strip()]
            cause = f"cannot import the backend {backend}" + (f" ({lines[-1]})" if lines else "")
        elif isinstance(exc, HookMissing):
            cause = f"the backend has no {exc.hook_name} hook"
        else:
            cause = _key_line(tail) if tail else str(exc)
        message = f"{req.sdist.name} ({info.label}): build backend {backend} failed in {hook}: {cause}"
        if any(sign in "\n".join(tail) for sign in _NETWORK_SIGNS):
            message += (
                "; the build tried to reach the network, which is closed during builds: "
                "provide what it downloads as a build requirement or patch the sdist"
            )
        raise BuildFailed(message, tail, None) from None
    if prebuilt is not None:
        return wheel, sorted(prebuilt), dynamic
    environment = sorted(f"{c.name}=={c.version}" for c in installed)
    return wheel, environment, dynamic


def error_result(exc: WheelhouseError) -> dict[str, Any]:
    """The ``result.json`` form of an error."""
    data: dict[str, Any] = {"type": type(exc).__name__, "message": exc.message}
    if isinstance(exc, BuildFailed):
        data["log_tail"] = exc.log_tail
    if isinstance(exc, MissingBuildRequirement):
        data["requirement"] = exc.requirement
    if isinstance(exc, DynamicRequirements):
        data["requirements"] = exc.requirements
    return {"error": data}
