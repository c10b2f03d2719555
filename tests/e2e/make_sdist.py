"""Pack a source tree into a deterministic sdist (stdlib only).

Usage: python3 make_sdist.py OUT.tar.gz TOP STRIP_PREFIX FILE...
Members are TOP/<file minus STRIP_PREFIX>, sorted, mtime 1700000000, mode 0644,
owner 0/0, gzip header mtime 0: the same bytes on every machine.
"""

import gzip
import io
import sys
import tarfile


def main(argv: list[str]) -> int:
    out, top, prefix, *files = argv
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            rel = path[len(prefix) :] if path.startswith(prefix) else path
            with open(path, "rb") as handle:
                data = handle.read()
            info = tarfile.TarInfo(f"{top}/{rel.lstrip('/')}")
            info.size, info.mtime, info.mode = len(data), 1700000000, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    with open(out, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
