"""Build every real sdist twice (the second time perturbed) and report.

For each pinned sdist in ``tests/data/sdists.txt``: ``wheelhouse verify`` it,
keep the wheel in ``demo-wheelhouse/``, and print the wheel, its sha256 and
whether the rebuild matched byte for byte. Exit status 1 if any did not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from wheelhouse import BuildRequest, verify  # noqa: E402
from wheelhouse.errors import WheelhouseError  # noqa: E402
from wheelhouse.progress import NORMAL, QUIET, Progress  # noqa: E402

from inputs import DATA, fetch, read_pins  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--output-dir", type=Path, default=REPO / "demo-wheelhouse")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the demo; 0 when every rebuild matched."""
    args = parse_args(argv)
    inputs = fetch()
    progress = Progress(verbosity=QUIET if args.quiet else NORMAL)
    rows: list[tuple[str, str, str, str, float]] = []
    for pin in read_pins(DATA / "sdists.txt"):
        req = BuildRequest(
            sdist=inputs.sdist(pin.name),
            find_links=(inputs.wheels,),
            python=Path(sys.executable),
            verbosity=progress.verbosity,
        )
        started = time.monotonic()
        try:
            outcome = verify(req, args.output_dir, progress=progress)
        except WheelhouseError as exc:
            rows.append((pin.name, "-", "-", f"ERROR: {exc}", time.monotonic() - started))
            continue
        verdict = "identical" if outcome.identical else "DIFFERENT: " + "; ".join(outcome.explanation[:3])
        rows.append(
            (pin.name, outcome.first.wheel.name, outcome.first.sha256, verdict, time.monotonic() - started)
        )
    print()
    print(f"{'package':<15} {'wheel':<52} {'sha256':<64} {'time':>6}  rebuild")
    for name, wheel, sha, verdict, seconds in rows:
        print(f"{name:<15} {wheel:<52} {sha:<64} {seconds:5.1f}s  {verdict}")
    matched = sum(1 for row in rows if row[3] == "identical")
    print(f"\n{matched}/{len(rows)} rebuilt byte for byte; wheels in {args.output_dir}")
    return 0 if matched == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
