"""The build sandbox: bubblewrap, as Flatpak uses it, with limits.

A build backend is untrusted code. :func:`bwrap_command` starts the worker
(and so the backend) with ``bwrap``:

- new user, mount, PID, IPC, UTS, network and (where possible) cgroup
  namespaces, for root too; no capabilities; no further user namespaces
  (``--disable-userns``), so nothing inside can regain the host's namespaces;
  a new session (no terminal injection); every process is killed when the
  front end goes (``--die-with-parent`` and the PID namespace);
- a file system built from nothing: ``/usr`` and the loader's files
  read-only, a few ``/etc`` entries compilers need (the loader cache,
  ``alternatives``) read-only, generated ``passwd``/``group``/``hosts``, a
  fresh ``/proc``, a minimal ``/dev``, private ``/tmp``; the interpreters and
  the core's own packages read-only; the inputs read-only under
  :data:`SANDBOX_INPUTS`; the build's private directory writable at
  :data:`FIXED_ROOT`; nothing else of the host (no ``/root``, ``/home``,
  working tree or caches) unless bound with ``--ro-bind``; ``/`` read-only;
- the same user (uid 1000, ``wheelhouse``) and host name in every build.

:class:`ProcessLimit` caps processes and threads through a pids cgroup where
one can be made, and :func:`run_sandbox` enforces the time limit and kills
everything that is left. ``--sandbox none`` runs the worker on the host
instead, one build at a time on the real :data:`FIXED_ROOT` (a lock), with
the network open: only when asked for.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Literal

from ..errors import SandboxError

__all__ = [
    "FIXED_ROOT",
    "SANDBOX_CORE",
    "SANDBOX_INPUTS",
    "SANDBOX_UID",
    "Mount",
    "ProcessLimit",
    "RunOutcome",
    "SandboxMode",
    "bwrap_command",
    "core_mounts",
    "directory_mounts",
    "explain_failure",
    "fixed_root_lock",
    "interpreter_mounts",
    "run_sandbox",
    "select_mode",
    "stop_all",
    "write_etc",
]

#: The path every build sees its work under.
FIXED_ROOT = Path("/tmp/wheelhouse-build")
#: Where the core's packages appear inside the sandbox.
SANDBOX_CORE = Path("/wheelhouse/core")
#: Where the build's inputs (sdist, wheels, patches) appear inside the sandbox.
SANDBOX_INPUTS = Path("/wheelhouse/in")
#: The user every build runs as, inside.
SANDBOX_UID = 1000
SANDBOX_USER = "wheelhouse"
HOSTNAME = "wheelhouse"

SandboxMode = Literal["bwrap", "none"]

# Host directories that may be symbolic links into /usr (merged /usr) or real directories.
_TOP_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# /etc entries a compiler or the loader reads; everything else of /etc stays out.
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives")


@dataclass(frozen=True)
class Mount:
    """A host path made visible in the sandbox.

    Attributes:
        source: the host path (Path).
        target: where it appears inside (Path).
        writable: bound read-write (bool); read-only otherwise.
    """

    source: Path
    target: Path
    writable: bool = False


def find_bwrap() -> str | None:
    """The ``bwrap`` program on PATH (or Debian's location)."""
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None)


def _base_args() -> list[str]:
    args = [
        "--unshare-user",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--hostname",
        HOSTNAME,
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in _TOP_DIRS:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    for name in _ETC:
        host = Path("/etc") / name
        if host.exists():
            args += ["--ro-bind", str(host), str(host)]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp"]
    args += ["--dir", "/var", "--tmpfs", "/var/tmp"]
    return args


def write_etc(directory: Path) -> Path:
    """Write the generated ``/etc`` files of the sandbox into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "passwd": f"{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_UID}:wheelhouse build:{FIXED_ROOT}/home:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "group": f"{SANDBOX_USER}:x:{SANDBOX_UID}:\nnogroup:x:65534:\n",
        "hosts": f"127.0.0.1\tlocalhost {HOSTNAME}\n::1\tlocalhost ip6-localhost\n",
        "hostname": f"{HOSTNAME}\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    }
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def bwrap_command(
    bwrap: str,
    *,
    root: Path,
    etc: Path,
    mounts: Sequence[Mount],
    argv: Sequence[str],
    nested: Sequence[Mount] = (),
) -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` in the sandbox.

    ``root`` (a host directory) becomes :data:`FIXED_ROOT`, the only
    writable host directory; ``etc`` holds the files of :func:`write_etc`;
    ``mounts`` are the interpreters, the core and the inputs; ``nested``
    are mounts inside :data:`FIXED_ROOT` (a prebuilt environment, read-only).
    """
    args = [bwrap, *_base_args()]
    for name in sorted(p.name for p in etc.iterdir()):
        args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for mount in mounts:
        args += ["--bind" if mount.writable else "--ro-bind", str(mount.source), str(mount.target)]
    args += ["--bind", str(root), str(FIXED_ROOT)]
    for mount in nested:
        args += ["--bind" if mount.writable else "--ro-bind", str(mount.source), str(mount.target)]
    args += ["--remount-ro", "/", "--chdir", str(FIXED_ROOT), "--", *argv]
    return args


def _explain_bwrap_failure(stderr: str) -> str:
    text = stderr.strip().splitlines()[-1] if stderr.strip() else "no message"
    lowered = stderr.lower()
    if "user namespace" in lowered or "operation not permitted" in lowered or "permission" in lowered:
        feature = (
            "user namespaces are not permitted here (enable them: sysctl user.max_user_namespaces=15000 "
            "and, on Debian, kernel.unprivileged_userns_clone=1; in a container, allow unshare/clone "
            "of namespaces, e.g. a seccomp profile that permits them)"
        )
    elif "no such file" in lowered:
        feature = "a path the sandbox needs does not exist"
    else:
        feature = "the kernel refused to create the sandbox's namespaces"
    return f"{feature}: bwrap said: {text}"


@lru_cache(maxsize=1)
def _probe(bwrap: str) -> str | None:
    """Run ``true`` in an empty sandbox once; the reason it failed, or None."""
    cmd = [bwrap, *_base_args(), "--remount-ro", "/", "--", "/usr/bin/true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not run ({exc})"
    if proc.returncode == 0:
        return None
    return _explain_bwrap_failure(proc.stderr)


#: What a Bazel action's machine (a remote worker, too) must allow: there is no --sandbox none there.
WORKER_FIX = (
    "the machine that runs WheelhouseBuild actions (for remote execution: the worker's image and "
    "container settings) must have bubblewrap and allow unprivileged user namespaces (Docker/Kubernetes: a "
    "seccomp profile that permits unshare and clone of namespaces, e.g. --security-opt seccomp=unconfined; "
    "BuildGrid/buildbox: run buildbox-worker where unshare -U works)"
)


def _without_sandbox_fix() -> str:
    """The way out when bubblewrap cannot work: ``--sandbox none``, except in a Bazel action."""
    if os.environ.get("WHEELHOUSE_INTERPRETER"):  # set by the rules on every core action
        return WORKER_FIX
    return "or pass --sandbox none to build without isolation"


def select_mode(requested: str) -> tuple[SandboxMode, str]:
    """Resolve ``--sandbox``: ``(mode, bwrap path or "")``.

    ``auto`` and ``bwrap`` both mean bubblewrap, and fail when it cannot
    isolate the build (:func:`explain_failure` says why, once a sandbox has
    failed); only ``none`` (asked for explicitly) builds without isolation.

    Raises:
        SandboxError: bubblewrap is missing; the message names the fix.
    """
    if requested == "none":
        return "none", ""
    if requested not in ("auto", "bwrap"):
        raise SandboxError(f"--sandbox {requested!r}: choose auto, bwrap or none")
    bwrap = find_bwrap()
    if bwrap is None:
        fix = _without_sandbox_fix()
        if fix.startswith("or "):
            fix = ", or pass --sandbox none to build without isolation, with the network open"
        else:
            fix = "; " + fix
        raise SandboxError(
            "bubblewrap (bwrap) is not installed, and builds run untrusted code only inside its sandbox: "
            "install it (Debian: apt-get install bubblewrap)" + fix
        )
    return "bwrap", bwrap


def explain_failure(bwrap: str) -> None:
    """After a sandbox ended without a result: raise the reason bubblewrap cannot work here, if so.

    The probe (``true`` in an empty sandbox) runs only then, not before every build.

    Raises:
        SandboxError: bubblewrap cannot create the sandbox; the message names the fix.
    """
    reason = _probe(bwrap)
    if reason is not None:
        raise SandboxError(f"cannot create the build sandbox: {reason}; {_without_sandbox_fix()}")


@contextlib.contextmanager
def fixed_root_lock() -> Iterator[Path]:
    """``--sandbox none``: hold the exclusive lock on FIXED_ROOT and yield it, emptied."""
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


# --------------------------------------------------------------------------
# Process limit: a pids cgroup (v1 or v2) of our own, where one can be made
# --------------------------------------------------------------------------


def _mountinfo() -> list[tuple[str, str, str, str]]:
    """(root, mount point, fs type, super options) of every mount."""
    rows = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(fields) >= 5 and len(rest) >= 3:
                rows.append((fields[3], fields[4], rest[0], rest[2]))
    return rows


def _own_cgroup_dir() -> Path | None:
    """Our own cgroup directory in which a child with a pids limit can be made."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    mounts = _mountinfo()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):  # v1 pids hierarchy
            for root, point, fstype, opts in mounts:
                if fstype == "cgroup" and "pids" in opts.split(",") and path.startswith(root):
                    return Path(point) / path[len(root) :].lstrip("/")
    for line in lines:
        if line.startswith("0::"):  # v2: usable if pids is delegated to our children
            path = line[3:]
            for root, point, fstype, _opts in mounts:
                if fstype == "cgroup2" and path.startswith(root):
                    base = Path(point) / path[len(root) :].lstrip("/")
                    with contextlib.suppress(OSError):
                        if "pids" in (base / "cgroup.subtree_control").read_text().split():
                            return base
    return None


class ProcessLimit:
    """A pids cgroup for one build: at most ``limit`` processes and threads.

    :meth:`launcher` makes the child join it before it runs the sandbox;
    ``close`` kills whatever is left in it and removes it. Where no cgroup
    can be made (no pids controller, or read-only as inside a Bazel action)
    the limit is not applied and :attr:`active` is False.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.path: Path | None = None
        parent = _own_cgroup_dir()
        if parent is None or limit <= 0:
            return
        path = parent / f"wheelhouse-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
        except OSError:
            return
        try:
            (path / "pids.max").write_text(f"{limit}\n")
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return
        self.path = path

    @property
    def active(self) -> bool:
        """Whether the limit is enforced (bool)."""
        return self.path is not None

    def launcher(self, cmd: Sequence[str], umask: int | None = None) -> list[str]:
        """``cmd`` behind a shell that sets ``umask`` and joins the cgroup, then execs it.

        (Not a ``preexec_fn``: that would make Python fork the whole front end
        instead of the cheap ``vfork`` it uses without one.)
        """
        steps = [f"umask {umask:04o}"] if umask is not None else []
        args: list[str] = []
        if self.path is not None:
            steps.append('echo $$ > "$1" && shift')
            args.append(str(self.path / "cgroup.procs"))
        if not steps:
            return list(cmd)
        return ["/bin/sh", "-c", " && ".join([*steps, 'exec "$@"']), "wheelhouse-sandbox", *args, *cmd]

    def hit(self) -> bool:
        """Whether a fork or clone was refused because of the limit."""
        if self.path is None:
            return False
        try:
            text = (self.path / "pids.events").read_text()
        except OSError:
            return False
        return any(line.split()[:1] == ["max"] and line.split()[1] != "0" for line in text.splitlines())

    def close(self) -> None:
        """Kill what is left in the cgroup and remove it."""
        if self.path is None:
            return
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                pids = []
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                break
            except OSError as exc:
                if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY):
                    break
                time.sleep(0.05)
        self.path = None


@dataclass(frozen=True)
class RunOutcome:
    """How the sandboxed worker ended.

    Attributes:
        returncode: its exit status (int).
        timed_out: it was stopped at the time limit (bool).
        process_limit_hit: a fork was refused by the process limit (bool).
        seconds: how long it ran (float).
    """

    returncode: int
    timed_out: bool
    process_limit_hit: bool
    seconds: float


_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def stop_all() -> None:
    """Kill every sandbox this process is running (builds on other threads, on SIGINT)."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def run_sandbox(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    limit: ProcessLimit,
    umask: int | None = None,
    stdout: IO[bytes] | int | None = None,
) -> RunOutcome:
    """Run ``cmd`` (a ``bwrap`` command, or the worker itself), enforcing the limits.

    The process gets its own process group and session; on a time-out, an
    exception (``Interrupted`` from a signal handler included) or a normal
    end, everything it left behind is killed before this returns.
    """

    started = time.monotonic()
    proc = subprocess.Popen(
        limit.launcher(cmd, umask),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        start_new_session=True,
    )
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    timed_out = hit = False
    deadline = started + timeout
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # before Linux 5.3: poll
        pidfd = None
    try:
        while True:
            step = min(0.5, max(deadline - time.monotonic(), 0.01))
            if pidfd is not None:  # wakes the moment the process exits
                select.select([pidfd], [], [], step)
                step = 0.001
            try:
                proc.wait(timeout=step)
                break
            except subprocess.TimeoutExpired:
                pass
            if limit.hit():  # a fork was refused: a fork bomb, or a build that cannot work here
                hit = True
                break
            if time.monotonic() >= deadline:
                timed_out = True
                break
    finally:
        if pidfd is not None:
            os.close(pidfd)
        hit = hit or limit.hit()
        _kill_group(proc)
        limit.close()
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
    return RunOutcome(
        returncode=proc.returncode,
        timed_out=timed_out and not hit,
        process_limit_hit=hit,
        seconds=time.monotonic() - started,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of ``proc`` (bwrap's PID namespace dies with it) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


#: The core's own packages: what the worker imports inside the sandbox.
CORE_PACKAGES = ("wheelhouse", "packaging", "build", "pyproject_hooks", "installer")

_DESCRIBE = (
    "import json, os, sys; print(json.dumps({'prefix': sys.base_prefix, "
    "'executable': os.path.realpath(getattr(sys, '_base_executable', '') or sys.executable)}))"
)


@lru_cache(maxsize=16)
def _interpreter_home(python: str) -> dict[str, str]:
    """The base prefix and real executable of ``python`` (this process's own: no subprocess)."""
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        base = getattr(sys, "_base_executable", "") or sys.executable
        return {"prefix": sys.base_prefix, "executable": os.path.realpath(base)}
    try:
        out = subprocess.run(
            [python, "-I", "-S", "-c", _DESCRIBE], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        data: dict[str, str] = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxError(
            f"--python {python}: cannot run it ({exc}); pass the path of a working Python interpreter"
        ) from None
    return data


def interpreter_mounts(python: Path) -> tuple[list[Mount], Path]:
    """Read-only mounts that make ``python`` run in the sandbox, and the path to run it by.

    A venv's interpreter is replaced by its base interpreter (the build makes
    its own venv from it). Interpreters under ``/usr`` need no mount.

    Raises:
        SandboxError: ``python`` does not run.
    """
    data = _interpreter_home(str(python))
    executable = Path(data["executable"])
    mounts: list[Mount] = []
    for directory in (Path(data["prefix"]), executable.parent):
        if directory == Path("/usr") or Path("/usr") in directory.parents:
            continue
        if any(m.source == directory or m.source in directory.parents for m in mounts):
            continue
        mounts.append(Mount(directory, directory))
    return mounts, executable


def _has_links(directory: Path) -> bool:
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in (*dirnames, *filenames):
            if os.path.islink(os.path.join(dirpath, name)):
                return True
    return False


def _real_root(source: Path) -> Path | None:
    """The one real directory that a directory of links mirrors, if it mirrors one.

    Bazel presents a tree artifact or a source directory as a tree of links,
    one per file, into a real tree of the same shape: that tree can be bound
    whole instead of file by file.
    """
    root: Path | None = None
    for dirpath, _dirnames, filenames in os.walk(source):
        for name in filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(source))
            real = os.path.realpath(path)
            if not real.endswith("/" + rel):
                return None
            candidate = Path(real[: -len(rel) - 1])
            if root is None:
                root = candidate
            elif candidate != root:
                return None
    return root


def directory_mounts(source: Path, target: Path, work: Path) -> list[Mount]:
    """Mounts that show the directory ``source`` at ``target``, read-only.

    A directory of symbolic links (Bazel's sandbox presents its inputs that
    way) cannot be bound as it is: the links point at host paths the sandbox
    does not have. The real tree it mirrors is bound instead; failing that,
    its files one by one, each resolved, and subdirectories copied into ``work``.
    """
    if not _has_links(source):
        return [Mount(source, target)]
    real = _real_root(source)
    if real is not None and real.is_dir() and not _has_links(real):
        return [Mount(real, target)]
    mounts = []
    for entry in sorted(source.iterdir()):
        resolved = entry.resolve()
        if resolved.is_file():
            mounts.append(Mount(resolved, target / entry.name))
        elif resolved.is_dir():
            copy = work / "copies" / uuid.uuid4().hex
            shutil.copytree(resolved, copy, symlinks=False)
            mounts.append(Mount(copy, target / entry.name))
    return mounts


def _ensure_bytecode(directory: Path) -> None:
    """Compile a core package whose bytecode is missing or stale, where it can be written.

    The sandbox mounts the core read-only, so a worker could never cache its
    own bytecode and would compile the core on every build.
    """
    import importlib.util

    if not os.access(directory, os.W_OK):
        return
    for source in directory.rglob("*.py"):
        try:
            cached = Path(importlib.util.cache_from_source(str(source)))
            if cached.stat().st_mtime_ns >= source.stat().st_mtime_ns:
                continue
        except (OSError, NotImplementedError, ValueError):
            pass
        import compileall

        with contextlib.suppress(OSError):
            compileall.compile_dir(str(directory), quiet=2)
        return


def core_mounts(work: Path, packages: Sequence[str] = CORE_PACKAGES) -> tuple[list[Mount], list[Path]]:
    """The core's packages as read-only mounts under :data:`SANDBOX_CORE`, and their host parents.

    Returns the mounts (for ``bwrap``) and the host directories that hold the
    packages (for ``--sandbox none``, which puts them on ``sys.path``).
    """
    import importlib.util

    mounts: list[Mount] = []
    parents: list[Path] = []
    for name in packages:
        spec = importlib.util.find_spec(name)  # found, not imported
        file = spec.origin if spec is not None else None
        if not file or not file.endswith("__init__.py"):
            raise SandboxError(f"the core's dependency {name} is not a regular package; reinstall it")
        directory = Path(file).resolve().parent
        _ensure_bytecode(directory)
        mounts += directory_mounts(directory, SANDBOX_CORE / name, work)
        if directory.parent not in parents:
            parents.append(directory.parent)
    return mounts, parents
