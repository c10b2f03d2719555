"""The build-environment action."""

load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "wheelhouse_env", "wheelhouse_inputs")
load("//rules/private:wheels.bzl", "wheel_flag")

def register_build_env_action(ctx, *, tc, wheels, env_dir):
    """Registers one `WheelhouseBuildEnv` action: `wheelhouse build-env` of exactly `wheels`.

    The environment is installed once at the fixed build path, in the core's
    sandbox, and every build that names it mounts it read-only.

    Args:
      ctx: the rule context.
      tc: WheelhouseToolchainInfo.
      wheels: depset[File], .whl files and wheel directories.
      env_dir: File (directory), receives the environment.
    """
    args = ctx.actions.args()
    args.add_all(["-m", "wheelhouse", "build-env", "-qq"])
    args.add("--python", tc.python)
    args.add("--output-dir", env_dir.path)
    args.add_all(wheels, map_each = wheel_flag, expand_directories = False)
    ctx.actions.run(
        executable = tc.python,
        arguments = [args],
        inputs = depset(transitive = [wheels, wheelhouse_inputs(tc)]),
        outputs = [env_dir],
        env = wheelhouse_env(tc),
        mnemonic = "WheelhouseBuildEnv",
        progress_message = "Installing the build environment %{label}",
        toolchain = TOOLCHAIN_TYPE,
    )
