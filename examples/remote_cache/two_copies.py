#!/usr/bin/env python3
"""Build one workspace in two copies against one remote cache; check they agree.

The promise of rules_wheelhouse is that a wheel built on one machine is a
remote-cache hit on every other. This script checks it on yours: it copies a
workspace (default: ../hand_written) to two directories, builds each with its
own output base and a different time zone and umask, both against the remote
cache you give, and then compares

- the sha256 of every wheel the two copies built (must be equal), and
- the second copy's ``WheelhouseBuild`` spawns in its execution log (every one
  must be a remote-cache hit).

    ./two_copies.py --remote-cache http://cache.example:8080
    ./two_copies.py --remote-cache grpc://127.0.0.1:8980 --bazel /path/to/bazel

Exit status 0 when both hold, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--remote-cache", required=True, help="--remote_cache URL (http(s):// or grpc(s)://)")
    parser.add_argument("--workspace", type=Path, default=HERE.parent / "hand_written", help="the workspace")
    parser.add_argument("--bazel", default=os.environ.get("BAZEL", "bazel"), help="the bazel command")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path.home() / ".cache" / "rules_wheelhouse" / "two-copies",
        help="where the copies and output bases go (not under /tmp: actions get a private /tmp)",
    )
    parser.add_argument("--targets", default="//...", help="what to build (default //...)")
    parser.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="text to replace in the copies' MODULE.bazel, e.g. an index URL (repeatable)",
    )
    return parser.parse_args(argv)


def copy_workspace(source: Path, dest: Path, replacements: list[str]) -> Path:
    """Copy ``source`` to ``dest``; relative override paths in MODULE.bazel become absolute."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("bazel-*"))
    module = (dest / "MODULE.bazel").read_text()

    def absolute(match: re.Match[str]) -> str:
        path = match.group(2)
        return f'{match.group(1)}"{(source / path).resolve() if not path.startswith("/") else path}"'

    module = re.sub(r'(\bpath\s*=\s*)"([^"]+)"', absolute, module)
    for pair in replacements:
        old, _, new = pair.partition("=")
        module = module.replace(old, new)
    (dest / "MODULE.bazel").write_text(module)
    return dest


def spawns(log: Path) -> list[dict[str, object]]:
    """The records of a ``--execution_log_json_file`` (a stream of JSON objects)."""
    text, decoder, records, pos = log.read_text(), json.JSONDecoder(), [], 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos < len(text):
            record, pos = decoder.raw_decode(text, pos)
            records.append(record)
    return records


def build(
    bazel: list[str], workspace: Path, base: Path, log: Path, args: argparse.Namespace, tz: str, umask: int
) -> dict[str, str]:
    """Build in ``workspace``; the sha256 of every wheel under bazel-bin, by path."""
    env = {**os.environ, "TZ": tz}
    common = [f"--output_base={base}"]
    cmd = [
        *bazel,
        *common,
        "build",
        args.targets,
        f"--remote_cache={args.remote_cache}",
        "--remote_upload_local_results",
        f"--execution_log_json_file={log}",
    ]
    proc = subprocess.run(
        cmd,
        cwd=workspace,
        env=env,
        preexec_fn=lambda: os.umask(umask) and None,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"two_copies: {' '.join(cmd)} failed in {workspace}:\n{proc.stderr[-4000:]}")
    bin_dir = Path(
        subprocess.run(
            [*bazel, *common, "info", "bazel-bin"],
            cwd=workspace,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run([*bazel, *common, "shutdown"], cwd=workspace, env=env, check=False, capture_output=True)
    return {
        str(p.relative_to(bin_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(bin_dir.rglob("*.whl"))
    }


def main(argv: list[str]) -> int:
    """Build twice; 0 when the wheels agree and the second copy hit the cache for every wheel build."""
    args = parse_args(argv)
    bazel = shlex.split(args.bazel)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    first = copy_workspace(args.workspace.resolve(), args.work_dir / "first", args.replace)
    second = copy_workspace(args.workspace.resolve(), args.work_dir / "second" / "elsewhere", args.replace)
    wheels_a = build(
        bazel, first, args.work_dir / "base-first", args.work_dir / "first.json", args, "UTC", 0o022
    )
    wheels_b = build(
        bazel,
        second,
        args.work_dir / "base-second",
        args.work_dir / "second.json",
        args,
        "Asia/Kathmandu",
        0o027,
    )
    records = spawns(args.work_dir / "second.json")
    builds = [r for r in records if r.get("mnemonic") == "WheelhouseBuild"]
    hits = [r for r in builds if r.get("runner") == "remote cache hit"]
    for path in sorted(wheels_a.keys() | wheels_b.keys()):
        same = "same" if wheels_a.get(path) == wheels_b.get(path) else "DIFFERENT"
        print(f"{path}: {same} sha256 {wheels_a.get(path, '-')[:16]} / {wheels_b.get(path, '-')[:16]}")
    print(f"second copy: {len(hits)}/{len(builds)} WheelhouseBuild spawns were remote-cache hits")
    ok = bool(wheels_a) and wheels_a == wheels_b and len(hits) == len(builds)
    print("two_copies: OK" if ok else "two_copies: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
