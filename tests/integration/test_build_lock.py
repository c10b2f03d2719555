"""``wheelhouse build pylock.toml --build-lock``: a whole lock from source without Bazel.

The loopback index serves real sdists (setuptools, wheel, flit_core,
hatchling and its dependencies, setuptools-scm and vcs-versioning,
poetry-core, calver, iniconfig, ...) and generated ones (a backend and its
plugin that need each other, an app built with them, a hatchling package).
uv locks the run-time requirements for this interpreter, ``lock-build``
locks the build requirements with a seed, and ``wheelhouse build`` builds
everything from source, the cycle twice, into a flat wheelhouse whose
``pylock.toml`` uv and pip install offline. The second run builds nothing;
``wheelhouse env`` makes two environments that share one installed tree.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wheelhouse.host.resolve import find_uv

from bootstrap_samples import seed_wheel, write_sdists
from inputs import fetch_source_e2e
from readme import snippets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bazel"))

from servers import serve_directory, write_index

pytestmark = pytest.mark.integration

REQUIREMENTS = "iniconfig\nwheel\nsetuptools\nhatchpkg\napp\n"
PYTHON = "{}.{}".format(*sys.version_info[:2])


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("index")
    sdists, wheels = fetch_source_e2e()
    generated = write_sdists(work / "generated")
    seed = seed_wheel(work / "seed")
    root = write_index(work / "index", [*sdists, *wheels, *generated, seed])
    with serve_directory(root) as url:
        yield f"{url}/simple"


def wheelhouse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wheelhouse", *args], cwd=cwd, capture_output=True, text=True, timeout=1800
    )


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_a_lock_built_from_source_installs_offline_and_rebuilds_nothing(index: str, tmp_path: Path) -> None:
    uv = find_uv()
    (tmp_path / "requirements.in").write_text(REQUIREMENTS)
    subprocess.run(
        [uv, "pip", "compile", "-q", "requirements.in", "--python-version", PYTHON, "--no-python-downloads",
         "--no-cache", "--index-url", index, "-o", "pylock.toml"],
        cwd=tmp_path, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    locked = wheelhouse(
        "lock-build", "pylock.toml", "--index", index, "--from-source", ":all:", "--seed", "loopback-backend",
        "-q", cwd=tmp_path,
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr[-3000:]
    cache = str(tmp_path / "cache")
    args = ["build", "pylock.toml", "--build-lock", "pylock.build.toml", "-o", "house", "-j", "2",
            "--index", index, "--cache-dir", cache]  # fmt: skip
    cold = wheelhouse(*args, cwd=tmp_path)
    assert cold.returncode == 0, cold.stderr[-3000:]
    summary = cold.stderr.strip().splitlines()[-1]
    match = re.search(r"(\d+) packages in house: (\d+) built, (\d+) cached", summary)
    assert match, summary
    packages, built, cached = (int(g) for g in match.groups())
    assert packages == 6 and built + cached >= 18, summary  # every package and build tool, the cycle twice
    assert "loopback-plugin==1.0 (stage 1): built" in cold.stderr
    assert cold.stdout.strip() == str(tmp_path / "house" / "pylock.toml")
    house = tmp_path / "house"
    lock_names = set(re.findall(r'^name = "(.+)"$', (tmp_path / "pylock.toml").read_text(), re.M))
    assert {p.name.split("-")[0].replace("_", "-") for p in house.glob("*.whl")} == lock_names
    before = digests(house)

    env = tmp_path / "uv-env"
    subprocess.run([uv, "venv", "-q", "--no-python-downloads", "-p", sys.executable, str(env)], check=True)
    installed = subprocess.run(
        [uv, "pip", "install", "--offline", "--no-index", "--no-cache", "--no-python-downloads",
         "-p", str(env / "bin" / "python"), "-r", str(house / "pylock.toml")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    code = "import app, hatchpkg, iniconfig, setuptools, wheel; print(app.__name__)"
    ran = subprocess.run([str(env / "bin" / "python"), "-c", code], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr

    pip_env = tmp_path / "pip-env"
    subprocess.run([sys.executable, "-m", "venv", str(pip_env)], check=True)
    names_only = [p.name.split("-")[0].replace("_", "-") for p in house.glob("*.whl")]
    pipped = subprocess.run(
        [str(pip_env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
         "--find-links", str(house), *names_only], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert pipped.returncode == 0, pipped.stderr
    ran = subprocess.run([str(pip_env / "bin" / "python"), "-c", code], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr

    warm = wheelhouse(*args, cwd=tmp_path)
    assert warm.returncode == 0, warm.stderr[-3000:]
    assert re.search(r": 0 built, \d+ cached", warm.stderr), warm.stderr[-2000:]
    assert digests(house) == before

    for name in ("env1", "env2"):
        made = wheelhouse("env", "house/pylock.toml", name, "--cache-dir", cache, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        ran = subprocess.run(
            [str(tmp_path / name / "bin" / "python"), "-c", code], capture_output=True, text=True
        )
        assert ran.returncode == 0, ran.stderr
    assert "linked from the cache" in made.stderr
    (one,) = (tmp_path / "env1").glob("lib/python*/site-packages/app/__init__.py")
    (two,) = (tmp_path / "env2").glob("lib/python*/site-packages/app/__init__.py")
    assert one.stat().st_ino == two.stat().st_ino

    (tmp_path / "pylock.toml").write_text((tmp_path / "pylock.toml").read_text() + "\n# edited\n")
    stale = wheelhouse(*args, cwd=tmp_path)
    assert stale.returncode == 1
    (line,) = [ln for ln in stale.stderr.splitlines() if ln.startswith("wheelhouse: error: ")]
    assert (
        "pylock.build.toml was made for another version of" in line and "rerun `wheelhouse lock-build" in line
    )
    assert digests(house) == before


def test_the_readme_commands_make_a_wheelhouse_and_an_environment(index: str, tmp_path: Path) -> None:
    """The README's "A whole lock without Bazel" snippet, run as written."""
    uv = find_uv()
    script = snippets()["build-lock"]
    (tmp_path / "requirements.in").write_text("iniconfig\nwheel\n")
    venv = tmp_path / ".venv"
    subprocess.run([uv, "venv", "-q", "--no-python-downloads", "-p", sys.executable, str(venv)], check=True)
    env = {
        **os.environ,
        "INDEX": index,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(Path(uv).parent), os.environ["PATH"]]),
        "VIRTUAL_ENV": str(venv),  # an activated environment, for `uv pip install`
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_PYTHON_DOWNLOADS": "1",
        "WHEELHOUSE_CACHE": str(tmp_path / "cache"),
    }
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=1800,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert re.search(r"packages in wheelhouse: [1-9]\d* built", ran.stderr), ran.stderr[-2000:]
    code = "import iniconfig, wheel; print(iniconfig.__file__)"
    for python in (venv / "bin" / "python", tmp_path / "app-env" / "bin" / "python"):
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert str(python.parent.parent) in done.stdout
