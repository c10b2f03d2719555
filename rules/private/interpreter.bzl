"""Finding the configured interpreter from a repository rule or a module extension."""

def find_interpreter(ctx, python):
    """The path of `python` (absolute, or a name on PATH), failing with the fix.

    Args:
      ctx: a repository_ctx or module_ctx (both have `path` and `which`).
      python: str, e.g. "python3" or "/usr/bin/python3".
    Returns:
      path
    """
    path = ctx.path(python) if python.startswith("/") else ctx.which(python)
    if not path or not path.exists:
        fail("wheelhouse: interpreter {} not found; install it or set wheelhouse.toolchain(python = \"/path/to/python3\") in MODULE.bazel".format(repr(python)))
    return path
