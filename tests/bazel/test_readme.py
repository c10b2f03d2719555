"""A new user's workspace, outside this repository, written only from README.md.

The test takes the README's snippets as they are (the module from a release
archive made by ``scripts/dist.py``, the offline stubs, the first workspace and
the pylock hub), fills in only what the README leaves to the reader (the
archive's URL and integrity, where the stubs were unpacked, the index URL),
and builds and tests the result with ``scripts/bazel`` in a directory outside
the repository, with no ``WHEELHOUSE_BAZEL_BINDS``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e import Bazel, _fresh
from test_lock_e2e import lock_with_uv

from inputs import REPO, fetch_e2e, fetch_lock_e2e
from readme import snippets
from servers import serve_directory, write_index

pytestmark = pytest.mark.bazel

PLACEHOLDER = "https://your.index.example"
OUTSIDE = Path.home() / ".cache" / "rules_wheelhouse" / "readme-workspaces"


@pytest.fixture(scope="module")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    files = {f.name: f for f in [*fetch_e2e(), *fetch_lock_e2e()]}
    root = write_index(tmp_path_factory.mktemp("index"), sorted(files.values()))
    with serve_directory(root) as url:
        yield url


@pytest.fixture(scope="module")
def outside() -> Iterator[Path]:
    """A directory outside the repository (and outside /tmp, which actions see privately)."""
    path = OUTSIDE / uuid.uuid4().hex[:12]
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def release(outside: Path) -> tuple[Path, str, Path]:
    """``make dist`` into ``outside``: (archive, integrity, where it was unpacked)."""
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dist.py"), "--out-dir", str(outside / "dist")],
        check=True, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    integrity = re.search(r"sha256-[A-Za-z0-9+/=]+", out)
    assert integrity, out
    (archive,) = (outside / "dist").glob("rules_wheelhouse-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(outside / "unpacked", filter="data")
    (unpacked,) = (outside / "unpacked").iterdir()
    return archive, integrity[0], unpacked


def module_file(name: str, body: str, release: tuple[Path, str, Path], index_url: str) -> str:
    """MODULE.bazel as the README says to write it: the module, its overrides, then ``body``."""
    archive, integrity, unpacked = release
    got = snippets()
    module = got["module-archive"]
    module = re.sub(r"urls = \[[^\]]*\]", f'urls = ["file://{archive}"]', module)
    module = re.sub(r'integrity = "sha256-[^"]*"', f'integrity = "{integrity}"', module)
    stubs = got["module-stubs"].replace("/path/to/rules_wheelhouse", str(unpacked))
    text = f'module(name = "{name}")\n\n{module}\n{stubs}\n{body}'
    assert "OWNER" not in text and "/path/to/" not in text, "a placeholder the test did not fill"
    return text.replace(PLACEHOLDER, index_url)


def workspace(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_first_workspace_from_the_readme(
    outside: Path, release: tuple[Path, str, Path], index_url: str
) -> None:
    got = snippets()
    ws = workspace(
        outside / "first",
        {
            "MODULE.bazel": module_file(
                "readme_first", got["examples/hand_written/MODULE.bazel"], release, index_url
            ),
            "BUILD.bazel": got["examples/hand_written/BUILD.bazel"],
            "uses_yaml.py": got["examples/hand_written/uses_yaml.py"],
            ".bazelrc": got["examples/hand_written/.bazelrc"],
        },
    )
    bazel = Bazel(ws, _fresh(outside / "out-first"), "UTC", "heidi", 0o022)
    try:
        bazel.run("test", "//...", "--test_output=errors")
        testlogs = Path(bazel.run("info", "bazel-testlogs")[0].stdout.strip())
        assert "with libyaml" in (testlogs / "uses_yaml" / "test.log").read_text()
    finally:
        bazel.shutdown()


def test_pylock_hub_from_the_readme(outside: Path, release: tuple[Path, str, Path], index_url: str) -> None:
    got = snippets()
    ws = workspace(
        outside / "hub",
        {
            "MODULE.bazel": module_file(
                "readme_hub", got["examples/pylock/MODULE.bazel"], release, index_url
            ),
            "BUILD.bazel": got["examples/pylock/BUILD.bazel"],
            "main.py": got["examples/pylock/main.py"],
            "requirements.in": got["examples/pylock/requirements.in"],
            ".bazelrc": got["examples/hand_written/.bazelrc"],
        },
    )
    lock_with_uv(ws, index_url, requirements=None)
    bazel = Bazel(ws, _fresh(outside / "out-hub"), "UTC", "ivan", 0o022)
    try:
        out = bazel.run("run", "//:main")[0].stdout
        assert re.search(r"^requests: ", out, re.M), out
        bazel.run("test", "//...", "--test_output=errors")
    finally:
        bazel.shutdown()
