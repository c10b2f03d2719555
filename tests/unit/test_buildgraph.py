"""wheelhouse.buildgraph: the order of builds from source, cycles refused or broken by seeds."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wheelhouse.buildgraph import Plan, Step, plan, strongly_connected
from wheelhouse.errors import CycleError, WheelhouseError

NAMES = [f"n{i}" for i in range(7)]


def reachable(edges: Mapping[str, Sequence[str]], start: str) -> set[str]:
    """Every node reachable from ``start`` in one step or more."""
    seen: set[str] = set()
    todo = list(edges[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo += edges[node]
    return seen


def check_plan(edges: Mapping[str, Sequence[str]], seeds: Iterable[str], result: Plan) -> None:
    """Every step's environment is ready before it, with the meaning of each dep stage."""
    seeds = set(seeds)
    cycle_of = {m: frozenset(c.members) for c in result.cycles for m in c.members}
    finals: set[str] = set()  # nodes whose final build (stage 0 or 2) came earlier
    stage1: set[str] = set()  # nodes whose stage-1 build came earlier
    for step in result.steps:
        where = f"{step} in {result.steps}"
        assert sorted(d for d, _ in step.deps) == sorted(edges[step.node]), where
        for dep, stage in step.deps:
            same_cycle = step.node in cycle_of and dep in cycle_of[step.node]
            if stage == -1:
                assert step.stage == 1 and same_cycle and dep in seeds, where
            elif stage == 1:
                assert step.stage in (1, 2) and same_cycle and dep in stage1, where
                assert dep not in seeds or step.stage == 2, f"stage 1 must use the seed's wheel: {where}"
            else:
                assert stage == 0 and dep in finals and not same_cycle, where
        if step.stage == 1:
            assert step.node in cycle_of and step.node not in stage1, where
            stage1.add(step.node)
        else:
            assert step.node not in finals, where
            assert (step.stage == 2) == (step.node in cycle_of), where
            finals.add(step.node)
    assert finals == set(edges), "every node has exactly one final build"
    assert stage1 == set(cycle_of), "every cycle member has exactly one stage-1 build"


def first_line(exc: pytest.ExceptionInfo[WheelhouseError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------
# Without cycles
# --------------------------------------------------------------------------


def test_chain_is_built_dependencies_first() -> None:
    edges = {"app==1": ["flit==2"], "flit==2": ["tomli==3"], "tomli==3": []}
    result = plan(edges)
    assert result.steps == [
        Step("tomli==3", 0, []),
        Step("flit==2", 0, [("tomli==3", 0)]),
        Step("app==1", 0, [("flit==2", 0)]),
    ]
    assert result.cycles == []


def test_diamond_builds_the_shared_dependency_once() -> None:
    edges = {"top": ["left", "right"], "left": ["base"], "right": ["base"], "base": []}
    result = plan(edges)
    assert [s.node for s in result.steps].count("base") == 1
    order = [s.node for s in result.steps]
    assert order[0] == "base" and order[-1] == "top"
    assert result.steps[-1].deps == [("left", 0), ("right", 0)]
    check_plan(edges, (), result)


def test_independent_nodes_in_a_stable_order() -> None:
    edges: dict[str, list[str]] = {"b": [], "a": [], "c": []}
    assert [s.node for s in plan(edges).steps] == ["a", "b", "c"]
    assert plan(edges) == plan(dict(reversed(list(edges.items()))))


# --------------------------------------------------------------------------
# Cycles refused
# --------------------------------------------------------------------------


def test_self_loop_is_refused_naming_it_and_the_fix() -> None:
    with pytest.raises(CycleError) as exc:
        plan({"s==1.0": ["s==1.0"], "app==1": ["s==1.0"]})
    message = first_line(exc)
    assert "s -> s" in message
    assert "--seed" in message and "one of s)" in message
    assert "==" not in message, "versions are left out of the path"


def test_four_cycle_is_spelled_out() -> None:
    edges = {"h": ["p"], "p": ["scm"], "scm": ["v"], "v": ["h"], "app": ["h"]}
    with pytest.raises(CycleError) as exc:
        plan(edges)
    message = first_line(exc)
    assert "h -> p -> scm -> v -> h" in message
    assert "nothing breaks it" in message
    assert "--seed NAME (one of h, p, scm, v)" in message


def test_cycle_path_is_a_real_cycle_of_the_graph() -> None:
    # two ways round from a: the message shows one that exists
    edges = {"a": ["b", "c"], "b": ["a"], "c": ["b"]}
    with pytest.raises(CycleError) as exc:
        plan(edges)
    path = re.search(r"cycle: (.*?) \(", first_line(exc))
    assert path is not None
    nodes = path.group(1).split(" -> ")
    assert nodes[0] == nodes[-1]
    for a, b in itertools.pairwise(nodes):
        assert b in edges[a], f"{a} -> {b} is not an edge"


def test_a_seed_that_leaves_another_cycle_is_refused_with_that_cycle() -> None:
    # seed a breaks a <-> b, but b <-> c remains; the message must show b <-> c, not a
    edges = {"a": ["b"], "b": ["a", "c"], "c": ["b"]}
    with pytest.raises(CycleError) as exc:
        plan(edges, ["a"])
    message = first_line(exc)
    assert "a seed here does not break it" in message
    assert "b -> c -> b" in message, message


def test_seed_in_no_cycle_is_refused() -> None:
    edges = {"s": ["s"], "lone": [], "app": ["lone"]}
    with pytest.raises(CycleError) as exc:
        plan(edges, ["s", "lone"])
    message = first_line(exc)
    assert "seed lone breaks no cycle" in message and "drop --seed lone" in message


def test_seed_not_built_from_source_is_refused() -> None:
    with pytest.raises(CycleError) as exc:
        plan({"s==1": ["s==1"]}, ["s==1", "other==2"])
    message = first_line(exc)
    assert "seed other==2 is not built from source here" in message
    assert "drop --seed other" in message


# --------------------------------------------------------------------------
# Cycles broken by seeds
# --------------------------------------------------------------------------


def test_self_loop_with_its_seed_builds_twice() -> None:
    edges = {"s": ["s"], "app": ["s"]}
    result = plan(edges, ["s"])
    assert result.steps == [
        Step("s", 1, [("s", -1)]),
        Step("s", 2, [("s", 1)]),
        Step("app", 0, [("s", 0)]),
    ]
    assert [(c.members, c.seeds, c.stage1) for c in result.cycles] == [(["s"], ["s"], ["s"])]


@pytest.mark.parametrize("seed", ["h", "p", "scm", "v"])
def test_any_member_seeds_the_four_cycle(seed: str) -> None:
    edges = {"h": ["p"], "p": ["scm"], "scm": ["v"], "v": ["h"], "app": ["h"]}
    result = plan(edges, [seed])
    check_plan(edges, [seed], result)
    (cycle,) = result.cycles
    assert cycle.members == ["h", "p", "scm", "v"] and cycle.seeds == [seed]
    # the member that needs the seed comes first in stage 1, the seed last
    needer = next(n for n, succ in edges.items() if seed in succ and n != "app")
    assert cycle.stage1[0] == needer and cycle.stage1[-1] == seed
    first = [s for s in result.steps if s.stage == 1]
    assert first[0] == Step(needer, 1, [(seed, -1)])
    assert [s.node for s in result.steps if s.stage == 2] == cycle.stage1
    assert result.steps[-1] == Step("app", 0, [("h", 0)])


def test_four_cycle_worked_example() -> None:
    edges = {"h": ["p"], "p": ["scm"], "scm": ["v"], "v": ["h"]}
    assert plan(edges, ["v"]).steps == [
        Step("scm", 1, [("v", -1)]),
        Step("p", 1, [("scm", 1)]),
        Step("h", 1, [("p", 1)]),
        Step("v", 1, [("h", 1)]),
        Step("scm", 2, [("v", 1)]),
        Step("p", 2, [("scm", 1)]),
        Step("h", 2, [("p", 1)]),
        Step("v", 2, [("h", 1)]),
    ]


def test_two_independent_cycles_and_a_node_needing_both() -> None:
    edges = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c", "x"], "x": [], "top": ["a", "c"]}
    result = plan(edges, ["a", "c"])
    check_plan(edges, ["a", "c"], result)
    assert sorted((c.members, c.seeds) for c in result.cycles) == [(["a", "b"], ["a"]), (["c", "d"], ["c"])]
    assert result.steps[-1] == Step("top", 0, [("a", 0), ("c", 0)])
    # x is outside the cycle: stage 1 uses its final build
    assert Step("d", 1, [("c", -1), ("x", 0)]) in result.steps


def test_one_seed_cannot_break_two_cycles() -> None:
    edges = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"]}
    with pytest.raises(CycleError) as exc:
        plan(edges, ["a"])
    assert "c -> d -> c" in first_line(exc)


def test_cycle_outside_a_cycle_uses_final_builds() -> None:
    # the lower cycle is finished (stage 2) before the upper one starts
    edges = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"]}
    result = plan(edges, ["a", "c"])
    check_plan(edges, ["a", "c"], result)
    assert Step("b", 1, [("a", -1), ("c", 0)]) in result.steps


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


def expected_ok(edges: Mapping[str, Sequence[str]], seeds: set[str]) -> bool:
    """Whether a plan exists: every seed on a cycle, every cycle broken by cutting edges into seeds."""
    reach = {n: reachable(edges, n) for n in edges}
    if any(s not in edges or s not in reach[s] for s in seeds):
        return False

    def same(a: str, b: str) -> bool:
        return a == b or (b in reach[a] and a in reach[b])

    cut = {n: [s for s in edges[n] if same(n, s) and s not in seeds] for n in edges}
    return not any(n in reachable(cut, n) for n in cut)


graphs = st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=3, unique=True))


@settings(max_examples=800, deadline=None)
@given(graphs, st.sets(st.sampled_from([*NAMES, "ghost"]), max_size=3))
def test_random_graphs_and_seeds(partial: dict[str, list[str]], seeds: set[str]) -> None:
    nodes = set(partial) | {d for ds in partial.values() for d in ds} | (seeds - {"ghost"})
    edges = {n: partial.get(n, []) for n in sorted(nodes)}
    try:
        result = plan(edges, seeds)
    except CycleError as exc:
        assert not expected_ok(edges, seeds), f"refused a graph a seed set breaks: {exc}"
        assert "\n" not in str(exc)
        path = re.search(r"cycle: (.*?) \(", str(exc))
        if path is not None:  # a cycle is spelled out: it exists and no seed cuts it
            names = path.group(1).split(" -> ")
            assert names[0] == names[-1]
            for a, b in itertools.pairwise(names):
                assert b in edges[a] and b not in seeds, f"{a} -> {b} in {exc}"
        return
    assert expected_ok(edges, seeds), f"planned a graph no seed breaks: {edges} {seeds}"
    check_plan(edges, seeds, result)
    assert sorted(s for c in result.cycles for s in c.seeds) == sorted(seeds)


@settings(max_examples=500, deadline=None)
@given(graphs)
def test_strongly_connected_is_mutual_reachability(partial: dict[str, list[str]]) -> None:
    nodes = set(partial) | {d for ds in partial.values() for d in ds}
    edges = {n: partial.get(n, []) for n in sorted(nodes)}
    components = strongly_connected(edges)
    position = {n: i for i, c in enumerate(components) for n in c}
    assert sorted(position) == sorted(nodes)
    reach = {n: reachable(edges, n) | {n} for n in nodes}
    for a in nodes:
        for b in nodes:
            assert (position[a] == position[b]) == (b in reach[a] and a in reach[b])
    for a, succ in edges.items():
        for b in succ:
            assert position[b] <= position[a], "dependencies first"
