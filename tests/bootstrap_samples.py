"""Packages for the from-source e2e that no index has: a real-shaped build cycle, a Cython extension.

``loopback-backend`` is a build backend that builds itself from its own tree
(``backend-path``) but needs its plugin installed to do so, and
``loopback-plugin`` is built with that backend: the shape of hatchling and
pluggy's dependencies, a cycle that only a seed breaks. ``app`` is built with
the backend; ``cyext`` is a C extension compiled from a ``.pyx`` with Cython;
``hatchpkg`` is built by hatchling. :func:`seed_wheel` makes the hash-pinned
binary of ``loopback-backend`` that seeds the cycle.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

from samples import HATCH

#: The backend: packs ``src/<module>/`` into a wheel; needs its plugin only when
#: the project says so in ``[tool.loopback] build-requires``.
BACKEND = r'''
"""loopback_backend: a tiny PEP 517 backend (rules_wheelhouse e2e)."""
import base64, hashlib, os, tomllib, zipfile


def _project():
    with open("pyproject.toml", "rb") as f:
        data = tomllib.load(f)
    return data["project"], data.get("tool", {}).get("loopback", {})


def get_requires_for_build_wheel(config_settings=None):
    return list(_project()[1].get("build-requires", []))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project, tool = _project()
    name, version = project["name"], project["version"]
    stamp = "plain"
    if "loopback-plugin" in tool.get("build-requires", []):
        import loopback_plugin
        stamp = loopback_plugin.stamp(name)
    dist = name.replace("-", "_")
    files = {}
    for root, _dirs, names in os.walk("src"):
        for n in sorted(names):
            path = os.path.join(root, n)
            with open(path, "rb") as f:
                files[os.path.relpath(path, "src")] = f.read()
    files[f"{dist}-{version}.dist-info/STAMP"] = stamp.encode()
    requires = "".join(f"Requires-Dist: {r}\n" for r in project.get("dependencies", []))
    files[f"{dist}-{version}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}"
    ).encode()
    files[f"{dist}-{version}.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: loopback\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for member, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{dist}-{version}.dist-info/RECORD,,")
    files[f"{dist}-{version}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return wheel
'''

PLUGIN = '''"""loopback_plugin: what loopback_backend needs to build itself."""


def stamp(name):
    return f"built by loopback_backend with loopback_plugin for {name}"
'''


def _pkg_info(name: str, version: str, requires: tuple[str, ...] = ()) -> str:
    extra = "".join(f"Requires-Dist: {r}\n" for r in requires)
    return f"Metadata-Version: 2.2\nName: {name}\nVersion: {version}\n{extra}"


def _pyproject(name: str, requires: list[str], backend: str, extra: str = "", path: str | None = None) -> str:
    text = f'[build-system]\nrequires = {requires!r}\nbuild-backend = "{backend}"\n'.replace("'", '"')
    if path:
        text += f'backend-path = ["{path}"]\n'
    return text + f'\n[project]\nname = "{name}"\nversion = "1.0"\n' + extra


def sources() -> dict[str, dict[str, str]]:
    """Every generated sdist: name -> {path in the sdist: text}."""
    return {
        "loopback-backend": {
            "pyproject.toml": _pyproject(
                "loopback-backend",
                [],
                "loopback_backend",
                '\n[tool.loopback]\nbuild-requires = ["loopback-plugin"]\n',
                ".",
            ),
            "loopback_backend.py": BACKEND,
            "src/loopback_backend.py": BACKEND,
            "PKG-INFO": _pkg_info("loopback-backend", "1.0"),
        },
        "loopback-plugin": {
            "pyproject.toml": _pyproject("loopback-plugin", ["loopback-backend"], "loopback_backend"),
            "src/loopback_plugin/__init__.py": PLUGIN,
            "PKG-INFO": _pkg_info("loopback-plugin", "1.0"),
        },
        "app": {
            "pyproject.toml": _pyproject("app", ["loopback-backend"], "loopback_backend"),
            "src/app/__init__.py": "ANSWER = 42\n",
            "PKG-INFO": _pkg_info("app", "1.0"),
        },
        "cyext": {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools", "cython"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "cyext"\nversion = "1.0"\n',
            "setup.py": "from setuptools import setup\nfrom Cython.Build import cythonize\n"
            'setup(ext_modules=cythonize(["cyext/fast.pyx"], language_level=3))\n',
            "cyext/__init__.py": "from .fast import triangle\n",
            "cyext/fast.pyx": "def triangle(int n):\n    cdef long total = 0\n    for i in range(n + 1):\n"
            "        total += i\n    return total\n",
            "PKG-INFO": _pkg_info("cyext", "1.0"),
        },
        "hatchpkg": {**HATCH, "PKG-INFO": _pkg_info("hatchpkg", "1.0")},
    }


def write_sdists(dest: Path, mtime: int = 1700000000) -> list[Path]:
    """Write every generated sdist into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name, files in sources().items():
        top = f"{name.replace('-', '_')}-1.0"
        path = dest / f"{top}.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            for rel, text in sorted(files.items()):
                data = text.encode()
                info = tarfile.TarInfo(f"{top}/{rel}")
                info.size, info.mtime, info.mode = len(data), mtime, 0o644
                tar.addfile(info, io.BytesIO(data))
        out.append(path)
    return out


def seed_wheel(dest: Path) -> Path:
    """The seed: a binary wheel of loopback-backend 1.0 from "somewhere" (here, written directly)."""
    files = {
        "loopback_backend.py": BACKEND.encode(),
        "loopback_backend-1.0.dist-info/METADATA": _pkg_info("loopback-backend", "1.0").encode(),
        "loopback_backend-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: seed\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for member, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append("loopback_backend-1.0.dist-info/RECORD,,")
    files["loopback_backend-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "loopback_backend-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(zipfile.ZipInfo(member, (2023, 11, 14, 0, 0, 0)), data)
    return path
