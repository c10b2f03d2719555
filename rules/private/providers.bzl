"""Providers of rules_wheelhouse."""

WheelInfo = provider(
    doc = "A wheel built from source by `py_wheel_dep` (or wrapped from a .whl file).",
    fields = {
        "name": "str: the project name as given by the sdist file name.",
        "version": "str: the version as given by the sdist file name.",
        "tags": "str: the expected compatibility tags, `py3-none-any` style, or `\"\"` when they are only known once built (the file name inside `wheel_dir` has them).",
        "wheel_dir": "File: a directory (tree artifact) holding exactly one `.whl` file with its PEP 427 name.",
    },
)

WheelSetInfo = provider(
    doc = "The wheels of a library and of everything it needs at run time (its closure), for building against it.",
    fields = {
        "wheels": "depset[File]: `.whl` files and `py_wheel_dep` wheel directories (each holding one wheel).",
    },
)

BuildEnvInfo = provider(
    doc = "A build environment installed once from an exact set of wheels (`py_build_env`), used read-only by builds.",
    fields = {
        "env_dir": "File: the environment (a directory: lib/, include/, bin/ scripts, wheelhouse-env.json).",
        "wheels": "depset[File]: the wheels it was installed from.",
    },
)

WheelhouseToolchainInfo = provider(
    doc = "What a wheel build action needs: the interpreter, the core, the tools.",
    fields = {
        "python": "str: absolute path of the Python interpreter wheels are built for and the core runs with.",
        "interpreter_key": "str: implementation, version, ABI and platform of `python`; part of every action's key.",
        "tools_key": "str: versions of the C/C++ compiler and binutils; part of every action's key.",
        "tools_path": "str: PATH for the build backend (where the compiler and binutils are).",
        "core_site": "File: directory with the core's own dependencies (packaging, installer, build, pyproject_hooks, variantlib, platformdirs) unpacked.",
        "core_srcs": "depset[File]: the `wheelhouse` package sources.",
        "core_root": "str: exec path of the directory that contains the `wheelhouse` package.",
    },
)

WheelReproInfo = provider(
    doc = "Everything needed to rebuild a py_wheel_dep outside its action (for wheel_repro_test).",
    fields = {
        "sdist": "File: the source distribution.",
        "build_deps": "depset[File]: the build environment's wheels: `.whl` files and wheel directories.",
        "build_env": "File or None: a prebuilt build environment (`py_build_env`) used instead of `build_deps`.",
        "patches": "list[File]: patches, in order.",
        "env": "dict[str, str]: extra backend environment.",
        "config_settings": "dict[str, str]: PEP 517 config settings.",
        "build_tag": "str: build tag or \"\".",
        "local_version": "str: local version label or \"\".",
        "variant_properties": "list[str]: PEP 825 variant properties (`namespace :: feature :: value`), or empty.",
        "variant_label": "str: the variant wheel's label, or \"\" for variantlib's hash of the properties.",
        "debug": "str: strip, split or keep.",
    },
)
