"""Every project of the names lock imports, whatever label it came through."""

import importlib
import unittest

# Project name -> its module (tests/bazel/test_lock_names.py writes `n_<name with _>`).
PROJECTS = [
    "alias",
    "build",
    "build-bazel",
    "build-wheel",
    "conditions",
    "config",
    "cp314-linux-x86-64",
    "cp314-linux-x86-64-default",
    "cycle",
    "cycle-build",
    "external",
    "file",
    "foo-wheel",
    "graph",
    "library",
    "packages",
    "packages-bzl",
    "pkg",
    "python-dateutil-like",
    "sdist",
    "visibility",
    "wheel",
    "wheel-wheel",
    "whl",
]


class NamesTest(unittest.TestCase):
    def test_every_project_imports(self) -> None:
        for project in PROJECTS:
            with self.subTest(project=project):
                module = importlib.import_module("n_" + project.replace("-", "_"))
                self.assertEqual(module.PROJECT, project)

    def test_sdist_was_built_from_source_here(self) -> None:
        import n_sdist

        self.assertEqual(n_sdist.FROM, "sdist")


if __name__ == "__main__":
    unittest.main()
