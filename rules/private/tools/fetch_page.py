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
        # An index page: prefer PEP 691 JSON, accept PEP 503 HTML.
        accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1, */*;q=0.01"
        request = urllib.request.Request(url, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=60) as response:
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
