"""The build worker: the process the front end starts inside the sandbox.

Usage (internal): ``python -I -S -c BOOT ROOT REQUEST`` where ``BOOT``
(:data:`BOOT`) puts the core's directories on ``sys.path`` and calls
:func:`main`. ``ROOT`` is the fixed build root, ``REQUEST`` the JSON written
by :mod:`wheelhouse.host.frontend`. It always writes ``ROOT/result.json``
(through a temporary name) and exits 0 on success.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["BOOT", "main"]

#: The ``-c`` program that starts the worker: ``sys.argv[1]`` lists the
#: directories (``os.pathsep``-separated) that hold the core's packages.
BOOT = (
    "import sys; sys.path[:0] = sys.argv[1].split(':'); del sys.argv[1]; "
    "from wheelhouse.sandboxed.worker import main; sys.exit(main())"
)


def main(argv: list[str] | None = None) -> int:
    """Run one build (arguments: ROOT REQUEST); the outcome is in ``ROOT/result.json``; exit 0 on success."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: wheelhouse-worker ROOT REQUEST (internal: started by the front end)", file=sys.stderr)
        return 2
    root, request = Path(args[0]), Path(args[1])
    result_path = root / "result.json"
    from ..errors import WheelhouseError
    from .build import error_result, run_request

    try:
        result = run_request(root, request)
        code = 0
    except WheelhouseError as exc:
        result = error_result(exc)
        code = 1
    except Exception as exc:  # a bug: keep the traceback, still report
        import traceback

        traceback.print_exc()
        result = {"error": {"type": "WheelhouseError", "message": f"internal error: {exc!r}"}}
        code = 3
    tmp = result_path.with_name(f"result.json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(result_path)
    return code


if __name__ == "__main__":
    sys.exit(main())
