"""Deterministic temporary names for the Python processes of a build.

Installed by the worker into every build environment (as
``_wheelhouse_tempnames.py`` plus a ``.pth`` file that imports it), so that
``tempfile.mkdtemp()`` and friends in a backend return the same names in every
build: ``tmp`` + 8 characters from a sequence seeded with a constant, restarted
in each process. A backend that copies its sources into a temporary directory
and compiles there (the random name would land in debug info and ``__FILE__``
strings) then builds the same bytes twice. ``mkdtemp`` still never reuses an
existing name: it moves on to the next name of the sequence.

Standard library only; it must import on every Python a build can use.
"""

from __future__ import annotations

import os
import random
import tempfile

__all__ = ["DeterministicNames", "install"]

SEED = "rules_wheelhouse"


class DeterministicNames:
    """An iterator of temporary names, the same sequence in every process."""

    characters = "abcdefghijklmnopqrstuvwxyz0123456789_"

    def __init__(self) -> None:
        self._pid = -1
        self._rng = random.Random(SEED)

    def __iter__(self) -> DeterministicNames:
        return self

    def __next__(self) -> str:
        if os.getpid() != self._pid:  # a forked child starts the sequence again
            self._pid = os.getpid()
            self._rng = random.Random(SEED)
        return "".join(self._rng.choices(self.characters, k=8))


def install() -> None:
    """Make :mod:`tempfile` draw its names from :class:`DeterministicNames`."""
    if hasattr(tempfile, "_name_sequence"):
        tempfile._name_sequence = DeterministicNames()
