"""Read a PEP 751 pylock.toml (and its build lock) with the standard library only; print JSON.

Usage: python3 read_lock.py LOCK [BUILD_LOCK]

For the module extension (which runs it with the interpreter it is told to use):
every package's name (normalized), version, marker, dependencies (or null when
the lock has none), and its sdist and wheels with file name, URL and sha256;
a wheel's PEP 825 variant label (``...-{platform tag}-{label}.whl``), and the
package's ``[packages.variants-json]`` file, which a package with variant wheels
must have.
A lock that does not parse, lacks hashes, or has a malformed entry exits 1 with
one line naming the file, the line or the package, and the fix.

With BUILD_LOCK (``pylock.build.toml`` from ``wheelhouse lock-build``): also its
packages (files pinned by sha256), builds (per package built from source: its
sdist's sha256 and build environment), cycles and seeds, after checking that it
was made for LOCK (the sha256 of LOCK's bytes) and that every environment pin
has a package entry.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from typing import Any
from urllib.parse import unquote, urlsplit

_NAME_RE = re.compile(r"[-_.]+")


class LockError(Exception):
    """A malformed lock; the message is one line."""


def normalize(name: str) -> str:
    """PEP 503 normalization."""
    return _NAME_RE.sub("-", name).lower()


def _package_lines(text: str) -> list[int]:
    return [i + 1 for i, line in enumerate(text.splitlines()) if line.strip() == "[[packages]]"]


def _file(path: str, where: str, entry: Any, kind: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise LockError(f"{path}: {where}: {kind} must be a table")
    url = entry.get("url")
    name = entry.get("name") or (
        unquote(urlsplit(url).path.rpartition("/")[2]) if isinstance(url, str) else None
    )
    if not name and isinstance(entry.get("path"), str):
        name = entry["path"].replace("\\", "/").rpartition("/")[2]
    if not name:
        raise LockError(f'{path}: {where}: {kind} has neither name, url nor path; add `name = "<file name>"`')
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict) or not hashes:
        raise LockError(
            f"{path}: {where}: {kind} {name} has no hashes; "
            "regenerate the lock with hashes (PEP 751 requires them)"
        )
    sha256 = hashes.get("sha256")
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise LockError(
            f"{path}: {where}: {kind} {name} has no valid sha256 hash; wheelhouse pins files by sha256"
        )
    return {
        "name": name,
        "url": url if isinstance(url, str) else None,
        "sha256": sha256,
        "size": entry.get("size"),
    }


def variant_label(filename: str) -> str | None:
    """The PEP 825 variant label of a wheel file name, or None.

    ``name-version(-build)?-python-abi-platform(-label)?.whl``: a build tag starts
    with a digit, a python tag never does.
    """
    parts = filename[: -len(".whl")].split("-") if filename.endswith(".whl") else []
    if len(parts) == 7 or (len(parts) == 6 and not parts[2][:1].isdigit()):
        return parts[-1]
    return None


def read_lock(path: str) -> dict[str, Any]:
    """Parse and check ``path``; raise LockError with a one-line message."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lock ({exc.strerror})") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{path}: not valid TOML: {exc}; fix the file or regenerate it") from None
    lock_version = data.get("lock-version")
    if not isinstance(lock_version, str) or not lock_version.startswith("1."):
        raise LockError(
            f"{path}: lock-version {lock_version!r} is not supported (expected 1.x); regenerate the lock"
        )
    packages = data.get("packages")
    if not isinstance(packages, list):
        raise LockError(f"{path}: no [[packages]] array; is this a pylock.toml?")
    lines = _package_lines(text)
    out = []
    seen: dict[tuple[str, str], int] = {}
    for i, package in enumerate(packages):
        line = lines[i] if i < len(lines) else 0
        where = f"line {line}" if line else f"packages[{i}]"
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise LockError(f"{path}: {where}: package has no name")
        name = normalize(package["name"])
        where = f"{where} (package {name})"
        version = package.get("version")
        if version is not None and not isinstance(version, str):
            raise LockError(f"{path}: {where}: version must be a string")
        key = (name, str(package.get("marker", "")))
        if key in seen:
            raise LockError(f"{path}: {where}: {name} is locked twice with the same marker")
        seen[key] = i
        sdist = package.get("sdist")
        wheels = package.get("wheels", [])
        if not isinstance(wheels, list):
            raise LockError(f"{path}: {where}: wheels must be an array of tables")
        if sdist is None and not wheels:
            kinds = [k for k in ("vcs", "directory", "archive") if k in package]
            what = (
                f"a {kinds[0]} source, which wheelhouse cannot fetch by hash"
                if kinds
                else "no sdist and no wheels"
            )
            raise LockError(f"{path}: {where}: {what}; lock it from an index")
        deps = package.get("dependencies")
        wheel_files = [_file(path, where, w, "wheel") for w in wheels]
        variants_json = package.get("variants-json")
        for w in wheel_files:
            w["variant"] = variant_label(w["name"])
            if w["variant"] is not None and not re.fullmatch(r"[0-9a-z._]+", w["variant"]):
                raise LockError(
                    f"{path}: {where}: wheel {w['name']} has variant label {w['variant']!r}, which is not "
                    "[0-9a-z._]+ (PEP 825); fix the lock"
                )
            if w["variant"] is not None and variants_json is None:
                raise LockError(
                    f"{path}: {where}: wheel {w['name']} is the variant {w['variant']!r} but the package "
                    "has no [packages.variants-json]; lock its {name}-{version}-variants.json with a sha256"
                )
        out.append(
            {
                "name": name,
                "version": version,
                "marker": package.get("marker"),
                "requires_python": package.get("requires-python"),
                "index": package.get("index"),
                "dependencies": None
                if deps is None
                else [normalize(d["name"]) for d in deps if isinstance(d, dict) and "name" in d],
                "sdist": None if sdist is None else _file(path, where, sdist, "sdist"),
                "wheels": wheel_files,
                "variants_json": None
                if variants_json is None
                else _file(path, where, variants_json, "variants-json"),
                "line": line,
            }
        )
    return {"lock_version": lock_version, "requires_python": data.get("requires-python"), "packages": out}


def _strings(path: str, value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LockError(
            f"{path}: {what} is not a list of strings; regenerate it with `wheelhouse lock-build`"
        )
    return list(value)


def read_build_lock(path: str, runtime: str) -> dict[str, Any]:
    """Parse and check the build lock ``path`` made for the run-time lock ``runtime``."""
    fix = f"rerun `wheelhouse lock-build {runtime.rpartition('/')[2]}` (with the same options)"
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
        with open(runtime, "rb") as handle:
            digest = "sha256:" + hashlib.sha256(handle.read()).hexdigest()
    except OSError as exc:
        raise LockError(f"{path}: cannot read it ({exc.strerror}); {fix}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{path}: not valid TOML: {exc}; {fix}") from None
    tool = data.get("tool", {}).get("wheelhouse") if isinstance(data.get("tool"), dict) else None
    if not isinstance(tool, dict) or tool.get("format") != 1:
        raise LockError(f"{path}: no [tool.wheelhouse] table of format 1: not a build lock; {fix}")
    if tool.get("runtime-lock") != digest:
        raise LockError(
            f"{path} was made for another run-time lock ({tool.get('runtime-lock')}; {runtime} is {digest}): "
            f"it is stale; {fix}"
        )
    arrays = {
        "packages": data.get("packages", []),
        "tool.wheelhouse.builds": tool.get("builds", []),
        "tool.wheelhouse.cycles": tool.get("cycles", []),
    }
    for table, value in arrays.items():
        if not isinstance(value, list):
            raise LockError(f"{path}: {table} is not an array of tables; {fix}")
    packages = {}
    for i, entry in enumerate(data.get("packages", [])):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise LockError(f"{path}: packages[{i}] has no name; {fix}")
        key = f"{normalize(entry['name'])}=={entry.get('version')}"
        where = f"package {key}"
        if not isinstance(entry.get("wheels", []), list):
            raise LockError(f"{path}: {where}: wheels is not an array of tables; {fix}")
        packages[key] = {
            "sdist": None if "sdist" not in entry else _file(path, where, entry["sdist"], "sdist"),
            "wheels": [_file(path, where, w, "wheel") for w in entry.get("wheels", [])],
        }
    builds = {}
    for entry in tool.get("builds", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("package"), str):
            raise LockError(f"{path}: a [[tool.wheelhouse.builds]] entry has no package; {fix}")
        key = entry["package"]
        env = _strings(path, entry.get("environment", []), f"the environment of {key}")
        for pin in env:
            if pin not in packages:
                raise LockError(
                    f"{path}: the build environment of {key} names {pin}, which has no "
                    f"[[packages]] entry; {fix}"
                )
        builds[key] = {"sdist": str(entry.get("sdist", "")), "role": entry.get("role"), "environment": env}
    for key, build in builds.items():
        if build["role"] == "build" and (packages.get(key) or {}).get("sdist") is None:
            raise LockError(f"{path}: {key} is built from source but has no sdist entry; {fix}")
    cycles = [
        {
            "members": _strings(path, c.get("members"), "a cycle's members"),
            "seeds": _strings(path, c.get("seeds"), "a cycle's seeds"),
        }
        for c in tool.get("cycles", [])
        if isinstance(c, dict)
    ]
    return {"packages": packages, "builds": builds, "cycles": cycles, "python": tool.get("python")}


def main(argv: list[str]) -> int:
    """Print the lock as JSON, or one error line and exit 1."""
    if len(argv) not in (1, 2):
        print("usage: read_lock.py LOCK [BUILD_LOCK]", file=sys.stderr)
        return 2
    try:
        out = read_lock(argv[0])
        if len(argv) == 2:
            out["build_lock"] = read_build_lock(argv[1], argv[0])
        print(json.dumps(out, sort_keys=True))
    except LockError as exc:
        print(f"wheelhouse: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
