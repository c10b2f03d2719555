"""rules/private/graph.bzl, evaluated with starlark-pyo3, against Python references.

``resolve_edges`` must agree with an installer-style closure written with
``packaging.markers`` (extras requested by dependents enable extra-gated
requirements), and ``strongly_connected`` with mutual reachability, on
generated graphs.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker

from starlark_eval import eval_bzl

VERSIONS = eval_bzl("versions.bzl")
MARKERS = eval_bzl("markers.bzl", {":versions.bzl": VERSIONS})
GRAPH = eval_bzl("graph.bzl", {":markers.bzl": MARKERS})

NAMES = [f"p{i}" for i in range(8)]
ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.0",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.14.0",
    "python_version": "3.14",
    "sys_platform": "linux",
}
MARKER_POOL = [
    "",
    'sys_platform == "win32"',
    'python_version >= "3.10"',
    'extra == "a"',
    'extra == "B_"',
    'extra == "a" and platform_machine == "x86_64"',
    'extra == "c" or sys_platform == "darwin"',
    'python_version < "3.8" and extra == "a"',
]


def reference_edges(active: set[str], requires: dict[str, list[Any]]) -> dict[str, list[str]]:
    """What an installer would install for each package, with requested extras."""
    requested: dict[str, set[str]] = {name: {""} for name in active}
    edges: dict[str, set[str]] = {name: set() for name in active}
    changed = True
    while changed:
        changed = False
        for name in sorted(active):
            for extra in sorted(requested[name]):
                for dep, extras, marker in requires.get(name, []):
                    if dep not in active:
                        continue
                    if marker and not Marker(marker).evaluate({**ENV, "extra": extra}):
                        continue
                    edges[name].add(dep)
                    for e in extras:
                        e = e.lower().replace("_", "-")
                        if e not in requested[dep]:
                            requested[dep].add(e)
                            changed = True
    return {name: sorted(deps) for name, deps in edges.items()}


requirement = st.tuples(
    st.sampled_from([*NAMES, "missing"]),
    st.lists(st.sampled_from(["a", "b_", "c"]), max_size=2, unique=True),
    st.sampled_from(MARKER_POOL),
)


@settings(max_examples=1500, deadline=None)
@given(
    st.sets(st.sampled_from(NAMES), min_size=1),
    st.dictionaries(st.sampled_from(NAMES), st.lists(requirement, max_size=4)),
)
def test_resolve_edges_matches_an_installer(active: set[str], requires: dict[str, list[Any]]) -> None:
    reqs = {name: [[d, list(e), m] for d, e, m in rs] for name, rs in requires.items()}
    ours = GRAPH.call("resolve_edges", dict.fromkeys(sorted(active), True), reqs, ENV)
    assert ours == reference_edges(active, requires)


def reachable(edges: dict[str, list[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=4, unique=True)))
def test_strongly_connected_components(partial: dict[str, list[str]]) -> None:
    nodes = set(partial) | {d for ds in partial.values() for d in ds}
    edges = {n: partial.get(n, []) for n in sorted(nodes)}
    components = GRAPH.call("strongly_connected", edges)
    assert sorted(n for c in components for n in c) == sorted(nodes)
    reach = {n: reachable(edges, n) for n in nodes}
    position = {}
    for i, component in enumerate(components):
        assert component == sorted(component)
        for a in component:
            position[a] = i
            for b in component:
                assert b in reach[a] and a in reach[b]
    for a in nodes:
        for b in nodes:
            if position[a] != position[b] and b in reach[a] and a in reach[b]:
                raise AssertionError(f"{a} and {b} are mutually reachable but split")
    for a, succ in edges.items():
        for b in succ:
            assert position[b] <= position[a], "a component must come after the ones it depends on"


def test_cycle_of_three_and_a_tail() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": []}
    assert GRAPH.call("strongly_connected", edges) == [["d"], ["a", "b", "c"]]
