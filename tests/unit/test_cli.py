"""The ``wheelhouse`` command line: output format, progress, errors, verify."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wheelhouse.cli import main

from conftest import MakeSdist
from samples import CEXT_RANDOM, FLIT, probe


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
