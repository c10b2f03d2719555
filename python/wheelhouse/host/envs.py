"""``wheelhouse env pylock.toml DIR``: a ready virtual environment of a lock, keyed by its pinned set.

The wheels the lock names for this interpreter and platform are installed
once into a tree in the cache, ``venvs/<key>/`` where the key is
:func:`~wheelhouse.host.cache.env_key` of their sha256s and the interpreter
(scripts name a placeholder interpreter there, files are read-only, the tree
is verified on every use). ``DIR`` is then a new venv whose files are hard
links to that tree (copies across file systems), the scripts copied with
``DIR/bin/python`` written in: a second environment of the same lock is a
copy, not a reinstall. On failure ``DIR`` is removed again (or emptied, if
it was an empty directory before).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildLockError, UsageError
from ..install import install_tree
from ..progress import Progress
from .cache import Cache, env_key
from .fetch import Sources, fetch
from .resolve import Target
from .runtimelock import read_runtime_lock

__all__ = ["EnvSummary", "make_env"]

#: The interpreter the cached tree's scripts name until they are copied into an environment.
PLACEHOLDER = b"#!/wheelhouse-env-placeholder/bin/python"


@dataclass(frozen=True)
class EnvSummary:
    """What :func:`make_env` made.

    Attributes:
        path: the environment (Path).
        key: its key (str).
        packages: ``name==version`` installed (list[str]).
        reused: the installed tree came from the cache (bool).
        linked: files hard-linked rather than copied (int).
    """

    path: Path
    key: str
    packages: list[str]
    reused: bool
    linked: int


def _tree(cache: Cache, key: str, wheels: list[Path], progress: Progress) -> tuple[Path, bool]:
    found = cache.venv(key)
    if found is not None:
        return found, True
    progress.phase("env", f"installing {len(wheels)} wheels into the cache ({key[:12]})")
    staging = cache.staging("venvs")
    try:
        install_tree(wheels, staging / "tree", PLACEHOLDER[2:].decode())
        for dirpath, _dirnames, filenames in os.walk(staging / "tree"):
            for name in filenames:
                path = Path(dirpath) / name
                path.chmod(0o555 if path.stat().st_mode & 0o111 else 0o444)
        return cache.put_venv(key, staging, {"wheels": [w.name for w in wheels]}), False
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _place(source: Path, dest: Path) -> bool:
    """Hard-link ``source`` at ``dest`` (True), or copy it where links cannot be made."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
        return True
    except OSError:
        shutil.copy2(source, dest)
        return False


def make_env(
    lock: Path, dest: Path, cache: Cache, *, python: Path, sources: Sources, progress: Progress
) -> EnvSummary:
    """Make the environment of ``lock`` at ``dest`` (see the module docstring).

    Raises:
        WheelhouseError: a package without a wheel for this interpreter (build the lock
            first), a fetch or install failure, ``dest`` not new or empty.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest}: exists and is not empty; give a new or empty directory")
    interp = cache.interpreter(python)
    if interp.implementation != "cpython":
        raise UsageError(f"--python {python}: wheelhouse env makes CPython environments only")
    short = ".".join(interp.version.split(".")[:2])
    target = Target(short, interp.tags[0].rsplit("-", 1)[-1], interp.tags, interp.markers)
    packages, _ = read_runtime_lock(lock, target)
    wheels = []
    for pkg in packages:
        if pkg.wheel is None:
            raise BuildLockError(
                f"{lock}: {pkg.key} has no wheel for this interpreter ({interp.tags[0]}); build the lock "
                f"first (`wheelhouse build {lock} -o DIR`) and make the environment of DIR/pylock.toml"
            )
        wheels.append(
            fetch(pkg.wheel.name, pkg.wheel.sha256, pkg.wheel.url, sources, cache.root, package=pkg.key)
        )
    key = env_key([p.wheel.sha256 for p in packages if p.wheel is not None], interp.key)
    tree, reused = _tree(cache, key, wheels, progress)
    existed = dest.exists()
    linked = 0
    try:
        subprocess.run(
            [str(python), "-I", "-m", "venv", "--without-pip", str(dest)], check=True, capture_output=True
        )
        site = dest / "lib" / f"python{short}" / "site-packages"
        new_shebang = b"#!" + str((dest / "bin" / "python").absolute()).encode()
        for dirpath, _dirnames, filenames in os.walk(tree / "tree"):
            for name in filenames:
                source = Path(dirpath) / name
                rel = source.relative_to(tree / "tree")
                top = rel.parts[0]
                if top == "site-packages":
                    target_path = site.joinpath(*rel.parts[1:])
                elif top == "include":
                    target_path = dest / "include" / "site" / f"python{short}" / Path(*rel.parts[1:])
                else:
                    target_path = dest / rel
                data = source.read_bytes() if top == "bin" else b""
                if data.startswith(PLACEHOLDER):
                    target_path.parent.mkdir(parents=True, exist_ok=True)
                    target_path.write_bytes(new_shebang + data[len(PLACEHOLDER) :])
                    target_path.chmod(0o755)
                else:
                    linked += _place(source, target_path)
    except BaseException as exc:
        if existed:
            for child in dest.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        else:
            shutil.rmtree(dest, ignore_errors=True)
        if isinstance(exc, subprocess.CalledProcessError):
            raise UsageError(
                f"--python {python}: cannot make a venv ({exc.stderr.decode(errors='replace').strip()}); "
                "install the venv module of that interpreter"
            ) from None
        raise
    return EnvSummary(dest, key, [p.key for p in packages], reused, linked)
