"""The wheel-build toolchain: interpreter, core, compilers."""

load(":providers.bzl", "WheelhouseToolchainInfo")

TOOLCHAIN_TYPE = Label("//toolchains:wheel_build")

# PATH for build backends unless configured: where the compiler and binutils are.
DEFAULT_TOOLS_PATH = "/usr/local/bin:/usr/bin:/bin"

def _wheelhouse_toolchain_impl(ctx):
    core_site = ctx.actions.declare_directory(ctx.label.name + "_core_site")
    args = ctx.actions.args()
    args.add(ctx.file._unpack)
    args.add(core_site.path)
    args.add_all(ctx.files.core_wheels)
    ctx.actions.run(
        executable = ctx.attr.python,
        arguments = [args],
        inputs = [ctx.file._unpack] + ctx.files.core_wheels,
        outputs = [core_site],
        mnemonic = "WheelhouseCoreSite",
        progress_message = "Unpacking the wheelhouse core's dependencies for %{label}",
        env = {"PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"},
    )
    core_srcs = ctx.files.core_srcs
    init = [f for f in core_srcs if f.path.endswith("wheelhouse/__init__.py")]
    if len(init) != 1:
        fail("core_srcs of {} must contain exactly one wheelhouse/__init__.py".format(ctx.label))
    core_root = init[0].dirname.rpartition("/")[0]
    info = WheelhouseToolchainInfo(
        python = ctx.attr.python,
        interpreter_key = ctx.attr.interpreter_key,
        tools_key = ctx.attr.tools_key,
        tools_path = ctx.attr.tools_path,
        core_site = core_site,
        core_srcs = depset(core_srcs),
        core_root = core_root,
    )
    return [platform_common.ToolchainInfo(wheelhouse = info)]

wheelhouse_toolchain = rule(
    implementation = _wheelhouse_toolchain_impl,
    doc = "Declares a toolchain of type `@rules_wheelhouse//toolchains:wheel_build`.",
    attrs = {
        "python": attr.string(mandatory = True, doc = "str: absolute path of the interpreter."),
        "interpreter_key": attr.string(mandatory = True, doc = "str: implementation, version, ABI and platform of `python`."),
        "tools_key": attr.string(default = "", doc = "str: compiler and binutils versions."),
        "tools_path": attr.string(default = DEFAULT_TOOLS_PATH, doc = "str: PATH for build backends."),
        "core_wheels": attr.label_list(allow_files = [".whl"], mandatory = True, doc = "list[Label]: hash-pinned wheels of packaging, installer, build, pyproject_hooks, variantlib, platformdirs."),
        "core_srcs": attr.label(default = Label("//python:core"), allow_files = True, doc = "Label: the `wheelhouse` package sources."),
        "_unpack": attr.label(default = Label("//rules/private/tools:unpack_wheels.py"), allow_single_file = True),
    },
)

def wheelhouse_env(tc):
    """The environment of every action that runs the core.

    Args:
      tc: WheelhouseToolchainInfo.
    Returns:
      dict[str, str]
    """
    return {
        "PYTHONPATH": tc.core_root + ":" + tc.core_site.path,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PATH": tc.tools_path,
        # The interpreter's and tools' identity in the action key (the interpreter path
        # alone does not change with it); the core checks them where the action runs
        # (python/wheelhouse/host/toolchain.py), so a remote worker with another Python fails.
        "WHEELHOUSE_INTERPRETER": tc.interpreter_key,
        "WHEELHOUSE_TOOLS": tc.tools_key,
    }

def wheelhouse_inputs(tc):
    """The files every core action reads.

    Args:
      tc: WheelhouseToolchainInfo.
    Returns:
      depset[File]
    """
    return depset([tc.core_site], transitive = [tc.core_srcs])
