"""rules/private/tools/read_lock.py: the extension's stdlib-only pylock.toml reader."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock

from wheelhouse.buildlock import (
    BuildEntry,
    BuildLock,
    CycleEntry,
    LockedFile,
    LockedPackage,
    dumps,
    file_digest,
    loads,
)

READER = Path(__file__).resolve().parents[2] / "rules" / "private" / "tools" / "read_lock.py"


def run(lock: Path) -> subprocess.CompletedProcess[str]:
    # -I: the reader must work with a bare interpreter (no packaging, no site-packages).
    return subprocess.run(
        [sys.executable, "-I", str(READER), str(lock)], capture_output=True, text=True, check=False
    )


def test_uv_lock_agrees_with_packaging_pylock(tmp_path: Path, inputs: object) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    sdists = inputs.sdists  # type: ignore[attr-defined]
    wheels = inputs.wheels  # type: ignore[attr-defined]
    (tmp_path / "req.in").write_text("tomli==2.5.0\nmarkupsafe==3.0.4\npyyaml==6.0.3\nhatchling==1.33.0\n")
    subprocess.run(
        [
            uv,
            "pip",
            "compile",
            "-q",
            "req.in",
            "-o",
            "pylock.toml",
            "--no-index",
            "--find-links",
            str(sdists),
            "--find-links",
            str(wheels),
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    lock = tmp_path / "pylock.toml"
    proc = run(lock)
    assert proc.returncode == 0, proc.stderr
    ours = {p["name"]: p for p in json.loads(proc.stdout)["packages"]}
    import tomllib

    theirs = Pylock.from_dict(tomllib.loads(lock.read_text()))
    assert set(ours) == {str(p.name) for p in theirs.packages}
    assert len(ours) >= 7  # hatchling pulls packaging, pathspec, pluggy, trove-classifiers
    for package in theirs.packages:
        mine = ours[str(package.name)]
        assert mine["version"] == str(package.version)
        if package.sdist is not None:
            assert mine["sdist"]["sha256"] == package.sdist.hashes["sha256"]
        assert [w["sha256"] for w in mine["wheels"]] == [w.hashes["sha256"] for w in package.wheels or []]
        assert [w["name"] for w in mine["wheels"]] == [w.filename for w in package.wheels or []]


GOOD_SDIST = 'sdist = { url = "https://x.invalid/a-1.0.tar.gz", hashes = { sha256 = "' + "a" * 64 + '" } }'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('lock-version = "1.0"\n[[packages]\nname = "a"\n', "not valid TOML: "),
        ('lock-version = "2.0"\n', "lock-version '2.0' is not supported"),
        ('lock-version = "1.0"\n', "no [[packages]] array"),
        (
            'lock-version = "1.0"\n\n[[packages]]\nname = "Foo_Bar"\nversion = "1"\n'
            'sdist = { url = "https://x.invalid/foo_bar-1.tar.gz", hashes = {} }\n',
            "line 3 (package foo-bar): sdist foo_bar-1.tar.gz has no hashes",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1.0"\n' + GOOD_SDIST + "\n"
            '[[packages]]\nname = "b"\n'
            'wheels = [{ name = "b-1-py3-none-any.whl", hashes = { md5 = "x" } }]\n',
            "line 6 (package b): wheel b-1-py3-none-any.whl has no valid sha256 hash",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "c"\n'
            'vcs = { type = "git", url = "x", commit-id = "y" }\n',
            "(package c): a vcs source, which wheelhouse cannot fetch by hash",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "a"\n'
            + GOOD_SDIST
            + '\n[[packages]]\nname = "A"\n'
            + GOOD_SDIST,
            "a is locked twice with the same marker",
        ),
    ],
)
def test_malformed_locks_point_at_line_or_package(tmp_path: Path, text: str, expected: str) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text(text)
    proc = run(lock)
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert "\n" not in err
    assert str(lock) in err
    assert expected in err, err


# --------------------------------------------------------------------------
# With a build lock (pylock.build.toml from `wheelhouse lock-build`)
# --------------------------------------------------------------------------

RUNTIME = (
    'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "app"\nversion = "1.0"\n'
    'sdist = { url = "http://127.0.0.1:1/files/app-1.0.tar.gz", hashes = { sha256 = "' + "a" * 64 + '" } }\n'
)


def build_lock(runtime: Path) -> BuildLock:
    """A build lock for ``runtime``: app built with a seeded self-hosting backend and setuptools."""
    files = "http://127.0.0.1:1/files/"
    return BuildLock(
        runtime_lock=file_digest(runtime),
        python="3.11",
        platform="x86_64-manylinux_2_28",
        from_source=":all:",
        seeds=("selfhost==1.0",),
        packages=(
            LockedPackage(
                "selfhost",
                "1.0",
                LockedFile("selfhost-1.0.tar.gz", files + "selfhost-1.0.tar.gz", "b" * 64),
                (
                    LockedFile(
                        "selfhost-1.0-py3-none-any.whl", files + "selfhost-1.0-py3-none-any.whl", "c" * 64
                    ),
                ),
            ),
            LockedPackage(
                "setuptools",
                "80.9",
                wheels=(
                    LockedFile(
                        "setuptools-80.9-py3-none-any.whl",
                        files + "setuptools-80.9-py3-none-any.whl",
                        "d" * 64,
                    ),
                ),
            ),
        ),
        builds=(
            BuildEntry(
                "app==1.0",
                "a" * 64,
                "runtime",
                ("selfhost", "setuptools"),
                (),
                ("selfhost==1.0", "setuptools==80.9"),
            ),
            BuildEntry("selfhost==1.0", "b" * 64, "build", ("selfhost",), (), ("selfhost==1.0",)),
        ),
        cycles=(CycleEntry(("selfhost==1.0",), ("selfhost==1.0",)),),
    )


def run_pair(lock: Path, blk: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(READER), str(lock), str(blk)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    path = tmp_path / "pylock.toml"
    path.write_text(RUNTIME)
    return path


def test_good_build_lock_prints_builds_packages_and_cycles(runtime: Path) -> None:
    blk = runtime.with_name("pylock.build.toml")
    blk.write_text(dumps(build_lock(runtime)))
    proc = run_pair(runtime, blk)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [p["name"] for p in out["packages"]] == ["app"]
    got = out["build_lock"]
    assert got["python"] == "3.11"
    assert got["cycles"] == [{"members": ["selfhost==1.0"], "seeds": ["selfhost==1.0"]}]
    assert got["builds"] == {
        "app==1.0": {
            "sdist": "a" * 64,
            "role": "runtime",
            "environment": ["selfhost==1.0", "setuptools==80.9"],
        },
        "selfhost==1.0": {"sdist": "b" * 64, "role": "build", "environment": ["selfhost==1.0"]},
    }
    assert sorted(got["packages"]) == ["selfhost==1.0", "setuptools==80.9"]
    assert got["packages"]["selfhost==1.0"]["sdist"]["sha256"] == "b" * 64
    assert [w["name"] for w in got["packages"]["selfhost==1.0"]["wheels"]] == [
        "selfhost-1.0-py3-none-any.whl"
    ]
    assert got["packages"]["setuptools==80.9"]["sdist"] is None
    # the stdlib reader and wheelhouse.buildlock read the same lock
    theirs = loads(blk.read_text())
    assert {b.package: list(b.environment) for b in theirs.builds} == {
        k: v["environment"] for k, v in got["builds"].items()
    }


def test_build_lock_for_another_runtime_lock(runtime: Path) -> None:
    blk = runtime.with_name("pylock.build.toml")
    blk.write_text(dumps(build_lock(runtime)))
    runtime.write_text(RUNTIME + "# edited\n")
    proc = run_pair(runtime, blk)
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert "\n" not in err
    assert f"{blk} was made for another run-time lock" in err, err
    assert f"{runtime} is {file_digest(runtime)}" in err, err
    assert "rerun `wheelhouse lock-build pylock.toml` (with the same options)" in err, err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda t: t.replace('environment = ["selfhost==1.0"]', 'environment = ["selfhost==0.9"]'),
            "the build environment of selfhost==1.0 names selfhost==0.9, which has no [[packages]] entry",
        ),
        (
            lambda t: t.replace(
                'sdist = { name = "selfhost-1.0.tar.gz"', 'nosdist = { name = "selfhost-1.0.tar.gz"'
            ),
            "selfhost==1.0 is built from source but has no sdist entry",
        ),
        (
            lambda t: t.split("[tool.wheelhouse]")[0],
            "no [tool.wheelhouse] table of format 1: not a build lock",
        ),
        (lambda t: t.replace("format = 1", "format = 2"), "no [tool.wheelhouse] table of format 1"),
        (lambda t: t + "\n[[", "not valid TOML"),
        (
            lambda t: t.replace('environment = ["selfhost==1.0"]', 'environment = "selfhost==1.0"'),
            "the environment of selfhost==1.0 is not a list of strings",
        ),
        (
            lambda t: t.replace(f'sha256 = "{"c" * 64}"', 'sha256 = "C"'),
            "wheel selfhost-1.0-py3-none-any.whl has no valid sha256",
        ),
        (
            lambda t: t.replace('package = "app==1.0"', "package = 1"),
            "a [[tool.wheelhouse.builds]] entry has no package",
        ),
        (
            lambda t: t.split("[[tool.wheelhouse.builds]]")[0] + "builds = 3\n",
            "tool.wheelhouse.builds is not an array of tables",
        ),
        (
            lambda t: t.split("[[tool.wheelhouse.builds]]")[0] + "cycles = {}\n",
            "tool.wheelhouse.cycles is not an array of tables",
        ),
        (
            lambda t: "packages = 3\n" + t.split("[tool.wheelhouse]")[1].join(["[tool.wheelhouse]", ""]),
            "packages is not an array of tables",
        ),
        (
            lambda t: t.replace("wheels = [", "wheels = 3\nx = [", 1),
            "package selfhost==1.0: wheels is not an array of tables",
        ),
    ],
)
def test_malformed_build_locks(runtime: Path, change: Any, expected: str) -> None:
    blk = runtime.with_name("pylock.build.toml")
    blk.write_text(change(dumps(build_lock(runtime))))
    proc = run_pair(runtime, blk)
    assert proc.returncode == 1, proc.stdout
    err = proc.stderr.strip()
    assert "\n" not in err, err
    assert err.startswith(f"wheelhouse: {blk}"), err
    assert expected in err, err
    if "sha256" not in expected:  # a bad hash says why wheelhouse needs it instead
        assert "`wheelhouse lock-build" in err, err


_SHA = "a" * 64


def _variant_lock(tmp_path: Path, wheels: list[str], variants_json: bool) -> Path:
    entries = ",\n".join(
        f'  {{ url = "http://127.0.0.1:1/files/{w}", hashes = {{ sha256 = "{_SHA}" }} }}' for w in wheels
    )
    text = (
        f'lock-version = "1.0"\n\n[[packages]]\nname = "vpure"\nversion = "1.0"\nwheels = [\n{entries}\n]\n'
    )
    if variants_json:
        url = "http://127.0.0.1:1/files/vpure-1.0-variants.json"
        text += f'\n[packages.variants-json]\nurl = "{url}"\nhashes = {{ sha256 = "{_SHA}" }}\n'
    lock = tmp_path / "pylock.toml"
    lock.write_text(text)
    return lock


def test_variant_wheels_and_their_variants_json_are_read(tmp_path: Path) -> None:
    wheels = [
        "vpure-1.0-py3-none-any.whl",
        "vpure-1.0-py3-none-any-x86_64_v3.whl",
        "vpure-1.0-1-py3-none-any.whl",  # a build tag, not a label
        "vpure-1.0-1-py3-none-any-x86_64_v2.whl",
    ]
    proc = run(_variant_lock(tmp_path, wheels, variants_json=True))
    assert proc.returncode == 0, proc.stderr
    (package,) = json.loads(proc.stdout)["packages"]
    assert [w["variant"] for w in package["wheels"]] == [None, "x86_64_v3", None, "x86_64_v2"]
    assert package["variants_json"]["name"] == "vpure-1.0-variants.json"
    assert package["variants_json"]["sha256"] == _SHA


def test_a_variant_wheel_without_variants_json_is_refused(tmp_path: Path) -> None:
    proc = run(_variant_lock(tmp_path, ["vpure-1.0-py3-none-any-x86_64_v3.whl"], variants_json=False))
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "(package vpure): wheel vpure-1.0-py3-none-any-x86_64_v3.whl is the variant 'x86_64_v3'" in line
    assert "has no [packages.variants-json]" in line


def test_a_malformed_variant_label_is_refused(tmp_path: Path) -> None:
    proc = run(_variant_lock(tmp_path, ["vpure-1.0-py3-none-any-X86.whl"], variants_json=True))
    assert proc.returncode == 1
    assert "variant label 'X86', which is not [0-9a-z._]+ (PEP 825)" in proc.stderr
