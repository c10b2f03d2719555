"""rules/private/tags.bzl, evaluated with starlark-pyo3, against packaging.tags."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging import _manylinux, tags

from starlark_eval import eval_bzl

MODULE = eval_bzl("tags.bzl")
ARCHS = st.sampled_from(["x86_64", "aarch64"])
GLIBC_MINOR = st.integers(min_value=17, max_value=41)
PY_MINOR = st.integers(min_value=6, max_value=15)


def packaging_linux_platforms(mp: pytest.MonkeyPatch, arch: str, minor: int) -> list[str]:
    """What packaging yields on a glibc 2.<minor> <arch> machine."""
    with mp.context() as m:
        m.setattr(tags.sysconfig, "get_platform", lambda: f"linux-{arch}")
        m.setattr(_manylinux, "_get_glibc_version", lambda: (2, minor))
        m.setattr(_manylinux, "_have_compatible_abi", lambda executable, archs: True)
        return list(tags._linux_platforms(is_32bit=False))


@settings(max_examples=300, deadline=None)
@given(ARCHS, GLIBC_MINOR)
def test_linux_platforms_match_packaging(arch: str, minor: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        expected = packaging_linux_platforms(mp, arch, minor)
    assert MODULE.call("linux_platforms", arch, 2, minor) == expected


@settings(max_examples=2000, deadline=None)
@given(
    PY_MINOR,
    st.lists(
        st.sampled_from(
            [
                "linux_x86_64",
                "manylinux_2_28_x86_64",
                "manylinux2014_x86_64",
                "manylinux_2_17_aarch64",
                "macosx_11_0_arm64",
                "win_amd64",
            ]
        ),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    st.booleans(),
)
def test_supported_tags_match_packaging(minor: int, platforms: list[str], free_threaded: bool) -> None:
    abi = f"cp3{minor}" + ("t" if free_threaded else "")
    expected = [str(t) for t in tags.cpython_tags((3, minor), abis=[abi], platforms=platforms)] + [
        str(t) for t in tags.compatible_tags((3, minor), f"cp3{minor}", platforms)
    ]
    assert MODULE.call("supported_tags", 3, minor, platforms, abi) == expected


NAMES = st.sampled_from(["pkg"])
PY = st.sampled_from(["cp311", "cp312", "cp314", "py3", "py2.py3", "cp39.cp310", "pp310"])
ABI = st.sampled_from(["cp311", "cp314", "abi3", "none", "cp314t"])
PLAT = st.sampled_from(
    [
        "any",
        "linux_x86_64",
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "manylinux_2_28_x86_64",
        "manylinux_2_34_aarch64",
        "musllinux_1_2_x86_64",
        "win_amd64",
        "macosx_11_0_arm64",
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.tuples(PY, ABI, PLAT), min_size=1, max_size=6, unique=True), PY_MINOR, GLIBC_MINOR)
def test_best_wheel_matches_packaging_ranking(
    files: list[tuple[str, str, str]], minor: int, glibc: int
) -> None:
    names = [f"pkg-1.0-{py}-{abi}-{plat}.whl" for py, abi, plat in files]
    platforms = MODULE.call("linux_platforms", "x86_64", 2, glibc)
    supported = MODULE.call("supported_tags", 3, minor, platforms, None)
    rank = {t: i for i, t in enumerate(supported)}
    scores = [
        min((rank.get(str(t), len(rank)) for t in tags.parse_tag(f"{py}-{abi}-{plat}")), default=len(rank))
        for py, abi, plat in files
    ]
    best = min(scores)
    got = MODULE.call("best_wheel", names, supported)
    if best == len(rank):
        assert got == -1
    else:
        assert scores[got] == best
        assert got == scores.index(best)


def test_host_interpreter_agrees_with_sys_tags() -> None:
    """On this machine: Starlark's list for the host equals packaging.tags.sys_tags()."""
    import platform
    import sys

    glibc = tuple(int(x) for x in platform.libc_ver()[1].split(".")[:2])
    platforms = MODULE.call("linux_platforms", platform.machine(), glibc[0], glibc[1])
    ours = MODULE.call("supported_tags", sys.version_info[0], sys.version_info[1], platforms, None)
    assert ours == [str(t) for t in tags.sys_tags()]
