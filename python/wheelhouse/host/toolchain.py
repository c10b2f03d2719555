"""The Bazel toolchain's identity, computed and checked where an action runs.

The rules put two strings into every action's environment, and so into its key:
``WHEELHOUSE_INTERPRETER`` (implementation, version, ABI and platform of the
interpreter) and ``WHEELHOUSE_TOOLS`` (the first line of ``gcc``, ``g++`` and
``strip --version``). They are computed where Bazel runs (``local_python_toolchain``)
or declared (``wheelhouse.toolchain(interpreter_key = ..., tools_key = ...)``), but
the action may run on a remote worker. If the worker's interpreter or compilers are
not the ones the key names, the wheel it would build is not the one the key
promises, and a cache would serve it to every machine under that key. So an action
checks them first and fails with the key of what it found: a worker with another
Python is an error (and, once the toolchain names it, a different key, a miss),
never a wrong hit.

The formats here and in ``rules/private/local_toolchain.bzl`` must stay the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from ..errors import WheelhouseError

#: The tools whose versions are the toolchain's tools key, in order.
TOOLS = ("gcc", "g++", "strip")


class ToolchainMismatch(WheelhouseError):
    """The machine running an action is not the one the toolchain's key names."""


def interpreter_key() -> str:
    """``implementation-version-SOABI-platform`` of the running interpreter."""
    return "{}-{}-{}-{}".format(
        sys.implementation.name,
        ".".join(map(str, sys.version_info[:3])),
        sysconfig.get_config_var("SOABI") or "none",
        sysconfig.get_platform().replace("-", "_").replace(".", "_"),
    )


def _first_line(tool: str, path: str) -> str:
    found = None
    for directory in path.split(os.pathsep):
        candidate = Path(directory or ".") / tool
        if directory and candidate.is_file() and os.access(candidate, os.X_OK):
            found = candidate
            break
    if found is None:
        return tool + " missing"
    try:
        out = subprocess.run([str(found), "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return tool + " missing"
    return (out.strip().split("\n") or [""])[0]


def tools_key(path: str) -> str:
    """The tools key for the tools found on ``path`` (a ``PATH`` value)."""
    return " / ".join(_first_line(tool, path) for tool in TOOLS)


def declaration(python: str, path: str) -> str:
    """The MODULE.bazel line that declares this machine's toolchain without probing."""
    # JSON strings are Starlark strings.
    return (
        f"wheelhouse.toolchain(python = {json.dumps(python)}, "
        f"interpreter_key = {json.dumps(interpreter_key())}, tools_key = {json.dumps(tools_key(path))})"
    )


def check_action_toolchain(environ: Mapping[str, str], *, tools: bool) -> None:
    """Fail if this machine is not the toolchain the action's key names.

    Does nothing outside Bazel (no ``WHEELHOUSE_INTERPRETER`` in ``environ``).
    With ``tools``, the compilers are checked too (``WHEELHOUSE_TOOLS`` against
    the tools on ``PATH``).

    Raises:
        ToolchainMismatch: naming what the key says, what is here, and the fix.
    """
    want = environ.get("WHEELHOUSE_INTERPRETER")
    if not want:
        return
    path = environ.get("PATH", "")
    problems = []
    have = interpreter_key()
    if have != want:
        problems.append(f"its interpreter {sys.executable} is {have}, the toolchain's key says {want}")
    want_tools = environ.get("WHEELHOUSE_TOOLS")
    if tools and want_tools:
        have_tools = tools_key(path)
        if have_tools != want_tools:
            problems.append(f"its compilers are '{have_tools}', the toolchain's key says '{want_tools}'")
    if problems:
        raise ToolchainMismatch(
            "this machine cannot run the action: "
            + "; ".join(problems)
            + ". Run it on a worker that has the toolchain's interpreter and compilers (choose the worker "
            "image with the execution platform's exec_properties), or declare this machine's toolchain in "
            "MODULE.bazel: " + declaration(sys.executable, path)
        )
