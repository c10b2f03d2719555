"""Every locked package imports from the hub; the marker-excluded one does not."""

import importlib
import importlib.util
import unittest

MODULES = {
    "attrs": "attrs",
    "certifi": "certifi",
    "charset_normalizer": "charset-normalizer",
    "Cython": "cython",
    "idna": "idna",
    "iniconfig": "iniconfig",
    "markupsafe": "markupsafe",
    "msgpack": "msgpack",
    "packaging": "packaging",
    "pluggy": "pluggy",
    "pygments": "pygments",
    "pytest": "pytest",
    "yaml": "pyyaml",
    "requests": "requests",
    "setuptools": "setuptools",
    "six": "six",
    "urllib3": "urllib3",
}


class ImportTest(unittest.TestCase):
    def test_every_package_imports(self) -> None:
        for module in MODULES:
            with self.subTest(module=module):
                importlib.import_module(module)

    def test_c_extensions_built_from_sdists_work(self) -> None:
        import markupsafe._speedups
        import yaml

        self.assertTrue(yaml.__with_libyaml__, "pyyaml was built without its C extension")
        self.assertEqual(yaml.load("a: [1, 2]", Loader=yaml.CSafeLoader), {"a": [1, 2]})
        self.assertEqual(str(markupsafe.escape("<b>")), "&lt;b&gt;")

    def test_binary_wheel_for_this_platform(self) -> None:
        import msgpack

        self.assertEqual(msgpack.unpackb(msgpack.packb({"k": [1, 2]})), {"k": [1, 2]})
        self.assertTrue(msgpack.version >= (1, 2))

    def test_marker_excluded_package_is_absent(self) -> None:
        # colorama is locked with `sys_platform == 'win32'`: nothing installed here.
        self.assertIsNone(importlib.util.find_spec("colorama"))


if __name__ == "__main__":
    unittest.main()
