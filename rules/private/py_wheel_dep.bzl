"""py_wheel_dep: one sdist built into one reproducible wheel, in an action."""

load(":actions/build.bzl", "register_wheel_build_action")
load(":providers.bzl", "BuildEnvInfo", "WheelInfo", "WheelReproInfo")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")
load(":variants.bzl", "parse_property")
load(":wheels.bzl", "collect_wheels")

_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz")

def sdist_name_version(basename):
    """Splits `name-version.tar.gz` into (name, version); ("", "") if it does not parse.

    Args:
      basename: str, the file name.
    Returns:
      tuple[str, str]
    """
    for suffix in _SDIST_SUFFIXES:
        if basename.endswith(suffix):
            stem = basename[:-len(suffix)]
            name, sep, version = stem.rpartition("-")
            if sep and name and version:
                return name, version
    return "", ""

def _check(ctx):
    if ctx.attr.build_tag and ctx.attr.local_version:
        fail("{}: set build_tag or local_version, not both (a wheel has one version)".format(ctx.label))
    if ctx.attr.build_tag and not ctx.attr.build_tag[0].isdigit():
        fail("{}: build_tag {} must start with a digit (PEP 427), e.g. \"1\"".format(ctx.label, repr(ctx.attr.build_tag)))
    for prop in ctx.attr.variant_properties:
        if parse_property(prop) == None:
            fail("{}: variant_properties entry {} is not 'namespace :: feature :: value' (lowercase letters, digits and '_'; the value may also have '.'), e.g. \"x86_64 :: level :: v3\"".format(ctx.label, repr(prop)))
    if ctx.attr.variant_label and not ctx.attr.variant_properties:
        fail("{}: variant_label needs variant_properties (a variant wheel is named by its properties)".format(ctx.label))
    if not ctx.file.sdist.basename.endswith(_SDIST_SUFFIXES):
        fail("{}: sdist {} is not a source distribution (.tar.gz or .zip); point `sdist` at the sdist file".format(
            ctx.label,
            ctx.file.sdist.short_path,
        ))

def _py_wheel_dep_impl(ctx):
    _check(ctx)
    if ctx.attr.build_env and ctx.attr.build_deps:
        fail("{}: give build_deps or build_env, not both (a prebuilt environment is never added to)".format(ctx.label))
    tc = ctx.toolchains[TOOLCHAIN_TYPE].wheelhouse
    spec = WheelReproInfo(
        sdist = ctx.file.sdist,
        build_deps = collect_wheels(ctx, ctx.attr.build_deps, "build_deps"),
        build_env = ctx.attr.build_env[BuildEnvInfo].env_dir if ctx.attr.build_env else None,
        patches = ctx.files.patches,
        env = ctx.attr.env,
        config_settings = ctx.attr.config_settings,
        build_tag = ctx.attr.build_tag,
        local_version = ctx.attr.local_version,
        variant_properties = ctx.attr.variant_properties,
        variant_label = ctx.attr.variant_label,
        debug = ctx.attr.debug,
    )
    wheel_dir = ctx.actions.declare_directory(ctx.label.name + ".wheel")
    log = ctx.actions.declare_file(ctx.label.name + ".build.log")
    debug_dir = ctx.actions.declare_directory(ctx.label.name + ".debug") if ctx.attr.debug == "split" else None
    register_wheel_build_action(ctx, tc = tc, spec = spec, wheel_dir = wheel_dir, log = log, debug_dir = debug_dir)
    name, version = sdist_name_version(ctx.file.sdist.basename)
    groups = {"build_log": depset([log])}
    if debug_dir:
        groups["debug_info"] = depset([debug_dir])
    return [
        DefaultInfo(files = depset([wheel_dir])),
        WheelInfo(name = name, version = version, tags = "", wheel_dir = wheel_dir),
        OutputGroupInfo(**groups),
        spec,
    ]

py_wheel_dep = rule(
    implementation = _py_wheel_dep_impl,
    doc = """Builds one wheel from one sdist in a `WheelhouseBuild` action.

The action runs `wheelhouse build-wheel` with the sdist and the build
dependencies' wheels as its only inputs, the network blocked, at a fixed path,
the backend in the core's bubblewrap sandbox, so the wheel is byte-for-byte the
same on every machine and a remote-cache hit everywhere after the first build.
It prints nothing on success (the backend log is in output group `build_log`);
a missing build requirement names this target and what to add to `build_deps`.

Output: a directory `<name>.wheel/` holding the one wheel under its PEP 427
name (`DefaultInfo`, `WheelInfo.wheel_dir`). Output groups: `build_log`, and
`debug_info` with `debug = "split"`.
""",
    attrs = {
        "sdist": attr.label(mandatory = True, allow_single_file = True, doc = "Label: the sdist file (.tar.gz or .zip)."),
        "build_deps": attr.label_list(doc = "list[Label]: wheels of the build environment: `py_wheel_dep` targets, `.whl` files, or libraries such as a lock hub's `@pypi//hatchling` (which bring their run-time dependencies); checked at analysis time.", allow_files = True),
        "build_env": attr.label(providers = [BuildEnvInfo], doc = "Label: a `py_build_env` to build in, read-only, instead of `build_deps`; it must hold every static and dynamic build requirement."),
        "patches": attr.label_list(allow_files = True, doc = "list[Label]: patches applied with `patch -p1` in the extracted source tree, in order."),
        "env": attr.string_dict(doc = "dict[str, str]: extra environment for the build backend."),
        "config_settings": attr.string_dict(doc = "dict[str, str]: PEP 517 config settings."),
        "build_tag": attr.string(doc = "str: PEP 427 build tag for the wheel (starts with a digit)."),
        "local_version": attr.string(doc = "str: PEP 440 local version label (`1.0` -> `1.0+label`)."),
        "variant_properties": attr.string_list(doc = "list[str]: build a PEP 825 variant wheel with these properties (`namespace :: feature :: value`): the backend sees them in `$WHEELHOUSE_VARIANT_PROPERTIES` (`;`-separated), the wheel gets `*.dist-info/variant.json` (written by variantlib) and the label in its name."),
        "variant_label": attr.string(doc = "str: the variant wheel's label (`[0-9a-z_.]+`); default: the hash variantlib derives from the properties."),
        "debug": attr.string(default = "strip", values = ["strip", "split", "keep"], doc = "str: debug info in ELF files: strip, split (output group `debug_info`), keep."),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
