"""py_wheel_library: wheels installed into a tree, consumed as a Python library."""

load("@rules_python//python:defs.bzl", "PyInfo")
load(":actions/install.bzl", "register_install_action")
load(":providers.bzl", "WheelSetInfo")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")
load(":wheels.bzl", "collect_wheels")

def _import_path(ctx, tree):
    # PyInfo.imports are relative to the runfiles root: "<repo>/<path>".
    short = tree.short_path
    if short.startswith("../"):
        return short[len("../"):] + "/site-packages"
    return ctx.workspace_name + "/" + short + "/site-packages"

def _py_wheel_library_impl(ctx):
    tc = ctx.toolchains[TOOLCHAIN_TYPE].wheelhouse
    wheels = collect_wheels(ctx, ctx.attr.wheels, "wheels")
    if not ctx.attr.wheels:
        fail("{}: `wheels` is empty; list at least one py_wheel_dep target or .whl file".format(ctx.label))
    tree = ctx.actions.declare_directory(ctx.label.name + ".site")
    register_install_action(ctx, tc = tc, wheels = wheels, tree = tree)
    deps = [d[PyInfo] for d in ctx.attr.deps]
    runfiles = ctx.runfiles(files = [tree])
    for dep in ctx.attr.deps:
        runfiles = runfiles.merge(dep[DefaultInfo].default_runfiles)
    closure = depset(transitive = [wheels] + [d[WheelSetInfo].wheels for d in ctx.attr.deps if WheelSetInfo in d])
    return [
        DefaultInfo(files = depset([tree]), runfiles = runfiles),
        WheelSetInfo(wheels = closure),
        PyInfo(
            transitive_sources = depset([tree], transitive = [d.transitive_sources for d in deps]),
            imports = depset([_import_path(ctx, tree)], transitive = [d.imports for d in deps]),
            uses_shared_libraries = True,
            has_py3_only_sources = True,
        ),
    ]

py_wheel_library = rule(
    implementation = _py_wheel_library_impl,
    doc = """Installs wheels with `installer` (in a `WheelhouseInstall` action) into a
tree artifact and provides `PyInfo`, so `py_library`, `py_binary` and `py_test`
can depend on it. No bytecode is compiled: the tree depends only on the wheels.

It also provides `WheelSetInfo` (its wheels and those of its `deps`), so a
`py_wheel_dep` can take it in `build_deps` and get the whole closure.
""",
    attrs = {
        "wheels": attr.label_list(mandatory = True, allow_files = True, doc = "list[Label]: `py_wheel_dep` targets or `.whl` files, installed together."),
        "deps": attr.label_list(providers = [PyInfo], doc = "list[Label]: other Python libraries this one needs at run time."),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
