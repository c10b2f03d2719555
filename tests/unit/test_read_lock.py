"""rules/private/tools/read_lock.py: the extension's stdlib-only pylock.toml reader."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.pylock import Pylock

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
        [uv, "pip", "compile", "-q", "req.in", "-o", "pylock.toml", "--no-index",
         "--find-links", str(sdists), "--find-links", str(wheels)],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
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
