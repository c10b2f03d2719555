"""The build worker: runs inside the sandbox, started by :func:`wheelhouse.builder.build_wheel`.

Usage (internal): ``python -m wheelhouse.worker PRIVATE_DIR [--bind]``. With
``--bind`` it first bind-mounts PRIVATE_DIR onto the fixed build path (it must
then already be in its own mount namespace). It always writes
``PRIVATE_DIR/result.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from .builder import error_result, run_request
from .errors import WheelhouseError

__all__ = ["main", "parse_args"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the worker's command line."""
    parser = argparse.ArgumentParser(prog="python -m wheelhouse.worker")
    parser.add_argument("private", type=Path)
    parser.add_argument("--bind", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one build; the outcome is in ``result.json``; exit 0 on success."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result_path: Path = args.private / "result.json"
    try:
        result = run_request(args.private, args.bind)
        code = 0
    except WheelhouseError as exc:
        result = error_result(exc)
        code = 1
    except Exception as exc:  # a bug: keep the traceback, still report
        traceback.print_exc()
        result = {"error": {"type": "WheelhouseError", "message": f"internal error: {exc!r}"}}
        code = 3
    tmp = result_path.with_name("result.json.tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(result_path)
    return code


if __name__ == "__main__":
    sys.exit(main())
