"""A lock whose project names are the hub's and the graph's own words, on a real Bazel 7.7.1.

The test writes tiny pure-Python wheels (and one sdist) for projects named
``wheel``, ``whl``, ``pkg``, ``packages``, ``config``, ``graph``, ``cycle``,
``build``, ``build-wheel``, ``cycle-build``, ``cp314-linux-x86-64`` (the
graph's package for the host target) and the like, with Requires-Dist edges
(a cycle among them), serves them from a loopback index, locks them with uv
and, in a copy of ``tests/e2e_names``, builds and queries ``@pypi//...``,
tests that every module imports through ``@pypi//<name>`` and through the
``_`` spelling, and that ``@pypi//wheel/wheel`` is the ``wheel`` project's
file. ``sdist`` is marked ``build_from_source``: built on the host target,
its locked wheel on linux_aarch64.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e import Bazel, _fresh, make_copy
from test_lock_e2e import lock_with_uv

from inputs import DATA, REPO, fetch, fetch_lock_e2e, find_file, read_pins
from servers import serve_directory, write_index

pytestmark = pytest.mark.bazel

TEMPLATE = REPO / "tests" / "e2e_names"
WORK = REPO / ".cache" / "e2e-names"
VERSION = "0.1"
_DATE = (1980, 1, 1, 0, 0, 0)

#: Project -> its Requires-Dist. Every word the hub or the graph uses for its own
#: packages and targets, words made to look like them, and Bazel's reserved-looking ones.
PROJECTS: dict[str, list[str]] = {
    "alias": [],
    "build": ["cycle"],  # build <-> cycle: one library `_cycle_build` in the graph
    "build-bazel": [],  # the hub's root BUILD.bazel
    "build-wheel": ["foo-wheel"],  # the graph's `build_wheel`
    "conditions": [],  # //conditions:default
    "config": [],  # the hub's `_config`
    "cp314-linux-x86-64": [],  # the graph's package and the hub's config_setting
    "cp314-linux-x86-64-default": [],  # the hub's `_config:cp314_linux_x86_64_default`
    "cycle": ["build"],
    "cycle-build": [],  # the graph's `_cycle_build`
    "external": [],
    "file": [],  # wheelhouse_<sha256>//file
    "foo-wheel": [],
    "graph": ["wheel", "python-dateutil-like"],
    "library": ["graph"],
    "packages": [],  # the hub's packages.bzl
    "packages-bzl": [],
    "pkg": [],
    "python-dateutil-like": [],
    "sdist": [],  # also an sdist, marked build_from_source
    "visibility": [],  # //visibility:public
    "wheel": [],  # the old `:wheel` target and the new `/wheel` package
    "wheel-wheel": [],
    "whl": [],
}


def _module(project: str) -> str:
    return "n_" + project.replace("-", "_")


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _metadata(project: str, requires: list[str]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project}", f"Version: {VERSION}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def make_wheel(directory: Path, project: str, requires: list[str]) -> Path:
    """A pure wheel with one module, ``n_<name>``, that knows its project."""
    dist = re.sub(r"[-_.]+", "_", project)
    info = f"{dist}-{VERSION}.dist-info"
    wheel = "Wheel-Version: 1.0\nGenerator: test_lock_names\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    members = {
        f"{_module(project)}.py": f'PROJECT = "{project}"\nFROM = "wheel"\n'.encode(),
        f"{info}/METADATA": _metadata(project, requires).encode(),
        f"{info}/WHEEL": wheel.encode(),
    }
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in members.items())
    members[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    path = directory / f"{dist}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in members.items():
            whl.writestr(zipfile.ZipInfo(name, _DATE), data)
    return path


def make_sdist(directory: Path, project: str) -> Path:
    """A flit_core sdist whose module says it was built from source."""
    base = f"{project}-{VERSION}"
    members = {
        "pyproject.toml": (
            '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n\n'
            f'[project]\nname = "{project}"\nversion = "{VERSION}"\ndescription = "names e2e"\n\n'
            f'[tool.flit.module]\nname = "{_module(project)}"\n'
        ),
        f"{_module(project)}.py": f'PROJECT = "{project}"\nFROM = "sdist"\n',
        "PKG-INFO": _metadata(project, []),
    }
    path = directory / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{base}/{name}")
            member.size, member.mtime, member.mode = len(data), 315532800, 0o644
            tar.addfile(member, io.BytesIO(data))
    return path


def _core_wheels() -> list[Path]:
    """The toolchain's own wheels (tests/data/core-wheels.txt), as the lock e2e fetches them."""
    pins = {p.sha256 for p in read_pins(DATA / "core-wheels.txt")}
    files = [f for f in fetch_lock_e2e() if hashlib.sha256(f.read_bytes()).hexdigest() in pins]
    assert len(files) == len(pins), files
    return files


@pytest.fixture(scope="module")
def index() -> Iterator[str]:
    """``<url>/names``: the tiny projects and flit_core; ``<url>/core``: the toolchain's wheels."""
    WORK.mkdir(parents=True, exist_ok=True)
    dist = WORK / "dist"
    root = WORK / "index"
    for path in (dist, root):
        if path.exists():
            shutil.rmtree(path)
    dist.mkdir()
    files = [make_wheel(dist, name, requires) for name, requires in PROJECTS.items()]
    files.append(make_sdist(dist, "sdist"))
    (flit,) = [p for p in read_pins(DATA / "build-wheels.txt") if p.name == "flit_core"]
    files.append(find_file(fetch().wheels, flit))
    write_index(root / "names", files)
    write_index(root / "core", _core_wheels())
    with serve_directory(root) as url:
        yield url


def lock_names(directory: Path, index_url: str) -> Path:
    """``uv pip compile`` every project (and flit_core, to build ``sdist``) into pylock.toml."""
    return lock_with_uv(directory, f"{index_url}/names", "".join(f"{n}\n" for n in [*PROJECTS, "flit-core"]))


def test_project_names_never_collide_with_the_hubs_own(index: str) -> None:
    workspace = make_copy(WORK / "ws", index, TEMPLATE)
    lock = lock_names(workspace, index).read_text()
    assert lock.count("[[packages]]") == len(PROJECTS) + 1, lock
    assert "sdist-0.1.tar.gz" in lock and "sdist-0.1-py3-none-any.whl" in lock, lock
    bazel = Bazel(workspace, _fresh(WORK / "out"), "UTC", "frank", 0o022)
    try:
        bazel.run("build", "@pypi//...")

        # Every project: //<name> and //<name>/wheel; a name with `-` also in its `_` spelling.
        query = bazel.run("query", "@pypi//...")[0].stdout.split()
        got = {label.partition("//")[2] for label in query}
        expected = set()
        for name in [*PROJECTS, "flit-core"]:
            for spelling in {name, name.replace("-", "_")}:
                expected |= {f"{spelling}:{spelling}", f"{spelling}/wheel:wheel"}
        for arch in ("x86_64", "aarch64"):  # a config_setting per target, and for the default Python
            expected |= {f"_config:cp314_linux_{arch}", f"_config:cp314_linux_{arch}_default"}
        # Bazel's `...` skips a directory named `external` at the top of any repository
        # (measured on 7.7.1); the package is there all the same and builds below.
        skipped = {"external:external", "external/wheel:wheel"}
        assert got == expected - skipped, (sorted(got - expected), sorted(expected - got))
        external = bazel.run("query", "@pypi//external/...")[0].stdout.split()
        assert {label.partition("//")[2] for label in external} == skipped, external

        bazel.run("test", "//...", "--test_output=errors")

        # @pypi//wheel/wheel is the `wheel` project's locked file, and the `_` spelling follows.
        for label in ("@pypi//wheel/wheel", "@pypi//foo_wheel/wheel", "@pypi//cp314_linux_x86_64/wheel"):
            files = bazel.run("cquery", label, "--output=files")[0].stdout.split()
            project = label.split("//")[1].split("/")[0]
            assert [Path(f).name for f in files] == [f"{project}-{VERSION}-py3-none-any.whl"], (label, files)

        # build_from_source: the sdist's build here, the locked wheel on linux_aarch64, with a note.
        here = bazel.run("cquery", "@pypi//sdist/wheel", "--output=files")[0].stdout.split()
        assert "sdist_wheel.wheel" in [Path(f).name for f in here], here
        there = bazel.run("cquery", "--platforms=//:linux_aarch64", "@pypi//sdist/wheel", "--output=files")[
            0
        ].stdout.split()
        assert [Path(f).name for f in there] == [f"sdist-{VERSION}-py3-none-any.whl"], there
        output_base = Path(bazel.run("info", "output_base")[0].stdout.strip())
        (graph,) = output_base.glob("external/*pypi__graph")
        assert (
            "# built from source only on cp314_linux_x86_64, the toolchain's own target; "
            "the locked wheel is used here"
        ) in (graph / "cp314_linux_aarch64" / "BUILD.bazel").read_text()
    finally:
        bazel.shutdown()
