"""local_python_toolchain: a wheelhouse toolchain for an interpreter on this machine.

Only inspects the interpreter and the compiler (versions and tags for the action
key) and writes a BUILD file; it builds nothing.
"""

load(":interpreter.bzl", "find_interpreter")
load(":toolchain.bzl", "DEFAULT_TOOLS_PATH")

_DESCRIBE = """
import sys, sysconfig
print("{}-{}-{}-{}".format(
    sys.implementation.name,
    ".".join(map(str, sys.version_info[:3])),
    sysconfig.get_config_var("SOABI") or "none",
    sysconfig.get_platform().replace("-", "_").replace(".", "_"),
))
"""

_BUILD = """\
load("@rules_wheelhouse//rules/private:toolchain.bzl", "wheelhouse_toolchain")

wheelhouse_toolchain(
    name = "local",
    python = {python},
    interpreter_key = {key},
    tools_key = {tools_key},
    tools_path = {tools_path},
    core_wheels = {core_wheels},
    visibility = ["//visibility:public"],
)

toolchain(
    name = "toolchain",
    toolchain = ":local",
    toolchain_type = "@rules_wheelhouse//toolchains:wheel_build",
    visibility = ["//visibility:public"],
)
"""

def _first_line(rctx, tool, tools_path):
    # Looked up on tools_path, as the action's PATH will find it (not the repository rule's PATH).
    path = None
    for directory in tools_path.split(":"):
        candidate = rctx.path(directory + "/" + tool) if directory else None
        if candidate and candidate.exists and not candidate.is_dir:
            path = candidate
            break
    if not path:
        return tool + " missing"
    result = rctx.execute([path, "--version"])
    return (result.stdout.strip().split("\n") or [""])[0]

def _local_python_toolchain_impl(rctx):
    python = rctx.attr.python
    key = rctx.attr.interpreter_key
    if key:
        # Declared (e.g. for remote workers): nothing is probed; the action checks it where it runs.
        if not python.startswith("/"):
            fail("wheelhouse: wheelhouse.toolchain(interpreter_key = ...) needs python as an absolute path on the workers, not {}".format(repr(python)))
        path = python
    else:
        path = str(find_interpreter(rctx, python))
        result = rctx.execute([path, "-I", "-c", _DESCRIBE])
        if result.return_code != 0:
            fail("wheelhouse: {} does not run ({}); pass a working Python >= 3.11".format(path, result.stderr.strip()))
        key = result.stdout.strip()
    tools_key = rctx.attr.tools_key or " / ".join([_first_line(rctx, t, rctx.attr.tools_path) for t in ("gcc", "g++", "strip")])
    rctx.file("BUILD.bazel", _BUILD.format(
        python = repr(path),
        key = repr(key),
        tools_key = repr(tools_key),
        tools_path = repr(rctx.attr.tools_path),
        core_wheels = repr(rctx.attr.core_wheels),
    ))

local_python_toolchain = repository_rule(
    implementation = _local_python_toolchain_impl,
    doc = "Writes `@<name>//:toolchain` for a local interpreter.",
    attrs = {
        "python": attr.string(default = "python3", doc = "str: interpreter name on PATH or absolute path."),
        "tools_path": attr.string(default = DEFAULT_TOOLS_PATH, doc = "str: PATH for build backends."),
        "interpreter_key": attr.string(doc = "str: declared interpreter key (`wheelhouse toolchain-key` on the worker); empty: probe `python` here."),
        "tools_key": attr.string(doc = "str: declared tools key; empty: probe gcc, g++ and strip on `tools_path` here."),
        "core_wheels": attr.string_list(doc = "list[str]: labels of the core's dependency wheels."),
    },
    configure = True,
)
