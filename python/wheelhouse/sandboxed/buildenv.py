"""The build environment: build requirements resolved against local wheels only.

``--find-links`` directories are the whole universe: no index, no pip, no
network. Requirements (static ``build-system.requires`` and the dynamic result
of ``get_requires_for_build_wheel``) are resolved with ``packaging`` against
the target interpreter's markers and tags, newest matching version first,
transitively through each wheel's ``Requires-Dist``. The chosen wheels are
checked against their RECORD and installed with ``installer`` into a venv at a
fixed path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadArchive, MissingBuildRequirement, UsageError

# ``packaging`` (and ``email``) are imported by the functions that resolve and check: a build
# in a prebuilt environment never needs them, and the worker starts faster without them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import email.message

    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.tags import Tag
    from packaging.utils import NormalizedName
    from packaging.version import Version

__all__ = [
    "Interpreter",
    "WheelCandidate",
    "add_tempnames_hook",
    "compile_env",
    "create_venv",
    "describe_interpreter",
    "install_wheels",
    "resolve",
    "scan_find_links",
    "scan_wheel_files",
]

RunFn = Callable[[Sequence[str]], str]

_DESCRIBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from packaging.markers import default_environment
from packaging.tags import sys_tags
print(json.dumps({
    "executable": sys.executable,
    "implementation": sys.implementation.name,
    "version": ".".join(map(str, sys.version_info[:3])),
    "markers": default_environment(),
    "tags": [str(t) for t in sys_tags()],
}))
"""


def _run(cmd: Sequence[str]) -> str:
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True).stdout


@dataclass(frozen=True)
class Interpreter:
    """A target Python interpreter, described by itself.

    Attributes:
        executable: the interpreter as given (Path).
        implementation: ``sys.implementation.name`` (str).
        version: ``X.Y.Z`` (str).
        markers: PEP 508 marker environment (dict[str, str]).
        tags: supported PEP 425 tags, most preferred first (tuple[str, ...]).
    """

    executable: Path
    implementation: str
    version: str
    markers: dict[str, str]
    tags: tuple[str, ...]

    @property
    def key(self) -> str:
        """Identity for cache keys: implementation, version, best tag (str)."""
        return f"{self.implementation}-{self.version}-{self.tags[0]}"

    def tag_rank(self) -> dict[Tag, int]:
        """Map each supported tag to its preference (lower is better)."""
        from packaging.tags import parse_tag

        return {next(iter(parse_tag(t))): i for i, t in enumerate(self.tags)}


def describe_interpreter(python: Path, run: RunFn = _run) -> Interpreter:
    """Ask ``python`` for its version, marker environment and tags."""
    import packaging

    packaging_parent = str(Path(packaging.__file__).resolve().parent.parent)
    try:
        out = run([str(python), "-I", "-c", _DESCRIBE, packaging_parent])
    except (OSError, subprocess.CalledProcessError) as exc:
        raise UsageError(
            f"--python {python}: cannot run it to read its tags ({exc}); "
            "pass the path of a working Python >= 3.8 interpreter"
        ) from None
    data = json.loads(out)
    return Interpreter(
        executable=python,
        implementation=data["implementation"],
        version=data["version"],
        markers=data["markers"],
        tags=tuple(data["tags"]),
    )


@dataclass(frozen=True)
class WheelCandidate:
    """A wheel file found in a ``--find-links`` directory.

    Attributes:
        path: the file (Path).
        name: canonical project name (NormalizedName).
        version: its version (Version).
        build: build tag, ``()`` when absent (tuple).
        tags: the tags its filename declares (frozenset[Tag]).
    """

    path: Path
    name: NormalizedName
    version: Version
    build: tuple[()] | tuple[int, str]
    tags: frozenset[Tag]


def scan_find_links(dirs: Iterable[Path]) -> list[WheelCandidate]:
    """All ``*.whl`` files directly inside ``dirs`` with valid names."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    found: list[WheelCandidate] = []
    for directory in dirs:
        if not directory.is_dir():
            raise UsageError(f"--find-links {directory}: not a directory")
        for path in sorted(directory.glob("*.whl")):
            try:
                name, version, build, tags = parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                continue
            found.append(WheelCandidate(path, name, version, build, tags))
    return found


def scan_wheel_files(files: Iterable[Path]) -> list[WheelCandidate]:
    """Candidates from explicitly named ``.whl`` files (``--wheel``)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    found: list[WheelCandidate] = []
    for path in files:
        if not path.is_file():
            raise UsageError(f"--wheel {path}: no such file")
        try:
            name, version, build, tags = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            raise UsageError(f"--wheel {path}: not a valid wheel file name (PEP 427)") from None
        found.append(WheelCandidate(path, name, version, build, tags))
    return found


def _metadata(wheel: Path) -> email.message.Message:
    import email.parser

    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise BadArchive(f"{wheel}: expected one .dist-info/METADATA, found {len(names)}")
            return email.parser.BytesParser().parsebytes(zf.read(names[0]))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BadArchive(
            f"{wheel}: not a readable wheel ({exc}); remove it from the --find-links "
            "directory or download it again"
        ) from None


@dataclass
class _Resolution:
    interp: Interpreter
    by_name: dict[NormalizedName, list[WheelCandidate]]
    metadata: dict[Path, email.message.Message] = field(default_factory=dict)

    def meta(self, wheel: Path) -> email.message.Message:
        if wheel not in self.metadata:
            self.metadata[wheel] = _metadata(wheel)
        return self.metadata[wheel]

    def best(self, name: NormalizedName, spec: SpecifierSet) -> WheelCandidate | None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import Version

        rank = self.interp.tag_rank()
        worst = len(rank)
        pool = [c for c in self.by_name.get(name, []) if c.tags & rank.keys()]
        allowed = set(spec.filter({c.version for c in pool}))
        pool = [c for c in pool if c.version in allowed]
        pool.sort(key=lambda c: (c.version, -min(rank.get(t, worst) for t in c.tags), c.build))
        target = Version(self.interp.version)
        for cand in reversed(pool):
            requires_python = self.meta(cand.path).get("Requires-Python")
            try:
                if requires_python and target not in SpecifierSet(str(requires_python)):
                    continue
            except InvalidSpecifier as exc:
                raise BadArchive(
                    f"{cand.path}: invalid Requires-Python in METADATA ({exc}); remove the "
                    "wheel from the --find-links directory or download it again"
                ) from None
            return cand
        return None


def _marker_ok(marker: Marker | None, env: dict[str, str], extras: set[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({**env, "extra": extra}) for extra in sorted(extras) or [""])


def resolve(
    requirements: Sequence[str],
    candidates: Sequence[WheelCandidate],
    interp: Interpreter,
    *,
    sdist: str,
    dirs: Sequence[Path],
) -> list[WheelCandidate]:
    """Choose one wheel per project so that ``requirements`` hold, transitively.

    Newest version first; among equal versions the best tag, then the highest
    build tag. A project pinned again later with a stricter specifier restarts
    the resolution with the combined constraint.

    Raises:
        MissingBuildRequirement: nothing in ``dirs`` satisfies a requirement.
        UsageError: a requirement string that does not parse.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    by_name: dict[NormalizedName, list[WheelCandidate]] = {}
    for cand in candidates:
        by_name.setdefault(cand.name, []).append(cand)
    state = _Resolution(interp, by_name)
    parsed: list[Requirement] = []
    for text in requirements:
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as exc:
            raise UsageError(f"{sdist}: invalid build requirement {text!r}: {exc}") from None
    constraints: dict[NormalizedName, SpecifierSet] = {}
    for _round in range(100):
        chosen, restart = _resolve_round(parsed, state, constraints, sdist, dirs)
        if not restart:
            return [chosen[name] for name in sorted(chosen)]
    raise MissingBuildRequirement("(conflicting constraints)", sdist, list(dirs))


def _resolve_round(
    roots: list[Requirement],
    state: _Resolution,
    constraints: dict[NormalizedName, SpecifierSet],
    sdist: str,
    dirs: Sequence[Path],
) -> tuple[dict[NormalizedName, WheelCandidate], bool]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    chosen: dict[NormalizedName, WheelCandidate] = {}
    extras: dict[NormalizedName, set[str]] = {}
    queue: list[tuple[Requirement, set[str]]] = [(r, set()) for r in roots]
    env = state.interp.markers
    while queue:
        req, parent_extras = queue.pop(0)
        if not _marker_ok(req.marker, env, parent_extras):
            continue
        name = canonicalize_name(req.name)
        spec = constraints.get(name, SpecifierSet()) & req.specifier
        constraints[name] = spec
        new_extras = set(req.extras) - extras.get(name, set())
        extras.setdefault(name, set()).update(req.extras)
        current = chosen.get(name)
        if current is not None:
            if not spec.contains(current.version, prereleases=True):
                return chosen, True
            if not new_extras:
                continue
        best = state.best(name, spec)
        if best is None:
            raise MissingBuildRequirement(f"{req.name}{spec}" if spec else str(req), sdist, list(dirs))
        if current is not None and best.version != current.version:
            return chosen, True
        chosen[name] = best
        for dep in state.meta(best.path).get_all("Requires-Dist") or []:
            try:
                queue.append((Requirement(str(dep)), extras[name]))
            except InvalidRequirement as exc:
                raise BadArchive(
                    f"{best.path}: invalid Requires-Dist {str(dep)!r} in METADATA ({exc}); "
                    "remove the wheel from the --find-links directory or download it again"
                ) from None
    return chosen, False


def _layout(interp: Interpreter | None) -> dict[str, str] | None:
    """CPython's venv layout for ``interp`` (relative to the prefix), known without running it."""
    if interp is None or interp.implementation != "cpython":
        return None
    short = ".".join(interp.version.split(".")[:2])
    site = f"lib/python{short}/site-packages"
    return {"purelib": site, "platlib": site, "scripts": "bin", "data": ".", "pyver": short}


def create_venv(
    python: Path, prefix: Path, run: RunFn = _run, *, clear: bool = True, interp: Interpreter | None = None
) -> Path:
    """Create an empty venv (no pip) at ``prefix``; return its interpreter.

    ``clear=False`` keeps what is there (a read-only ``lib`` of a prebuilt environment).
    For a described CPython (``interp``) the venv is written directly, as ``python -m
    venv`` lays it out (``pyvenv.cfg``, the interpreter links, ``lib64``), without
    starting the interpreter; otherwise ``venv`` makes it.
    """
    layout = _layout(interp)
    if layout is None or interp is None:
        run([str(python), "-I", "-m", "venv", "--without-pip", *(["--clear"] if clear else []), str(prefix)])
        return prefix / "bin" / "python"
    if clear and prefix.exists():
        shutil.rmtree(prefix)
    short = layout["pyver"]
    for directory in ("bin", "include", layout["purelib"]):
        (prefix / directory).mkdir(parents=True, exist_ok=True)
    if sys.maxsize > 2**32 and not os.path.lexists(prefix / "lib64"):
        (prefix / "lib64").symlink_to("lib")
    real = os.path.realpath(python)
    links = {f"python{short}": real, "python3": f"python{short}", "python": f"python{short}"}
    for name, target in links.items():
        if not os.path.lexists(prefix / "bin" / name):
            (prefix / "bin" / name).symlink_to(target)
    (prefix / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(python)}\n"
        "include-system-site-packages = false\n"
        f"version = {interp.version}\n"
        f"executable = {real}\n"
        f"command = {python} -m venv --without-pip {prefix}\n"
    )
    return prefix / "bin" / "python"


#: The manifest of an exported build environment: what is installed, for which interpreter.
ENV_MANIFEST = "wheelhouse-env.json"
_ENV_PARTS = ("lib", "include")


def export_env(prefix: Path, dest: Path, dists: Sequence[str], interpreter: str) -> None:
    """Copy a venv's installed files to ``dest``: ``lib/``, ``include/``, the files of
    ``bin/`` (not the interpreter links) and :data:`ENV_MANIFEST`. Only regular files and
    directories are copied; any other link is an error (an installed wheel has none)."""
    dest.mkdir(parents=True)
    for part in (*_ENV_PARTS, "bin"):
        source = prefix / part
        if not source.is_dir():
            continue
        for path in sorted(source.rglob("*")):
            if part == "bin" and path.parent == source and path.is_symlink():
                continue  # the interpreter's links (python, python3, 3.14's 𝜋thon): made anew on use
            if path.is_symlink():
                raise BadArchive(f"{path}: a link in the build environment; a wheel cannot install one")
            target = dest / part / path.relative_to(source)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
                target.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
    manifest = {"dists": sorted(dists), "interpreter": interpreter}
    (dest / ENV_MANIFEST).write_text(json.dumps(manifest, sort_keys=True, indent=1) + "\n")


def adopt_env(
    prebuilt: Path, prefix: Path, python: Path, run: RunFn = _run, *, interp: Interpreter | None = None
) -> tuple[Path, list[str]]:
    """Make the venv at ``prefix`` around a prebuilt environment's ``lib``.

    ``prefix/lib`` is the prebuilt ``lib`` (mounted read-only in the sandbox,
    or a link to it without one); the interpreter links and ``pyvenv.cfg`` are
    made here, the scripts copied. Returns the venv's interpreter and the
    installed distributions (``name==version``).
    """
    manifest = json.loads((prebuilt / ENV_MANIFEST).read_text())
    prefix.mkdir(parents=True, exist_ok=True)
    for part in _ENV_PARTS:
        if not (prefix / part).exists() and (prebuilt / part).is_dir():
            (prefix / part).symlink_to(prebuilt / part)
    venv_python = create_venv(python, prefix, run, clear=False, interp=interp)
    scripts = prebuilt / "bin"
    if scripts.is_dir():
        for script in sorted(scripts.iterdir()):
            target = prefix / "bin" / script.name
            if script.is_file() and not target.exists():
                target.write_bytes(script.read_bytes())
                target.chmod(0o755)
    return venv_python, list(manifest["dists"])


def check_installed(
    requirements: Sequence[str], dists: Sequence[str], interp: Interpreter, *, sdist: str, where: list[Path]
) -> None:
    """Every requirement holds for the installed ``dists`` (``name==version``), transitively only
    as far as the environment was resolved: a prebuilt environment is never added to.

    Raises:
        MissingBuildRequirement: one does not.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    have: dict[str, Version] = {}
    for dist in dists:
        name, _, number = dist.partition("==")
        have[canonicalize_name(name)] = Version(number)
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise UsageError(f"{sdist}: invalid build requirement {text!r}: {exc}") from None
        if not _marker_ok(req.marker, interp.markers, set()):
            continue
        found = have.get(canonicalize_name(req.name))
        if found is None or not req.specifier.contains(found, prereleases=True):
            raise MissingBuildRequirement(text, sdist, where)


def _venv_paths(venv_python: Path, run: RunFn, interp: Interpreter | None) -> dict[str, str]:
    prefix = venv_python.parent.parent
    layout = _layout(interp)
    if layout is not None:
        return {k: v if k == "pyver" else str(prefix / v) for k, v in layout.items()}
    paths: dict[str, str] = json.loads(
        run(
            [
                str(venv_python),
                "-I",
                "-c",
                "import json, sys, sysconfig; p = sysconfig.get_paths(); "
                "p['pyver'] = '%d.%d' % sys.version_info[:2]; print(json.dumps(p))",
            ]
        )
    )
    return paths


def install_wheels(
    wheels: Sequence[WheelCandidate],
    venv_python: Path,
    run: RunFn = _run,
    *,
    interp: Interpreter | None = None,
) -> None:
    """Check each wheel against its RECORD and install it into the venv of ``venv_python``
    (whose layout ``interp`` gives without asking it, for CPython)."""
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile

    paths = _venv_paths(venv_python, run, interp)
    prefix = venv_python.parent.parent
    for wheel in wheels:
        scheme = {
            "purelib": paths["purelib"],
            "platlib": paths["platlib"],
            "scripts": paths["scripts"],
            "data": paths["data"],
            "headers": str(prefix / "include" / "site" / f"python{paths['pyver']}" / wheel.name),
        }
        destination = SchemeDictionaryDestination(
            scheme,
            interpreter=str(venv_python),
            script_kind="posix",
            bytecode_optimization_levels=(),
        )
        try:
            with WheelFile.open(wheel.path) as source:
                source.validate_record()
                install(source, destination, additional_metadata={"INSTALLER": b"wheelhouse\n"})
        except (InstallerError, zipfile.BadZipFile, ValueError, OSError) as exc:
            raise BadArchive(
                f"{wheel.path}: cannot install build requirement {wheel.name} "
                f"({type(exc).__name__}: {exc}); remove or re-download the wheel"
            ) from None


def compile_env(venv_python: Path, run: RunFn = _run, *, interp: Interpreter | None = None) -> None:
    """Compile the venv's Python files to ``unchecked-hash`` bytecode, with its own interpreter.

    Raises:
        BadArchive: a file that does not compile (the message names it).
    """
    purelib = _venv_paths(venv_python, run, interp)["purelib"]
    try:
        run([str(venv_python), "-I", "-m", "compileall", "-q", "-q", "-j", "0",
             "--invalidation-mode", "unchecked-hash", purelib])  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise BadArchive(
            f"a build requirement's Python file does not compile for {venv_python} ({exc}); "
            "check the wheels of the build environment"
        ) from None


def add_tempnames_hook(venv_python: Path, run: RunFn = _run, *, interp: Interpreter | None = None) -> None:
    """Install :mod:`wheelhouse.sandboxed.tempnames` into the venv, imported at start-up."""
    purelib = Path(_venv_paths(venv_python, run, interp)["purelib"])
    purelib.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).with_name("tempnames.py").read_text()
    (purelib / "_wheelhouse_tempnames.py").write_text(source + "\ninstall()\n")
    (purelib / "_wheelhouse_tempnames.pth").write_text("import _wheelhouse_tempnames\n")
