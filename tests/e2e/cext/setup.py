from setuptools import Extension, setup

setup(
    packages=["cext"],
    package_dir={"": "src"},
    ext_modules=[Extension("cext._speed", ["src/speed.c"], extra_compile_args=["-g"])],
)
