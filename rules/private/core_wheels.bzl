"""The core's own Python dependencies, pinned by sha256.

Fetched through Bazel from the index the user configures (`wheelhouse.index`),
never from the host's site-packages. Keep in step with requirements-dev.txt.
"""

CORE_WHEELS = [
    struct(name = "packaging", filename = "packaging-26.3-py3-none-any.whl", sha256 = "d7193f7c8e4e93f444fde0262bf90af30e16fa0ad0ad44cb553c87339b23cd1c"),
    struct(name = "installer", filename = "installer-1.1.0-py3-none-any.whl", sha256 = "f55f5728ff61d3dd54dbc5a397cf3f7307cb64b180c20b72afbebf01c9e2c8a0"),
    struct(name = "build", filename = "build-1.6.1-py3-none-any.whl", sha256 = "ecd351a4be9d35a9eaaba244a7687143c9c7d4aea6ac964e7e7ddab20cbcf4e7"),
    struct(name = "pyproject_hooks", filename = "pyproject_hooks-1.3.3-py3-none-any.whl", sha256 = "5fc53fdac9f7bd63fbcdc868fb5f90b4784d78a53a3d3388cd738b807441a20b"),
]
