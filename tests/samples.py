"""Source trees of the tiny sdists the tests build (file name -> contents)."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

#: A setuptools C extension compiled with -g; the same tree the Bazel e2e packs.
CEXT_DIR = Path(__file__).resolve().parent / "e2e" / "cext"
CEXT = {str(p.relative_to(CEXT_DIR)): p.read_text() for p in sorted(CEXT_DIR.rglob("*")) if p.is_file()}

FLIT = {
    "pyproject.toml": """\
[build-system]
requires = ["flit_core>=3.2,<5"]
build-backend = "flit_core.buildapi"

[project]
name = "flitpkg"
version = "1.0"
description = "a flit_core package"
""",
    "flitpkg/__init__.py": "ANSWER = 42\n",
}

HATCH = {
    "pyproject.toml": """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "hatchpkg"
version = "1.0"
""",
    "src/hatchpkg/__init__.py": "GREETING = 'hello'\n",
}

#: A C extension whose compiled constant changes on every build.
CEXT_RANDOM = {
    **CEXT,
    "setup.py": "import os\n"
    "with open('src/seed.h', 'w') as f:\n"
    "    f.write('#define SEED 0x%sULL\\n' % os.urandom(8).hex())\n" + CEXT["setup.py"],
    "src/speed.c": '#include "seed.h"\nunsigned long long wheelhouse_seed = SEED;\n' + CEXT["src/speed.c"],
}

LEGACY = {
    "setup.py": "from setuptools import setup\nsetup(name='legacy', version='1.0', py_modules=['legacy'])\n",
    "legacy.py": "VALUE = 'legacy'\n",
}

_PROBE_BACKEND = '''\
"""An in-tree PEP 517 backend whose behaviour the tests choose."""
import base64, hashlib, json, os, socket, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "behavior.txt")) as f:
    BEHAVIOR = f.read().strip()


def get_requires_for_build_wheel(config_settings=None):
    return ["flit_core"] if BEHAVIOR == "dynamic" else []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("probe backend: building with behavior", BEHAVIOR)
    if BEHAVIOR == "fail":
        raise RuntimeError("probe backend failed on purpose")
    if BEHAVIOR == "network":
        socket.create_connection(("files.wheelhouse-test.invalid", 443), timeout=10)
    if BEHAVIOR == "dynamic":
        import flit_core  # installed from get_requires_for_build_wheel
    noise = os.urandom(8).hex() if BEHAVIOR == "random" else ""
    keys = ["PROBE_VALUE", "SOURCE_DATE_EPOCH", "PYTHONHASHSEED", "TZ", "LC_ALL", "HOME", "TMPDIR"]
    info = {
        "config_settings": config_settings,
        "env": {k: os.environ.get(k) for k in keys},
        "cwd": os.getcwd(),
    }
    files = {
        "probe/__init__.py": f"NOISE = {noise!r}\\n".encode(),
        "probe/build_info.json": json.dumps(info, sort_keys=True).encode(),
        "probe-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: probe\\nVersion: 1.0\\n",
        "probe-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\\nGenerator: probe\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("probe-1.0.dist-info/RECORD,,")
    files["probe-1.0.dist-info/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = "probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for member in reversed(list(files)):  # unsorted, current time: normalize fixes both
            zf.writestr(member, files[member])
    return name
'''


def probe(behavior: str = "ok") -> dict[str, str]:
    """An sdist with an in-tree backend; ``behavior`` is ok|fail|network|dynamic|random."""
    return {
        "pyproject.toml": """\
[build-system]
requires = []
build-backend = "probe_backend"
backend-path = ["_backend"]
""",
        "_backend/probe_backend.py": _PROBE_BACKEND,
        "_backend/behavior.txt": behavior + "\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: probe\nVersion: 1.0\n",
    }


def install_and_run(wheel: Path, target: Path, code: str) -> str:
    """Install ``wheel`` into ``target`` with installer; run ``code`` there; return stdout."""
    import subprocess

    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    site = target / "site"
    scheme = {k: str(site) for k in ("purelib", "platlib")}
    scheme.update({k: str(target / k) for k in ("headers", "scripts", "data")})
    dest = SchemeDictionaryDestination(scheme, interpreter=sys.executable, script_kind="posix")
    with WheelFile.open(wheel) as source:
        source.validate_record()
        install(source, dest, additional_metadata={})
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n{code}"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, f"{wheel.name}: {code!r} failed:\n{out.stderr}"
    return out.stdout


def members(wheel: Path) -> dict[str, bytes]:
    """All members of a wheel."""
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_wheel(directory: Path, name: str, version: str, payload: str = "") -> Path:
    """A valid py3-none-any wheel with one module."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}.py": f"PAYLOAD = {payload!r}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{m},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}"
        for m, d in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(zipfile.ZipInfo(member, (2023, 11, 14, 0, 0, 0)), data)
    return path
