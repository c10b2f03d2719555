"""Fetch one URL to a file and print its sha256 (stdlib only).

Usage: python3 fetch_page.py URL OUT

Used by the wheelhouse_file repository rule only where Bazel's downloader
refuses: plain-http index pages (Bazel requires a checksum for http URLs, and
an index page has none) and diagnosing a hash mismatch. Artifacts themselves
are always downloaded by Bazel with their sha256.
"""

import hashlib
import os
import sys
import urllib.request


def main(argv: list[str]) -> int:
    url, out = argv
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "wb") as handle:
        handle.write(data)
    print(hashlib.sha256(data).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
