"""pylock.toml -> Bazel (the `wheelhouse.lock` hub) on a real Bazel 7.7.1, end to end.

The test serves real files from a PEP 503 index on loopback, locks 18 packages
with uv against it (so no index host is ever written down), and builds
``@pypi//...`` in a copy of ``tests/e2e_lock``: pure wheels fetched by sha256,
pyyaml and markupsafe built from their sdists, msgpack's x86_64 wheel chosen
from four platforms' (the others never fetched), colorama excluded by its
marker, a py_test that imports everything through the hub's edges, and a
wheel_repro_test of the hub's markupsafe build.
Then the failures: a tampered file, broken locks, a bad override, a package
without build requirements.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e import BAZEL, Bazel, _fresh, make_copy

from inputs import REPO, fetch_lock_e2e
from servers import serve_directory, write_index

pytestmark = pytest.mark.bazel

TEMPLATE = REPO / "tests" / "e2e_lock"
WORK = REPO / ".cache" / "e2e-lock"
REQUIREMENTS = "requests\npytest\nattrs\nsix\nmsgpack\npyyaml\nmarkupsafe\nsetuptools\ncython\n"
FOREIGN = re.compile(r"msgpack-.*-(win_amd64|macosx_[0-9_]+_arm64|manylinux2014_aarch64.*)\.whl$")


def uv() -> str:
    return shutil.which("uv") or str(Path(sys.executable).parent / "uv")


def lock_with_uv(directory: Path, index_url: str, requirements: str | None = REQUIREMENTS) -> Path:
    """``uv pip compile`` requirements.in against the loopback index into pylock.toml.

    ``requirements`` is written to requirements.in first, unless it is None
    (the directory has its own). ``index_url`` is the base of ``/simple``.
    """
    if requirements is not None:
        (directory / "requirements.in").write_text(requirements)
    subprocess.run(
        [uv(), "pip", "compile", "-q", "requirements.in", "--universal", "--python-version", "3.14",
         "--no-python-downloads", "--no-cache", "--index-url", f"{index_url}/simple",
         "-o", "pylock.toml"],
        cwd=directory, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return directory / "pylock.toml"


def make_workspace(dest: Path, index_url: str, lock: Path | None = None) -> Path:
    """Copy tests/e2e_lock to ``dest`` (see ``make_copy``) and lock it, or use ``lock``."""
    make_copy(dest, index_url, TEMPLATE)
    if lock is None:
        lock_with_uv(dest, index_url)
    else:
        shutil.copyfile(lock, dest / "pylock.toml")
    return dest


@pytest.fixture(scope="module")
def index() -> Iterator[tuple[str, list[str], Path]]:
    """The loopback index: (base URL, the paths requested so far, its root)."""
    WORK.mkdir(parents=True, exist_ok=True)
    root = WORK / "index"
    if root.exists():
        shutil.rmtree(root)
    write_index(root, fetch_lock_e2e())
    requests: list[str] = []
    with serve_directory(root, requests=requests) as url:
        yield url, requests, root


def _expect_failure(bazel: Bazel, target: str, *messages: str, flags: list[str] | None = None) -> str:
    proc = subprocess.run(
        [str(BAZEL), "build", "--nobuild", *(flags or []), target],
        cwd=bazel.workspace, env=bazel.env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode != 0, f"{target} built, but should have failed"
    for message in messages:
        assert message in proc.stderr, f"{message!r} not in:\n{proc.stderr[-4000:]}"
    refusals = [ln.strip() for ln in proc.stderr.splitlines() if "Error in fail: wheelhouse" in ln]
    print(f"{target}:", *refusals[:1])
    return proc.stderr


def test_lock_hub_builds_and_imports(index: tuple[str, list[str], Path]) -> None:
    url, requests, _ = index
    workspace = make_workspace(WORK / "ws", url)
    lock_text = (workspace / "pylock.toml").read_text()
    assert lock_text.count("[[packages]]") == 18
    assert sum(1 for name in re.findall(r"msgpack-[^\"]+\.whl", lock_text)) == 4
    bazel = Bazel(workspace, _fresh(WORK / "out"), "UTC", "erin", 0o022)
    try:
        requests.clear()
        bazel.run("build", "@pypi//...")
        bazel.run("test", "//...", "--test_output=errors")
        # The hub's sdist build of markupsafe, rebuilt under perturbation, is byte for byte the same.
        testlogs = Path(bazel.run("info", "bazel-testlogs")[0].stdout.strip())
        repro = (testlogs / "markupsafe_repro_test" / "test.log").read_text()
        assert "identical markupsafe-3.0.4+wh1-cp314-cp314-linux_x86_64.whl" in repro, repro[-2000:]
        # Only the host's msgpack wheel was downloaded; the other platforms' never.
        fetched = [Path(p).name for p in requests if p.startswith("/files/")]
        assert any(name.startswith("msgpack-") and "x86_64" in name for name in fetched), fetched
        assert not [name for name in fetched if FOREIGN.search(name)], fetched
        # pyyaml and markupsafe were built from their sdists by WheelhouseBuild actions.
        out = Path(bazel.run("info", "output_base")[0].stdout.strip())
        built = sorted(
            p.name
            for p in out.glob("execroot/_main/bazel-out/*/bin/external/*pypi__graph/*/*_wheel.wheel/*.whl")
        )
        assert [n.split("-")[0] for n in built] == ["markupsafe", "pyyaml"], built
        assert "+wh1" in built[0], built  # markupsafe's local_version override
        # The same lock on another target platform, chosen by select() at analysis time.
        aarch64 = bazel.run(
            "cquery", "--platforms=//:linux_aarch64", "@pypi//msgpack/wheel", "--output=files"
        )[0]
        assert re.search(
            r"msgpack-1\.2\.4-cp314-cp314-manylinux2014_aarch64\.[^/]*\.whl$", aarch64.stdout.strip()
        ), aarch64.stdout
        _expect_failure(
            bazel,
            "@pypi//pyyaml",
            "its sdist pyyaml-6.0.3.tar.gz would have to be built for cp314_linux_aarch64",
            flags=["--platforms=//:linux_aarch64"],
        )
        _expect_failure(
            bazel,
            "@pypi//six",
            "no target of @@//:pylock.toml matches this configuration",
            flags=["--@rules_wheelhouse//rules:python_version=3.9"],
        )
    finally:
        bazel.shutdown()


def test_tampered_file_is_refused(index: tuple[str, list[str], Path], tmp_path: Path) -> None:
    url, _, root = index
    lock = lock_with_uv(tmp_path, url)
    tampered = WORK / "tampered-index"
    if tampered.exists():
        shutil.rmtree(tampered)
    shutil.copytree(root, tampered)
    (victim,) = (tampered / "files").glob("six-*.whl")
    good = hashlib.sha256(victim.read_bytes()).hexdigest()
    victim.write_bytes(victim.read_bytes() + b"\0tampered")
    bad = hashlib.sha256(victim.read_bytes()).hexdigest()
    with serve_directory(tampered) as evil:
        text = lock.read_text().replace(url, evil)
        (tmp_path / "pylock.toml").write_text(text)
        workspace = make_workspace(WORK / "ws-tampered", evil, tmp_path / "pylock.toml")
        bazel = Bazel(workspace, _fresh(WORK / "out-tampered"), "UTC", "erin", 0o022)
        try:
            _expect_failure(bazel, "@pypi//six/wheel", victim.name, f"{evil}/files/{victim.name}", bad, good)
        finally:
            bazel.shutdown()


def test_mirror_serves_files_when_lock_urls_are_gone(
    index: tuple[str, list[str], Path], tmp_path: Path
) -> None:
    url, requests, _ = index
    lock = lock_with_uv(tmp_path, url)
    (tmp_path / "pylock.toml").write_text(lock.read_text().replace(f"{url}/files/", f"{url}/gone/"))
    workspace = make_workspace(WORK / "ws-mirror", url, tmp_path / "pylock.toml")
    module = (workspace / "MODULE.bazel").read_text()
    index_line = f'wheelhouse.index(url = "{url}/simple")'
    assert index_line in module
    (workspace / "MODULE.bazel").write_text(
        module.replace(index_line, f'wheelhouse.mirror(url = "{url}/files")')
    )
    bazel = Bazel(workspace, _fresh(WORK / "out-mirror"), "UTC", "erin", 0o022)
    try:
        requests.clear()
        bazel.run("build", "@pypi//six/wheel", "@pypi//msgpack/wheel")
        assert any(p.startswith("/files/six-1.17.0-") for p in requests), requests
        assert not [p for p in requests if p.startswith("/simple/")], "no index is configured"
    finally:
        bazel.shutdown()


BROKEN_LOCKS = {
    "not TOML": ('lock-version = "1.0"\n[[packages]\nname = "six"\n', ["pylock.toml: not valid TOML"]),
    "no hashes": (
        'lock-version = "1.0"\n\n[[packages]]\nname = "six"\nversion = "1.0"\n'
        'wheels = [{ url = "http://127.0.0.1:1/six-1.0-py3-none-any.whl", hashes = {} }]\n',
        ["line 3 (package six): wheel six-1.0-py3-none-any.whl has no hashes"],
    ),
}


def test_broken_inputs_fail_with_the_fix(index: tuple[str, list[str], Path], tmp_path: Path) -> None:
    url, _, _ = index
    workspace = make_workspace(WORK / "ws-errors", url)
    good_lock = (workspace / "pylock.toml").read_text()
    module = (workspace / "MODULE.bazel").read_text()
    bazel = Bazel(workspace, _fresh(WORK / "out-errors"), "UTC", "erin", 0o022)
    try:
        for lock_text, messages in BROKEN_LOCKS.values():
            (workspace / "pylock.toml").write_text(lock_text)
            _expect_failure(bazel, "@pypi//six", *messages)
        (workspace / "pylock.toml").write_text(good_lock)
        # An override for a package the lock does not have.
        (workspace / "MODULE.bazel").write_text(
            module.replace(
                'use_repo(wheelhouse, "pypi")',
                'wheelhouse.package(name = "pyyam")\nuse_repo(wheelhouse, "pypi")',
            )
        )
        _expect_failure(
            bazel,
            "@pypi//six",
            'wheelhouse.package(name = "pyyam")',
            'has no package "pyyam"',
            "(similar: pyyaml)",
        )
        # A build requirement the lock does not have.
        (workspace / "MODULE.bazel").write_text(module.replace('"cython",', '"cythn",'))
        _expect_failure(bazel, "@pypi//six", 'build requirement "cythn" is not in @@//:pylock.toml')
        # A package that needs itself to build: a cycle only a prebuilt seed can break.
        (workspace / "MODULE.bazel").write_text(
            module.replace('build_requires = ["setuptools"]', 'build_requires = ["setuptools", "markupsafe"]')
        )
        _expect_failure(
            bazel, "@pypi//markupsafe", "markupsafe 3.0.4 (markupsafe-3.0.4.tar.gz) needs itself to build"
        )
        # An sdist without build requirements: an analysis-time error naming the package and the fix.
        no_requires = module.replace('    build_requires = ["setuptools"],\n', "")
        assert no_requires != module
        (workspace / "MODULE.bazel").write_text(no_requires)
        _expect_failure(
            bazel,
            "@pypi//markupsafe",
            "markupsafe 3.0.4 (markupsafe-3.0.4.tar.gz) is built from its sdist",
            'wheelhouse.package(name = "markupsafe", build_requires = [...])',
        )
    finally:
        bazel.shutdown()
