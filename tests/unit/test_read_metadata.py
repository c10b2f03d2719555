"""rules/private/tools/read_metadata.py: Requires-Dist for the hub's dependency graph.

The stdlib-only requirement parser is checked against
``packaging.requirements.Requirement`` on generated PEP 508 strings, and the
reader on real wheels, an sdist and corrupt files.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TOOL = Path(__file__).resolve().parents[2] / "rules" / "private" / "tools" / "read_metadata.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("read_metadata", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


READER = _load()

names = st.sampled_from(
    ["requests", "Foo_Bar", "zope.interface", "a", "typing-extensions", "X2", "ruamel.yaml.clib"]
)
extras = st.lists(st.sampled_from(["socks", "Dev_Tools", "test", "a.b"]), max_size=3, unique=True)
specs = st.sampled_from(["", ">=1.0", ">=1.0,<2", " == 1.*", "~=2.2", "(>=3)", "!=1.5, >1", "===weird"])
markers = st.sampled_from(
    [
        "",
        'python_version < "3.11"',
        "extra == 'socks'",
        'sys_platform == "win32" and (extra == "test" or extra == "Dev_Tools")',
        "platform_machine=='x86_64'",
    ]
)
spaces = st.sampled_from(["", " ", "  "])


@settings(max_examples=3000, deadline=None)
@given(names, extras, specs, markers, spaces, spaces, st.booleans())
def test_parse_requirement_matches_packaging(
    name: str, extra: list[str], spec: str, marker: str, sp1: str, sp2: str, url: bool
) -> None:
    text = name + sp1
    if extra:
        text += "[" + f",{sp2}".join(extra) + "]"
    text += f"{sp1}@ https://example.invalid/p;x/{name}-1.0.tar.gz{' ' if marker else ''}" if url else spec
    if marker:
        text += f"{sp2}; {marker}" if not url else f"; {marker}"
    theirs = Requirement(text)
    got_name, got_extras, got_marker = READER.parse_requirement(text)
    assert got_name == canonicalize_name(theirs.name)
    assert sorted(got_extras) == sorted(canonicalize_name(e) for e in theirs.extras)
    if theirs.marker is None:
        assert got_marker == ""
    else:
        assert str(Marker(got_marker)) == str(theirs.marker)


def _wheel(path: Path, metadata: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo/__init__.py", "")
        archive.writestr("demo-1.0.dist-info/METADATA", metadata)
    return path


def run(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), *map(str, files)], capture_output=True, text=True, check=False
    )


def test_wheel_and_sdist_metadata(tmp_path: Path) -> None:
    metadata = (
        "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n"
        "Requires-Dist: Foo_Bar[Socks] (>=1.0); extra == 'x'\n"
        "Requires-Dist: requests\nProvides-Extra: x\n\nlong description\nRequires-Dist: not-a-header\n"
    )
    wheel = _wheel(tmp_path / "demo-1.0-py3-none-any.whl", metadata)
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        data = metadata.encode()
        info = tarfile.TarInfo("demo-1.0/PKG-INFO")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    proc = run(wheel, sdist)
    assert proc.returncode == 0, proc.stderr
    expected = [["foo-bar", ["socks"], "extra == 'x'"], ["requests", [], ""]]
    assert json.loads(proc.stdout) == {str(wheel): expected, str(sdist): expected}


def test_real_wheel(inputs: object) -> None:
    wheels = inputs.wheels  # type: ignore[attr-defined]
    (hatchling,) = Path(wheels).glob("hatchling-*.whl")
    proc = run(hatchling)
    assert proc.returncode == 0, proc.stderr
    names = {r[0] for r in json.loads(proc.stdout)[str(hatchling)]}
    assert {"packaging", "pathspec", "pluggy", "trove-classifiers"} <= names


def test_corrupt_file_is_one_line_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "demo-1.0-py3-none-any.whl"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    proc = run(bad)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"wheelhouse: {bad}: cannot read its metadata") and "corrupt" in proc.stderr
    two = _wheel(tmp_path / "two-1.0-py3-none-any.whl", "Name: two\n")
    with zipfile.ZipFile(two, "a") as archive:
        archive.writestr("other-1.0.dist-info/METADATA", "Name: other\n")
    proc = run(two)
    assert proc.returncode == 1 and "expected one *.dist-info/METADATA, found 2" in proc.stderr
