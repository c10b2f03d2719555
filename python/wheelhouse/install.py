"""Install wheels into a self-contained directory (the Bazel install action).

``DEST/site-packages`` receives pure and platform files, ``DEST/bin`` scripts,
``DEST/include/<name>`` headers, ``DEST`` itself the ``.data/data`` files. No
bytecode is compiled, so the tree depends only on the wheels. Every wheel is
checked against its RECORD first; two wheels writing the same file is an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from .errors import BadArchive, UsageError

__all__ = ["install_tree"]


def _project(wheel: Path) -> str:
    """The project a wheel installs, from its name (PEP 427, or a PEP 825 variant's)."""
    try:
        return str(parse_wheel_filename(wheel.name)[0])
    except InvalidWheelFilename:
        pass
    from .host.variants import read_variant, split_label

    plain, label = split_label(wheel.name)
    try:
        project = str(parse_wheel_filename(plain)[0])
    except InvalidWheelFilename:
        label = None
    if label is None:
        raise BadArchive(f"{wheel}: not a valid wheel file name (PEP 427, or PEP 825 with a variant label)")
    read_variant(wheel)  # its variant.json must be valid and name this label
    return project


def install_tree(wheels: Sequence[Path], dest: Path, interpreter: str = "/usr/bin/env python3") -> Path:
    """Install ``wheels`` under ``dest`` (created; must be empty); return site-packages.

    The tree is built in a temporary sibling and renamed into place, so a
    failure leaves nothing at ``dest``.
    """
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile

    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"--dest {dest}: not empty; give a new or empty directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        seen: dict[str, Path] = {}
        for wheel in wheels:
            name = _project(wheel)
            scheme = {
                "purelib": str(staging / "site-packages"),
                "platlib": str(staging / "site-packages"),
                "scripts": str(staging / "bin"),
                "headers": str(staging / "include" / name),
                "data": str(staging),
            }
            destination = SchemeDictionaryDestination(
                scheme, interpreter=interpreter, script_kind="posix", bytecode_optimization_levels=()
            )
            try:
                with zipfile.ZipFile(wheel) as zf:
                    names = [n for n in zf.namelist() if not n.endswith("/") and ".dist-info/" not in n]
                for path in names:
                    if path in seen:
                        raise UsageError(
                            f"{wheel.name}: installs {path}, which {seen[path].name} also installs; "
                            "two wheels of one library must not overlap"
                        )
                    seen[path] = wheel
                with WheelFile.open(wheel) as source:
                    source.validate_record()
                    install(source, destination, additional_metadata={"INSTALLER": b"wheelhouse\n"})
            except (InstallerError, zipfile.BadZipFile, ValueError, OSError) as exc:
                raise BadArchive(
                    f"{wheel}: cannot install ({type(exc).__name__}: {exc}); rebuild or re-download it"
                ) from None
        (staging / "site-packages").mkdir(exist_ok=True)
        if dest.exists():
            dest.rmdir()
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest / "site-packages"
