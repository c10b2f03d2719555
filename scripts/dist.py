"""Write the release archive of the Bazel module, byte for byte reproducible.

``dist/rules_wheelhouse-<version>.tar.gz`` (the version from ``MODULE.bazel``'s
``module(version = ...)``) holds one top directory ``rules_wheelhouse-<version>/``
with what a Bazel user needs and nothing else: the module files, ``rules/``,
``toolchains/``, ``platforms/``, the Python core (``python/BUILD.bazel``, ``python/wheelhouse/``),
the offline stub modules (``third_party/bazel_stubs/``), the example workspaces
(``examples/``: the BCR presubmit builds its test module from the archive), and
``LICENSE``/``README.md`` when present. Only files git tracks are taken (their
working-tree content, with a warning when it differs from HEAD).

The bytes depend on the files alone: entries sorted, directories included, mtime
= SOURCE_DATE_EPOCH when set, else the commit time of HEAD; uid/gid 0, no owner
names, modes 0644/0755 (from git's index, not the file system); PAX format; a
gzip stream with mtime 0 and no file name. The archive and its ``.sha256`` are
written under temporary names and renamed when complete. Prints the sha256, the
SRI integrity and an ``archive_override`` snippet for a ``MODULE.bazel``.

Usage: python scripts/dist.py [--repo DIR] [--out-dir DIR]   (or `make dist`)
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["Archive", "DistError", "Member", "build_archive", "main", "module_version", "parse_args"]

REPO = Path(__file__).resolve().parent.parent
MODULE_NAME = "rules_wheelhouse"

#: What the archive takes from the repository: files git tracks at or below these paths.
INCLUDE = (
    "MODULE.bazel",
    "BUILD.bazel",
    "rules",
    "toolchains",
    "platforms",
    "python/BUILD.bazel",
    "python/wheelhouse",
    "third_party/bazel_stubs",
    "examples",
    "LICENSE",
    "README.md",
)
#: Top-level directories deliberately not shipped. A tracked Bazel package anywhere
#: else outside INCLUDE draws a warning: add it to one of the two lists.
NOT_SHIPPED = frozenset({".bcr", ".ci", "benchmarks", "scripts", "tests"})
#: Path components never taken, even when tracked by mistake.
EXCLUDE_PARTS = frozenset({"__pycache__", ".git", ".venv"})
EXCLUDE_SUFFIXES = (".pyc", ".pyo")

FILE_MODE = 0o644
EXEC_MODE = 0o755
GIT_REGULAR = "100644"
GIT_EXECUTABLE = "100755"


class DistError(Exception):
    """The archive cannot be made; the message names the file and the fix."""


@dataclass(frozen=True)
class Member:
    """One tracked file for the archive: its path in the repository and its mode."""

    path: str
    mode: int


@dataclass(frozen=True)
class Archive:
    """A written archive: where, its digest, and what it holds."""

    path: Path
    sha256: str
    version: str
    top: str
    members: tuple[str, ...]

    @property
    def integrity(self) -> str:
        """The SRI form of the digest, as Bazel's ``integrity`` attributes take it."""
        return "sha256-" + base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=REPO, help="the git checkout (default: this one)")
    parser.add_argument("--out-dir", type=Path, help="where to write (default: REPO/dist)")
    return parser.parse_args(argv)


def _strip_comments(text: str) -> str:
    """``text`` without Starlark ``#`` comments (a ``#`` inside a string literal is kept)."""
    out = []
    for line in text.splitlines():
        quote = ""
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def module_version(module_bazel: Path) -> str:
    """The ``version`` of the ``module(...)`` call in ``module_bazel``."""
    try:
        text = _strip_comments(module_bazel.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DistError(f"cannot read {module_bazel}: {exc.strerror}") from exc
    call = re.search(r"(?<![\w.])module\s*\((.*?)\)", text, re.DOTALL)
    version = re.search(r"\bversion\s*=\s*[\"']([^\"']*)[\"']", call.group(1)) if call else None
    if version is None or not version.group(1):
        raise DistError(f'{module_bazel}: no module(version = "...") found; set the version of the release')
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]*", version.group(1)):
        raise DistError(f"{module_bazel}: version {version.group(1)!r} cannot name an archive")
    return version.group(1)


def _git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise DistError("git not found on PATH; the archive takes the files git tracks") from exc
    if proc.returncode != 0:
        raise DistError(f"git {' '.join(args)} in {repo} failed: {proc.stderr.strip()}")
    return proc.stdout


def _excluded(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(part in EXCLUDE_PARTS for part in parts) or path.endswith(EXCLUDE_SUFFIXES)


def tracked_members(repo: Path) -> tuple[list[Member], list[str]]:
    """The files git tracks under ``INCLUDE``, sorted, with their modes from git's index.

    Also returns the tracked files missing from the working tree (left out); a
    symbolic link or a submodule is an error.
    """
    out = _git(repo, "ls-files", "--stage", "-z", "--", *INCLUDE)
    members: dict[str, Member] = {}
    missing: list[str] = []
    for record in out.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        git_mode = meta.split()[0]
        if _excluded(path):
            continue
        if git_mode not in (GIT_REGULAR, GIT_EXECUTABLE):
            kind = "a symbolic link" if git_mode == "120000" else f"git mode {git_mode}"
            raise DistError(f"{path} is {kind}; the archive holds regular files only: replace it with a file")
        if not (repo / path).is_file():
            missing.append(path)
            continue
        members[path] = Member(path, EXEC_MODE if git_mode == GIT_EXECUTABLE else FILE_MODE)
    if not members:
        raise DistError(f"git tracks none of {', '.join(INCLUDE)} in {repo}")
    return [members[p] for p in sorted(members)], sorted(missing)


def unshipped_packages(repo: Path) -> list[str]:
    """Tracked Bazel packages neither in ``INCLUDE`` nor under a ``NOT_SHIPPED`` directory."""
    out = _git(repo, "ls-files", "-z")
    found = set()
    for path in out.split("\0"):
        pure = PurePosixPath(path)
        if pure.name not in ("BUILD.bazel", "BUILD") or len(pure.parts) < 2:
            continue
        if pure.parts[0] in NOT_SHIPPED or _excluded(path):
            continue
        if not any(path == inc or path.startswith(inc + "/") for inc in INCLUDE):
            found.add(str(pure.parent))
    return sorted(found)


def changed_since_head(repo: Path, paths: Sequence[str]) -> list[str]:
    """Those of ``paths`` whose working-tree content is not HEAD's (modified or new)."""
    if not paths:
        return []
    out = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--", *INCLUDE)
    changed = set()
    records = iter(out.split("\0"))
    for record in records:
        if not record:
            continue
        status, path = record[:2], record[3:]
        if "R" in status or "C" in status:
            next(records, None)  # the rename's source path follows
        changed.add(path)
    return sorted(changed & set(paths))


def source_date_epoch(repo: Path, environ: Mapping[str, str]) -> int:
    """SOURCE_DATE_EPOCH when set, else the commit time of HEAD."""
    value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        if not value.isdigit():
            raise DistError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds; unset or fix it")
        return int(value)
    return int(_git(repo, "log", "-1", "--format=%ct", "HEAD").strip())


def _directories(paths: Sequence[str]) -> list[str]:
    dirs: set[str] = set()
    for path in paths:
        parent = PurePosixPath(path).parent
        while str(parent) != ".":
            dirs.add(str(parent))
            parent = parent.parent
    return sorted(dirs)


def _tarinfo(name: str, mtime: int, mode: int, size: int = 0, *, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.size = size
    info.mtime = mtime
    info.mode = mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_tar_gz(repo: Path, members: Sequence[Member], top: str, mtime: int, dest: Path) -> str:
    """Write the archive to ``dest`` (a temporary name, then renamed); return its sha256."""
    entries: list[tuple[str, Member | None]] = [(top, None)]
    entries += [(f"{top}/{d}", None) for d in _directories([m.path for m in members])]
    entries += [(f"{top}/{m.path}", m) for m in members]
    entries.sort(key=lambda entry: entry[0])
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as raw:
            with (
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz,
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                for name, member in entries:
                    if member is None:
                        tar.addfile(_tarinfo(name, mtime, EXEC_MODE, directory=True))
                        continue
                    data = (repo / member.path).read_bytes()
                    tar.addfile(_tarinfo(name, mtime, member.mode, len(data)), io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        with open(tmp, "rb") as written:
            digest = hashlib.file_digest(written, "sha256")
        os.replace(tmp, dest)
    except OSError as exc:
        raise DistError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest()


def _write_text(dest: Path, text: str) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, dest)
    except OSError as exc:
        raise DistError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def build_archive(
    repo: Path, out_dir: Path, environ: Mapping[str, str], warnings: list[str] | None = None
) -> Archive:
    """Write ``out_dir/rules_wheelhouse-<version>.tar.gz`` and its ``.sha256``."""
    repo = repo.resolve()
    version = module_version(repo / "MODULE.bazel")
    top = f"{MODULE_NAME}-{version}"
    members, missing = tracked_members(repo)
    notes = warnings if warnings is not None else []
    if missing:
        notes.append("tracked but missing from the working tree, left out: " + ", ".join(missing))
    unshipped = unshipped_packages(repo)
    if unshipped:
        notes.append(
            "Bazel package(s) tracked but not in the archive: "
            + ", ".join(unshipped)
            + "; add them to INCLUDE (or NOT_SHIPPED) in scripts/dist.py"
        )
    changed = changed_since_head(repo, [m.path for m in members])
    if changed:
        notes.append(
            f"{len(changed)} file(s) differ from HEAD, the archive holds the working tree: "
            + ", ".join(changed[:10])
            + (" ..." if len(changed) > 10 else "")
        )
    mtime = source_date_epoch(repo, environ)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DistError(f"cannot create {out_dir}: {exc.strerror}") from exc
    dest = out_dir / f"{top}.tar.gz"
    sha256 = write_tar_gz(repo, members, top, mtime, dest)
    _write_text(out_dir / f"{dest.name}.sha256", f"{sha256}  {dest.name}\n")
    return Archive(dest, sha256, version, top, tuple(m.path for m in members))


def override_snippet(archive: Archive) -> str:
    """A ``MODULE.bazel`` fragment that uses ``archive`` through ``archive_override``."""
    return (
        f'bazel_dep(name = "{MODULE_NAME}", version = "{archive.version}")\n'
        "archive_override(\n"
        f'    module_name = "{MODULE_NAME}",\n'
        f'    urls = ["{archive.path.resolve().as_uri()}"],\n'
        f'    integrity = "{archive.integrity}",\n'
        f'    strip_prefix = "{archive.top}",\n'
        ")\n"
    )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Write the archive and print its digests; 0 on success, 1 on an error."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    out_dir = args.out_dir if args.out_dir is not None else args.repo / "dist"
    warnings: list[str] = []
    try:
        archive = build_archive(args.repo, out_dir, env, warnings)
    except DistError as exc:
        print(f"dist: error: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"dist: warning: {warning}", file=sys.stderr)
    print(f"{archive.path} ({len(archive.members)} files)")
    print(f"sha256:    {archive.sha256}")
    print(f"integrity: {archive.integrity}")
    print()
    print(override_snippet(archive), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
