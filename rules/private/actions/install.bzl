"""The wheel install action."""

load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "wheelhouse_env", "wheelhouse_inputs")

def register_install_action(ctx, *, tc, wheel_dirs, wheel_files, tree):
    """Registers one `WheelhouseInstall` action: `wheelhouse install` into a tree artifact.

    Args:
      ctx: the rule context.
      tc: WheelhouseToolchainInfo.
      wheel_dirs: list[File], directories holding one wheel each.
      wheel_files: list[File], .whl files.
      tree: File (directory), receives site-packages/ and bin/.
    """
    args = ctx.actions.args()
    args.add_all(["-m", "wheelhouse", "install", "-q", "--interpreter", tc.python])
    args.add("--dest", tree.path)
    args.add_all(wheel_dirs, expand_directories = False)
    args.add_all(wheel_files)
    ctx.actions.run(
        executable = tc.python,
        arguments = [args],
        inputs = depset(wheel_dirs + wheel_files, transitive = [wheelhouse_inputs(tc)]),
        outputs = [tree],
        env = wheelhouse_env(tc),
        mnemonic = "WheelhouseInstall",
        progress_message = "Installing wheels for %{label}",
        toolchain = TOOLCHAIN_TYPE,
    )
