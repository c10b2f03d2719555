"""End-to-end builds of tiny sdists through the real sandbox and real backends."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from wheelhouse import BuildRequest, build_wheel, elf, verify
from wheelhouse.errors import BuildFailed, MissingBuildRequirement, NoBuildSystem, UnsafeArchive, UsageError
from wheelhouse.host.sandbox import FIXED_ROOT
from wheelhouse.progress import QUIET

from conftest import TEST_MTIME, MakeSdist, quiet, request
from samples import CEXT, FLIT, HATCH, LEGACY, install_and_run, members, probe


def test_c_extension_builds_reproducibly_and_imports(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("cext", "1.0", CEXT)
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation
    wheel = outcome.first.wheel
    assert wheel.parent == tmp_path / "out"
    assert wheel.name.startswith("cext-1.0-cp3")
    out = install_and_run(wheel, tmp_path / "inst", "import cext; print(cext.add(2, 40), cext.optimized())")
    # optimized() proves the prefix maps did not replace the interpreter's -O flags.
    assert out.split() == ["42", "True"]
    so = next(data for name, data in members(wheel).items() if name.endswith(".so"))
    names = {s.name for s in elf.sections(so)}
    assert ".debug_info" not in names  # --debug strip is the default
    assert ".text" in names


def test_debug_keep_has_no_build_paths(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("cext", "1.0", CEXT)
    result = build_wheel(request(sdist, wheel_dir, debug="keep"), tmp_path / "out", progress=quiet())
    so = next(data for name, data in members(result.wheel).items() if name.endswith(".so"))
    assert ".debug_info" in {s.name for s in elf.sections(so)}
    # The fixed source and env paths are mapped away; the caller's paths never appear.
    assert str(FIXED_ROOT / "src").encode() not in so
    assert str(tmp_path).encode() not in so
    assert b"/usr/src/cext-1.0" in so


def test_debug_split_keys_debug_file_by_build_id(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("cext", "1.0", CEXT)
    result = build_wheel(
        request(sdist, wheel_dir, debug="split"),
        tmp_path / "out",
        debug_dir=tmp_path / "dbg",
        progress=quiet(),
    )
    so = next(data for name, data in members(result.wheel).items() if name.endswith(".so"))
    build_id = elf.build_id(so)
    assert build_id
    assert result.debug_files == [tmp_path / "dbg" / ".build-id" / build_id[:2] / f"{build_id[2:]}.debug"]
    debug = result.debug_files[0].read_bytes()
    assert ".debug_info" in {s.name for s in elf.sections(debug)}
    assert ".debug_info" not in {s.name for s in elf.sections(so)}


@pytest.mark.parametrize(
    ("name", "files", "code", "expected"),
    [
        ("flitpkg", FLIT, "import flitpkg; print(flitpkg.ANSWER)", "42"),
        ("hatchpkg", HATCH, "import hatchpkg; print(hatchpkg.GREETING)", "hello"),
        ("legacy", LEGACY, "import legacy; print(legacy.VALUE)", "legacy"),
    ],
)
def test_pure_backends_build_reproducibly(
    make_sdist: MakeSdist,
    wheel_dir: Path,
    tmp_path: Path,
    name: str,
    files: dict[str, str],
    code: str,
    expected: str,
) -> None:
    sdist = make_sdist(name, "1.0", files)
    outcome = verify(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert outcome.identical, outcome.explanation
    assert install_and_run(outcome.first.wheel, tmp_path / "inst", code).strip() == expected


def test_backend_sees_clean_environment_and_pass_through(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_VALUE", "from-the-caller")
    monkeypatch.setenv("TZ", "America/New_York")
    sdist = make_sdist("probe", "1.0", probe("ok"))
    req = request(sdist, wheel_dir, env={"PROBE_VALUE": "given"}, config_settings={"k": "v", "l": ["1", "2"]})
    result = build_wheel(req, tmp_path / "out", progress=quiet())
    info = json.loads(members(result.wheel)["probe/build_info.json"])
    assert info["config_settings"] == {"k": "v", "l": ["1", "2"]}
    assert info["env"] == {
        "PROBE_VALUE": "given",
        "SOURCE_DATE_EPOCH": str(TEST_MTIME),
        "PYTHONHASHSEED": "0",
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "HOME": str(FIXED_ROOT / "home"),
        "TMPDIR": str(FIXED_ROOT / "tmp"),
    }
    assert info["cwd"] == str(FIXED_ROOT / "src" / "probe-1.0")
    with zipfile.ZipFile(result.wheel) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos][-1] == "probe-1.0.dist-info/RECORD"
    assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}


def test_dynamic_requirements_are_installed(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("probe", "1.0", probe("dynamic"))
    result = build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert result.wheel.exists()


def test_local_version_and_build_tag(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    local = build_wheel(request(sdist, wheel_dir, local_version="site1"), tmp_path / "a", progress=quiet())
    assert local.wheel.name.startswith("flitpkg-1.0+site1-py")
    assert b"Version: 1.0+site1" in members(local.wheel)["flitpkg-1.0+site1.dist-info/METADATA"]
    tagged = build_wheel(request(sdist, wheel_dir, build_tag="7"), tmp_path / "b", progress=quiet())
    assert tagged.wheel.name.startswith("flitpkg-1.0-7-py")
    assert b"Build: 7" in members(tagged.wheel)["flitpkg-1.0.dist-info/WHEEL"]


def test_failing_backend_reports_log_and_leaves_nothing(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("probe", "1.0", probe("fail"))
    out = tmp_path / "out"
    log = tmp_path / "logs" / "probe.log"
    with pytest.raises(BuildFailed) as err:
        build_wheel(request(sdist, wheel_dir), out, log_file=log, progress=quiet())
    message = str(err.value)
    assert "\n" not in message
    assert "probe-1.0.tar.gz" in message
    assert "probe backend failed on purpose" in message
    assert str(log) in message
    assert err.value.log_path == log
    assert any("failed on purpose" in line for line in err.value.log_tail)
    assert "failed on purpose" in log.read_text()
    assert not out.exists() or not any(out.iterdir())


def test_network_is_closed_during_builds(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("probe", "1.0", probe("network"))
    with pytest.raises(BuildFailed, match="tried to reach the network"):
        build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert not (tmp_path / "out").exists()


def test_missing_build_requirement(make_sdist: MakeSdist, tmp_path: Path) -> None:
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    with pytest.raises(MissingBuildRequirement) as err:
        build_wheel(request(sdist, empty), tmp_path / "out", progress=quiet())
    message = str(err.value)
    assert "flit_core" in message and "flitpkg-1.0.tar.gz" in message and str(empty) in message
    assert not (tmp_path / "out").exists()


def test_no_build_system(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("nothing", "1.0", {"README": "no build here\n"})
    with pytest.raises(NoBuildSystem, match=r"neither pyproject\.toml nor setup\.py"):
        build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())


def test_traversal_refused_before_any_work(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("evil", "1.0", {"setup.py": "", "../../../escaped.txt": "x"}, top="evil-1.0")
    with pytest.raises(UnsafeArchive):
        build_wheel(request(sdist, wheel_dir), tmp_path / "out", progress=quiet())
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_unsandboxed_build_gives_the_same_wheel(
    make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path
) -> None:
    sdist = make_sdist("cext", "1.0", CEXT)
    boxed = build_wheel(request(sdist, wheel_dir, sandbox="bwrap"), tmp_path / "a", progress=quiet())
    bare = build_wheel(request(sdist, wheel_dir, sandbox="none"), tmp_path / "b", progress=quiet())
    assert boxed.sha256 == bare.sha256
    assert boxed.sandbox.startswith("bwrap") and bare.sandbox.startswith("none")


PATCH = """\
--- a/flitpkg/__init__.py
+++ b/flitpkg/__init__.py
@@ -1 +1 @@
-ANSWER = 42
+ANSWER = 43
"""


def test_patches_and_single_wheel_files(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", FLIT)
    patch = tmp_path / "answer.patch"
    patch.write_text(PATCH)
    flit_core = next(wheel_dir.glob("flit_core-*.whl"))
    req = BuildRequest(
        sdist=sdist,
        find_links=(),
        wheels=(flit_core,),
        patches=(patch,),
        python=Path(sys.executable),
        verbosity=QUIET,
    )
    result = build_wheel(req, tmp_path / "out", progress=quiet())
    assert (
        install_and_run(result.wheel, tmp_path / "inst", "import flitpkg; print(flitpkg.ANSWER)").strip()
        == "43"
    )


def test_patch_that_does_not_apply(make_sdist: MakeSdist, wheel_dir: Path, tmp_path: Path) -> None:
    sdist = make_sdist("flitpkg", "1.0", {**FLIT, "flitpkg/__init__.py": "ANSWER = 0\n"})
    patch = tmp_path / "answer.patch"
    patch.write_text(PATCH)
    with pytest.raises(UsageError, match=r"patch answer\.patch does not apply"):
        build_wheel(request(sdist, wheel_dir, patches=(patch,)), tmp_path / "out", progress=quiet())
    assert not (tmp_path / "out").exists()
