"""The ``wheelhouse`` command line: output format, progress, errors, verify."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import wheelhouse
from wheelhouse.cli import main, parse_args, request_from_args
from wheelhouse.progress import NORMAL, QUIET, VERBOSE
from wheelhouse.request import DEFAULT_MAX_PROCESSES, DEFAULT_TIMEOUT
from wheelhouse.sandboxed.build import find_faketime
from wheelhouse.sdist import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS

from conftest import MakeSdist
from samples import CEXT_RANDOM, FLIT, probe

RESULT_LINE = re.compile(r"(\S+\.whl) sha256=([0-9a-f]{64})\n")
PROGRESS_LINE = re.compile(r"wheelhouse: [^:]+: .* \[\d+\.\ds\]")


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Default build logs go under tmp_path, never into the real ~/.cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def test_build_wheel_prints_path_and_sha256(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    out = tmp_path / "out"
    assert main(["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(out)]) == 0
    captured = capfd.readouterr()
    match = re.fullmatch(r"(\S+\.whl) sha256=([0-9a-f]{64})\n", captured.out)
    assert match, captured.out
    wheel = Path(match[1])
    assert wheel.parent == out
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == match[2]
    assert [p.name for p in out.iterdir()] == [wheel.name]
    # Progress names the package and the phase, with elapsed seconds.
    assert re.search(
        r"wheelhouse: flitpkg 1.0: building with flit_core.buildapi .*\[\d+\.\ds\]", captured.err
    )


def test_quiet_prints_only_the_result(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    assert main(["build-wheel", "-q", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path)]) == 0
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out.count("\n") == 1


def test_verbose_streams_backend_output(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("probe", "1.0", probe("ok"))
    assert main(["build-wheel", "-v", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path)]) == 0
    assert "probe backend: building with behavior ok" in capfd.readouterr().err


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"this is not a tar file at all", "not a readable sdist archive"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03truncated", "not a readable sdist archive"),
    ],
)
def test_corrupt_sdist_is_one_line_error(
    wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], content: bytes, cause: str
) -> None:
    sdist = tmp_path / "broken-1.0.tar.gz"
    sdist.write_bytes(content)
    out = tmp_path / "out"
    assert main(["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(out)]) == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("wheelhouse: error: ")
    assert str(sdist) in err[0] and cause in err[0]
    assert not out.exists()


def test_failing_backend_error_line_names_cause_and_log(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("probe", "1.0", probe("fail"))
    log = tmp_path / "build.log"
    code = main(
        [
            "build-wheel",
            "-q",
            str(sdist),
            "-f",
            str(wheel_dir),
            "-o",
            str(tmp_path / "o"),
            "--log-file",
            str(log),
        ]
    )
    assert code == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "failed on purpose" in err[0] and str(log) in err[0]


def test_verify_passes_on_reproducible_sdist(
    make_sdist: MakeSdist, wheel_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    assert main(["verify", "-q", str(sdist), "-f", str(wheel_dir)]) == 0
    assert capfd.readouterr().out.startswith("identical flitpkg-1.0-")


def test_verify_explains_a_differing_member(
    make_sdist: MakeSdist, wheel_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("probe", "1.0", probe("random"))
    assert main(["verify", "-q", str(sdist), "-f", str(wheel_dir)]) == 1
    out = capfd.readouterr().out
    assert out.startswith("DIFFERENT probe-1.0-py3-none-any.whl")
    assert re.search(r"probe/__init__.py: (\d+) vs \1 bytes, sha256 [0-9a-f]+ vs [0-9a-f]+", out)
    assert "probe-1.0.dist-info/RECORD" in out


def test_verify_names_the_differing_elf_section(
    make_sdist: MakeSdist, wheel_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("cext", "1.0", CEXT_RANDOM)
    assert main(["verify", "-q", str(sdist), "-f", str(wheel_dir)]) == 1
    out = capfd.readouterr().out
    assert re.search(
        r"cext/_speed\.cpython-.*\.so: section \.data: (\d+) vs \1 bytes, contents differ", out
    ), out


def test_bad_option_values(wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    sdist = tmp_path / "x-1.0.tar.gz"
    sdist.write_bytes(b"")
    code = main(["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path), "--build-tag", "abc"])
    assert code == 1
    assert "must start with a digit" in capfd.readouterr().err
    with pytest.raises(SystemExit):
        main(["build-wheel", str(sdist), "-o", str(tmp_path), "--env", "NOEQUALS"])


def test_python_dash_m_entry_point(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wheelhouse",
            "build-wheel",
            "-q",
            str(sdist),
            "-f",
            str(wheel_dir),
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(
        f" sha256={hashlib.sha256(next(tmp_path.glob('*.whl')).read_bytes()).hexdigest()}\n"
    )


# --------------------------------------------------------------------------
# -q and -v, before or after the command
# --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_before_or_after_the_command(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], where: str
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    args = ["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path / "out")]
    assert main(["-q", *args] if where == "before" else [*args, "-q"]) == 0
    captured = capfd.readouterr()
    assert captured.err == ""
    assert RESULT_LINE.fullmatch(captured.out), captured.out


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_command(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], where: str
) -> None:
    sdist = make_sdist("probe", "1.0", probe("ok"))
    args = ["build-wheel", str(sdist), "-f", str(wheel_dir), "-o", str(tmp_path / "out")]
    assert main(["-v", *args] if where == "before" else [*args, "-v"]) == 0
    captured = capfd.readouterr()
    assert "probe backend: building with behavior ok" in captured.err
    assert RESULT_LINE.fullmatch(captured.out), captured.out


@pytest.mark.parametrize(
    ("flags", "verbosity"),
    [([], NORMAL), (["-q"], QUIET), (["--quiet"], QUIET), (["-v"], VERBOSE), (["--verbose"], VERBOSE)],
    ids=["default", "-q", "--quiet", "-v", "--verbose"],
)
@pytest.mark.parametrize("command", ["build-wheel", "verify"])
def test_verbosity_is_the_same_before_and_after_the_command(
    command: str, flags: list[str], verbosity: int
) -> None:
    args = [command, "x-1.0.tar.gz", "-o", "out"]
    before = request_from_args(parse_args([*flags, *args]))
    after = request_from_args(parse_args([*args, *flags]))
    assert before.verbosity == after.verbosity == verbosity
    for argv in ([*flags, "install", "--dest", "d", "w.whl"], ["install", "--dest", "d", "w.whl", *flags]):
        args_ns = parse_args(argv)
        assert (args_ns.quiet, args_ns.verbose) == (verbosity == QUIET, verbosity == VERBOSE)


@pytest.mark.parametrize(
    "argv",
    [
        ["-q", "-v", "build-wheel", "x-1.0.tar.gz", "-o", "out"],
        ["-q", "build-wheel", "x-1.0.tar.gz", "-o", "out", "-v"],
        ["build-wheel", "x-1.0.tar.gz", "-o", "out", "--verbose", "--quiet"],
        ["-v", "verify", "x-1.0.tar.gz", "-q"],
        ["-v", "install", "--dest", "d", "w.whl", "-q"],
    ],
)
def test_quiet_and_verbose_together_is_a_usage_error(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: wheelhouse")
    assert captured.err.endswith(": error: -q/--quiet and -v/--verbose exclude each other\n")
    assert not (tmp_path / "out").exists()


def test_version(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capfd.readouterr().out == f"wheelhouse {wheelhouse.__version__}\n"
    assert wheelhouse.__version__ == "0.1.0"


@pytest.mark.parametrize(
    "argv",
    [
        ["--frobnicate"],
        ["--frobnicate", "build-wheel", "x-1.0.tar.gz", "-o", "out"],
        ["build-wheel", "x-1.0.tar.gz", "-o", "out", "--frobnicate"],
        ["install", "--dest", "d", "w.whl", "--find-links", "wheels"],
        ["frobnicate"],
        [],
        ["build-wheel", "x-1.0.tar.gz"],
        ["build-wheel", "-o", "out"],
        ["install", "w.whl"],
        ["build-wheel", "x-1.0.tar.gz", "-o", "out", "--build-tag", "1", "--local-version", "a"],
    ],
    ids=[
        "unknown-top-option",
        "unknown-option-before-command",
        "unknown-option-after-command",
        "option-of-another-command",
        "unknown-command",
        "no-command",
        "no-output-dir",
        "no-sdist",
        "no-dest",
        "exclusive-options",
    ],
)
def test_bad_command_line_exits_2(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: wheelhouse")
    assert "error: " in captured.err.splitlines()[-1]
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------
# verify's report
# --------------------------------------------------------------------------


def test_verify_prints_identical_and_what_was_perturbed(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    out = tmp_path / "out"
    assert main(["verify", "-q", str(sdist), "-f", str(wheel_dir), "-o", str(out)]) == 0
    identical, perturbed = capfd.readouterr().out.splitlines()
    match = re.fullmatch(r"identical (flitpkg-1\.0-py2\.py3-none-any\.whl) sha256=([0-9a-f]{64})", identical)
    assert match, identical
    assert hashlib.sha256((out / match[1]).read_bytes()).hexdigest() == match[2]
    assert perturbed.startswith("  perturbed: build and output directories; TZ; locale; umask 077; ")
    clock = perturbed.split("; ")[-1]
    if find_faketime() is None:
        assert clock == "clock not shifted: libfaketime is not installed"
    else:
        assert re.fullmatch(r"clock \+400 days \(Python processes\)|clock not shifted: \S.*", clock), clock


# --------------------------------------------------------------------------
# Exit status 1: one error line
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "cause"),
    [
        (["build-wheel", "{tmp}/gone-1.0.tar.gz", "-f", "{wheels}", "-o", "{tmp}/out"], "no such file"),
        (["build-wheel", "{sdist}", "-f", "{tmp}/nowhere", "-o", "{tmp}/out"], "not a directory"),
        (["build-wheel", "{sdist}", "-f", "{wheels}", "-o", "{sdist}"], "is not a directory"),
        (
            ["build-wheel", "{sdist}", "-f", "{wheels}", "-o", "{tmp}/out", "--ro-bind", "nowhere"],
            "--ro-bind",
        ),
        (["build-wheel", "{sdist}", "-f", "{wheels}", "-o", "{tmp}/out", "--patch", "{tmp}/p"], "--patch"),
        (["build-wheel", "{sdist}", "-f", "{wheels}", "-o", "{tmp}/out", "--python", "{sdist}"], "--python"),
        (["verify", "{sdist}", "-f", "{tmp}/nowhere"], "not a directory"),
        (["install", "--dest", "{tmp}/out", "{tmp}/empty"], "holds no .whl file"),
    ],
    ids=[
        "no-sdist",
        "no-find-links",
        "out-is-a-file",
        "no-ro-bind",
        "no-patch",
        "not-python",
        "verify",
        "install",
    ],
)
def test_errors_exit_1_with_one_line(
    make_sdist: MakeSdist,
    wheel_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    argv: list[str],
    cause: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    (tmp_path / "empty").mkdir()
    values = {"tmp": str(tmp_path), "sdist": str(sdist), "wheels": str(wheel_dir)}
    assert main([arg.format(**values) for arg in argv]) == 1
    captured = capfd.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert [line for line in lines if not PROGRESS_LINE.fullmatch(line)] == lines[-1:], captured.err
    assert lines[-1].startswith("wheelhouse: error: ")
    assert cause in lines[-1]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "status", "stdout"),
    [
        (["--version"], 0, f"wheelhouse {wheelhouse.__version__}\n"),
        (["install", "--dest", "{tmp}/out", "{tmp}/empty"], 1, ""),
        (["build-wheel", "--frobnicate"], 2, ""),
    ],
    ids=["success", "error", "bad-command-line"],
)
def test_process_exit_status(tmp_path: Path, argv: list[str], status: int, stdout: str) -> None:
    (tmp_path / "empty").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "wheelhouse", *(arg.format(tmp=tmp_path) for arg in argv)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == status, proc.stderr
    assert proc.stdout == stdout
    if status == 1:
        assert proc.stderr.startswith("wheelhouse: error: ") and proc.stderr.count("\n") == 1
    if status == 2:
        assert proc.stderr.startswith("usage: wheelhouse") and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------
# Limits and sandbox options land in the BuildRequest
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sandbox", ["none", "bwrap", "auto"])
def test_limit_and_sandbox_options_reach_the_request(
    sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = parse_args(
        [
            "build-wheel",
            "x-1.0.tar.gz",
            "-o",
            "out",
            "--timeout",
            "5",
            "--max-extract-bytes",
            "10M",
            "--max-members",
            "7",
            "--max-processes",
            "9",
            "--ro-bind",
            "/usr/share",
            "--ro-bind",
            "opt",
            "--sandbox",
            sandbox,
        ]
    )
    req = request_from_args(args)
    assert req.sdist == tmp_path / "x-1.0.tar.gz"
    assert (req.timeout, req.max_extract_bytes, req.max_members, req.max_processes) == (5.0, 10 * 2**20, 7, 9)
    assert req.ro_binds == (Path("/usr/share"), tmp_path / "opt")
    assert req.sandbox == sandbox


def test_limit_and_sandbox_defaults() -> None:
    req = request_from_args(parse_args(["verify", "/x-1.0.tar.gz"]))
    assert (req.timeout, req.max_extract_bytes, req.max_members, req.max_processes) == (
        DEFAULT_TIMEOUT,
        DEFAULT_MAX_BYTES,
        DEFAULT_MAX_MEMBERS,
        DEFAULT_MAX_PROCESSES,
    )
    assert (req.sandbox, req.ro_binds) == ("auto", ())


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10M", 10 << 20),
        ("10MiB", 10 << 20),
        ("10mb", 10 << 20),
        ("512K", 512 << 10),
        ("1.5G", 3 << 29),
        ("2T", 2 << 40),
        ("4096", 4096),
        ("4096B", 4096),
    ],
)
def test_max_extract_bytes_sizes(text: str, size: int) -> None:
    args = parse_args(["build-wheel", "/x-1.0.tar.gz", "-o", "/out", "--max-extract-bytes", text])
    assert request_from_args(args).max_extract_bytes == size


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "0"),
        ("--timeout", "-1"),
        ("--timeout", "soon"),
        ("--timeout", "nan"),
        ("--max-extract-bytes", "lots"),
        ("--max-extract-bytes", "0"),
        ("--max-extract-bytes", "-5M"),
        ("--max-extract-bytes", "M"),
        ("--max-extract-bytes", "0.1"),
        ("--max-extract-bytes", "nan"),
        ("--max-extract-bytes", "inf"),
        ("--max-extract-bytes", "1e400"),
        ("--max-members", "0"),
        ("--max-members", "1.5"),
        ("--max-processes", "0"),
        ("--max-processes", "many"),
        ("--sandbox", "chroot"),
    ],
)
def test_bad_limit_values_exit_2(option: str, value: str, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["build-wheel", "/x-1.0.tar.gz", "-o", "/out", option, value])
    assert exit_.value.code == 2
    err = capfd.readouterr().err
    assert err.startswith("usage: wheelhouse build-wheel")
    assert err.splitlines()[-1].startswith(f"wheelhouse build-wheel: error: argument {option}: ")
    assert "Traceback" not in err
