"""The targets a build lock becomes: every build from source, its environment, stages and fixpoints.

Given the build lock (`pylock.build.toml`, read by `tools/read_lock.py`), a
lock hub's graph package for the toolchain's own target gets, per package
built from source (`name==version`):

- `_bl_<name>__<version>`: its `py_wheel_dep`, whose `build_env` is a
  `py_build_env` of exactly its locked environment (`_env_<n>`, one per
  distinct set of wheels, so builds with the same pinned set share it);
  environment entries built from source are other `_bl_` targets, the rest
  the locked wheels;
- for a member of a cycle, also `_bl1_<name>__<version>`, stage 1: built with
  the seeds' wheels where the cycle needs a seed and stage-1 wheels for the
  other members; its `_bl_` target is then stage 2, built from stage-1 wheels
  only, and `_fixpoint_<n>` (a `wheel_fixpoint_test`) requires the two stages
  to be the same bytes.

A normalized name has no `_`, so none of these names can be a project's. No
Bazel builtins: tests/unit/test_starlark_bootstrap.py evaluates this file.
"""

def bl_target(key, stage = 0):
    """The target name of a build from source.

    Args:
      key: str, `name==version`.
      stage: int, 1 for stage 1 of a cycle, else 0 (the final build).
    Returns:
      str
    """
    return ("_bl1_" if stage == 1 else "_bl_") + key.replace("==", "__")

def _cycle_of(key, cycles):
    for cycle in cycles:
        if key in cycle["members"]:
            return cycle
    return None

def _label(dep, stage, bl, needer):
    """What provides `dep` to a build: a stage of its build, or its locked wheel."""
    if dep in bl["builds"]:
        if stage == -1:
            if dep not in bl["wheels"]:
                fail("wheelhouse: the build lock seeds {} for {} but has no wheel for it; rerun `wheelhouse lock-build`".format(dep, needer))
            return bl["wheels"][dep]
        return ":" + bl_target(dep, 1 if stage == 1 else 0)
    if dep not in bl["wheels"]:
        fail("wheelhouse: the build environment of {} names {}, which the build lock has neither a wheel nor a build for; rerun `wheelhouse lock-build`".format(needer, dep))
    return bl["wheels"][dep]

def _steps(bl):
    """(key, stage, [dep labels]) for every build: stage 0 outside cycles, 1 and 2 inside."""
    out = []
    for key in sorted(bl["builds"]):
        env = bl["builds"][key]["env"]
        cycle = _cycle_of(key, bl["cycles"])
        if cycle == None:
            out.append((key, 0, sorted([_label(d, 0, bl, key) for d in env])))
            continue
        members, seeds = cycle["members"], cycle["seeds"]
        first = []
        second = []
        for d in env:
            if d in members:
                first.append(_label(d, -1 if d in seeds else 1, bl, key))
                second.append(_label(d, 1, bl, key))
            else:
                first.append(_label(d, 0, bl, key))
                second.append(_label(d, 0, bl, key))
        out.append((key, 1, sorted(first)))
        out.append((key, 2, sorted(second)))
    return out

def _options(key, overrides):
    name = key.split("==")[0]
    override = overrides.get(name, {})
    lines = []
    for attr in ("patches", "env", "config_settings", "local_version", "variant_properties", "variant_label"):
        if override.get(attr):
            lines.append("    {} = {},".format(attr, repr(override[attr])))
    return lines

def bootstrap_targets(bl, overrides):
    """The BUILD text of a build lock's targets, and the names of its fixpoint tests.

    Args:
      bl: dict with `builds` (key -> {`env`: list of keys, `sdist`: label}),
        `wheels` (key -> label of its locked wheel) and `cycles` (list of
        {`members`, `seeds`}), as the extension passes it.
      overrides: dict, normalized name -> options (`patches`, `env`,
        `config_settings`, `local_version`, `variant_properties`, `variant_label`) from
        `wheelhouse.package`.
    Returns:
      tuple[str, list[str]]
    """
    steps = _steps(bl)
    envs = sorted({tuple(deps): True for _, _, deps in steps if deps}.keys())
    env_index = {env: i for i, env in enumerate(envs)}
    out = []
    for i, env in enumerate(envs):
        out.append("py_build_env(\n    name = {},\n    wheels = {},\n)\n".format(repr("_env_{}".format(i)), repr(list(env))))
    for key, stage, deps in steps:
        name = bl_target(key, 1 if stage == 1 else 0)
        lines = [
            "# {}{}".format(key, {0: "", 1: ": stage 1 of a seeded cycle", 2: ": stage 2 (final), built from stage 1"}[stage]),
            "py_wheel_dep(",
            "    name = {},".format(repr(name)),
            "    sdist = {},".format(repr(bl["builds"][key]["sdist"])),
        ]
        if deps:
            lines.append("    build_env = {},".format(repr(":_env_{}".format(env_index[tuple(deps)]))))
        lines += _options(key, overrides)
        lines.append(")")
        out.append("\n".join(lines) + "\n")
    tests = []
    order = sorted([(",".join(sorted(c["members"])), i) for i, c in enumerate(bl["cycles"])])
    for i, (_, at) in enumerate(order):
        cycle = bl["cycles"][at]
        members = sorted(cycle["members"])
        test = "_fixpoint_{}".format(i)
        tests.append(test)
        out.append("# {} built with seeds {}: stage 1 must equal stage 2\nwheel_fixpoint_test(\n    name = {},\n    stage1 = {},\n    stage2 = {},\n)\n".format(
            ", ".join(members),
            ", ".join(cycle["seeds"]),
            repr(test),
            repr([":" + bl_target(m, 1) for m in members]),
            repr([":" + bl_target(m) for m in members]),
        ))
    return "\n".join(out), tests
