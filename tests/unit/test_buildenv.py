"""Tests of wheelhouse.sandboxed.buildenv: resolving build requirements against local wheels only."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from wheelhouse.errors import BadArchive, MissingBuildRequirement, UsageError, WheelhouseError
from wheelhouse.sandboxed.buildenv import (
    Interpreter,
    WheelCandidate,
    create_venv,
    describe_interpreter,
    install_wheels,
    resolve,
    scan_find_links,
)

SDIST = "demo-1.0.tar.gz"


@pytest.fixture(scope="module")
def interp() -> Interpreter:
    return describe_interpreter(Path(sys.executable))


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    extras: Sequence[str] = (),
    tag: str = "py3-none-any",
    build: str | None = None,
    files: dict[str, bytes] | None = None,
    corrupt_record: bool = False,
) -> Path:
    """Write a small but valid wheel (with a correct RECORD unless ``corrupt_record``)."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    dist_info = f"{dist}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python is not None:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Provides-Extra: {e}" for e in extras]
    meta += [f"Requires-Dist: {r}" for r in requires]
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
    contents = dict(files or {f"{dist}/__init__.py": f"VERSION = {version!r}\n".encode()})
    contents[f"{dist_info}/METADATA"] = ("\n".join(meta) + "\n\n").encode()
    contents[f"{dist_info}/WHEEL"] = wheel_meta.encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for member, data in contents.items():
        digest = hashlib.sha256(data + (b"tampered" if corrupt_record else b"")).digest()
        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        writer.writerow([member, f"sha256={b64}", len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    contents[f"{dist_info}/RECORD"] = out.getvalue().encode()
    stem = "-".join([dist, version, *([build] if build else []), tag])
    path = directory / f"{stem}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in contents.items():
            zf.writestr(member, data)
    return path


def resolved(requirements: Sequence[str], dirs: Sequence[Path], interp: Interpreter) -> dict[str, str]:
    """``{name: version}`` of the resolution, or raise."""
    chosen = resolve(requirements, scan_find_links(dirs), interp, sdist=SDIST, dirs=dirs)
    return {str(c.name): str(c.version) for c in chosen}


def resolved_files(requirements: Sequence[str], dirs: Sequence[Path], interp: Interpreter) -> list[str]:
    chosen = resolve(requirements, scan_find_links(dirs), interp, sdist=SDIST, dirs=dirs)
    return [c.path.name for c in chosen]


# ------------------------------------------------------------------ interpreter


def test_describe_interpreter(interp: Interpreter) -> None:
    assert interp.executable == Path(sys.executable)
    assert interp.implementation == sys.implementation.name
    assert interp.version == ".".join(map(str, sys.version_info[:3]))
    assert interp.markers["python_version"] == f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert "py3-none-any" in interp.tags
    assert interp.key.startswith(f"{interp.implementation}-{interp.version}-")
    rank = interp.tag_rank()
    assert len(rank) == len(interp.tags)
    assert min(rank.values()) == 0


def test_describe_interpreter_that_does_not_run(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        describe_interpreter(tmp_path / "no-python")
    assert "no-python" in str(info.value)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ scan_find_links


def test_scan_find_links(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    make_wheel(one, "foo", "1.0")
    make_wheel(two, "Foo_Bar", "2.0", build="3")
    (one / "not-a-wheel.whl").write_bytes(b"")  # invalid file name: ignored
    (one / "README.txt").write_text("x")
    (one / "sub").mkdir()
    make_wheel(one / "sub", "nested", "1.0")  # only files directly inside
    found = scan_find_links([one, two])
    assert [(c.name, str(c.version), c.build) for c in found] == [
        ("foo", "1.0", ()),
        ("foo-bar", "2.0", (3, "")),
    ]
    assert all(isinstance(c, WheelCandidate) for c in found)
    assert {str(t) for t in found[0].tags} == {"py3-none-any"}


def test_scan_find_links_rejects_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        scan_find_links([tmp_path / "missing"])
    assert "missing" in str(info.value)


# ------------------------------------------------------------------ resolve


def test_newest_matching_version_wins(tmp_path: Path, interp: Interpreter) -> None:
    for version in ["1.0", "2.0", "1.5", "10.0"]:
        make_wheel(tmp_path, "foo", version)
    assert resolved(["foo"], [tmp_path], interp) == {"foo": "10.0"}
    assert resolved(["foo<2"], [tmp_path], interp) == {"foo": "1.5"}
    assert resolved(["foo>=1,!=10.0"], [tmp_path], interp) == {"foo": "2.0"}
    assert resolved(["foo==1.0"], [tmp_path], interp) == {"foo": "1.0"}
    assert resolved(["foo~=1.0"], [tmp_path], interp) == {"foo": "1.5"}
    assert resolved(["FOO"], [tmp_path], interp) == {"foo": "10.0"}


def test_versions_across_directories(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path / "a", "foo", "1.0")
    make_wheel(tmp_path / "b", "foo", "3.0")
    make_wheel(tmp_path / "c", "foo", "2.0")
    dirs = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    assert resolved(["foo"], dirs, interp) == {"foo": "3.0"}


def test_canonical_names(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "Foo_Bar", "1.0", requires=["Zope.Interface>=1"])
    make_wheel(tmp_path, "zope.interface", "5.0")
    assert resolved(["foo-bar"], [tmp_path], interp) == {"foo-bar": "1.0", "zope-interface": "5.0"}


def test_root_markers(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0")
    assert resolved(["foo; python_version < '3'"], [tmp_path], interp) == {}
    assert resolved(["foo; python_version >= '3'"], [tmp_path], interp) == {"foo": "1.0"}
    assert resolved(["foo; sys_platform == 'win32'", "foo; os_name == 'nt'"], [tmp_path], interp) == {}
    assert resolved(["foo; extra == 'x'"], [tmp_path], interp) == {}


def test_transitive_markers(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(
        tmp_path,
        "foo",
        "1.0",
        requires=["bar; python_version < '3'", "baz>=2", "win-only; sys_platform == 'win32'"],
    )
    make_wheel(tmp_path, "baz", "1.0")
    make_wheel(tmp_path, "baz", "2.5", requires=["qux"])
    make_wheel(tmp_path, "qux", "0.1")
    # bar and win-only do not exist: they must never be looked up.
    assert resolved(["foo"], [tmp_path], interp) == {"foo": "1.0", "baz": "2.5", "qux": "0.1"}


def test_extras_pull_their_requirements(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(
        tmp_path,
        "foo",
        "1.0",
        extras=["bar", "other"],
        requires=['baz; extra == "bar"', 'unavailable; extra == "other"', "common"],
    )
    make_wheel(tmp_path, "baz", "1.0", extras=["x"], requires=['qux; extra == "x"'])
    make_wheel(tmp_path, "qux", "1.0")
    make_wheel(tmp_path, "common", "1.0")
    assert resolved(["foo"], [tmp_path], interp) == {"foo": "1.0", "common": "1.0"}
    assert resolved(["foo[bar]"], [tmp_path], interp) == {"foo": "1.0", "baz": "1.0", "common": "1.0"}
    assert resolved(["foo[BAR]"], [tmp_path], interp) == {"foo": "1.0", "baz": "1.0", "common": "1.0"}


def test_nested_extras(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0", extras=["bar"], requires=['baz[x]; extra == "bar"'])
    make_wheel(tmp_path, "baz", "1.0", extras=["x"], requires=['qux; extra == "x"'])
    make_wheel(tmp_path, "qux", "1.0")
    assert resolved(["foo[bar]"], [tmp_path], interp) == {"foo": "1.0", "baz": "1.0", "qux": "1.0"}


def test_extra_requested_after_the_project_was_chosen(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0", extras=["bar"], requires=['baz; extra == "bar"'])
    make_wheel(tmp_path, "baz", "1.0")
    make_wheel(tmp_path, "later", "1.0", requires=["foo[bar]"])
    assert resolved(["foo", "later"], [tmp_path], interp) == {"foo": "1.0", "baz": "1.0", "later": "1.0"}


def test_extras_of_one_project_do_not_leak_to_another(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0", extras=["bar"], requires=["dep"])
    make_wheel(tmp_path, "dep", "1.0", extras=["bar"], requires=['unavailable; extra == "bar"'])
    assert resolved(["foo[bar]"], [tmp_path], interp) == {"foo": "1.0", "dep": "1.0"}


def test_incompatible_platform_is_ignored(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0")
    make_wheel(tmp_path, "foo", "3.0", tag="cp311-cp311-win_amd64")
    make_wheel(tmp_path, "foo", "4.0", tag="cp27-cp27mu-manylinux1_x86_64")
    make_wheel(tmp_path, "foo", "5.0", tag="py3-none-macosx_11_0_arm64")
    assert resolved(["foo"], [tmp_path], interp) == {"foo": "1.0"}


def test_only_incompatible_wheels_is_missing(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "3.0", tag="cp311-cp311-win_amd64")
    with pytest.raises(MissingBuildRequirement):
        resolved(["foo"], [tmp_path], interp)


def test_best_tag_then_highest_build(tmp_path: Path, interp: Interpreter) -> None:
    best_tag = interp.tags[0]
    assert best_tag != "py3-none-any"
    make_wheel(tmp_path, "foo", "1.0", tag="py3-none-any", build="9")
    make_wheel(tmp_path, "foo", "1.0", tag=best_tag)
    assert resolved_files(["foo"], [tmp_path], interp) == [f"foo-1.0-{best_tag}.whl"]
    make_wheel(tmp_path / "b", "bar", "1.0", build="1")
    make_wheel(tmp_path / "b", "bar", "1.0", build="2")
    make_wheel(tmp_path / "b", "bar", "1.0")
    assert resolved_files(["bar"], [tmp_path / "b"], interp) == ["bar-1.0-2-py3-none-any.whl"]


def test_requires_python_excludes_wheel(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0", requires_python=">=3.8")
    make_wheel(tmp_path, "foo", "2.0", requires_python=">=4")
    make_wheel(tmp_path, "foo", "1.5", requires_python="<3")
    assert resolved(["foo"], [tmp_path], interp) == {"foo": "1.0"}


def test_requires_python_excludes_every_wheel(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "2.0", requires_python=">=4")
    with pytest.raises(MissingBuildRequirement):
        resolved(["foo"], [tmp_path], interp)


def test_prereleases_not_chosen_when_a_final_matches(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0")
    make_wheel(tmp_path, "foo", "2.0b1")
    make_wheel(tmp_path, "foo", "2.0.dev3")
    assert resolved(["foo"], [tmp_path], interp) == {"foo": "1.0"}
    assert resolved(["foo>=0.5"], [tmp_path], interp) == {"foo": "1.0"}


def test_prereleases_when_nothing_else(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0")
    make_wheel(tmp_path, "foo", "2.0b1")
    make_wheel(tmp_path, "foo", "2.0rc1")
    assert resolved(["foo>1.0"], [tmp_path], interp) == {"foo": "2.0rc1"}
    make_wheel(tmp_path / "only", "bar", "0.1a1")
    assert resolved(["bar"], [tmp_path / "only"], interp) == {"bar": "0.1a1"}


def test_prereleases_when_the_specifier_asks(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "foo", "1.0")
    make_wheel(tmp_path, "foo", "2.0b1")
    assert resolved(["foo>=2.0b1"], [tmp_path], interp) == {"foo": "2.0b1"}
    assert resolved(["foo==2.0b1"], [tmp_path], interp) == {"foo": "2.0b1"}
    assert resolved(["foo>=1.0a1"], [tmp_path], interp) == {"foo": "2.0b1"}


def test_later_stricter_constraint_restarts(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "a", "1.0")
    make_wheel(tmp_path, "a", "2.0")
    make_wheel(tmp_path, "b", "1.0", requires=["a<2"])
    assert resolved(["a", "b"], [tmp_path], interp) == {"a": "1.0", "b": "1.0"}
    assert resolved(["b", "a"], [tmp_path], interp) == {"a": "1.0", "b": "1.0"}


def test_resolution_is_sorted_and_unique(tmp_path: Path, interp: Interpreter) -> None:
    make_wheel(tmp_path, "zeta", "1.0", requires=["alpha", "mid"])
    make_wheel(tmp_path, "mid", "1.0", requires=["alpha", "zeta"])  # a cycle
    make_wheel(tmp_path, "alpha", "1.0")
    chosen = resolve(["zeta", "alpha"], scan_find_links([tmp_path]), interp, sdist=SDIST, dirs=[tmp_path])
    assert [c.name for c in chosen] == ["alpha", "mid", "zeta"]


@pytest.mark.parametrize(
    ("requirements", "missing"),
    [
        (["nothere"], "nothere"),
        (["foo>=5"], "foo>=5"),
        (["foo", "needs-missing"], "absent>=1"),
    ],
)
def test_missing_requirement(
    tmp_path: Path, interp: Interpreter, requirements: list[str], missing: str
) -> None:
    one, two = tmp_path / "wheels-one", tmp_path / "wheels-two"
    make_wheel(one, "foo", "1.0")
    make_wheel(two, "needs-missing", "1.0", requires=["absent>=1"])
    with pytest.raises(MissingBuildRequirement) as info:
        resolve(requirements, scan_find_links([one, two]), interp, sdist=SDIST, dirs=[one, two])
    message = str(info.value)
    assert "\n" not in message
    assert missing in message
    assert info.value.requirement == missing
    assert SDIST in message
    assert str(one) in message
    assert str(two) in message


def test_missing_requirement_without_directories(interp: Interpreter) -> None:
    with pytest.raises(MissingBuildRequirement) as info:
        resolve(["foo"], [], interp, sdist=SDIST, dirs=[])
    assert "(none given)" in str(info.value)


@pytest.mark.parametrize("text", ["foo >= >= 1", "foo[", "-foo", "foo; python_version <"])
def test_invalid_requirement(tmp_path: Path, interp: Interpreter, text: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve([text], [], interp, sdist=SDIST, dirs=[tmp_path])
    assert SDIST in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_wheel_is_bad_archive(tmp_path: Path, interp: Interpreter) -> None:
    (tmp_path / "foo-1.0-py3-none-any.whl").write_bytes(b"garbage")
    with pytest.raises(BadArchive) as info:
        resolved(["foo"], [tmp_path], interp)
    assert "foo-1.0-py3-none-any.whl" in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requires": ["bar >= >= 1"]},
        {"requires_python": ">=three"},
    ],
    ids=["requires-dist", "requires-python"],
)
def test_invalid_metadata_is_a_wheelhouse_error(
    tmp_path: Path, interp: Interpreter, kwargs: dict[str, object]
) -> None:
    make_wheel(tmp_path, "foo", "1.0", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(WheelhouseError) as info:
        resolved(["foo"], [tmp_path], interp)
    assert "foo-1.0-py3-none-any.whl" in str(info.value)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ installing


def venv_import(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, check=False)


def test_install_wheels_into_venv(tmp_path: Path, interp: Interpreter) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "demo-pkg", "1.2", requires=["helper"])
    make_wheel(wheels, "helper", "0.3")
    chosen = resolve(["demo-pkg"], scan_find_links([wheels]), interp, sdist=SDIST, dirs=[wheels])
    python = create_venv(Path(sys.executable), tmp_path / "venv")
    assert python == tmp_path / "venv" / "bin" / "python"
    assert python.exists()
    before = venv_import(python, "import demo_pkg")
    assert before.returncode != 0
    install_wheels(chosen, python)
    after = venv_import(
        python,
        "import demo_pkg, helper, sys; print(demo_pkg.VERSION, helper.VERSION, demo_pkg.__file__)",
    )
    assert after.returncode == 0, after.stderr
    version, helper_version, location = after.stdout.split()
    assert (version, helper_version) == ("1.2", "0.3")
    assert Path(location).is_relative_to(tmp_path / "venv")
    meta = venv_import(
        python,
        "import importlib.metadata as m; d = m.distribution('demo-pkg'); "
        "print(d.version, d.read_text('INSTALLER').strip())",
    )
    assert meta.stdout.split() == ["1.2", "wheelhouse"]
    # The host environment did not get the package.
    assert venv_import(Path(sys.executable), "import demo_pkg").returncode != 0


def test_install_wheel_with_bad_record_hash(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    bad = make_wheel(wheels, "tampered", "1.0", corrupt_record=True)
    python = create_venv(Path(sys.executable), tmp_path / "venv")
    candidate = scan_find_links([wheels])[0]
    with pytest.raises(BadArchive) as info:
        install_wheels([candidate], python)
    message = str(info.value)
    assert "\n" not in message
    assert bad.name in message
    assert venv_import(python, "import tampered").returncode != 0
    assert not list((tmp_path / "venv").rglob("tampered*"))
