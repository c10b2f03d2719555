"""What a build is asked to do and what it returns (data only, used on both sides).

:class:`BuildRequest` crosses the trust boundary as JSON: the front end
writes it (with the paths the worker sees inside the sandbox) and the worker
reads it. :class:`BuildResult` is what the front end returns to its caller.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from .limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .normalize import DebugMode

__all__ = [
    "DEFAULT_MAX_PROCESSES",
    "DEFAULT_TIMEOUT",
    "BuildRequest",
    "BuildRequirements",
    "BuildResult",
]

#: Default build time limit in seconds (``--timeout``).
DEFAULT_TIMEOUT = 3600.0
#: Default cap on processes and threads of one build (``--max-processes``).
DEFAULT_MAX_PROCESSES = 4096

_PATHS = ("find_links", "wheels", "patches", "ro_binds")


@dataclass(frozen=True)
class BuildRequest:
    """Everything a build depends on (all paths absolute).

    Attributes:
        sdist: the source distribution (Path).
        find_links: directories of wheels for the build environment (tuple[Path, ...]).
        python: interpreter the wheel is built for (Path).
        debug: ``strip`` | ``split`` | ``keep`` (str).
        build_tag: build tag for the output wheel (str | None).
        local_version: local version label for the output wheel (str | None).
        config_settings: PEP 517 config settings (dict[str, str | list[str]]).
        env: extra environment for the backend, applied last (dict[str, str]).
        source_date_epoch: fixed time; default the sdist's newest member (int | None).
        sandbox: ``auto`` | ``bwrap`` | ``none`` (str): ``auto`` and ``bwrap``
            isolate the build with bubblewrap or fail; ``none`` runs it on the
            host, network open, and must be asked for.
        wheels: single wheel files for the build environment (tuple[Path, ...]).
        patches: patches applied with ``patch -p1`` to the source tree, in order
            (tuple[Path, ...]).
        clock_shift: libfaketime offset for the backend's Python processes,
            e.g. ``+400d``; used by ``verify`` for its second build (str | None).
        verbosity: 0 quiet, 1 phases, 2 phases and backend output (int).
        timeout: seconds the build may run before it is stopped (float).
        max_extract_bytes: cap on the bytes the sdist unpacks to (int).
        max_members: cap on the number of members of the sdist (int).
        max_processes: cap on processes and threads of the build, where a
            pids cgroup can be made (int).
        ro_binds: host directories made visible read-only in the sandbox at
            the same path, e.g. a compiler outside ``/usr`` (tuple[Path, ...]).
        missing_fix: advice for a missing build requirement, replacing the
            ``pip download`` hint (the Bazel rules name the attribute) (str).
        requires_only: stop after asking the backend for its dynamic build
            requirements, build nothing (``lock-build`` uses it) (bool).
        env_dir: a prebuilt build environment (``wheelhouse build-env``) to use,
            read-only, instead of resolving and installing one; every static and
            dynamic requirement must be in it (Path | None).
        dynamic_known: the backend's answer to ``get_requires_for_build_wheel``
            for this sdist, environment and options, known from an earlier build:
            the hook is not asked again (tuple[str, ...] | None).
        report_dynamic: with ``env_dir``, report dynamic requirements the
            environment lacks as :class:`~wheelhouse.errors.DynamicRequirements`
            (the caller then makes a bigger environment) (bool).
        variant_properties: PEP 825 variant properties, ``namespace :: feature ::
            value`` in variantlib's canonical form: the backend sees them in
            ``WHEELHOUSE_VARIANT_PROPERTIES`` (``;``-separated), and the wheel is made a
            variant wheel (``*.dist-info/variant.json``, the label in its name)
            (tuple[str, ...]).
        variant_label: the variant's label; default the hash variantlib derives from
            the properties (str | None).
    """

    sdist: Path
    find_links: tuple[Path, ...]
    python: Path
    debug: DebugMode = "strip"
    build_tag: str | None = None
    local_version: str | None = None
    config_settings: dict[str, str | list[str]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    source_date_epoch: int | None = None
    sandbox: str = "auto"
    wheels: tuple[Path, ...] = ()
    patches: tuple[Path, ...] = ()
    clock_shift: str | None = None
    verbosity: int = 1
    timeout: float = DEFAULT_TIMEOUT
    max_extract_bytes: int = DEFAULT_MAX_BYTES
    max_members: int = DEFAULT_MAX_MEMBERS
    max_processes: int = DEFAULT_MAX_PROCESSES
    ro_binds: tuple[Path, ...] = ()
    missing_fix: str = ""
    requires_only: bool = False
    env_dir: Path | None = None
    dynamic_known: tuple[str, ...] | None = None
    report_dynamic: bool = False
    variant_properties: tuple[str, ...] = ()
    variant_label: str | None = None

    def to_json(self) -> str:
        """Serialize (for the worker)."""
        data = dataclasses.asdict(self)
        for key in ("sdist", "python"):
            data[key] = str(data[key])
        data["env_dir"] = None if self.env_dir is None else str(self.env_dir)
        for key in _PATHS:
            data[key] = [str(p) for p in getattr(self, key)]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BuildRequest:
        """Inverse of :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        data["sdist"] = Path(data["sdist"])
        data["python"] = Path(data["python"])
        data["env_dir"] = None if data.get("env_dir") is None else Path(data["env_dir"])
        if data.get("dynamic_known") is not None:
            data["dynamic_known"] = tuple(data["dynamic_known"])
        data["variant_properties"] = tuple(data.get("variant_properties", ()))
        for key in _PATHS:
            data[key] = tuple(Path(p) for p in data[key])
        return cls(**data)


@dataclass(frozen=True)
class BuildResult:
    """A finished wheel.

    Attributes:
        wheel: its path in the output directory (Path).
        sha256: hex digest of the file (str).
        name: canonical project name (str).
        version: version of the sdist (str).
        interpreter: implementation, version and best tag of the target (str).
        log: the backend log (Path | None).
        debug_files: split debug files written (list[Path]).
        seconds: wall time of the whole build (float).
        sandbox: how the build was isolated, for reports (str).
        environment: the build environment, ``name==version`` each, sorted (tuple[str, ...]).
        dynamic: what the backend asked for in ``get_requires_for_build_wheel`` (tuple[str, ...]).
        cached: served from the action cache, not built (bool).
    """

    wheel: Path
    sha256: str
    name: str
    version: str
    interpreter: str
    log: Path | None
    debug_files: list[Path]
    seconds: float
    sandbox: str = ""
    environment: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()
    cached: bool = False


@dataclass(frozen=True)
class BuildRequirements:
    """What an sdist needs to build, as its backend says in the sandbox.

    Attributes:
        name: canonical project name (str).
        version: its version (str).
        requires: ``build-system.requires`` (tuple[str, ...]).
        dynamic: what ``get_requires_for_build_wheel`` asked for (tuple[str, ...]).
        backend_path: whether the backend is in the sdist's own tree (bool).
    """

    name: str
    version: str
    requires: tuple[str, ...]
    dynamic: tuple[str, ...]
    backend_path: bool = False
