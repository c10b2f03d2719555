"""Helpers shared by the rules that take wheels."""

load("@rules_python//python:defs.bzl", "PyInfo")
load(":providers.bzl", "WheelInfo", "WheelSetInfo")

def collect_wheels(ctx, targets, attr_name):
    """The wheels `targets` stand for, as one depset.

    Each target is a `py_wheel_dep` (its wheel directory), a library with
    `WheelSetInfo` (`py_wheel_library`, a lock hub's `@pypi//name`: its wheels
    and those of its run-time dependencies), or `.whl` files. A Python library
    without files (a hub package excluded on this target by its marker)
    contributes nothing. Anything else fails at analysis time, naming the
    attribute and the entry.

    Args:
      ctx: the rule context.
      targets: list[Target].
      attr_name: str, for the error message.
    Returns:
      depset[File]: `.whl` files and wheel directories.
    """
    direct = []
    transitive = []
    for target in targets:
        if WheelInfo in target:
            direct.append(target[WheelInfo].wheel_dir)
            continue
        if WheelSetInfo in target:
            transitive.append(target[WheelSetInfo].wheels)
            continue
        found = target[DefaultInfo].files.to_list()  # a label of a few files, not a closure
        if not found and PyInfo in target:
            continue
        if not found or [f for f in found if not f.basename.endswith(".whl")]:
            fail("{}: {} entry {} is not a wheel: give a py_wheel_dep target, a .whl file or a lock hub library such as @pypi//name".format(
                ctx.label,
                attr_name,
                target.label,
            ))
        direct.extend(found)
    return depset(direct, transitive = transitive)

def wheel_flag(f):
    """`--find-links DIR` for a wheel directory, `--wheel FILE` for a file (for `Args.add_all(map_each = ...)`).

    Args:
      f: File.
    Returns:
      list[str]
    """
    return ["--find-links", f.path] if f.is_directory else ["--wheel", f.path]
