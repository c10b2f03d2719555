"""The `wheelhouse` module extension: indexes, the local toolchain, and pylock.toml hubs."""

load(":core_wheels.bzl", "wheelhouse_core_wheels")
load(":local_toolchain.bzl", "local_python_toolchain")
load(":lock_hub.bzl", "LOCK_TAGS", "lock_hubs")
load(":toolchain.bzl", "DEFAULT_TOOLS_PATH")

def _wheelhouse_impl(mctx):
    indexes = []
    mirrors = []
    python = None
    tools_path = None
    interpreter_key = ""
    tools_key = ""
    for mod in mctx.modules:
        for tag in mod.tags.index:
            if tag.url not in indexes:
                indexes.append(tag.url)
        for tag in mod.tags.mirror:
            if tag.url not in mirrors:
                mirrors.append(tag.url)
        for tag in mod.tags.toolchain:
            if mod.is_root or python == None:
                python = tag.python
                tools_path = tag.tools_path
                interpreter_key = tag.interpreter_key
                tools_key = tag.tools_key
    wheelhouse_core_wheels(name = "wheelhouse_core_wheels", indexes = indexes, mirrors = mirrors)
    local_python_toolchain(
        name = "wheelhouse_local_python",
        python = python or "python3",
        tools_path = tools_path or DEFAULT_TOOLS_PATH,
        interpreter_key = interpreter_key,
        tools_key = tools_key,
        core_wheels = ["@wheelhouse_core_wheels//:wheels"],
    )
    lock_hubs(mctx, python = python or "python3", indexes = indexes, mirrors = mirrors)

    # Every repository is keyed by content (sha256) or derived from files in
    # the workspace, so the lock file need not record this extension.
    return mctx.extension_metadata(reproducible = True)

_index = tag_class(
    doc = "A PEP 503 simple index files are fetched from, by file name and sha256. Repeatable; the first has priority.",
    attrs = {"url": attr.string(mandatory = True, doc = "str: base URL, e.g. `https://host/simple`.")},
)

_mirror = tag_class(
    doc = "A flat directory of files, `<url>/<file name>` (a mirror or a local wheelhouse), tried after the indexes. Repeatable, in order.",
    attrs = {"url": attr.string(mandatory = True, doc = "str: base URL, e.g. `https://mirror/files` or `file:///srv/wheelhouse`.")},
)

_toolchain = tag_class(
    doc = "The local interpreter wheels are built for (the root module's wins).",
    attrs = {
        "python": attr.string(default = "python3", doc = "str: name on PATH or absolute path."),
        "tools_path": attr.string(default = DEFAULT_TOOLS_PATH, doc = "str: PATH for build backends."),
        "interpreter_key": attr.string(doc = "str: the interpreter's key as `wheelhouse toolchain-key` prints it on the machines that run the actions (remote workers); empty (the default): probe `python` where Bazel runs. Every action checks it where it runs."),
        "tools_key": attr.string(doc = "str: the compilers' key, likewise; empty: probe gcc, g++ and strip on `tools_path` where Bazel runs."),
    },
)

wheelhouse = module_extension(
    implementation = _wheelhouse_impl,
    doc = """Configures where files come from (`index`, `mirror`), the interpreter (`toolchain`),
and turns pylock.toml files into hubs of targets (`lock`, with per-package
overrides in `package`).""",
    tag_classes = dict({"index": _index, "mirror": _mirror, "toolchain": _toolchain}, **LOCK_TAGS),
)
