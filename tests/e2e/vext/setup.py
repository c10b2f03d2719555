# A C extension with a PEP 825 variant: built for x86-64-v3 when the build asks for
# `x86_64 :: level :: v3` (wheelhouse puts the properties in WHEELHOUSE_VARIANT_PROPERTIES).
import os

from setuptools import Extension, setup

props = os.environ.get("WHEELHOUSE_VARIANT_PROPERTIES", "").split(";")
flags = ["-march=x86-64-v3"] if "x86_64 :: level :: v3" in props else []
setup(
    packages=["vext"],
    package_dir={"": "src"},
    ext_modules=[Extension("vext._level", ["src/level.c"], extra_compile_args=flags)],
)
