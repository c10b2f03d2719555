"""The from-source lock's packages import and work."""

from importlib.metadata import version

import app
import cyext
import cyext.fast
import hatchpkg
import iniconfig
import setuptools
import wheel

assert app.ANSWER == 42
assert cyext.triangle(10) == 55
assert cyext.fast.__file__.endswith(".so"), cyext.fast.__file__  # compiled by Cython built from source
assert hatchpkg.GREETING == "hello"
assert iniconfig.IniConfig("x", data="[s]\nk=v")["s"]["k"] == "v"
print("setuptools", setuptools.__version__, "wheel", wheel.__version__, "iniconfig", version("iniconfig"))
