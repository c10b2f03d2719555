"""rules/private/plan.bzl, evaluated with starlark-pyo3, against packaging.

``choose`` must pick the wheel an installer would (``packaging.tags`` order,
``packaging.utils.parse_wheel_filename``), honour lock markers
(``packaging.markers``) and the build-from-source switches, on generated
locks; ``make_targets`` must refuse what it cannot serve, with the fix.
"""

from __future__ import annotations

from typing import Any

import pytest
import starlark as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging import tags
from packaging.markers import Marker
from packaging.utils import parse_wheel_filename

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
) -> tuple[str, str]:
    env = dict(TARGETS[version, arch]["env"])
    if entry["marker"] and not Marker(entry["marker"]).evaluate(env):
        return ("excluded", "")
    sdist = entry["sdist"]
    if from_source and not sdist:
        return ("unavailable", "")
    if not from_source and not (build_all and sdist):
        rank = {tag: i for i, tag in enumerate(packaging_supported(version, arch))}
        best = None
        for i, wheel in enumerate(entry["wheels"]):
            score = min(
                (rank.get(t, len(rank)) for t in parse_wheel_filename(wheel["name"])[3]), default=len(rank)
            )
            if score < len(rank) and (best is None or score < best[0]):
                best = (score, i)
        if best is not None:
            return ("wheel", entry["wheels"][best[1]]["name"])
    if sdist:
        host = (version, arch) == ("3.14", "x86_64")
        return ("sdist", sdist["name"]) if host else ("unavailable", "")
    return ("unavailable", "")


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
    kind, name = expected_choice(entry, *target, from_source, build_all)
    assert got["kind"] == kind
    if name:
        assert got["file"]["name"] == name
    else:
        assert got.get("reason"), got


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
