"""The graph of builds from source: topological order, cycles, seeds and stages.

A node is a package to build from its sdist (``name==version``); an edge
``A -> B`` says B, built from source, is in A's build environment. PEP 517
wants this graph acyclic; real backends break that (a backend whose own
dependencies are built with it). A cycle is refused unless *seeds* break it:
a seed's hash-pinned wheel stands in for it while the cycle is first built.

:func:`plan` orders the builds. Nodes outside cycles are built once, after
everything they need. Each cycle (a strongly connected component) with seeds
is built twice: stage 1 with the seeds' wheels for the edges into seeds and
stage-1 wheels for the rest, in an order that exists only if the seeds break
every cycle; stage 2 rebuilds every member with stage-1 wheels only. Stage 1
must equal stage 2 byte for byte (possible because the builds are
reproducible); stage 2 is what everything else uses, so no byte of a final
wheel was produced by the seed's own binary. Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import CycleError

__all__ = ["Cycle", "Plan", "Step", "plan", "strongly_connected"]


def strongly_connected(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), dependencies first, each sorted.

    Every successor must be a key of ``edges``.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = sorted(edges[node])
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def _cycle_path(edges: Mapping[str, Sequence[str]], members: set[str]) -> list[str]:
    """One concrete cycle inside ``members``, as a path that ends where it starts."""
    start = min(members)
    parent: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for node in frontier:
            for succ in sorted(edges[node]):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, start]
                if succ in members and succ not in seen:
                    seen.add(succ)
                    parent[succ] = node
                    nxt.append(succ)
        frontier = nxt
    return [start, start]


def _topo(nodes: Iterable[str], edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """Nodes in dependency order (a node after its successors), or None if a cycle remains."""
    nodes = sorted(nodes)
    members = set(nodes)
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(nodes):
        ready = [
            n for n in nodes if n not in placed and all(s in placed or s not in members for s in edges[n])
        ]
        if not ready:
            return None
        for n in ready:
            placed.add(n)
            done.append(n)
    return done


@dataclass(frozen=True)
class Cycle:
    """A strongly connected set of builds and the seeds that break it.

    Attributes:
        members: the nodes (sorted list[str]).
        seeds: the members whose seed wheels stand in for them in stage 1 (list[str]).
        stage1: the members in stage-1 order (list[str]).
    """

    members: list[str]
    seeds: list[str]
    stage1: list[str]


@dataclass(frozen=True)
class Step:
    """One build of :func:`plan`.

    Attributes:
        node: what is built (str).
        stage: 0 outside cycles; 1 or 2 inside one (int).
        deps: for each successor of ``node``, what provides it: ``(successor, stage)``
            where stage 0 is the final build, 1 the stage-1 build, and -1 the seed's
            wheel (list[tuple[str, int]]).
    """

    node: str
    stage: int
    deps: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """Every build, in an order that has each one's environment ready before it.

    Attributes:
        steps: the builds in order (list[Step]).
        cycles: the cycles and their seeds (list[Cycle]).
    """

    steps: list[Step]
    cycles: list[Cycle]


def plan(edges: Mapping[str, Sequence[str]], seeds: Iterable[str] = ()) -> Plan:
    """The order of builds for ``edges``, cycles broken by ``seeds`` (see the module docstring).

    A final build of a cycle member is its stage-2 build (``stage`` 2); other
    nodes use it through ``(member, 0)``, which means "the final wheel".

    Raises:
        CycleError: a cycle that no seed breaks (the message spells it out and
            names the fix), or a seed that is in no cycle.
    """
    seed_set = set(seeds)
    unknown = sorted(seed_set - set(edges))
    if unknown:
        raise CycleError(
            f"seed {unknown[0]} is not built from source here; drop --seed {unknown[0].split('==')[0]}"
        )
    components = strongly_connected(edges)
    steps: list[Step] = []
    cycles: list[Cycle] = []
    used_seeds: set[str] = set()
    for component in components:
        members = set(component)
        cyclic = len(component) > 1 or component[0] in edges[component[0]]
        if not cyclic:
            node = component[0]
            steps.append(Step(node, 0, [(d, 0) for d in sorted(edges[node])]))
            continue
        here = sorted(members & seed_set)
        broken = {n: [s for s in edges[n] if s not in seed_set or s not in members] for n in members}
        order = _topo(members, broken) if here else None
        if order is None:
            # the cycle left once the seeds' edges are cut (which need not pass through min(members))
            graph = broken if here else edges
            inner = {n: [s for s in graph[n] if s in members] for n in members}
            left = next(c for c in strongly_connected(inner) if len(c) > 1 or c[0] in inner[c[0]])
            path = " -> ".join(n.split("==")[0] for n in _cycle_path(graph, set(left)))
            names = ", ".join(sorted({n.split("==")[0] for n in left}))
            hint = "a seed here does not break it" if here else "nothing breaks it"
            raise CycleError(
                f"build requirements form a cycle: {path} ({hint}); break it with a seed, the hash-pinned "
                f"wheel of one member from the index: --seed NAME (one of {names}); its influence is then "
                "washed out by building the cycle twice"
            )
        used_seeds.update(here)
        cycles.append(Cycle(sorted(members), here, order))
        for node in order:
            deps = []
            for succ in sorted(edges[node]):
                if succ not in members:
                    deps.append((succ, 0))
                elif succ in seed_set:
                    deps.append((succ, -1))
                else:
                    deps.append((succ, 1))
            steps.append(Step(node, 1, deps))
        for node in order:
            steps.append(Step(node, 2, [(s, 0 if s not in members else 1) for s in sorted(edges[node])]))
    unused = sorted(seed_set - used_seeds)
    if unused:
        raise CycleError(
            f"seed {unused[0]} breaks no cycle (nothing needs it to build itself); drop "
            f"--seed {unused[0].split('==')[0]} and build it from source like the rest"
        )
    return Plan(steps, cycles)
