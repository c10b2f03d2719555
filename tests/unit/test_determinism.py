"""Sources of difference a backend has inside the sandbox, and what verify makes of them.

Fixed by the sandbox (identical wheels): a backend that compiles in a
``tempfile.mkdtemp()`` directory with ``-g`` and ``__FILE__`` (the class the
hardening issue found), the hash seed. Left to the package and reported by
``verify`` (different wheels, the member named): ``uuid4`` and an unseeded
``random``. And ``verify`` never blames the package for what its own clock
tool did: a build that fails, or asks for other requirements, only under the
shifted clock is built again without it.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from wheelhouse import build_wheel, elf, verify
from wheelhouse.sandboxed.build import find_faketime

from conftest import MakeSdist, quiet, request
from samples import CEXT

_BACKEND = r'''
"""An in-tree backend whose behaviour the test chooses (rules_wheelhouse tests)."""
import base64, hashlib, os, random, shutil, subprocess, tempfile, time, uuid, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
BEHAVIOR = open(os.path.join(HERE, "behavior.txt")).read().split()
REAL_NOW = float(open(os.path.join(HERE, "now.txt")).read())
SHIFTED = time.time() > REAL_NOW + 200 * 86400


def get_requires_for_build_wheel(config_settings=None):
    if "dynamic-when-shifted" in BEHAVIOR and SHIFTED:
        return ["flit_core"]
    return []


def _so():
    """Copy the C source into a random temporary directory and compile it there with -g."""
    work = tempfile.mkdtemp()
    shutil.copy(os.path.join(HERE, "..", "native.c"), work)
    out = os.path.join(work, "native.so")
    source = os.path.join(work, "native.c")
    subprocess.run(["gcc", "-g", "-O1", "-shared", "-fPIC", "-o", out, source], check=True)
    return open(out, "rb").read()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if "fail-when-shifted" in BEHAVIOR and SHIFTED:
        raise RuntimeError("this build fails on a clock far in the future")
    files = {
        "fixture/__init__.py": b"",
        "fixture/hash.txt": str(hash("wheelhouse")).encode(),
    }
    if "tempdir" in BEHAVIOR:
        files["fixture/native.so"] = _so()
    if "uuid4" in BEHAVIOR:
        files["fixture/build_id.txt"] = str(uuid.uuid4()).encode()
    if "random" in BEHAVIOR:
        files["fixture/noise.txt"] = str(random.random()).encode()
    files["fixture-1.0.dist-info/METADATA"] = b"Metadata-Version: 2.1\nName: fixture\nVersion: 1.0\n"
    files["fixture-1.0.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: fixture\nRoot-Is-Purelib: false\nTag: py3-none-any\n"
    )
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append("fixture-1.0.dist-info/RECORD,,")
    files["fixture-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    name = "fixture-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return name
'''

_NATIVE = """\
#include <stdio.h>
const char *fixture_where = __FILE__;
int fixture_answer(void) { return 42; }
"""


def fixture(*behavior: str) -> dict[str, str]:
    return {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "fixture_backend"\n'
        'backend-path = ["_backend"]\n',
        "PKG-INFO": "Metadata-Version: 2.1\nName: fixture\nVersion: 1.0\n",
        "native.c": _NATIVE,
        "_backend/fixture_backend.py": _BACKEND,
        "_backend/behavior.txt": " ".join(behavior) + "\n",
        "_backend/now.txt": f"{time.time():.0f}\n",
    }


def test_compiling_in_a_random_temporary_directory_is_reproducible(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("fixture", "1.0", fixture("tempdir"))
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation
    with zipfile.ZipFile(outcome.first.wheel) as zf:
        so = zf.read("fixture/native.so")
    assert elf.build_id(so)
    assert b"/tmp/wheelhouse-build/tmp/" in so  # __FILE__, with a deterministic temporary name


def test_split_debug_info_is_the_same_in_every_build(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("fixture", "1.0", fixture("tempdir"))
    builds = [
        build_wheel(
            request(sdist, wheel_dir, debug="split"),
            tmp_path / f"out{i}",
            debug_dir=tmp_path / f"debug{i}",
            progress=quiet(),
        )
        for i in (1, 2)
    ]
    assert builds[0].sha256 == builds[1].sha256
    first, second = (b.debug_files for b in builds)
    assert [p.relative_to(tmp_path / "debug1") for p in first] == [
        p.relative_to(tmp_path / "debug2") for p in second
    ]
    assert len(first) == 1
    assert first[0].read_bytes() == second[0].read_bytes()
    with zipfile.ZipFile(builds[0].wheel) as zf:
        assert elf.build_id(zf.read("fixture/native.so")) == elf.build_id(first[0].read_bytes())


def test_hash_seed_is_fixed_whatever_the_caller_sets(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("fixture", "1.0", fixture())
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation  # the second build's caller had PYTHONHASHSEED=4242


@pytest.mark.parametrize(
    ("behavior", "member"), [("uuid4", "fixture/build_id.txt"), ("random", "fixture/noise.txt")]
)
def test_verify_reports_randomness_the_package_adds(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, behavior: str, member: str
) -> None:
    sdist = make_sdist("fixture", "1.0", fixture(behavior))
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert not outcome.identical
    assert any(line.startswith(f"{member}: ") for line in outcome.explanation), outcome.explanation


needs_faketime = pytest.mark.skipif(find_faketime() is None, reason="libfaketime is not installed")


@needs_faketime
def test_verify_does_not_blame_the_package_for_a_failure_under_the_shifted_clock(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("fixture", "1.0", fixture("fail-when-shifted"))
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation
    assert not outcome.clock_shifted
    assert any("failed under the shifted clock" in p for p in outcome.perturbed), outcome.perturbed


@needs_faketime
def test_verify_does_not_blame_the_package_for_other_requirements_under_the_shifted_clock(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("fixture", "1.0", fixture("dynamic-when-shifted"))
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation
    assert not outcome.clock_shifted
    assert any("set up another environment" in p for p in outcome.perturbed), outcome.perturbed


@needs_faketime
def test_the_clock_is_shifted_for_python_and_sleeps_still_work(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    # A build that sleeps and waits on a child with a time-out under the shifted clock
    # (libfaketime with an unshifted monotonic clock made both fail with EINVAL).
    files = fixture()
    files["_backend/fixture_backend.py"] = files["_backend/fixture_backend.py"].replace(
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n",
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    time.sleep(0.05)\n"
        "    subprocess.run(['sleep', '0.3'], timeout=30, check=True)\n"
        "    faked = os.environ.get('FAKETIME')\n"
        "    assert SHIFTED == (faked is not None), (SHIFTED, faked)\n",
    )
    sdist = make_sdist("fixture", "1.0", files)
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation
    assert outcome.clock_shifted, outcome.perturbed


def test_strip_mode_compiles_without_debug_info_and_gets_the_same_bytes(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    """``-g0`` under ``--debug strip`` is only faster: the wheel equals a ``-g`` build stripped."""
    sdist = make_sdist("cext", "1.0", CEXT)
    kept = build_wheel(request(sdist, wheel_dir, debug="keep"), tmp_path / "keep", progress=quiet())
    with zipfile.ZipFile(kept.wheel) as zf:
        (so,) = [n for n in zf.namelist() if n.endswith(".so")]
        assert any(s.name.startswith(".debug_") for s in elf.sections(zf.read(so)))  # -g is on by default
    fast = build_wheel(request(sdist, wheel_dir), tmp_path / "fast", progress=quiet())
    assert fast.log is not None
    fast_log = fast.log.read_text()
    maps = " ".join(  # the front end's CPPFLAGS without -g0: the interpreter's -g stays in force
        f"-ffile-prefix-map=/tmp/wheelhouse-build/{a}={b}"
        for a, b in (("src/cext-1.0", "/usr/src/cext-1.0"), ("env", "/usr/src/wheelhouse-env"),
                     ("build", "/usr/src/wheelhouse-build"))
    )  # fmt: skip
    slow = build_wheel(request(sdist, wheel_dir, env={"CPPFLAGS": maps}), tmp_path / "slow", progress=quiet())
    assert fast.sha256 == slow.sha256
    assert slow.log is not None
    assert " -g0 " in fast_log and " -g0 " not in slow.log.read_text()
