"""The error hierarchy of the wheelhouse core.

Every error a user can cause (bad input, a missing requirement, a failing
backend) is a :class:`WheelhouseError`. Its message is one line that names the
file, the package and what to do about it; the command line prints exactly that
line. Anything else that escapes is a bug in wheelhouse.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BadArchive",
    "BuildFailed",
    "BuildLockError",
    "CycleError",
    "DynamicRequirements",
    "FetchError",
    "HashMismatch",
    "Interrupted",
    "LimitExceeded",
    "MissingBuildRequirement",
    "NoBuildSystem",
    "SandboxError",
    "UnsafeArchive",
    "UsageError",
    "WheelhouseError",
]


def _one_line(text: str) -> str:
    return " ".join(text.split())


class WheelhouseError(Exception):
    """Base class: a failure the user can act on. ``str(err)`` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))

    @property
    def message(self) -> str:
        """The one-line message (str)."""
        return str(self.args[0])


class UsageError(WheelhouseError):
    """An invalid option or combination of options."""


class BadArchive(WheelhouseError):
    """An sdist or wheel that cannot be read (corrupt, truncated, wrong format)."""


class UnsafeArchive(WheelhouseError):
    """An archive member that would land outside the extraction directory."""


class NoBuildSystem(WheelhouseError):
    """An sdist with neither ``pyproject.toml`` nor ``setup.py``."""


class MissingBuildRequirement(WheelhouseError):
    """A build requirement that no wheel in the ``--find-links`` directories satisfies.

    ``fix`` replaces the default advice (a ``pip download`` line) where the
    caller knows better, e.g. the Bazel rules name the target and attribute
    to change; ``searched`` then lists the wheels that were there.
    """

    def __init__(self, requirement: str, sdist: str, searched: list[Path], fix: str = "") -> None:
        if fix:
            names = ", ".join(p.name for p in searched) or "no wheels at all"
            message = f"{sdist}: no wheel satisfies build requirement {requirement!r} among {names}; {fix}"
        else:
            dirs = ", ".join(str(d) for d in searched) or "(none given)"
            message = (
                f"{sdist}: no wheel satisfies build requirement {requirement!r} in --find-links {dirs}; "
                "add a matching wheel to one of them "
                f"(e.g. `pip download --only-binary :all: -d DIR '{requirement}'`)"
            )
        super().__init__(message)
        self.requirement = requirement


class BuildFailed(WheelhouseError):
    """The build backend failed. Carries the tail of its log and the log's path."""

    def __init__(self, message: str, log_tail: list[str], log_path: Path | None) -> None:
        super().__init__(message)
        self.log_tail = log_tail
        self.log_path = log_path


class DynamicRequirements(WheelhouseError):
    """The backend asks for build requirements a prebuilt environment lacks (the caller makes another).

    Attributes:
        requirements: what ``get_requires_for_build_wheel`` returned (list[str]).
    """

    def __init__(self, requirements: list[str], sdist: str) -> None:
        super().__init__(
            f"{sdist}: the backend asks for {', '.join(requirements)}, not in the build environment"
        )
        self.requirements = requirements


class CycleError(WheelhouseError):
    """Build requirements built from source that need each other, with no seed to break the cycle."""


class FetchError(WheelhouseError):
    """A file pinned by hash that no URL, directory or index has."""


class HashMismatch(WheelhouseError):
    """A file whose bytes are not the ones its lock pins (changed, replaced, or another file)."""


class BuildLockError(WheelhouseError):
    """A build lock (``pylock.build.toml``) that is malformed, stale, or for another lock."""


class LimitExceeded(WheelhouseError):
    """A resource limit of the build was reached: extracted bytes or members, time, processes."""


class SandboxError(WheelhouseError):
    """The build sandbox could not be set up (bubblewrap missing, namespaces refused)."""


class Interrupted(BaseException):
    """The command got SIGINT or SIGTERM; raised from the signal handler.

    A ``BaseException``, like ``KeyboardInterrupt``, so that cleanup in
    ``finally`` blocks runs and no ``except Exception`` swallows it.

    Attributes:
        signum: the signal number (int).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
