"""The build sandbox against hostile sdists, run as the user CI runs as (root).

Every test builds an sdist whose backend attacks the host, then checks from
the host that nothing happened: no file written outside, no secret in the
log, no connection to a loopback listener, no process left, an empty output
directory, and the build refused with one line. Each test also checks the
backend's own report (``ATTEMPT ...`` lines in the log), so it cannot pass
because the attack never ran.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import wheelhouse
from wheelhouse import BuildRequest, build_wheel
from wheelhouse.errors import BuildFailed, LimitExceeded, SandboxError
from wheelhouse.host import sandbox
from wheelhouse.progress import QUIET

from conftest import MakeSdist, quiet, request
from hostile import SETUP_PY_WRITER, hostile

pytestmark = pytest.mark.skipif(sandbox.find_bwrap() is None, reason="bubblewrap is not installed")


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on the host's 127.0.0.1; yields (port, what it received)."""
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                received.append(conn.recv(100) or b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def _digest_tree(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def _build_fails(req: BuildRequest, out: Path, log: Path) -> str:
    with pytest.raises((BuildFailed, LimitExceeded)) as err:
        build_wheel(req, out, log_file=log, progress=quiet())
    assert "\n" not in str(err.value)
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())
    return log.read_text(errors="replace") if log.exists() else ""


def _request(sdist: Path, tmp_path: Path, **kw: object) -> BuildRequest:
    empty = tmp_path / "no-wheels"
    empty.mkdir(exist_ok=True)
    return BuildRequest(sdist=sdist, find_links=(empty,), python=Path(sys.executable), verbosity=QUIET, **kw)  # type: ignore[arg-type]


def test_writes_outside_the_build_never_reach_the_host(
    make_sdist: MakeSdist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = uuid.uuid4().hex
    caller = tmp_path / "caller"
    caller.mkdir()
    monkeypatch.chdir(caller)
    core = Path(wheelhouse.__file__).parent
    before = _digest_tree(core)
    targets = {
        "write": [
            f"/etc/pwned-{mark}",
            f"/root/pwned-{mark}",
            f"/tmp/pwned-{mark}",
            f"/var/tmp/pwned-{mark}",
            str(caller / f"pwned-{mark}"),
            str(Path.home() / f"pwned-{mark}"),
        ],
        "modify": [str(core / "__init__.py"), str(Path(sys.executable).resolve())],
    }
    sdist = make_sdist("hostile", "1.0", hostile("write", targets))
    sdist_digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    log_text = _build_fails(_request(sdist, tmp_path), tmp_path / "out", tmp_path / "build.log")
    for path in targets["write"]:
        assert f"ATTEMPT write {path}: " in log_text  # the attack ran ...
        assert not Path(path).exists(), path  # ... and changed nothing on the host
    assert "WROTE" not in log_text.replace(f"WROTE /tmp/pwned-{mark}", "").replace(
        f"WROTE /var/tmp/pwned-{mark}", ""
    ), "only the sandbox's private /tmp and /var/tmp are writable"
    assert _digest_tree(core) == before
    assert hashlib.sha256(sdist.read_bytes()).hexdigest() == sdist_digest


def test_setup_py_writing_outside_changes_nothing(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    mark = uuid.uuid4().hex
    targets = {"write": [f"/etc/pwned-{mark}", f"/root/pwned-{mark}", str(tmp_path / f"pwned-{mark}")]}
    files = {"setup.py": SETUP_PY_WRITER, "targets.json": json.dumps(targets)}
    sdist = make_sdist("evilsetup", "1.0", files)
    req = BuildRequest(sdist=sdist, find_links=(wheel_dir,), python=Path(sys.executable), verbosity=QUIET)
    log_text = _build_fails(req, tmp_path / "out", tmp_path / "build.log")
    for path in targets["write"]:
        assert f"ATTEMPT write {path} blocked" in log_text
        assert not Path(path).exists()


def test_host_secrets_are_not_readable(make_sdist: MakeSdist, tmp_path: Path) -> None:
    secret_text = f"SECRET-{uuid.uuid4().hex}"
    secret = tmp_path / "secret.txt"
    secret.write_text(secret_text)
    targets = {"read": ["/etc/shadow", str(secret), str(Path.home() / ".bashrc"), "/proc/1/environ"]}
    sdist = make_sdist("hostile", "1.0", hostile("read", targets))
    log_text = _build_fails(_request(sdist, tmp_path), tmp_path / "out", tmp_path / "build.log")
    for path in targets["read"][:3]:
        assert f"ATTEMPT read {path}: blocked" in log_text, log_text[-2000:]
    # /proc/1 is the sandbox's own first process: its environment is the build's, not the host's.
    environ = next(ln for ln in log_text.splitlines() if ln.startswith("ATTEMPT read /proc/1/environ"))
    assert "HOME=/tmp/wheelhouse-build/home" in environ
    assert os.environ.get("PATH", "") not in environ
    assert secret_text not in log_text
    shadow = Path("/etc/shadow")
    if shadow.exists() and os.access(shadow, os.R_OK):
        for line in shadow.read_text().splitlines():
            if ":" in line and len(line.split(":")[1]) > 3:  # a password hash
                assert line.split(":")[1] not in log_text
    # The sandbox's root holds the system directories and the build, nothing of the working tree.
    listing = next(ln for ln in log_text.splitlines() if ln.startswith("ATTEMPT list /:"))
    top = Path(__file__).resolve().parts[1]  # e.g. "work" or "home": where this checkout lives
    assert f"'{top}'" not in listing or top in ("usr", "root"), listing
    assert "'usr'" in listing and "'tmp'" in listing


def test_network_and_parent_namespaces_are_out_of_reach(make_sdist: MakeSdist, tmp_path: Path) -> None:
    with listener() as (port, received):
        sdist = make_sdist("hostile", "1.0", hostile("network", {"port": port}))
        log_text = _build_fails(_request(sdist, tmp_path), tmp_path / "out", tmp_path / "build.log")
        time.sleep(0.5)
    assert "ATTEMPT connect: blocked" in log_text, log_text[-2000:]
    assert "ATTEMPT setns: joined [], connect failed" in log_text, log_text[-2000:]
    assert "ATTEMPT unshare user: blocked" in log_text, log_text[-2000:]
    assert received == []


def test_background_processes_die_with_the_build(make_sdist: MakeSdist, tmp_path: Path) -> None:
    marker = f"3{uuid.uuid4().int % 10**6}.25"
    sdist = make_sdist("hostile", "1.0", hostile("background", {"marker": marker}))
    log_text = _build_fails(_request(sdist, tmp_path), tmp_path / "out", tmp_path / "build.log")
    assert "ATTEMPT setsid: " in log_text and "ATTEMPT double fork: forked" in log_text, log_text[-2000:]
    assert _processes_with(marker) == []


def test_fork_bomb_is_stopped(make_sdist: MakeSdist, tmp_path: Path) -> None:
    marker = f"hostile-{uuid.uuid4().hex}"
    sdist = make_sdist(marker.replace("-", "_"), "1.0", hostile("forkbomb", {}))
    limit = sandbox.ProcessLimit(10)
    active = limit.active
    limit.close()
    req = _request(sdist, tmp_path, max_processes=64, timeout=60.0)
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as err:
        build_wheel(req, tmp_path / "out", log_file=tmp_path / "build.log", progress=quiet())
    message = str(err.value)
    if active:
        assert "more than 64 processes" in message and "--max-processes" in message
        assert time.monotonic() - started < 50
    else:  # no pids cgroup here: the time limit ends it
        assert "--timeout" in message
    assert not (tmp_path / "out").exists()
    assert _processes_with(marker.replace("-", "_")) == []


def test_time_limit_stops_every_process(make_sdist: MakeSdist, tmp_path: Path) -> None:
    marker = f"4{uuid.uuid4().int % 10**6}.5"
    sdist = make_sdist("hostile", "1.0", hostile("sleep", {"marker": marker}))
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"longer than 3 s .*--timeout"):
        build_wheel(_request(sdist, tmp_path, timeout=3.0), tmp_path / "out", progress=quiet())
    assert time.monotonic() - started < 30
    assert _processes_with(marker) == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_the_build_and_cleans_up(
    make_sdist: MakeSdist, tmp_path: Path, signum: int, code: int
) -> None:
    marker = f"5{uuid.uuid4().int % 10**6}.75"
    sdist = make_sdist("hostile", "1.0", hostile("sleep", {"marker": marker}))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(Path(wheelhouse.__file__).parent.parent)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wheelhouse",
            "build-wheel",
            str(sdist),
            "-f",
            str(empty),
            "-o",
            str(tmp_path / "out"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker), "the backend never started"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    last = err.strip().splitlines()[-1]
    assert last == (
        f"wheelhouse: error: interrupted by {signal.Signals(signum).name}; "
        "the build was stopped and its files removed"
    ), err
    assert "Traceback" not in err
    assert out == ""
    time.sleep(0.5)
    assert _processes_with(marker) == []
    assert list(tmp.iterdir()) == []
    assert not (tmp_path / "out").exists()


def test_sandbox_none_must_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(SandboxError, match=r"bubblewrap \(bwrap\) is not installed.*--sandbox none"):
        sandbox.select_mode("auto")
    assert sandbox.select_mode("none") == ("none", "")


def test_refused_namespaces_name_the_missing_feature() -> None:
    text = sandbox._explain_bwrap_failure(
        "bwrap: No permissions to creating new namespace, likely because the kernel "
        "does not allow non-privileged user namespaces.\n"
    )
    assert "user namespaces are not permitted" in text and "max_user_namespaces" in text


def _refused_build(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, says: str
) -> str:
    """Build with a bwrap that refuses (printing ``says``); the SandboxError's message."""
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho '{says}' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: str(fake))
    sdist = make_sdist("refused", "1.0", {"pyproject.toml": "[build-system]\nrequires = []\n"})
    with pytest.raises(SandboxError) as caught:
        build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    return str(caught.value)


def test_a_refused_sandbox_fails_the_build_with_the_reason_and_the_fix(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bubblewrap is probed only after a sandbox failed; the build then says why, in one line."""
    message = _refused_build(
        make_sdist, wheel_dir, tmp_path, monkeypatch,
        "bwrap: No permissions to creating new namespace, likely because the kernel does "
        "not allow non-privileged user namespaces.",
    )  # fmt: skip
    assert "\n" not in message
    assert "cannot create the build sandbox: user namespaces are not permitted" in message
    assert "--sandbox none" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_in_a_bazel_action_a_refused_sandbox_names_the_worker_setting(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a (remote) Bazel worker there is no --sandbox none: the fix is the worker's setup."""
    monkeypatch.setenv("WHEELHOUSE_INTERPRETER", "cpython-3.14.8-cpython-314-x86_64-linux-gnu-linux_x86_64")
    message = _refused_build(
        make_sdist, wheel_dir, tmp_path, monkeypatch, "bwrap: setting up uid map: Permission denied"
    )
    assert "\n" not in message
    assert "user namespaces are not permitted" in message
    assert "worker's image and container settings" in message and "seccomp" in message
    assert "--sandbox none" not in message
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(SandboxError, match=r"bubblewrap\); the machine that runs WheelhouseBuild"):
        sandbox.select_mode("auto")
