"""The run-time dependency graph of a lock on one target, in pure Starlark.

Edges come from each package's `Requires-Dist` (or the lock's `dependencies`),
with markers evaluated for the target and extras followed as an installer
does: a package's extra-gated requirements count once some package on the
target asks for that extra. Cycles (which Bazel cannot express) are found with
an iterative Tarjan and turned into one library per cycle. No Bazel builtins:
tests/unit/test_starlark_graph.py evaluates this file with starlark-pyo3.
"""

load(":markers.bzl", "canonicalize_name", "evaluate_marker")

def _holds(cache, marker, extra, env):
    key = (marker, extra)
    if key not in cache:
        cache[key] = evaluate_marker(marker, dict(env, extra = extra))
    return cache[key]

def resolve_edges(active, requires, env):
    """Which packages each package needs on a target.

    Args:
      active: dict[str, bool], the normalized names present on the target.
      requires: dict[str, list[[str, list[str], str]]], per package its
        requirements as [normalized name, requested extras, marker or ""].
      env: dict, the target's PEP 508 environment (without `extra`).
    Returns:
      dict[str, list[str]]: per active package, its dependencies on the target
      (sorted), restricted to active packages.
    """
    cache = {}
    requested = {name: {"": True} for name in active}
    edges = {name: {} for name in active}
    work = [(name, "") for name in sorted(active)]
    bound = len(work) + 1
    for name in active:
        for req in requires.get(name, []):
            bound += 1 + len(req[1])
    for _ in range(bound):
        if not work:
            break
        name, extra = work.pop()
        for dep, extras, marker in requires.get(name, []):
            if dep not in active:
                continue
            if marker and not _holds(cache, marker, extra, env):
                continue
            edges[name][dep] = True
            for e in extras:
                e = canonicalize_name(e)
                if e not in requested[dep]:
                    requested[dep][e] = True
                    work.append((dep, e))
    return {name: sorted(deps) for name, deps in edges.items()}

def strongly_connected(edges):
    """Strongly connected components (Tarjan, iterative), dependencies first.

    Args:
      edges: dict[str, list[str]], node -> successors (every successor is a key).
    Returns:
      list[list[str]]: the components, each sorted; a component comes after
      every component it depends on.
    """
    index = {}
    low = {}
    on_stack = {}
    stack = []
    out = []
    bound = 2 * len(edges) + 1
    for succ in edges.values():
        bound += len(succ)
    for root in sorted(edges):
        if root in index:
            continue
        work = [[root, 0]]
        for _ in range(bound):
            if not work:
                break
            frame = work[-1]
            v = frame[0]
            if frame[1] == 0 and v not in index:
                index[v] = len(index)
                low[v] = index[v]
                stack.append(v)
                on_stack[v] = True
            succ = edges[v]
            if frame[1] < len(succ):
                w = succ[frame[1]]
                frame[1] += 1
                if w not in index:
                    work.append([w, 0])
                elif on_stack.get(w):
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                component = []
                for _ in range(len(stack)):
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(w)
                    if w == v:
                        break
                out.append(sorted(component))
    return out
