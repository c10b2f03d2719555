"""The graph's edges: dependencies arrive without being listed, nothing else does."""

import importlib
import importlib.util
import unittest

# library -> graph -> (wheel, python-dateutil-like); cycle <-> build; build-wheel -> foo-wheel.
REACHED = ["library", "graph", "wheel", "python-dateutil-like", "cycle", "build", "build-wheel", "foo-wheel"]
NOT_REACHED = ["alias", "config", "pkg", "whl", "cycle-build", "wheel-wheel"]


def module(project: str) -> str:
    return "n_" + project.replace("-", "_")


class EdgesTest(unittest.TestCase):
    def test_dependencies_arrive_through_edges(self) -> None:
        for project in REACHED:
            with self.subTest(project=project):
                self.assertEqual(importlib.import_module(module(project)).PROJECT, project)

    def test_nothing_else_arrives(self) -> None:
        for project in NOT_REACHED:
            with self.subTest(project=project):
                self.assertIsNone(importlib.util.find_spec(module(project)))


if __name__ == "__main__":
    unittest.main()
