"""The wheel install action."""

load("//rules/private:toolchain.bzl", "TOOLCHAIN_TYPE", "wheelhouse_env", "wheelhouse_inputs")

def register_install_action(ctx, *, tc, wheels, tree):
    """Registers one `WheelhouseInstall` action: `wheelhouse install` into a tree artifact.

    Args:
      ctx: the rule context.
      tc: WheelhouseToolchainInfo.
      wheels: depset[File], .whl files and directories holding one wheel each.
      tree: File (directory), receives site-packages/ and bin/.
    """
    args = ctx.actions.args()
    args.add_all(["-m", "wheelhouse", "install", "-q", "--interpreter", tc.python])
    args.add("--dest", tree.path)
    args.add_all(wheels, expand_directories = False)
    ctx.actions.run(
        executable = tc.python,
        arguments = [args],
        inputs = depset(transitive = [wheels, wheelhouse_inputs(tc)]),
        outputs = [tree],
        env = wheelhouse_env(tc),
        mnemonic = "WheelhouseInstall",
        progress_message = "Installing wheels for %{label}",
        toolchain = TOOLCHAIN_TYPE,
    )
