"""``scripts/dist.py``: the release archive is reproducible and holds only the module.

Runs on this checkout (what ``make dist`` ships) and on tiny git repositories made
in ``tmp_path`` (untracked files, modes, warnings, errors). No Bazel, no network.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wheelhouse_dist", REPO / "scripts" / "dist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


dist = _load_dist()

#: The commit time of the repositories made here (2024-01-02T03:04:05Z).
COMMIT_TIME = 1704164645


def members(archive: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(archive) as tar:
        return {info.name: info for info in tar.getmembers()}


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": f"@{COMMIT_TIME} +0000",
        "GIT_COMMITTER_DATE": f"@{COMMIT_TIME} +0000",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def tiny_repo(tmp_path: Path) -> Path:
    """A git repository shaped like this one, committed at ``COMMIT_TIME``."""
    repo = tmp_path / "repo"
    write(
        repo,
        {
            "MODULE.bazel": '# module(version = "9.9")\nmodule(\n    name = "rules_wheelhouse",\n'
            '    version = "1.2.3",  # the release\n)\n',
            "BUILD.bazel": "",
            "rules/defs.bzl": "x = 1\n",
            "rules/private/tool.sh": "#!/bin/sh\n",
            "toolchains/BUILD.bazel": "",
            "python/BUILD.bazel": "",
            "python/wheelhouse/__init__.py": "",
            "python/wheelhouse/__pycache__/__init__.cpython-311.pyc": "junk",
            "python/other/x.py": "",
            "third_party/bazel_stubs/zlib/MODULE.bazel": 'module(name = "zlib")\n',
            "tests/unit/test_x.py": "",
            "scripts/bazel": "#!/bin/sh\n",
            "README.md": "# hi\n",
        },
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "add", "-f", "python/wheelhouse/__pycache__/__init__.cpython-311.pyc")
    git(repo, "update-index", "--chmod=+x", "rules/private/tool.sh")
    git(repo, "commit", "-q", "-m", "init")
    write(repo, {"rules/untracked.bzl": "", "python/wheelhouse/new.py": ""})
    return repo


def test_this_checkout_twice_identical(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    assert dist.main(["--out-dir", str(tmp_path / "a")], environ) == 0
    assert dist.main(["--out-dir", str(tmp_path / "b")], environ) == 0
    (first,) = (tmp_path / "a").glob("*.tar.gz")
    (second,) = (tmp_path / "b").glob("*.tar.gz")
    assert first.name == second.name
    assert first.read_bytes() == second.read_bytes()

    version = dist.module_version(REPO / "MODULE.bazel")
    top = f"rules_wheelhouse-{version}"
    assert first.name == f"{top}.tar.gz"
    infos = members(first)
    for rel in (
        "MODULE.bazel",
        "BUILD.bazel",
        "rules/defs.bzl",
        "python/wheelhouse/__init__.py",
        "third_party/bazel_stubs/protobuf/MODULE.bazel",
    ):
        assert f"{top}/{rel}" in infos, rel
    head_time = int(subprocess.check_output(["git", "-C", str(REPO), "log", "-1", "--format=%ct"]))
    for name, info in infos.items():
        assert name == top or name.startswith(top + "/"), name
        parts = name.split("/")
        assert parts[1:2] != ["tests"], name
        assert not {".git", "__pycache__", ".venv"} & set(parts), name
        assert not name.endswith(".pyc"), name
        assert info.mode in (0o644, 0o755), (name, oct(info.mode))
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "", ""), name
        assert info.isdir() or info.isfile(), name
        assert info.mtime == head_time, name
    assert list(infos) == sorted(infos)

    sha = hashlib.sha256(first.read_bytes()).hexdigest()
    assert (tmp_path / "a" / f"{first.name}.sha256").read_text() == f"{sha}  {first.name}\n"


def test_this_checkout_ships_every_package(tmp_path: Path) -> None:
    """Every tracked Bazel package is either shipped or deliberately not (NOT_SHIPPED)."""
    assert dist.unshipped_packages(REPO) == []


def test_tiny_repo(tiny_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(out)], {}) == 0
    archive = out / "rules_wheelhouse-1.2.3.tar.gz"
    infos = members(archive)
    top = "rules_wheelhouse-1.2.3"
    assert sorted(infos) == [
        top,
        f"{top}/BUILD.bazel",
        f"{top}/MODULE.bazel",
        f"{top}/README.md",
        f"{top}/python",
        f"{top}/python/BUILD.bazel",
        f"{top}/python/wheelhouse",
        f"{top}/python/wheelhouse/__init__.py",
        f"{top}/rules",
        f"{top}/rules/defs.bzl",
        f"{top}/rules/private",
        f"{top}/rules/private/tool.sh",
        f"{top}/third_party",
        f"{top}/third_party/bazel_stubs",
        f"{top}/third_party/bazel_stubs/zlib",
        f"{top}/third_party/bazel_stubs/zlib/MODULE.bazel",
        f"{top}/toolchains",
        f"{top}/toolchains/BUILD.bazel",
    ]
    assert infos[f"{top}/rules/private/tool.sh"].mode == 0o755
    assert infos[f"{top}/rules/defs.bzl"].mode == 0o644
    assert infos[top].isdir() and infos[top].mode == 0o755
    assert {info.mtime for info in infos.values()} == {COMMIT_TIME}
    with tarfile.open(archive) as tar:
        extracted = tar.extractfile(f"{top}/rules/defs.bzl")
        assert extracted is not None and extracted.read() == b"x = 1\n"

    data = archive.read_bytes()
    assert data[:3] == b"\x1f\x8b\x08"
    assert data[3] == 0, "no FNAME (or any other) gzip header field"
    assert data[4:8] == b"\0\0\0\0", "gzip mtime 0"
    with gzip.open(archive) as gz, tarfile.open(fileobj=gz) as tar:
        assert tar.pax_headers == {}

    sha = hashlib.sha256(data).hexdigest()
    integrity = "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    printed = capsys.readouterr().out
    assert sha in printed and integrity in printed
    assert f'urls = ["{archive.resolve().as_uri()}"]' in printed
    assert f'strip_prefix = "{top}"' in printed
    assert f'integrity = "{integrity}"' in printed
    assert not list(out.glob(".*tmp*")), "no temporary file left"


def test_tiny_repo_source_date_epoch_and_rewrite(tiny_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(out)], {"SOURCE_DATE_EPOCH": "1000"}) == 0
    archive = out / "rules_wheelhouse-1.2.3.tar.gz"
    first = archive.read_bytes()
    assert {info.mtime for info in members(archive).values()} == {1000}
    # A second run replaces the file in place, byte for byte the same.
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(out)], {"SOURCE_DATE_EPOCH": "1000"}) == 0
    assert archive.read_bytes() == first
    assert sorted(p.name for p in out.iterdir()) == [archive.name, f"{archive.name}.sha256"]


def test_tiny_repo_warnings(tiny_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tiny_repo, {"rules/defs.bzl": "x = 2\n", "extra/BUILD.bazel": ""})
    git(tiny_repo, "add", "extra/BUILD.bazel")
    (tiny_repo / "README.md").unlink()
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(tmp_path / "o")], {}) == 0
    err = capsys.readouterr().err
    assert "differ from HEAD" in err and "rules/defs.bzl" in err
    assert "not in the archive: extra" in err
    assert "left out: README.md" in err
    infos = members(tmp_path / "o" / "rules_wheelhouse-1.2.3.tar.gz")
    assert "rules_wheelhouse-1.2.3/README.md" not in infos
    assert not any("extra" in name for name in infos)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ('module(name = "rules_wheelhouse")\n', "no module(version"),
        ('# module(version = "1")\n', "no module(version"),
        ('module(name = "x", version = "../1")\n', "cannot name an archive"),
    ],
)
def test_bad_version(
    tiny_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], module: str, message: str
) -> None:
    (tiny_repo / "MODULE.bazel").write_text(module)
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(tmp_path / "o")], {}) == 1
    err = capsys.readouterr().err
    assert err.startswith("dist: error: ") and message in err
    assert not (tmp_path / "o").exists()


def test_bad_source_date_epoch(tiny_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(tmp_path)], {"SOURCE_DATE_EPOCH": "x"}) == 1
    assert "SOURCE_DATE_EPOCH" in capsys.readouterr().err


def test_symlink_refused(tiny_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny_repo / "rules" / "link.bzl").symlink_to("defs.bzl")
    git(tiny_repo, "add", "rules/link.bzl")
    assert dist.main(["--repo", str(tiny_repo), "--out-dir", str(tmp_path / "o")], {}) == 1
    assert "rules/link.bzl is a symbolic link" in capsys.readouterr().err


def test_bcr_templates_match_the_archive() -> None:
    """``.bcr/*.json`` parse, and the source template names what ``make dist`` writes."""
    bcr = REPO / ".bcr"
    metadata = json.loads((bcr / "metadata.template.json").read_text())
    assert metadata["repository"] == ["github:OWNER/rules_wheelhouse"]
    assert metadata["versions"] == [] and metadata["yanked_versions"] == {}
    source = json.loads((bcr / "source.template.json").read_text())
    version = dist.module_version(REPO / "MODULE.bazel")
    fill = {"{OWNER}": "o", "{REPO}": "rules_wheelhouse", "{TAG}": f"v{version}", "{VERSION}": version}
    url, prefix = source["url"], source["strip_prefix"]
    for key, value in fill.items():
        url, prefix = url.replace(key, value), prefix.replace(key, value)
    assert url.endswith(f"/releases/download/v{version}/rules_wheelhouse-{version}.tar.gz")
    assert prefix == f"rules_wheelhouse-{version}"
    presubmit = (bcr / "presubmit.yml").read_text()
    module_path = re.search(r'module_path:\s*"([^"]+)"', presubmit)
    assert module_path is not None
    assert module_path.group(1).split("/")[0] in dist.INCLUDE, "the BCR test module must be in the archive"
