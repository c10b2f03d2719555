"""Imports every wheel the e2e workspace builds and calls its compiled code."""

import cext
import markupsafe
import tomli
import yaml
from markupsafe import _speedups

assert cext.add(2, 40) == 42
assert cext.optimized(), "the prefix maps must not replace the interpreter's -O flags"
assert yaml.safe_load("a: [1, 2]") == {"a": [1, 2]}
assert str(markupsafe.escape("<a>")) == "&lt;a&gt;"
assert _speedups._escape_inner("<") == "&lt;"
assert tomli.loads("x = 1") == {"x": 1}
print("all imports ok")
