"""``wheelhouse lock-build``: real uv, the real sandbox, a loopback index of tiny made-up projects.

The index (made once per module) holds:

- ``selfhost``: a backend that builds itself: ``requires = ["selfhost"]``,
  ``build-backend = "selfhost.backend"``, no ``backend-path`` (sdist and wheel);
- ``tinyback``: a backend that bootstraps from its own tree (``backend-path``), as
  flit_core does (sdist and wheel);
- ``uses-selfhost`` and ``app``: run-time projects built with them (sdists only);
- ``netpkg``: its backend's ``get_requires_for_build_wheel`` tries the network;
- ``cyc-a`` and ``cyc-b``: each asks for the other dynamically (sdists only).
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wheelhouse import BuildRequest, build_wheel
from wheelhouse.buildlock import CycleEntry, file_digest, loads
from wheelhouse.cli import main
from wheelhouse.errors import FetchError, HashMismatch
from wheelhouse.host.fetch import Sources, fetch, file_sha256
from wheelhouse.host.lockbuild import FromSource

from conftest import quiet, write_sdist

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bazel"))

from servers import serve_directory, write_index

UV = str(Path(sys.executable).parent / "uv")

SELFHOST_BACKEND = '''\
"""A PEP 517 backend that builds the project in the current directory, itself included."""
import base64, hashlib, os, tomllib, zipfile


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open("pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    dist = project["name"].replace("-", "_")
    info = dist + "-" + project["version"] + ".dist-info"
    files = {}
    for root, dirs, names in os.walk(dist):
        dirs.sort()
        for name in sorted(names):
            with open(os.path.join(root, name), "rb") as f:
                files[os.path.join(root, name)] = f.read()
    files[info + "/METADATA"] = (
        "Metadata-Version: 2.1\\nName: " + project["name"] + "\\nVersion: " + project["version"] + "\\n"
    ).encode()
    files[info + "/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: selfhost\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(name + ",sha256=" + digest + "," + str(len(data)))
    files[info + "/RECORD"] = ("\\n".join(record) + "\\n" + info + "/RECORD,,\\n").encode()
    wheel = dist + "-" + project["version"] + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return wheel
'''


def dynamic_backend(requires: list[str], network: bool = False) -> str:
    """An in-tree backend: ``get_requires_for_build_wheel`` returns ``requires``, or tries the network."""
    reach = (
        'socket.create_connection(("files.wheelhouse-test.invalid", 443), timeout=10)\n    '
        if network
        else ""
    )
    return (
        "import socket\n\n\n"
        f"def get_requires_for_build_wheel(config_settings=None):\n    {reach}return {requires!r}\n\n\n"
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    raise RuntimeError('lock-build never builds')\n"
    )


def project(name: str, requires: list[str], backend: str, *, backend_path: bool = False) -> dict[str, str]:
    """The files every test sdist has: PKG-INFO and a static [project] (uv reads them, builds nothing)."""
    path = 'backend-path = ["."]\n' if backend_path else ""
    return {
        "PKG-INFO": f"Metadata-Version: 2.2\nName: {name}\nVersion: 1.0\n",
        "pyproject.toml": f"[build-system]\nrequires = {requires!r}\nbuild-backend = {backend!r}\n{path}\n"
        f'[project]\nname = "{name}"\nversion = "1.0"\n'.replace("'", '"'),
    }


def write_wheel(directory: Path, name: str, files: dict[str, str]) -> Path:
    """A valid py3-none-any wheel of ``name`` 1.0 holding ``files``, fixed timestamps."""
    dist = name.replace("-", "_")
    info = f"{dist}-1.0.dist-info"
    contents = {k: v.encode() for k, v in files.items()}
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
    contents[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for member, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    contents[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    path = directory / f"{dist}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in contents.items():
            zf.writestr(zipfile.ZipInfo(member, (2023, 11, 14, 0, 0, 0)), data)
    return path


def make_files(directory: Path) -> dict[str, Path]:
    """Every sdist and wheel of the index, by name."""
    selfhost_tree: dict[str, str] = {"selfhost/__init__.py": "", "selfhost/backend.py": SELFHOST_BACKEND}
    tinyback_tree = {"tinyback.py": SELFHOST_BACKEND}
    sdists: dict[str, dict[str, str | bytes]] = {
        "selfhost": {**project("selfhost", ["selfhost"], "selfhost.backend"), **selfhost_tree},
        "tinyback": {**project("tinyback", [], "tinyback", backend_path=True), **tinyback_tree},
        "uses-selfhost": {
            **project("uses-selfhost", ["selfhost"], "selfhost.backend"),
            "uses_selfhost/__init__.py": "",
        },
        "app": {**project("app", ["tinyback"], "tinyback"), "app/__init__.py": ""},
        "netpkg": {
            **project("netpkg", [], "b", backend_path=True),
            "b.py": dynamic_backend([], network=True),
        },
        "cyc-a": {**project("cyc-a", [], "b", backend_path=True), "b.py": dynamic_backend(["cyc-b"])},
        "cyc-b": {**project("cyc-b", [], "b", backend_path=True), "b.py": dynamic_backend(["cyc-a"])},
    }
    out = {
        name: write_sdist(directory, name.replace("-", "_"), "1.0", files) for name, files in sdists.items()
    }
    out["selfhost.whl"] = write_wheel(directory, "selfhost", selfhost_tree)
    out["tinyback.whl"] = write_wheel(directory, "tinyback", tinyback_tree)
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_files(tmp_path_factory.mktemp("files"))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, files: dict[str, Path]) -> Iterator[str]:
    """The loopback index's ``/simple`` URL."""
    root = write_index(tmp_path_factory.mktemp("index"), sorted(files.values()))
    with serve_directory(root) as url:
        yield f"{url}/simple"


@pytest.fixture(scope="module")
def runtime_lock(tmp_path_factory: pytest.TempPathFactory, index: str) -> Path:
    """``app`` and ``uses-selfhost``, locked by uv from the loopback index."""
    base = tmp_path_factory.mktemp("lock")
    (base / "requirements.in").write_text("app\nuses-selfhost\n")
    subprocess.run(
        [UV, "pip", "compile", "-q", "--no-cache", "--no-header", "requirements.in",
         "--format", "pylock.toml", "-o", "pylock.toml", "--index-url", index, "--python-version", "3.11"],
        cwd=base, check=True, capture_output=True,
    )  # fmt: skip
    return base / "pylock.toml"


def hand_lock(path: Path, index: str, sdists: dict[str, Path]) -> Path:
    """A run-time pylock.toml of ``sdists`` (name -> file) as the index serves them."""
    lines = ['lock-version = "1.0"', 'created-by = "tests"', ""]
    for name, sdist in sorted(sdists.items()):
        url = f"{index.removesuffix('/simple')}/files/{sdist.name}"
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            'version = "1.0"',
            f'sdist = {{ url = "{url}", hashes = {{ sha256 = "{file_sha256(sdist)}" }} }}',
            "",
        ]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file store, uv's cache and build logs under tmp_path, never the real ~/.cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def lock_build(*argv: str | Path) -> int:
    return main(["lock-build", *map(str, argv)])


def error_line(capfd: pytest.CaptureFixture[str]) -> str:
    """The one error line lock-build printed (progress on stderr is silenced with -q)."""
    err = capfd.readouterr().err.strip()
    lines = [line for line in err.splitlines() if line.startswith("wheelhouse: error: ")]
    assert len(lines) == 1, err
    return lines[0]


# --------------------------------------------------------------------------
# A self-requiring backend: refused, then seeded
# --------------------------------------------------------------------------


def test_self_requiring_backend_is_refused_without_a_seed(
    runtime_lock: Path, index: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pylock.build.toml"
    assert lock_build(runtime_lock, "-o", out, "--index", index, "--from-source", ":all:", "-q") == 1
    line = error_line(capfd)
    assert "selfhost -> selfhost" in line and "--seed NAME (one of selfhost)" in line, line
    assert not out.exists()


def test_seed_breaks_the_cycle_and_the_lock_is_reproducible(
    runtime_lock: Path,
    index: str,
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    first = tmp_path / "one" / "pylock.build.toml"
    args = ["--index", index, "--from-source", ":all:", "--seed", "selfhost"]
    assert lock_build(runtime_lock, "-o", first, *args) == 0
    summary = capfd.readouterr().out
    assert "4 builds from source" in summary and "cycles: selfhost==1.0 (seeds: selfhost==1.0)" in summary
    lock = loads(first.read_text(), str(first))
    assert lock.runtime_lock == file_digest(runtime_lock)
    assert lock.seeds == ("selfhost==1.0",)
    assert lock.cycles == (CycleEntry(("selfhost==1.0",), ("selfhost==1.0",)),)
    envs = {b.package: (b.role, b.requires, b.environment) for b in lock.builds}
    assert envs == {
        "app==1.0": ("runtime", ("tinyback",), ("tinyback==1.0",)),
        "tinyback==1.0": ("build", (), ()),
        "uses-selfhost==1.0": ("runtime", ("selfhost",), ("selfhost==1.0",)),
        "selfhost==1.0": ("build", ("selfhost",), ("selfhost==1.0",)),
    }
    selfhost = lock.package("selfhost==1.0")
    assert [w.sha256 for w in selfhost.wheels] == [file_sha256(files["selfhost.whl"])]
    assert selfhost.sdist is not None and selfhost.sdist.sha256 == file_sha256(files["selfhost"])
    tinyback = lock.package("tinyback==1.0")
    assert tinyback.wheels == () and tinyback.sdist is not None, "built from source, not used as a wheel"
    # same inputs, another file store: the same bytes
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-cache"))
    second = tmp_path / "two" / "pylock.build.toml"
    assert lock_build(runtime_lock, "-o", second, *args, "-q") == 0
    assert second.read_bytes() == first.read_bytes()


def test_default_policy_uses_the_backends_wheels(
    runtime_lock: Path, index: str, files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "pylock.build.toml"
    assert lock_build(runtime_lock, "-o", out, "--index", index, "-q") == 0
    lock = loads(out.read_text())
    assert sorted(b.package for b in lock.builds) == ["app==1.0", "uses-selfhost==1.0"]
    assert lock.cycles == () and lock.from_source == FromSource().spec
    assert [w.sha256 for w in lock.package("selfhost==1.0").wheels] == [file_sha256(files["selfhost.whl"])]
    assert lock.package("tinyback==1.0").sdist is None


def test_check_passes_then_names_the_changed_runtime_lock(
    runtime_lock: Path, index: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_bytes(runtime_lock.read_bytes())
    out = tmp_path / "pylock.build.toml"
    args: list[str | Path] = ["-o", out, "--index", index, "-q"]
    assert lock_build(lock, *args) == 0
    written = out.read_bytes()
    capfd.readouterr()
    assert lock_build(lock, *args, "--check") == 0
    assert capfd.readouterr().out.strip() == f"{out}: up to date"
    lock.write_text(lock.read_text() + "# edited by hand\n")
    assert lock_build(lock, *args, "--check") == 1
    report = capfd.readouterr().out.splitlines()
    assert report[0] == f"{out}: stale; rerun `wheelhouse lock-build {lock} -o {out}`:"
    assert report[1].startswith("  the run-time lock changed (sha256:"), report
    assert len(report) == 2, report
    assert out.read_bytes() == written, "--check never writes"


def test_check_without_a_build_lock(
    runtime_lock: Path, index: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pylock.build.toml"
    assert lock_build(runtime_lock, "-o", out, "--index", index, "-q", "--check") == 1
    assert f"{out}: no build lock; run `wheelhouse lock-build" in error_line(capfd)


# --------------------------------------------------------------------------
# One-line errors
# --------------------------------------------------------------------------


def test_dynamic_requirements_that_try_the_network(
    index: str, files: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lock = hand_lock(tmp_path / "pylock.toml", index, {"netpkg": files["netpkg"]})
    assert lock_build(lock, "-o", tmp_path / "out.toml", "--index", index, "-q") == 1
    line = error_line(capfd)
    assert "asking netpkg==1.0 for its dynamic build requirements failed" in line, line
    assert "network" in line, line


def test_dynamic_cycle_is_spelled_out(
    index: str, files: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lock = hand_lock(tmp_path / "pylock.toml", index, {"cyc-a": files["cyc-a"]})
    assert lock_build(lock, "-o", tmp_path / "out.toml", "--index", index, "-q") == 1
    line = error_line(capfd)
    assert "cyc-a -> cyc-b -> cyc-a" in line and "--seed NAME (one of cyc-a, cyc-b)" in line, line


def test_seed_without_a_wheel_on_any_index(
    index: str, files: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lock = hand_lock(tmp_path / "pylock.toml", index, {"cyc-a": files["cyc-a"]})
    assert lock_build(lock, "-o", tmp_path / "out.toml", "--index", index, "--seed", "cyc-b", "-q") == 1
    line = error_line(capfd)
    assert "cyc-b==1.0: the seed has no wheel for Python" in line, line
    assert "give an index that has it" in line, line


def test_seed_that_is_not_built_from_source(
    index: str, files: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lock = hand_lock(tmp_path / "pylock.toml", index, {"cyc-a": files["cyc-a"]})
    assert lock_build(lock, "-o", tmp_path / "out.toml", "--index", index, "--seed", "nothere", "-q") == 1
    line = error_line(capfd)
    assert "--seed nothere: no package of that name is built from source here" in line, line


def test_tampered_file_on_the_index(
    files: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write_index(tmp_path / "index", [files["uses-selfhost"], files["selfhost.whl"]])
    tampered = root / "files" / files["uses-selfhost"].name
    with tarfile.open(fileobj=io.BytesIO(tampered.read_bytes())) as tar:
        assert tar.getnames()  # a real sdist before it is replaced
    tampered.write_bytes(tampered.read_bytes() + b"\0")
    with serve_directory(root) as url:
        lock = hand_lock(tmp_path / "pylock.toml", f"{url}/simple", {"uses-selfhost": files["uses-selfhost"]})
        assert lock_build(lock, "-o", tmp_path / "out.toml", "--index", f"{url}/simple", "-q") == 1
    line = error_line(capfd)
    pinned, got = file_sha256(files["uses-selfhost"]), file_sha256(tampered)
    assert f"{tampered.name} (uses-selfhost==1.0) from {url}/files/{tampered.name}" in line, line
    assert f"has sha256 {got} but the lock pins {pinned}" in line, line


# --------------------------------------------------------------------------
# fetch: files by name and sha256
# --------------------------------------------------------------------------


def test_fetch_from_find_links_then_from_the_store(files: dict[str, Path], tmp_path: Path) -> None:
    wheel = files["selfhost.whl"]
    sha = file_sha256(wheel)
    got = fetch(wheel.name, sha, "", Sources(find_links=(wheel.parent,)), tmp_path / "store")
    assert got == tmp_path / "store" / "files" / sha / wheel.name and got.read_bytes() == wheel.read_bytes()
    assert fetch(wheel.name, sha, "", Sources(), tmp_path / "store") == got, "the store is used first"
    got.write_bytes(b"damaged")
    assert fetch(wheel.name, sha, "", Sources(find_links=(wheel.parent,)), tmp_path / "store") == got
    assert file_sha256(got) == sha, "a damaged stored file is fetched again"


def test_fetch_from_an_index_page(files: dict[str, Path], index: str, tmp_path: Path) -> None:
    sdist = files["cyc-b"]
    got = fetch(sdist.name, file_sha256(sdist), "", Sources(indexes=(index,)), tmp_path / "store")
    assert got.read_bytes() == sdist.read_bytes()


def test_fetch_hash_mismatch_in_find_links(files: dict[str, Path], tmp_path: Path) -> None:
    wheel = files["selfhost.whl"]
    with pytest.raises(HashMismatch) as exc:
        fetch(
            wheel.name, "0" * 64, "", Sources(find_links=(wheel.parent,)), tmp_path / "store", package="x==1"
        )
    message = str(exc.value)
    assert "\n" not in message
    assert f"{wheel.name} (x==1) from {wheel.resolve().as_uri()} has sha256 {file_sha256(wheel)}" in message
    assert f"the lock pins {'0' * 64}" in message
    assert not list((tmp_path / "store").rglob("*.whl")), "nothing is stored"


def test_fetch_nowhere_lists_what_was_tried(index: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError) as exc:
        fetch(
            "gone-1.0.tar.gz",
            "1" * 64,
            "",
            Sources(indexes=(index,)),
            tmp_path / "store",
            package="gone==1.0",
        )
    message = str(exc.value)
    assert "\n" not in message
    assert f"cannot fetch gone-1.0.tar.gz (gone==1.0), sha256 {'1' * 64}" in message
    assert f"{index}/gone/ (no index page)" in message
    assert "--index URL or --find-links DIR" in message


@pytest.mark.parametrize("name", ["", ".", "..", "a/b.whl"])
def test_fetch_refuses_a_path_for_a_file_name(name: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="is not a file name; fix the lock"):
        fetch(name, "0" * 64, "", Sources(), tmp_path / "store")


def test_self_requiring_backend_reaches_a_fixpoint(files: dict[str, Path], tmp_path: Path) -> None:
    """What the lock's cycle means: built with the seed, then with itself, the same bytes."""

    def build(sdist: Path, wheel: Path, out: str) -> Path:
        req = BuildRequest(sdist, find_links=(), wheels=(wheel,), python=Path(sys.executable), verbosity=0)
        return build_wheel(req, tmp_path / out, progress=quiet()).wheel

    stage1 = build(files["selfhost"], files["selfhost.whl"], "stage1")
    stage2 = build(files["selfhost"], stage1, "stage2")
    assert stage2.read_bytes() == stage1.read_bytes()
    assert stage1.read_bytes() != files["selfhost.whl"].read_bytes(), "the seed's bytes are washed out"
    with zipfile.ZipFile(build(files["uses-selfhost"], stage2, "app")) as zf:
        assert "uses_selfhost/__init__.py" in zf.namelist()


# --------------------------------------------------------------------------
# The from-source policy
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "name", "has_wheel", "wanted"),
    [
        (":none:", "a", True, False),
        (":none:", "a", False, True),
        (":all:", "a", True, True),
        ("Foo_Bar,baz", "foo-bar", True, True),
        ("Foo_Bar,baz", "qux", True, False),
        ("Foo_Bar,baz", "qux", False, True),
    ],
)
def test_from_source_policy(spec: str, name: str, has_wheel: bool, wanted: bool) -> None:
    assert FromSource(spec).wants(name, has_wheel) is wanted
