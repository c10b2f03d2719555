"""Unpack pure-Python wheels into one directory (stdlib only).

Usage: python3 unpack_wheels.py OUTDIR WHEEL...  Used to make the core's own
dependencies importable before `installer` itself is available.
"""

import sys
import zipfile
from pathlib import Path, PurePosixPath


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for wheel in argv[1:]:
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                parts = PurePosixPath(name).parts
                if name.startswith("/") or ".." in parts:
                    print(f"{wheel}: unsafe member {name!r}", file=sys.stderr)
                    return 1
            zf.extractall(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
