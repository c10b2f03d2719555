"""The core's own Python dependencies, pinned by sha256, and the repository that fetches them.

Fetched through Bazel from the index the user configures (`wheelhouse.index`),
never from the host's site-packages. Keep in step with requirements-dev.txt
and README.md ("The toolchain's own wheels").
"""

load(":index_file.bzl", "fetch_artifact")

CORE_WHEELS = [
    struct(name = "packaging", version = "26.3", filename = "packaging-26.3-py3-none-any.whl", sha256 = "d7193f7c8e4e93f444fde0262bf90af30e16fa0ad0ad44cb553c87339b23cd1c"),
    struct(name = "installer", version = "1.1.0", filename = "installer-1.1.0-py3-none-any.whl", sha256 = "f55f5728ff61d3dd54dbc5a397cf3f7307cb64b180c20b72afbebf01c9e2c8a0"),
    struct(name = "build", version = "1.6.1", filename = "build-1.6.1-py3-none-any.whl", sha256 = "ecd351a4be9d35a9eaaba244a7687143c9c7d4aea6ac964e7e7ddab20cbcf4e7"),
    struct(name = "pyproject_hooks", version = "1.3.3", filename = "pyproject_hooks-1.3.3-py3-none-any.whl", sha256 = "5fc53fdac9f7bd63fbcdc868fb5f90b4784d78a53a3d3388cd738b807441a20b"),
    # PEP 825 variant wheels (py_wheel_dep(variant_properties = ...)): variantlib and what it needs.
    struct(name = "variantlib", version = "0.2.2", filename = "variantlib-0.2.2-py3-none-any.whl", sha256 = "ad4c75ac4bf92b623d7fcc55f0af3ec131012ea2ff8336332d08ac8ef88745ab"),
    struct(name = "platformdirs", version = "4.14.8", filename = "platformdirs-4.14.8-py3-none-any.whl", sha256 = "1e34af590de4d978631b751eb2202f2fee4497537a17c1720b12fcf57b331392"),
]

_BUILD = """\
filegroup(
    name = "wheels",
    srcs = {files},
    visibility = ["//visibility:public"],
)
"""

def _wheelhouse_core_wheels_impl(rctx):
    missing = []
    for pin in CORE_WHEELS:
        notes = fetch_artifact(
            rctx,
            filename = pin.filename,
            sha256 = pin.sha256,
            urls = [],
            indexes = rctx.attr.indexes,
            mirrors = rctx.attr.mirrors,
            output = pin.filename,
        )
        if notes:
            missing.append((pin, notes))
    if missing:
        fail((
            "wheelhouse: the toolchain runs the wheelhouse core with its own dependencies, pinned by sha256 " +
            "and fetched from your wheelhouse.index or wheelhouse.mirror; {} of {} are missing: {}. " +
            "Put these files on your index or in a mirror directory (e.g. `pip download --no-deps " +
            "--only-binary :all: -d DIR {}`), then configure it in MODULE.bazel. Tried: {}"
        ).format(
            len(missing),
            len(CORE_WHEELS),
            ", ".join(["{} (sha256 {})".format(pin.filename, pin.sha256) for pin, _ in missing]),
            " ".join(["{}=={}".format(pin.name, pin.version) for pin, _ in missing]),
            "; ".join([note for _, notes in missing for note in notes]),
        ))
    rctx.file("BUILD.bazel", _BUILD.format(files = repr([pin.filename for pin in CORE_WHEELS])))

wheelhouse_core_wheels = repository_rule(
    implementation = _wheelhouse_core_wheels_impl,
    doc = "The core's dependency wheels (`CORE_WHEELS`), each checked by sha256; `@<name>//:wheels`. Reports every missing one at once.",
    attrs = {
        "indexes": attr.string_list(doc = "list[str]: simple index base URLs (PEP 691/503), in priority order."),
        "mirrors": attr.string_list(doc = "list[str]: flat directories (`<url>/<file name>`), tried after the indexes."),
        "_fetch_page": attr.label(default = Label("//rules/private/tools:fetch_page.py"), allow_single_file = True),
    },
)
