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

def _first_line(rctx, tool):
    path = rctx.which(tool)
    if not path:
        return tool + " missing"
    result = rctx.execute([path, "--version"])
    return (result.stdout.strip().split("\n") or [""])[0]

def _local_python_toolchain_impl(rctx):
    python = rctx.attr.python
    path = find_interpreter(rctx, python)
    result = rctx.execute([path, "-I", "-c", _DESCRIBE])
    if result.return_code != 0:
        fail("wheelhouse: {} does not run ({}); pass a working Python >= 3.11".format(path, result.stderr.strip()))
    tools_key = " / ".join([_first_line(rctx, t) for t in ("gcc", "g++", "strip")])
    rctx.file("BUILD.bazel", _BUILD.format(
        python = repr(str(path)),
        key = repr(result.stdout.strip()),
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
        "core_wheels": attr.string_list(doc = "list[str]: labels of the core's dependency wheels."),
    },
    configure = True,
)
