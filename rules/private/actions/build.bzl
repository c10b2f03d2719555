"""The wheel build action."""

load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "wheelhouse_env", "wheelhouse_inputs")
load("//rules/private:wheels.bzl", "wheel_flag")

# Execution requirements of a wheel build.
BUILD_EXECUTION_REQUIREMENTS = {
    # Builds must never reach the network (the core also closes it itself).
    "block-network": "1",
}

def register_wheel_build_action(ctx, *, tc, spec, wheel_dir, log, debug_dir):
    """Registers one `WheelhouseBuild` action: `wheelhouse build-wheel` on one sdist.

    Args:
      ctx: the rule context.
      tc: WheelhouseToolchainInfo.
      spec: WheelReproInfo, what to build (sdist, build deps, patches, options).
      wheel_dir: File (directory), receives the one wheel.
      log: File, receives the backend log.
      debug_dir: File (directory) or None, receives split debug files.
    """
    args = ctx.actions.args()

    # -qq: nothing on stdout/stderr on success, so Bazel prints no "From Building wheel" block.
    # --cache-dir none: Bazel caches the action itself; a local cache would be an undeclared input.
    args.add_all(["-m", "wheelhouse", "build-wheel", "-qq", "--cache-dir", "none"])
    args.add(spec.sdist)
    args.add("--output-dir", wheel_dir.path)
    args.add("--log-file", log)
    args.add("--python", tc.python)
    args.add("--debug", spec.debug)
    if debug_dir:
        args.add("--debug-dir", debug_dir.path)
    args.add_all(spec.build_deps, map_each = wheel_flag, expand_directories = False)
    if spec.build_env:
        args.add("--build-env", spec.build_env.path)
    args.add("--missing-hint", (
        "add a target that provides it to build_deps of {}: its wheel, a py_wheel_dep, or a lock hub " +
        "library such as @pypi//<name>, which brings its own run-time dependencies"
    ).format(ctx.label))
    args.add_all(spec.patches, before_each = "--patch")
    for key in sorted(spec.config_settings):
        args.add("--config-setting", "{}={}".format(key, spec.config_settings[key]))
    for key in sorted(spec.env):
        args.add("--env", "{}={}".format(key, spec.env[key]))
    if spec.build_tag:
        args.add("--build-tag", spec.build_tag)
    if spec.local_version:
        args.add("--local-version", spec.local_version)
    args.add_all(spec.variant_properties, before_each = "--variant-property")
    if spec.variant_label:
        args.add("--variant-label", spec.variant_label)
    outputs = [wheel_dir, log] + ([debug_dir] if debug_dir else [])
    ctx.actions.run(
        executable = tc.python,
        arguments = [args],
        inputs = depset(
            [spec.sdist] + spec.patches + ([spec.build_env] if spec.build_env else []),
            transitive = [spec.build_deps, wheelhouse_inputs(tc)],
        ),
        outputs = outputs,
        env = wheelhouse_env(tc),
        mnemonic = "WheelhouseBuild",
        progress_message = "Building wheel from %s for %%{label}" % spec.sdist.basename,
        execution_requirements = BUILD_EXECUTION_REQUIREMENTS,
        toolchain = TOOLCHAIN_TYPE,
    )
