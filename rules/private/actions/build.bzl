"""The wheel build action."""

load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "wheelhouse_env", "wheelhouse_inputs")

# Execution requirements of a wheel build.
BUILD_EXECUTION_REQUIREMENTS = {
    # Builds must never reach the network (the core also closes it itself).
    "block-network": "1",
}

def register_wheel_build_action(
        ctx,
        *,
        tc,
        sdist,
        wheel_dir,
        log,
        debug_dir,
        build_dep_dirs,
        build_dep_files,
        patches,
        env,
        config_settings,
        build_tag,
        local_version,
        debug):
    """Registers one `WheelhouseBuild` action: `wheelhouse build-wheel` on one sdist.

    Args:
      ctx: the rule context.
      tc: WheelhouseToolchainInfo.
      sdist: File, the source distribution.
      wheel_dir: File (directory), receives the one wheel.
      log: File, receives the backend log.
      debug_dir: File (directory) or None, receives split debug files.
      build_dep_dirs: depset[File], directories of wheels (--find-links).
      build_dep_files: list[File], single .whl files (--wheel).
      patches: list[File], applied with `patch -p1` in the source tree.
      env: dict[str, str], extra backend environment.
      config_settings: dict[str, str], PEP 517 config settings.
      build_tag: str, build tag or "".
      local_version: str, local version label or "".
      debug: str, strip|split|keep.
    """
    args = ctx.actions.args()
    args.add_all(["-m", "wheelhouse", "build-wheel", "-q"])
    args.add(sdist)
    args.add("--output-dir", wheel_dir.path)
    args.add("--log-file", log)
    args.add("--python", tc.python)
    args.add("--debug", debug)
    if debug_dir:
        args.add("--debug-dir", debug_dir.path)
    args.add_all(build_dep_dirs, before_each = "--find-links", expand_directories = False)
    args.add_all(build_dep_files, before_each = "--wheel")
    args.add_all(patches, before_each = "--patch")
    for key in sorted(config_settings):
        args.add("--config-setting", "{}={}".format(key, config_settings[key]))
    for key in sorted(env):
        args.add("--env", "{}={}".format(key, env[key]))
    if build_tag:
        args.add("--build-tag", build_tag)
    if local_version:
        args.add("--local-version", local_version)
    outputs = [wheel_dir, log] + ([debug_dir] if debug_dir else [])
    ctx.actions.run(
        executable = tc.python,
        arguments = [args],
        inputs = depset(
            [sdist] + build_dep_files + patches,
            transitive = [build_dep_dirs, wheelhouse_inputs(tc)],
        ),
        outputs = outputs,
        env = wheelhouse_env(tc),
        mnemonic = "WheelhouseBuild",
        progress_message = "Building wheel from %s for %%{label}" % sdist.basename,
        execution_requirements = BUILD_EXECUTION_REQUIREMENTS,
        toolchain = TOOLCHAIN_TYPE,
    )
