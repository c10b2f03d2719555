"""py_build_env: a build environment installed once, shared read-only by every build that names it."""

load(":actions/build_env.bzl", "register_build_env_action")
load(":providers.bzl", "BuildEnvInfo")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")
load(":wheels.bzl", "collect_wheels")

def _py_build_env_impl(ctx):
    tc = ctx.toolchains[TOOLCHAIN_TYPE].wheelhouse
    wheels = collect_wheels(ctx, ctx.attr.wheels, "wheels")
    env_dir = ctx.actions.declare_directory(ctx.label.name + ".env")
    register_build_env_action(ctx, tc = tc, wheels = wheels, env_dir = env_dir)
    return [
        DefaultInfo(files = depset([env_dir])),
        BuildEnvInfo(env_dir = env_dir, wheels = wheels),
    ]

py_build_env = rule(
    implementation = _py_build_env_impl,
    doc = """Installs exactly `wheels` (no resolution: give the whole pinned set) into a build
environment at the fixed build path, in a `WheelhouseBuildEnv` action. A `py_wheel_dep`
with `build_env` mounts it read-only instead of installing its own; every build with
the same pinned set shares the one environment (and its cache entry).
""",
    attrs = {
        "wheels": attr.label_list(mandatory = True, allow_files = True, doc = "list[Label]: `.whl` files, `py_wheel_dep` targets or libraries; one version per project."),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
