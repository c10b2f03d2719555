"""Progress lines a person can follow: which package, which phase, elapsed time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["NORMAL", "QUIET", "VERBOSE", "Progress"]

QUIET, NORMAL, VERBOSE = 0, 1, 2


@dataclass
class Progress:
    """Writes ``wheelhouse: <label>: <phase> [<elapsed>s]`` lines to a stream.

    Attributes:
        verbosity: QUIET (errors only), NORMAL (phases) or VERBOSE (phases and
            the backend's full output) (int).
        stream: where lines go, stderr by default (TextIO).
        clock: monotonic clock in seconds, injectable for tests.
        start: the clock reading elapsed times count from (float).
        sink: takes each line instead of ``stream``, the build worker's output
            included (``wheelhouse build`` shows them on its board)
            (Callable[[str], None] | None).
    """

    verbosity: int = NORMAL
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic
    start: float = -1.0
    sink: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = self.clock()

    def elapsed(self) -> float:
        """Seconds since ``start``."""
        return self.clock() - self.start

    def phase(self, label: str, text: str) -> None:
        """Report that ``label`` entered phase ``text``."""
        if self.verbosity >= NORMAL:
            self.line(f"wheelhouse: {label}: {text} [{self.elapsed():.1f}s]")

    def warn(self, text: str) -> None:
        """A warning, shown unless quiet."""
        if self.verbosity >= NORMAL:
            self.line(f"wheelhouse: warning: {text}")

    def line(self, text: str) -> None:
        """One line of output, to the sink or the stream."""
        if self.sink is not None:
            self.sink(text)
        else:
            print(text, file=self.stream, flush=True)

    @property
    def verbose(self) -> bool:
        """Whether the backend's output is streamed (bool)."""
        return self.verbosity >= VERBOSE
