"""Helpers shared by the rules that take wheels."""

load(":providers.bzl", "WheelInfo")

def split_wheel_targets(ctx, targets, attr_name):
    """Splits targets into wheel directories (py_wheel_dep) and .whl files.

    Fails at analysis time, naming the attribute and the entry, when a target
    is neither.

    Args:
      ctx: the rule context.
      targets: list[Target].
      attr_name: str, for the error message.
    Returns:
      tuple[list[File], list[File]]: (wheel directories, wheel files).
    """
    dirs = []
    files = []
    for target in targets:
        if WheelInfo in target:
            dirs.append(target[WheelInfo].wheel_dir)
            continue
        found = target[DefaultInfo].files.to_list()
        if not found or [f for f in found if not f.basename.endswith(".whl")]:
            fail("{}: {} entry {} is not a wheel: give a py_wheel_dep target or a .whl file".format(
                ctx.label,
                attr_name,
                target.label,
            ))
        files.extend(found)
    return dirs, files
