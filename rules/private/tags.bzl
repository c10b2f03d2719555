"""PEP 425 compatibility tags for a target interpreter and platform, in pure Starlark.

Mirrors `packaging.tags` (26.x) for CPython on Linux so that wheels can be chosen
statically, at analysis time, for a platform that is not the host's:
`linux_platforms` is `_linux_platforms` for a given glibc, `supported_tags` is
`cpython_tags(...) + compatible_tags(...)` in the same order, and `best_wheel`
picks a wheel as installers do (first supported tag wins). Differential tests:
tests/unit/test_starlark_tags.py.
"""

_LEGACY_MANYLINUX = {"2_17": "manylinux2014", "2_12": "manylinux2010", "2_5": "manylinux1"}

def linux_platforms(arch, glibc_major, glibc_minor):
    """Platform tags of a glibc Linux target, most specific first.

    Args:
      arch: str, e.g. "x86_64" or "aarch64".
      glibc_major: int, the target's glibc major version (2).
      glibc_minor: int, the target's glibc minor version, e.g. 28.
    Returns:
      list[str]: `linux_<arch>`, then `manylinux_<x>_<y>_<arch>` from the target's
      glibc down (with the legacy manylinux1/2010/2014 aliases after their twins).
    """
    out = ["linux_" + arch]
    if glibc_major != 2:
        fail("only glibc 2.x targets are supported, got {}.{}".format(glibc_major, glibc_minor))
    too_old = 4 if arch in ("x86_64", "i686") else 16
    for minor in range(glibc_minor, too_old, -1):
        version = "2_{}".format(minor)
        out.append("manylinux_{}_{}".format(version, arch))
        legacy = _LEGACY_MANYLINUX.get(version)
        if legacy:
            out.append("{}_{}".format(legacy, arch))
    return out

def _py_interpreter_range(major, minor):
    out = ["py{}{}".format(major, minor), "py{}".format(major)]
    for m in range(minor - 1, -1, -1):
        out.append("py{}{}".format(major, m))
    return out

def supported_tags(major, minor, platforms, abi = None):
    """All tags a CPython `major.minor` accepts on `platforms`, best first.

    Args:
      major: int, e.g. 3.
      minor: int, e.g. 14.
      platforms: list[str], platform tags, best first (see `linux_platforms`).
      abi: str or None, the interpreter's ABI tag (default `cp<major><minor>`;
        `cp<major><minor>t` for a free-threaded build).
    Returns:
      list[str]: `interpreter-abi-platform` strings.
    """
    interpreter = "cp{}{}".format(major, minor)
    abi = abi or interpreter
    threading = "t" in abi[len(interpreter):]
    use_abi3 = (major, minor) >= (3, 2) and not threading
    use_abi3t = (major, minor) >= (3, 2) and threading
    tags = ["{}-{}-{}".format(interpreter, abi, p) for p in platforms]
    if use_abi3:
        tags += ["{}-abi3-{}".format(interpreter, p) for p in platforms]
    if use_abi3t:
        tags += ["{}-abi3t-{}".format(interpreter, p) for p in platforms]
    tags += ["{}-none-{}".format(interpreter, p) for p in platforms]
    for older in range(minor - 1, 1, -1):
        for p in platforms:
            if use_abi3:
                tags.append("cp{}{}-abi3-{}".format(major, older, p))
            if use_abi3t:
                tags.append("cp{}{}-abi3t-{}".format(major, older, p))
    versions = _py_interpreter_range(major, minor)
    for version in versions:
        tags += ["{}-none-{}".format(version, p) for p in platforms]
    tags.append("{}-none-any".format(interpreter))
    tags += ["{}-none-any".format(version) for version in versions]
    return tags

def wheel_tags(filename):
    """The tags a wheel file name declares (compressed tag sets expanded).

    Args:
      filename: str, `name-version[-build]-python-abi-platform.whl`.
    Returns:
      list[str]: `interpreter-abi-platform` strings.
    """
    if not filename.endswith(".whl"):
        fail("not a wheel file name: {}".format(filename))
    parts = filename[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        fail("not a valid wheel file name (PEP 427): {}".format(filename))
    out = []
    for py in parts[-3].split("."):
        for abi in parts[-2].split("."):
            for plat in parts[-1].split("."):
                out.append("{}-{}-{}".format(py.lower(), abi.lower(), plat.lower()))
    return out

def best_wheel(filenames, supported):
    """Index of the wheel an installer would choose, or -1 if none is compatible.

    Args:
      filenames: list[str], wheel file names of one version of one project.
      supported: list[str], from `supported_tags`, best first.
    Returns:
      int
    """
    return best_wheel_by_rank(filenames, {tag: i for i, tag in enumerate(supported)})

def best_wheel_by_rank(filenames, rank):
    """`best_wheel` with the supported tags given as a rank (tag -> preference, 0 best).

    Build the rank once per target and reuse it across packages.

    Args:
      filenames: list[str], wheel file names.
      rank: dict[str, int].
    Returns:
      int: the index of the first wheel with the best-ranked tag, or -1.
    """
    best = -1
    best_rank = len(rank)
    for i, filename in enumerate(filenames):
        for tag in wheel_tags(filename):
            r = rank.get(tag, best_rank)
            if r < best_rank:
                best_rank = r
                best = i
    return best
