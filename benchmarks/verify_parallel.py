"""``wheelhouse verify`` of every real sdist, several at a time: verify under load.

A CI farm runs builds in parallel; a verify that passes only on a quiet machine
is no use there. This runs ``wheelhouse verify`` of each pinned sdist in
``tests/data/sdists.txt`` ``--rounds`` times, ``-j`` at once, and reports per
sdist: how many verifies passed, how many second builds ran on the shifted
clock, and every failure. Exit status 1 if any verify did not pass.

    python benchmarks/verify_parallel.py -j 4 --rounds 2
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from inputs import DATA, fetch, read_pins  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-j", "--jobs", type=int, default=4, help="verifies at once (default 4)")
    parser.add_argument("--rounds", type=int, default=1, help="times each sdist is verified (default 1)")
    return parser.parse_args(argv)


def _verify(sdist: Path, wheels: Path) -> tuple[str, int, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "wheelhouse", "verify", "-q", str(sdist), "-f", str(wheels)],
        capture_output=True,
        text=True,
        check=False,
    )
    return sdist.name, proc.returncode, (proc.stdout + proc.stderr).strip(), time.monotonic() - started


def main(argv: list[str]) -> int:
    """Run the verifies; 0 when every one passed."""
    args = parse_args(argv)
    inputs = fetch()
    sdists = [inputs.sdist(pin.name) for pin in read_pins(DATA / "sdists.txt")] * args.rounds
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda s: _verify(s, inputs.wheels), sdists))
    passed: Counter[str] = Counter()
    shifted: Counter[str] = Counter()
    failures = []
    for name, code, output, _seconds in results:
        if code == 0 and output.startswith("identical "):
            passed[name] += 1
            shifted[name] += "clock +400 days" in output
        else:
            failures.append((name, output.splitlines()[-3:]))
    print(f"{'sdist':<34} {'passed':>7} {'shifted clock':>14}")
    for name in sorted({r[0] for r in results}):
        print(f"{name:<34} {passed[name]:>3}/{args.rounds:<3} {shifted[name]:>10}/{args.rounds}")
    print(
        f"\n{len(results)} verifies, {args.jobs} at a time, in {time.monotonic() - started:.0f} s; "
        f"{sum(passed.values())} passed"
    )
    for name, lines in failures:
        print(f"FAILED {name}:", *lines, sep="\n  ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
