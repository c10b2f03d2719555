"""rules/private/plan.bzl, evaluated with starlark-pyo3, against packaging.

``choose`` must pick the wheel an installer would (``packaging.tags`` order,
``packaging.utils.parse_wheel_filename``), honour lock markers
(``packaging.markers``) and the build-from-source switches (sdists only on the
toolchain's own target, the locked wheel elsewhere), on generated locks;
``make_targets`` must refuse what it cannot serve, with the fix. The names the
hub and graph repositories give projects (``hub_packages``,
``graph_target_names``) must never collide, for any set of valid project names
(``packaging.utils.canonicalize_name`` / ``is_normalized_name``).
"""

from __future__ import annotations

from typing import Any

import pytest
import starlark as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging import tags
from packaging.markers import Marker
from packaging.utils import canonicalize_name, is_normalized_name, parse_wheel_filename

from starlark_eval import eval_bzl

VERSIONS = eval_bzl("versions.bzl")
MARKERS = eval_bzl("markers.bzl", {":versions.bzl": VERSIONS})
TAGS = eval_bzl("tags.bzl")
PLAN = eval_bzl("plan.bzl", {":markers.bzl": MARKERS, ":tags.bzl": TAGS})
HOST = {"version": "3.14.2", "arch": "x86_64"}

WHEEL_TAGS = [
    "py3-none-any",
    "py2.py3-none-any",
    "cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp314-cp314-manylinux_2_28_x86_64",
    "cp314-cp314-manylinux_2_34_x86_64",
    "cp314-cp314-musllinux_1_2_x86_64",
    "cp314-cp314-manylinux_2_28_aarch64",
    "cp314-cp314-win_amd64",
    "cp314-cp314t-manylinux_2_28_x86_64",
    "cp313-cp313-manylinux_2_28_x86_64",
    "cp311-abi3-manylinux_2_17_x86_64",
    "cp312-abi3-linux_x86_64",
    "cp313-cp313-manylinux_2_28_aarch64",
    "cp39-abi3-manylinux_2_28_aarch64",
    "py314-none-any",
    "py3-none-manylinux_2_17_x86_64",
]
LOCK_MARKERS = [None, 'sys_platform == "win32"', 'python_version >= "3.14"', 'platform_machine == "aarch64"']
TARGETS = {
    (version, arch): PLAN.call("make_targets", [version], [f"linux_{arch}"], "2.28", HOST)[0]
    for version in ("3.13", "3.14")
    for arch in ("x86_64", "aarch64")
}


def packaging_supported(version: str, arch: str) -> list[tags.Tag]:
    minor = int(version.split(".")[1])
    platforms = TAGS.call("linux_platforms", arch, 2, 28)  # tested against packaging in test_starlark_tags
    return [
        *tags.cpython_tags((3, minor), abis=[f"cp3{minor}"], platforms=platforms),
        *tags.compatible_tags((3, minor), interpreter=f"cp3{minor}", platforms=platforms),
    ]


def expected_choice(
    entry: dict[str, Any], version: str, arch: str, from_source: bool, build_all: bool
) -> tuple[str, str, bool]:
    """(kind, file name or "", whether a note says a source build was set aside)."""
    env = dict(TARGETS[version, arch]["env"])
    if entry["marker"] and not Marker(entry["marker"]).evaluate(env):
        return ("excluded", "", False)
    sdist = entry["sdist"]
    if from_source and not sdist:
        return ("unavailable", "", False)
    host = (version, arch) == ("3.14", "x86_64")
    wants_source = bool(sdist) and (from_source or build_all)
    if wants_source and host:
        return ("sdist", sdist["name"], False)
    rank = {tag: i for i, tag in enumerate(packaging_supported(version, arch))}
    best = None
    for i, wheel in enumerate(entry["wheels"]):
        score = min(
            (rank.get(t, len(rank)) for t in parse_wheel_filename(wheel["name"])[3]), default=len(rank)
        )
        if score < len(rank) and (best is None or score < best[0]):
            best = (score, i)
    if best is not None:
        return ("wheel", entry["wheels"][best[1]]["name"], wants_source)
    if sdist and host:
        return ("sdist", sdist["name"], False)
    return ("unavailable", "", False)


def _file(name: str) -> dict[str, Any]:
    return {"name": name, "sha256": "0" * 64, "url": None, "size": None}


@settings(max_examples=2500, deadline=None)
@given(
    st.lists(st.sampled_from(WHEEL_TAGS), max_size=5, unique=True),
    st.booleans(),
    st.sampled_from(LOCK_MARKERS),
    st.sampled_from(sorted(TARGETS)),
    st.booleans(),
    st.booleans(),
)
def test_choose_matches_an_installer(
    wheel_tags: list[str],
    has_sdist: bool,
    marker: str | None,
    target: tuple[str, str],
    from_source: bool,
    build_all: bool,
) -> None:
    entry = {
        "name": "demo",
        "version": "1.0",
        "marker": marker,
        "dependencies": None,
        "sdist": _file("demo-1.0.tar.gz") if has_sdist else None,
        "wheels": [_file(f"demo-1.0-{t}.whl") for t in wheel_tags],
    }
    got = PLAN.call("choose", [entry], TARGETS[target], from_source, build_all)
    kind, name, noted = expected_choice(entry, *target, from_source, build_all)
    assert got["kind"] == kind
    if name:
        assert got["file"]["name"] == name
    else:
        assert got.get("reason"), got
    assert bool(got.get("note")) == noted, got


def test_two_entries_split_by_markers() -> None:
    old = {
        "name": "n",
        "version": "1",
        "marker": 'python_version < "3.14"',
        "dependencies": None,
        "sdist": None,
        "wheels": [_file("n-1-py3-none-any.whl")],
    }
    new = dict(old, version="2", marker='python_version >= "3.14"', wheels=[_file("n-2-py3-none-any.whl")])
    assert (
        PLAN.call("choose", [old, new], TARGETS["3.14", "x86_64"], False, False)["file"]["name"]
        == "n-2-py3-none-any.whl"
    )
    assert (
        PLAN.call("choose", [old, new], TARGETS["3.13", "x86_64"], False, False)["file"]["name"]
        == "n-1-py3-none-any.whl"
    )
    both = dict(new, marker=None)
    got = PLAN.call("choose", [old, both], TARGETS["3.13", "x86_64"], False, False)
    assert got["kind"] == "unavailable" and "2 entries" in got["reason"]


def test_targets_default_to_the_host() -> None:
    (target,) = PLAN.call("make_targets", [], [], "2.28", HOST)
    assert target["name"] == "cp314_linux_x86_64"
    assert target["host"] is True
    assert target["env"]["python_full_version"] == "3.14.2"
    assert target["rank"]["cp314-cp314-manylinux_2_28_x86_64"] < target["rank"]["py3-none-any"]
    assert "cp314-cp314-manylinux_2_34_x86_64" not in target["rank"]


@pytest.mark.parametrize(
    ("versions", "platforms", "glibc", "message"),
    [
        (["3"], [], "2.28", 'python version "3" is not `X.Y`'),
        (
            [],
            ["linux_riscv64"],
            "2.28",
            'platform "linux_riscv64" is not supported; use one of linux_aarch64, linux_x86_64',
        ),
        ([], ["macosx_x86_64"], "2.28", "is not supported"),
        ([], [], "2", 'glibc "2" is not `2.Y`'),
        (["3.14", "3.14"], [], "2.28", "target cp314_linux_x86_64 is listed twice"),
    ],
)
def test_make_targets_refuses_with_the_fix(
    versions: list[str], platforms: list[str], glibc: str, message: str
) -> None:
    with pytest.raises(sl.StarlarkError) as info:
        PLAN.call("make_targets", versions, platforms, glibc, HOST)
    assert message in str(info.value)


@pytest.mark.parametrize(("from_source", "build_all"), [(True, False), (False, True), (True, True)])
def test_build_from_source_elsewhere_uses_the_locked_wheel(from_source: bool, build_all: bool) -> None:
    entry = {
        "name": "demo",
        "version": "1.0",
        "marker": None,
        "dependencies": None,
        "sdist": _file("demo-1.0.tar.gz"),
        "wheels": [
            _file("demo-1.0-cp314-cp314-manylinux_2_28_aarch64.whl"),
            _file("demo-1.0-cp313-cp313-manylinux_2_28_x86_64.whl"),
        ],
    }
    host = PLAN.call("choose", [entry], TARGETS["3.14", "x86_64"], from_source, build_all)
    assert (host["kind"], host["file"]["name"], host.get("note")) == ("sdist", "demo-1.0.tar.gz", None)
    cross = PLAN.call("choose", [entry], TARGETS["3.14", "aarch64"], from_source, build_all)
    assert (cross["kind"], cross["file"]["name"]) == (
        "wheel",
        "demo-1.0-cp314-cp314-manylinux_2_28_aarch64.whl",
    )
    assert cross["note"] == (
        "built from source only on cp314_linux_x86_64, the toolchain's own target; "
        "the locked wheel is used here"
    )
    other = PLAN.call("choose", [entry], TARGETS["3.13", "x86_64"], from_source, build_all)
    assert other["kind"] == "wheel" and "only on cp314_linux_x86_64" in other["note"]
    none = PLAN.call("choose", [entry], TARGETS["3.13", "aarch64"], from_source, build_all)
    assert none["kind"] == "unavailable"
    assert none["reason"].startswith(
        "built from source only on cp314_linux_x86_64, the toolchain's own target (build_from_source), "
        "and no wheel in the lock matches cp313_linux_aarch64 (CPython 3.13 on linux aarch64); "
        "lock a wheel for cp313_linux_aarch64"
    ), none["reason"]


def test_toolchain_target_is_named_even_when_not_listed() -> None:
    (target,) = PLAN.call("make_targets", ["3.13"], ["linux_aarch64"], "2.28", HOST)
    assert (target["name"], target["host"], target["toolchain_target"]) == (
        "cp313_linux_aarch64",
        False,
        "cp314_linux_x86_64",
    )
    entry = {
        "name": "demo",
        "version": "1.0",
        "marker": None,
        "dependencies": None,
        "sdist": _file("demo-1.0.tar.gz"),
        "wheels": [],
    }
    got = PLAN.call("choose", [entry], target, False, False)
    assert got["kind"] == "unavailable"
    assert "builds only for its own target (cp314_linux_x86_64)" in got["reason"]


# Names: every word the hub or the graph uses for itself, and names made to look like them.
HELPER_WORDS = [
    "wheel", "whl", "pkg", "packages", "packages-bzl", "build-bazel", "config", "file", "graph",
    "library", "alias", "cycle", "cycle-build", "build", "build-wheel", "foo-wheel", "wheel-wheel",
    "cp314-linux-x86-64", "cp314-linux-x86-64-default", "sdist", "visibility", "conditions", "default",
]  # fmt: skip
LETTERS = "abcxyz019"
valid_names = st.builds(
    lambda first, rest: canonicalize_name(first + "".join(rest)),
    st.sampled_from(LETTERS),
    st.lists(
        st.tuples(st.sampled_from(["", "-", "_", ".", "--", "_-"]), st.sampled_from(LETTERS)).map("".join),
        max_size=6,
    ),
) | st.sampled_from(HELPER_WORDS)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="aZ09-_. /:", max_size=8))
def test_is_project_name_matches_packaging(name: str) -> None:
    assert PLAN.call("is_project_name", name) == is_normalized_name(name)


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_names, unique=True, max_size=12))
def test_hub_packages_never_collide(names: list[str]) -> None:
    packages = PLAN.call("hub_packages", names)
    paths = [p["package"] for p in packages]
    assert len(paths) == len(set(paths))
    assert not set(paths) & {"", "_config"}  # the hub's root (BUILD.bazel, packages.bzl) and config settings
    by_path = {p["package"]: p for p in packages}
    for name in names:
        assert by_path[name] == {
            "package": name,
            "target": name,
            "project": name,
            "kind": "library",
            "actual": "",
        }
        assert by_path[f"{name}/wheel"]["target"] == "wheel"
        assert by_path[f"{name}/wheel"]["actual"] == ""
        under = name.replace("-", "_")
        if under != name:
            assert by_path[under]["actual"] == f"//{name}"
            assert by_path[f"{under}/wheel"]["actual"] == f"//{name}/wheel"
    for p in packages:
        assert p["target"] == p["package"].rpartition("/")[2]
        assert "packages.bzl" not in p["package"] and not p["package"].startswith("_")
    assert len(packages) == sum(4 if "-" in n else 2 for n in names)


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_names, unique=True, max_size=12))
def test_graph_target_names_never_collide(names: list[str]) -> None:
    targets = [t for name in names for t in PLAN.call("graph_target_names", name).values()]
    assert len(targets) == len(set(targets))


@pytest.mark.parametrize(
    "name", ["", "Six", "foo_bar", "foo.bar", "-x", "x-", "a--b", "a/b", "a:b", "_config"]
)
def test_hub_packages_refuse_a_name_that_is_not_normalized(name: str) -> None:
    with pytest.raises(sl.StarlarkError) as info:
        PLAN.call("hub_packages", ["six", name])
    assert "is not a normalized project name" in str(info.value)
