"""Default limits on untrusted sdists (a module of its own: the build worker imports it first)."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_MEMBERS"]

#: Default cap on the bytes of file data in one sdist (1 GiB; real sdists stay far below).
DEFAULT_MAX_BYTES = 1 << 30
#: Default cap on the number of members of one sdist.
DEFAULT_MAX_MEMBERS = 100_000
