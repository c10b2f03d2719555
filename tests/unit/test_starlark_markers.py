"""rules/private/{versions,markers}.bzl, evaluated with starlark-pyo3, against packaging.

Differential tests: hypothesis generates PEP 440 versions (valid and nearly
valid), specifiers and PEP 508 markers (nested up to depth 3, with odd spacing,
aliases, reversed operands); the Starlark mirror must agree with
``packaging.version.Version``, ``Specifier.contains(..., prereleases=True)`` and
``Marker.evaluate`` on every answer, and must ``fail()`` exactly where packaging
raises.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from functools import cmp_to_key
from typing import Any

import pytest
import starlark as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker, default_environment
from packaging.specifiers import Specifier
from packaging.utils import canonicalize_name
from packaging.version import Version

from starlark_eval import eval_bzl

VERSIONS = eval_bzl("versions.bzl")
MARKERS = eval_bzl("markers.bzl", {":versions.bzl": VERSIONS})

FAILED = "<fail>"


def starlark(module: sl.FrozenModule, fn: str, *args: Any) -> Any:
    """The Starlark result, or FAILED if the Starlark code called fail()."""
    try:
        return module.call(fn, *args)
    except sl.StarlarkError:
        return FAILED


def python(fn: Callable[[], Any]) -> Any:
    """packaging's result, or FAILED if it raised (InvalidVersion, InvalidMarker, ...)."""
    try:
        return fn()
    except (ValueError, KeyError, AssertionError):
        return FAILED


def py_compare(a: str, b: str) -> int:
    va, vb = Version(a), Version(b)
    return -1 if va < vb else int(va > vb)


# --- versions ---------------------------------------------------------------------

# Hypothesis spends ~0.1 ms per choice, so each value is built from one integer
# choice decoded (mixed radix) into a combination of precomputed pools.
SEPS = ["", ".", "-", "_"]
NUMS = ["", "0", "1", "2", "3", "00", "01", "10", "20", "007"]


def product(*pools: Sequence[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """One choice picking an element of each pool (duplicates in a pool weight it).

    Hypothesis favours small and boundary integers, so the choice seeds a PRNG
    rather than being decoded digit by digit; every pool is then sampled evenly.
    """

    def decode(seed: int) -> tuple[Any, ...]:
        rng = random.Random(seed)
        return tuple(pool[rng.randrange(len(pool))] for pool in pools)

    return st.integers(0, 2**64 - 1).map(decode)


def _spellings(words: list[str]) -> list[str]:
    return [
        f"{a}{w}{b}{n}" for w in words + [w.upper() for w in words] for a in SEPS for b in SEPS for n in NUMS
    ]


def _pool(fragments: list[str], absent: int) -> list[str]:
    """``fragments`` plus "" with weight ``absent`` / (``absent`` + 1)."""
    return [""] * (len(fragments) * absent) + fragments


EPOCHS = ["", "", "", "", "", "", "v", "V", "0!", "1!", "v1!", "01!"]
RELEASES = [".".join(p) for n in range(1, 4) for p in itertools.product(NUMS[1:], repeat=n)]
RELEASES += ["1.0.0.0", "2.0.1.3", "0.0.0.0.0"]
PRES = _pool(_spellings(["a", "b", "rc", "c", "alpha", "beta", "pre", "preview"]), 2)
POSTS = _pool([f"-{n}" for n in NUMS[1:]] + _spellings(["post", "rev", "r"]), 3)
DEVS = _pool(_spellings(["dev"]), 3)
LOCAL_SEGMENTS = ["1", "01", "abc", "Ubuntu", "x86"]
LOCALS = _pool(
    ["+" + s.join(p) for n in (1, 2) for p in itertools.product(LOCAL_SEGMENTS, repeat=n) for s in ".-_"], 4
)
JUNKS = _pool([".", "-", "+", "!", "*", "a", "x", " ", ".*", "..", "_", "v", "1", "+a"], 3)
PADDINGS = _pool([" ", "\t", "\n", " x", "x "], 8)
VERSION_PARTS = product(EPOCHS, RELEASES, PRES, POSTS, DEVS, LOCALS, JUNKS, range(12), PADDINGS)


def _assemble(parts: tuple[Any, ...], junk: bool = True) -> str:
    *pieces, junk_text, at, padding = parts
    text = "".join(pieces)
    if junk:
        text = padding + text[:at] + junk_text + text[at:] + padding
    return text


def versions(junk: bool = True) -> st.SearchStrategy[str]:
    """PEP 440 versions in every spelling packaging accepts and, with ``junk``, near misses."""
    return VERSION_PARTS.map(lambda parts: _assemble(parts, junk))


@st.composite
def version_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two versions that share each part (epoch, release, pre, ...) with probability 1/2."""
    a, b = draw(VERSION_PARTS), draw(VERSION_PARTS)
    shared = draw(st.integers(0, 2 ** len(a) - 1))
    b = tuple(x if shared >> i & 1 else y for i, (x, y) in enumerate(zip(a, b, strict=True)))
    return _assemble(a), _assemble(b)


@settings(max_examples=3000, deadline=None)
@given(version_pairs())
def test_version_parse_and_order_match_packaging(pair: tuple[str, str]) -> None:
    a, b = pair
    for v in (a, b):
        expected_valid = python(lambda v=v: Version(v)) != FAILED
        assert (starlark(VERSIONS, "parse_version", v) != FAILED) == expected_valid, v
    if python(lambda: Version(a)) != FAILED and python(lambda: Version(b)) != FAILED:
        assert starlark(VERSIONS, "compare_versions", a, b) == py_compare(a, b), (a, b)


def test_version_sort_of_a_known_ladder() -> None:
    ladder = [
        "1.0.dev0", "1.0a1.dev3", "1.0a1", "1.0a1.post1", "1.0b2", "1.0rc1.dev3",
        "1.0rc1", "1.0rc1+local.7", "1.0", "1.0+abc", "1.0+abc.5", "1.0+5", "1.0.post1.dev1",
        "1.0-1", "1.0.post2", "1.1", "2.0", "1!0.1",
    ]  # fmt: skip
    key = cmp_to_key(lambda a, b: starlark(VERSIONS, "compare_versions", a, b))
    assert sorted(reversed(ladder), key=key) == sorted(ladder, key=Version) == ladder
    assert starlark(VERSIONS, "compare_versions", "1.0.0", "v1") == 0
    assert starlark(VERSIONS, "compare_versions", "1.0-1", "1.0.post1") == 0
    assert starlark(VERSIONS, "compare_versions", "1.0ALPHA", "1.0a0") == 0
    assert starlark(VERSIONS, "compare_versions", "1.0rev", "1.0.post0") == 0


# --- specifiers -------------------------------------------------------------------

OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "~=", "==="]


SPEC_OPS = [f"{a}{op}{b}" for op in OPERATORS for a in ("", " ") for b in ("", "", " ")]
NEIGHBOURS = ["", ".0", "a1", "rc1", ".post1", ".dev0", "+loc", ".1", ".post0.dev1", "-1"]
SPEC_PARTS = product(SPEC_OPS, ["", "", "", ".*"], range(4), NEIGHBOURS, range(2))


@st.composite
def spec_and_candidate(draw: st.DrawFn) -> tuple[str, str]:
    """A specifier and a candidate, half the time a close neighbour of its version."""
    op, wildcard, junk, neighbour, near = draw(SPEC_PARTS)
    version = _assemble(draw(VERSION_PARTS), junk=junk == 0)
    spec = op + version + wildcard
    if near:
        return spec, version.strip() + neighbour
    return spec, draw(versions())


@settings(max_examples=3000, deadline=None)
@given(spec_and_candidate())
def test_specifier_contains_matches_packaging(case: tuple[str, str]) -> None:
    spec, candidate = case
    expected = python(lambda: Specifier(spec).contains(candidate, prereleases=True))
    assert starlark(VERSIONS, "specifier_contains", spec, candidate) == expected, (spec, candidate)


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("~=2.2", "2.3", True),
        ("~=2.2", "3.0", False),
        ("~=2.2", "2.2a1", False),
        ("~=2.2.0", "2.2.9", True),
        ("~=2.2.0", "2.3", False),
        ("==1.1.*", "1.1.post1", True),
        ("==1.1.*", "1.1a1", True),
        ("==1.1.*", "1.10", False),
        ("!=1.1.*", "1.2", True),
        ("==1.0", "1.0+local.7", True),
        ("==1.0+local.7", "1.0", False),
        ("<1.0", "1.0rc1", False),
        ("<1.0rc2", "1.0rc1", True),
        (">1.0", "1.0.post1", False),
        (">1.0.post1", "1.0.post2", True),
        (">1.0", "1.0+local", False),
        ("<=1.0", "1.0+local", True),
        ("===1.0", "1.0", True),
        ("===1.0", "1.0.0", False),
        ("===Foo", "foo", True),
        (">=1!2.0", "2.0", False),
        ("<3.11.0rc1", "3.11.0b4", True),
    ],
)
def test_specifier_table(spec: str, version: str, expected: bool) -> None:
    assert Specifier(spec).contains(version, prereleases=True) is expected
    assert starlark(VERSIONS, "specifier_contains", spec, version) is expected


@pytest.mark.parametrize(
    "spec", ["~=2", "==1.0a1.*", "<1.0.*", ">=1.0+local", "=1.0", "==", "== 1.0 .*", "foo"]
)
def test_invalid_specifiers_fail_on_both_sides(spec: str) -> None:
    assert python(lambda: Specifier(spec)) == FAILED
    assert starlark(VERSIONS, "specifier_contains", spec, "1.0") == FAILED


# --- markers ----------------------------------------------------------------------

PY_VERSIONS = ["2.7", *(f"3.{n}" for n in range(15))]
VALUES: dict[str, list[str]] = {
    "python_version": [*PY_VERSIONS, "3", "3.*", "3.8.*", "3.10.0", "3.9b1"],
    "python_full_version": [
        "2.7.18",
        "3.8.10",
        "3.11.0rc1",
        "3.11.0",
        "3.12.1",
        "3.13.0a2",
        "3.10.0+",
        "3.10.*",
    ],
    "implementation_version": ["3.11.4", "7.3.13", "3.13.0a2", "24.1"],
    "platform_release": ["5.15.0-91-generic", "6.1.0", "22.6.0", "NT", "10", "4.19.0+"],
    "sys_platform": ["linux", "darwin", "win32", "cygwin", "lin", "linux2", "linux darwin"],
    "platform_system": ["Linux", "Darwin", "Windows", "Java", ""],
    "platform_machine": ["x86_64", "aarch64", "arm64", "AMD64", "i686", "ppc64le", "x86_64 aarch64"],
    "os_name": ["posix", "nt", "java"],
    "implementation_name": ["cpython", "pypy", "graalpy"],
    "platform_python_implementation": ["CPython", "PyPy", "Jython"],
    "platform_version": ["#1 SMP PREEMPT_DYNAMIC", "Darwin Kernel Version 23.1.0", "10.0.19045"],
    "extra": ["Foo_Bar", "foo-bar", "foo.bar", "test", "Docs", "", "a..b", "-x-"],
    "extras": ["Foo_Bar", "test", "docs"],
    "dependency_groups": ["Dev", "test_group"],
}
SPELLINGS: dict[str, list[str]] = {
    "os_name": ["os_name", "os.name"],
    "sys_platform": ["sys_platform", "sys.platform"],
    "platform_machine": ["platform_machine", "platform.machine"],
    "platform_version": ["platform_version", "platform.version"],
    "platform_python_implementation": [
        "platform_python_implementation",
        "platform.python_implementation",
        "python_implementation",
    ],
}
# `~=`/`===` on a string variable is an error in packaging; keep them rarer so
# most markers evaluate.
MARKER_OPS = [*OPERATORS, *OPERATORS[:6] * 5, *["in", "not in"] * 4, "not  in", "not\tin"]
GAPS = [" ", " ", " ", "", "  ", "\t"]
OPERANDS = [
    (spelling, value)
    for var, values in VALUES.items()
    for value in values
    for spelling in SPELLINGS.get(var, [var])
    for _ in range(3 if var == "extra" else 1)
]
ITEM_FORMATS = [
    (f"{{0}}{a}{{1}}{b}{q}{{2}}{q}", f"{q}{{2}}{q}{a}{{1}}{b}{{0}}")[flip]
    for a in GAPS
    for b in GAPS
    for q in "\"'"
    for flip in (0, 0, 0, 0, 1)
]
ITEMS = product(OPERANDS, ITEM_FORMATS, MARKER_OPS).map(lambda p: p[1].format(p[0][0], p[2], p[0][1]))
JOINERS = [f"{a}{op}{b}" for op in ("and", "or") for a in GAPS + [" "] * 6 for b in GAPS + [" "] * 6]


def marker_exprs(depth: int) -> st.SearchStrategy[str]:
    """`var op "value"` / `"value" op var` items (realistic values, every spelling and
    spacing), up to three joined by and/or, parenthesized sub-markers to ``depth``."""
    atom = ITEMS
    if depth > 0:
        atom = st.one_of(ITEMS, ITEMS, ITEMS, marker_exprs(depth - 1).map(lambda m: f"({m})"))
    joined = st.tuples(atom, st.lists(st.tuples(st.sampled_from(JOINERS), atom), max_size=2))
    return joined.map(lambda j: j[0] + "".join(joiner + a for joiner, a in j[1]))


ENV_KEYS = [
    "python_version",
    "python_full_version",
    "sys_platform",
    "platform_machine",
    "platform_release",
    "extra",
]
SETS = [None, (), (), ("Foo_Bar",), ("test", "foo-bar"), ("docs",), ("Dev", "test-group")]
ENV_CHOICES = product(*([None, None, *VALUES[key]] for key in ENV_KEYS), SETS, SETS)


def _environment(choices: tuple[Any, ...]) -> dict[str, Any]:
    *values, extras, groups = choices
    env: dict[str, Any] = dict(default_environment())
    env.update((key, value) for key, value in zip(ENV_KEYS, values, strict=True) if value is not None)
    if extras is not None:
        env["extras"] = frozenset(extras)
    if groups is not None:
        env["dependency_groups"] = frozenset(groups)
    return env


def environments() -> st.SearchStrategy[dict[str, Any]]:
    """The host's default environment with some keys replaced, sometimes with `extras`."""
    return ENV_CHOICES.map(_environment)


def to_starlark(env: Mapping[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in env.items()}


def check_marker(marker: str, env: Mapping[str, Any]) -> Any:
    expected = python(lambda: Marker(marker).evaluate(dict(env)))
    got = starlark(MARKERS, "evaluate_marker", marker, to_starlark(env))
    assert got == expected, (marker, {k: env[k] for k in sorted(env)})
    return got


@settings(max_examples=4000, deadline=None)
@given(marker_exprs(3), environments())
def test_evaluate_marker_matches_packaging(marker: str, env: dict[str, Any]) -> None:
    check_marker(marker, env)


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9._-]{0,12}", fullmatch=True))
def test_canonicalize_name_matches_packaging(name: str) -> None:
    assert starlark(MARKERS, "canonicalize_name", name) == canonicalize_name(name)


LINUX_311 = {
    **default_environment(),
    "python_version": "3.11",
    "python_full_version": "3.11.0b4",
    "sys_platform": "linux",
    "platform_machine": "x86_64",
    "platform_release": "6.1.0-13-amd64",
}


@pytest.mark.parametrize(
    ("marker", "overrides", "expected"),
    [
        ('python_version >= "3.8" and (sys_platform == "linux" or extra == "Foo_Bar")', {}, True),
        (
            'python_version >= "3.8" and (sys_platform == "win32" or extra == "Foo_Bar")',
            {"extra": "foo.bar"},
            True,
        ),
        ('python_version >= "3.8" and (sys_platform == "win32" or extra == "Foo_Bar")', {}, False),
        ('"linux" in sys_platform', {}, True),
        ('"lin" in sys_platform and "w" not in sys_platform', {}, True),
        ('python_full_version < "3.11.0rc1"', {}, True),
        ('python_full_version < "3.11.0"', {}, False),
        ('python_full_version >= "3.11"', {}, False),
        ('platform_machine not in "x86_64 aarch64"', {}, False),
        ('platform_machine in "x86_64 aarch64"', {"platform_machine": "arm"}, False),
        ('"3.12" > python_version', {}, True),
        ('python_version == "3.*"', {}, True),
        ('python_version != "3.1*"', {}, True),
        ('python_version < "3.*"', {}, False),
        ('python_version === "3.11"', {}, True),
        ('platform_release >= "6"', {}, False),
        ('platform_release == "6.1.0-13-amd64"', {}, True),
        ('os.name == "posix" and platform.machine == "x86_64"', {"os_name": "posix"}, True),
        ('python_implementation == "CPython"', {"platform_python_implementation": "CPython"}, True),
        ('extra == "Foo_Bar"', {"extra": "FOO--bar"}, True),
        ("extra == 'a..b'", {"extra": "A_B"}, True),
        ('"Foo_Bar" == extra', {"extra": "foo.bar"}, True),
        ('"Foo_Bar" != extra', {"extra": "foo-bar"}, False),
        ('"foo" in extra', {"extra": "Foo_Bar"}, True),
        ('"Foo" in extras', {"extras": frozenset({"foo", "bar"})}, True),
        ('python_version=="3.11"and(sys_platform=="linux")', {}, True),
        ("sys_platform == 'linux' or sys_platform == 'darwin' and os_name == 'nt'", {}, True),
        ('python_full_version == "3.11.0b4+"', {"python_full_version": "3.11.0b4+"}, False),
        ('python_full_version == "3.11.0b4"', {"python_full_version": "3.11.0b4+"}, True),
        ('sys_platform == "a\\tb"', {"sys_platform": "a\tb"}, True),
        ("python_version == python_full_version", {"python_version": "python_full_version"}, True),
    ],
)
def test_marker_table(marker: str, overrides: dict[str, Any], expected: bool) -> None:
    assert check_marker(marker, {**LINUX_311, **overrides}) is expected


@pytest.mark.parametrize(
    "marker",
    [
        "",
        'python_version >= "3.8" and',
        '(python_version >= "3.8"',
        'python_version >= "3.8")',
        "()",
        'python_version notin "3.8"',
        'python_version not"3.8"',
        'python_versionin "3.8"',
        'python_version >= "3.8" AND os_name == "nt"',
        'python_version => "3.8"',
        'foo == "bar"',
        '"a" == "b"',
        "python_version == '3.8\\'",
        'python_version ~= "3"',
        'os_name ~= "posix"',
        'os_name === "posix"',
        'extras == "x"',
        'python_version == "3.8" or os_name ~= "nt"',
        'sys_platform == "a\nb"',
    ],
)
def test_invalid_markers_fail_on_both_sides(marker: str) -> None:
    assert check_marker(marker, {**LINUX_311, "extras": frozenset({"x"})}) == FAILED
