"""Print the run-time requirements of wheels and sdists as JSON (stdlib only).

Usage: python3 read_metadata.py FILE...

For the lock's dependency graph (`wheelhouse_graph`), which runs it with the
interpreter it is told to use. Each FILE is a wheel (its `*.dist-info/METADATA`)
or an sdist (its top-level `PKG-INFO`). Output: a JSON object mapping each
FILE to a list of requirements `[normalized name, [extras], marker or ""]`.
A file that cannot be read exits 1 with one line naming it and the fix.
"""

from __future__ import annotations

import email.parser
import json
import re
import sys
import tarfile
import zipfile

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")
_SEP = re.compile(r"[-_.]+")


class MetadataError(Exception):
    """A file whose metadata cannot be read; the message is one line."""


def normalize(name: str) -> str:
    """PEP 503 normalization."""
    return _SEP.sub("-", name).lower()


def parse_requirement(text: str) -> list[object]:
    """``name[extras] spec ; marker`` -> ``[normalized name, [extras], marker or ""]``.

    Only what the graph needs: the name, the requested extras and the marker
    (the version specifier is the lock's business). A URL requirement's
    marker must follow `; ` after whitespace, as PEP 508 says.
    """
    match = _NAME.match(text)
    if not match:
        raise ValueError(f"not a requirement: {text!r}")
    name = normalize(match.group(1))
    rest = text[match.end() :]
    extras: list[str] = []
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            raise ValueError(f"unclosed extras in requirement {text!r}")
        extras = [normalize(e.strip()) for e in rest[1:close].split(",") if e.strip()]
        rest = rest[close + 1 :]
    if rest.lstrip().startswith("@"):
        found = re.search(r"\s;", rest)
        marker = rest[found.end() :] if found else ""
    else:
        marker = rest.partition(";")[2]
    return [name, extras, marker.strip()]


def _metadata_text(path: str) -> str:
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise MetadataError(f"{path}: expected one *.dist-info/METADATA, found {len(names)}")
            return archive.read(names[0]).decode("utf-8", errors="replace")
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
            if not names:
                raise MetadataError(f"{path}: no top-level PKG-INFO")
            return archive.read(names[0]).decode("utf-8", errors="replace")
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                handle = archive.extractfile(member)
                assert handle is not None
                return handle.read().decode("utf-8", errors="replace")
    raise MetadataError(f"{path}: no top-level PKG-INFO")


def read_requirements(path: str) -> list[list[object]]:
    """The ``Requires-Dist`` entries of one wheel or sdist."""
    try:
        text = _metadata_text(path)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise MetadataError(f"{path}: cannot read its metadata ({exc}); the file is corrupt") from None
    message = email.parser.Parser().parsestr(text, headersonly=True)
    out = []
    for value in message.get_all("Requires-Dist") or []:
        try:
            out.append(parse_requirement(str(value)))
        except ValueError as exc:
            raise MetadataError(f"{path}: Requires-Dist: {exc}") from None
    return out


def main(argv: list[str]) -> int:
    """Print the JSON, or one error line and exit 1."""
    try:
        print(json.dumps({path: read_requirements(path) for path in argv}, sort_keys=True))
    except MetadataError as exc:
        print(f"wheelhouse: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
