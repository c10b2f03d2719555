"""The host side of a build: checks before building, logs, and distrust of what the build left."""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import signal
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest

from wheelhouse import build_wheel
from wheelhouse.errors import BadArchive, MissingBuildRequirement, SandboxError, UsageError
from wheelhouse.host import collect, sandbox
from wheelhouse.progress import NORMAL, Progress

from conftest import MakeSdist, quiet, request
from samples import FLIT

FLIT_WHEEL = "flitpkg-1.0-py2.py3-none-any.whl"
#: The latest time a zip entry can hold: 2107-12-31 23:59:58.
ZIP_END = (2107, 12, 31, 23, 59, 58)


def tree(top: Path) -> list[str]:
    """Every path under ``top``, relative, sorted (links not followed)."""
    return sorted(str(p.relative_to(top)) for p in top.rglob("*"))


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Default build logs go under tmp_path, never into the real ~/.cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Fail the test if the build worker is started; the list records attempts."""
    started: list[list[str]] = []

    def refuse(cmd: list[str], **_kw: object) -> sandbox.RunOutcome:
        started.append(list(cmd))
        raise AssertionError("the build was started")

    monkeypatch.setattr(sandbox, "run_sandbox", refuse)
    return started


# --------------------------------------------------------------------------
# Refused before building
# --------------------------------------------------------------------------


def _out_is_a_file(tmp: Path) -> tuple[Path, Path | None]:
    (tmp / "out").write_text("a file, not a directory\n")
    return tmp / "out", tmp / "logs" / "build.log"


def _wheel_named_dir(tmp: Path) -> tuple[Path, Path | None]:
    (tmp / "out" / FLIT_WHEEL).mkdir(parents=True)
    (tmp / "out" / "other-1.0-py3-none-any.whl").mkdir()  # another project's: not in the way
    return tmp / "out", tmp / "logs" / "build.log"


def _log_is_a_dir(tmp: Path) -> tuple[Path, Path | None]:
    (tmp / "logdir").mkdir()
    return tmp / "out", tmp / "logdir"


def _log_under_a_file(tmp: Path) -> tuple[Path, Path | None]:
    (tmp / "afile").write_text("x\n")
    return tmp / "out", tmp / "afile" / "build.log"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (_out_is_a_file, r"^-o .*/out: .*/out is not a directory; give a directory$"),
        (_wheel_named_dir, rf"^-o .*/out: {FLIT_WHEEL} is a directory named like the wheel of flitpkg 1\.0;"),
        (_log_is_a_dir, r"^--log-file .*/logdir: is a directory; give a file name$"),
        (_log_under_a_file, r"^--log-file .*/afile: .*/afile is not a directory"),
    ],
    ids=["out-is-a-file", "wheel-named-dir", "log-is-a-dir", "log-under-a-file"],
)
def test_output_problems_refused_before_building(
    make_sdist: MakeSdist,
    wheel_dir: Path,
    tmp_path: Path,
    no_build: list[list[str]],
    setup: Callable[[Path], tuple[Path, Path | None]],
    message: str,
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    out, log = setup(tmp_path)
    before = tree(tmp_path)
    with pytest.raises(UsageError, match=message) as err:
        build_wheel(request(sdist, wheel_dir), out, log_file=log, progress=quiet())
    assert "\n" not in str(err.value)
    assert no_build == []
    assert tree(tmp_path) == before  # no wheel, no log, no temporary file


def test_path_in_version_refused_before_anything_is_written(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, cache_home: Path, no_build: list[list[str]]
) -> None:
    pkg_info = "Metadata-Version: 2.1\nName: flitpkg\nVersion: 1.0/../../../evil\n"
    sdist = make_sdist("flitpkg", "1.0", {**FLIT, "PKG-INFO": pkg_info})
    with pytest.raises(BadArchive, match=r"PKG-INFO gives the version '1\.0/\.\./\.\./\.\./evil'"):
        build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert no_build == []
    assert not (tmp_path / "out").exists()
    logs = cache_home / "wheelhouse" / "logs"
    assert all(p == logs or logs in p.parents for p in cache_home.rglob("*") if p.is_file())
    assert [p for p in tmp_path.rglob("*") if "evil" in p.name] == []


def test_members_after_2107_build_with_clamped_dates(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT, mtime=2**33)  # in 2242
    result = build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    with zipfile.ZipFile(result.wheel) as zf:
        infos = zf.infolist()
    assert "flitpkg/__init__.py" in [i.filename for i in infos]
    assert {i.date_time for i in infos} == {ZIP_END}
    assert "Traceback" not in capfd.readouterr().err


def test_concurrent_builds_of_one_sdist_share_the_log_safely(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    req = request(sdist, wheel_dir)
    # Twelve processes write the same default log at the same moment: the worst case.
    fork = multiprocessing.get_context("fork")
    barrier = fork.Barrier(12)
    copy_out = collect.copy_out

    def copy_together(root: Path, relative: str, dest: Path, **kw: int | None) -> int:
        if relative == "build.log":
            barrier.wait(timeout=60)
        return copy_out(root, relative, dest, **kw)

    monkeypatch.setattr(collect, "copy_out", copy_together)
    queue = fork.Queue()

    def build(i: int) -> None:
        try:
            result = build_wheel(req, tmp_path / f"out{i}", progress=quiet())
        except BaseException as exc:
            queue.put((i, repr(exc)))
            raise
        queue.put((i, (result.wheel, result.sha256, result.log)))

    builds = [fork.Process(target=build, args=(i,)) for i in range(12)]
    for process in builds:
        process.start()
    outcomes = dict(queue.get(timeout=120) for _ in builds)
    for process in builds:
        process.join(timeout=60)
    log = cache_home / "wheelhouse" / "logs" / "flitpkg-1.0.log"
    assert [outcomes[i] for i in range(12)] == [
        (tmp_path / f"out{i}" / FLIT_WHEEL, outcomes[0][1], log) for i in range(12)
    ]  # every build succeeded, gave the same bytes and kept its log
    assert log.is_file()
    assert os.listdir(log.parent) == [log.name]  # no temporary file left behind


def test_sandbox_none_builds_the_same_wheel(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    boxed = build_wheel(request(sdist, wheel_dir), tmp_path / "a", progress=quiet())
    stream = io.StringIO()
    bare = build_wheel(
        request(sdist, wheel_dir, sandbox="none"),
        tmp_path / "b",
        progress=Progress(verbosity=NORMAL, stream=stream),
    )
    assert bare.sha256 == boxed.sha256
    assert boxed.sandbox.startswith("bwrap (")
    assert bare.sandbox.startswith("none (not isolated")
    assert "warning: --sandbox none: the build runs on this machine without isolation" in stream.getvalue()


def test_missing_requirement_gives_the_callers_fix(make_sdist: MakeSdist, tmp_path: Path) -> None:
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    fix = "add it to build_deps of //pkg:x"
    with pytest.raises(MissingBuildRequirement) as err:
        build_wheel(request(sdist, empty, missing_fix=fix), tmp_path / "out", progress=quiet())
    message = str(err.value)
    assert message.endswith(f"; {fix}")
    assert "'flit_core<5,>=3.2' among no wheels at all" in message  # the wheels given, not directories
    assert "pip download" not in message
    other = tmp_path / "other"
    other.mkdir()
    (other / "hatchling-1.0-py3-none-any.whl").write_bytes(b"")
    with pytest.raises(MissingBuildRequirement, match=re.escape("among hatchling-1.0-py3-none-any.whl;")):
        build_wheel(request(sdist, other, missing_fix=fix), tmp_path / "out", progress=quiet())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "limits",
    [{"timeout": 0.0}, {"timeout": float("nan")}, {"max_members": 0}, {"max_processes": -1}],
    ids=["timeout-0", "timeout-nan", "members-0", "processes-negative"],
)
def test_bad_limits_refused(
    make_sdist: MakeSdist,
    wheel_dir: Path,
    tmp_path: Path,
    no_build: list[list[str]],
    limits: dict[str, float],
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    with pytest.raises(UsageError, match="must be positive"):
        build_wheel(request(sdist, wheel_dir, **limits), tmp_path / "out", progress=quiet())
    assert no_build == []


# --------------------------------------------------------------------------
# Reading back what the build left (wheelhouse.host.collect)
# --------------------------------------------------------------------------

WHEEL = "x-1.0-py3-none-any.whl"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty directory playing the build root."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A host file the build must not be able to make us copy."""
    path = tmp_path / "host" / WHEEL
    path.parent.mkdir()
    path.write_text("host secret\n")
    return path


class Hung(Exception):
    """An open that blocked (raised from SIGALRM; deliberately not an OSError)."""


@contextmanager
def no_hang(seconds: int = 5) -> Iterator[None]:
    def alarm(_signum: int, _frame: FrameType | None) -> None:
        raise Hung(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _final_links_to_host(root: Path, secret: Path) -> None:
    (root / "final").symlink_to(secret.parent)


def _wheel_links_to_host(root: Path, secret: Path) -> None:
    (root / "final").mkdir()
    (root / "final" / WHEEL).symlink_to(secret)


def _wheel_is_a_fifo(root: Path, _secret: Path) -> None:
    (root / "final").mkdir()
    os.mkfifo(root / "final" / WHEEL)


def _wheel_is_a_dir(root: Path, _secret: Path) -> None:
    (root / "final" / WHEEL).mkdir(parents=True)


@pytest.mark.parametrize(
    "plant",
    [_final_links_to_host, _wheel_links_to_host, _wheel_is_a_fifo, _wheel_is_a_dir],
    ids=["final-links-to-host", "wheel-links-to-host", "wheel-is-a-fifo", "wheel-is-a-dir"],
)
def test_copy_out_refuses_anything_but_a_regular_file(
    root: Path, secret: Path, tmp_path: Path, plant: Callable[[Path, Path], None]
) -> None:
    plant(root, secret)
    dest = tmp_path / "out" / WHEEL
    with no_hang(), pytest.raises(SandboxError, match="malformed result"):
        collect.copy_out(root, f"final/{WHEEL}", dest)
    assert not dest.exists()
    assert os.listdir(dest.parent) == []  # no temporary file either


@pytest.mark.parametrize("relative", ["final/../x.txt", "../root/final/x.txt", "/etc/passwd", ""])
def test_copy_out_refuses_paths_that_leave_the_root(root: Path, tmp_path: Path, relative: str) -> None:
    (root / "final").mkdir()
    (root / "x.txt").write_text("x\n")
    (root / "final" / "x.txt").write_text("x\n")
    dest = tmp_path / "out" / "x.txt"
    with pytest.raises(SandboxError):
        collect.copy_out(root, relative, dest)
    assert not dest.exists()


def test_copy_out_keeps_only_the_tail_of_a_long_log(root: Path, tmp_path: Path) -> None:
    data = b"".join(b"line %04d\n" % i for i in range(1000))
    (root / "build.log").write_bytes(data)
    dest = tmp_path / "logs" / "x-1.0.log"
    assert collect.copy_out(root, "build.log", dest, max_bytes=100) == len(data)
    assert dest.read_bytes() == data[-100:]
    assert collect.copy_out(root, "build.log", dest, max_bytes=len(data)) == len(data)
    assert dest.read_bytes() == data


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{not json", "result.json is not JSON"),
        (b'{"wheel": "' + b"x" * (1 << 20) + b'"}', "result.json is too large"),
        (b'["final/x-1.0-py3-none-any.whl"]', "result.json is not an object"),
        (b'{"wheel": 1, "interpreter": "cp311"}', "no wheel"),
        (b'{"wheel": "final/x.whl"}', "no interpreter"),
        (b'{"wheel": "w", "interpreter": "i", "environment": "flit_core==3.9"}', "environment"),
        (b'{"error": {"type": "BuildFailed"}}', "error without a message"),
        (b'{"error": {"message": "m", "type": "BuildFailed", "log_tail": [1]}}', "log_tail"),
    ],
    ids=[
        "not-json",
        "too-large",
        "a-list",
        "wheel-not-str",
        "no-interpreter",
        "env-not-list",
        "no-msg",
        "tail",
    ],
)
def test_read_result_refuses_malformed_results(root: Path, content: bytes, why: str) -> None:
    (root / "result.json").write_bytes(content)
    with pytest.raises(SandboxError, match=f"malformed result \\({why}"):
        collect.read_result(root)


def test_read_result_accepts_a_good_one_and_none(root: Path, secret: Path) -> None:
    assert collect.read_result(root) is None
    (root / "result.json").write_text('{"wheel": "final/x-1.0-py3-none-any.whl", "interpreter": "cp311"}')
    assert collect.read_result(root) == {"wheel": f"final/{WHEEL}", "interpreter": "cp311"}
    (root / "result.json").unlink()
    (root / "result.json").symlink_to(secret)
    with pytest.raises(SandboxError):
        collect.read_result(root)
    (root / "result.json").unlink()
    os.mkfifo(root / "result.json")
    with no_hang(), pytest.raises(SandboxError):
        collect.read_result(root)


def test_read_result_caps_an_error_report(root: Path) -> None:
    tail = [f"line {i} " + "y" * 1000 for i in range(1000)]
    (root / "result.json").write_text(
        '{"error": {"type": "BuildFailed", "message": "'
        + "m" * 10000
        + '", "log_tail": '
        + str(tail).replace("'", '"')
        + "}}"
    )
    error = collect.read_result(root)
    assert error is not None
    assert len(error["error"]["message"]) == 4000
    assert len(error["error"]["log_tail"]) == 200
    assert error["error"]["log_tail"][-1].startswith("line 999 ")
    assert max(len(t) for t in error["error"]["log_tail"]) == 500


@pytest.mark.parametrize(
    "relative",
    [
        "final/requests-99-py3-none-any.whl",  # another project
        "final/../flitpkg-1.0-py3-none-any.whl",
        "../final/flitpkg-1.0-py3-none-any.whl",
        "final/sub/flitpkg-1.0-py3-none-any.whl",
        "flitpkg-1.0-py3-none-any.whl",
        "out/flitpkg-1.0-py3-none-any.whl",
        "final/flitpkg-1.0.tar.gz",
        "final/flitpkg.whl",
    ],
)
def test_checked_wheel_name_refuses_forged_names(relative: str) -> None:
    with pytest.raises(SandboxError):
        collect.checked_wheel_name(relative, "flitpkg")


def test_checked_wheel_name_accepts_the_projects_wheel() -> None:
    assert collect.checked_wheel_name(f"final/{FLIT_WHEEL}", "FlitPkg") == FLIT_WHEEL
    assert collect.checked_wheel_name("final/my_pkg-2.0-1-cp311-cp311-linux_x86_64.whl", "My.Pkg") == (
        "my_pkg-2.0-1-cp311-cp311-linux_x86_64.whl"
    )


def test_iter_debug_files_skips_links_and_odd_names(root: Path, tmp_path: Path) -> None:
    build_id = root / "debug" / ".build-id"
    good = build_id / "ab" / "cdef01.debug"
    good.parent.mkdir(parents=True)
    good.write_bytes(b"\x7fELF")
    host = tmp_path / "host"
    (host / "ef").mkdir(parents=True)
    (host / "ef" / "0123.debug").write_bytes(b"host")
    (build_id / "ab" / "0123.debug").symlink_to(host / "ef" / "0123.debug")  # a link
    (build_id / "ab" / "4567.debug").mkdir()  # a directory
    os.mkfifo(build_id / "ab" / "89ab.debug")  # a FIFO
    (build_id / "ab" / "notes.txt").write_text("x")  # not a debug file
    (build_id / "ab" / "cdef02").write_text("x")  # no .debug suffix
    (build_id / "ef").symlink_to(host / "ef")  # a linked subdirectory
    for odd in ("zz", "abc", "AB", "a"):
        (build_id / odd).mkdir()
        (build_id / odd / "cdef03.debug").write_bytes(b"x")
    (build_id / "cd").write_text("a file where a directory belongs")
    assert list(collect.iter_debug_files(root)) == ["debug/.build-id/ab/cdef01.debug"]


def test_iter_debug_files_ignores_a_linked_debug_dir(root: Path, tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / ".build-id" / "ab").mkdir(parents=True)
    (host / ".build-id" / "ab" / "cdef.debug").write_bytes(b"host")
    (root / "debug").symlink_to(host)
    assert list(collect.iter_debug_files(root)) == []
    (root / "debug").unlink()
    (root / "debug").mkdir()
    (root / "debug" / ".build-id").symlink_to(host / ".build-id")
    assert list(collect.iter_debug_files(root)) == []
    assert list(collect.iter_debug_files(tmp_path / "nothing")) == []
