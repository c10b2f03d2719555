"""Evaluate a pure-Starlark .bzl file from rules/private with starlark-pyo3."""

from __future__ import annotations

from pathlib import Path

import starlark as sl

PRIVATE = Path(__file__).resolve().parent.parent / "rules" / "private"


def eval_bzl(name: str, loads: dict[str, sl.FrozenModule] | None = None) -> sl.FrozenModule:
    """Evaluate ``rules/private/<name>``; ``loads`` maps load labels to modules it loads."""
    ast = sl.parse(name, (PRIVATE / name).read_text(), sl.Dialect.extended())
    module = sl.Module()
    loader = sl.FileLoader(lambda label: (loads or {})[label]) if loads else None
    # Bazel has `json` built in; the standard dialect does not.
    globals_ = sl.Globals.extended_by([sl.LibraryExtension.Json])
    sl.eval(module, ast, globals_, loader)
    return module.freeze()
