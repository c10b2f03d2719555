"""Files by (name, sha256): from a URL, local directories or simple indexes, into a local store.

The identity of a file is its name and sha256; where it comes from is
configuration. :func:`fetch` tries the given URL, then each index in order (its
simple page for the project, PEP 691 JSON or PEP 503 HTML, a link with that
file name), then each ``--find-links`` directory (a file of that name). Bytes are
hashed as they arrive; a file with other bytes is refused at once, naming the
file, the place and both hashes (never a reason to try the next source). A
good file lands in the store ``<cache>/files/<sha256>/<name>`` through a
temporary name; a stored file is checked again before it is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import html.parser
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import FetchError, HashMismatch
from .hashing import file_sha256

__all__ = ["Sources", "copy_into", "fetch", "file_sha256", "project_of"]

_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_TIMEOUT = 60


@dataclass(frozen=True)
class Sources:
    """Where files may come from, in order after a file's own URL.

    Attributes:
        find_links: local directories of files (tuple[Path, ...]).
        indexes: simple index base URLs, e.g. ``https://host/simple`` (tuple[str, ...]).
    """

    find_links: tuple[Path, ...] = ()
    indexes: tuple[str, ...] = ()


def project_of(filename: str) -> str:
    """The normalized project name in a wheel or sdist file name."""
    if filename.endswith(".whl"):
        name = filename.split("-")[0]
    else:
        stem = re.sub(r"\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$", "", filename)
        name = stem.rpartition("-")[0] or stem
    return re.sub(r"[-_.]+", "-", name).lower()


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for key, value in attrs:
                if key == "href" and value:
                    self.links.append(value)


def _page_links(body: bytes, content_type: str) -> list[str]:
    if "json" in content_type:
        data = json.loads(body)
        return [str(f["url"]) for f in data.get("files", []) if isinstance(f, dict) and "url" in f]
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    return parser.links


def _open(url: str, accept: str = "*/*") -> tuple[bytes, str] | None:
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "wheelhouse"})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            return response.read(), str(response.headers.get("Content-Type", ""))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _download(url: str, dest: Path) -> str | None:
    """Download ``url`` to ``dest``; its sha256, or None when it is not there."""
    request = urllib.request.Request(url, headers={"User-Agent": "wheelhouse"})
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response, open(dest, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return digest.hexdigest()


def _index_urls(index: str, filename: str, tried: list[str]) -> list[str]:
    page = index.rstrip("/") + "/" + project_of(filename) + "/"
    got = _open(page, _ACCEPT)
    if got is None:
        tried.append(f"{page} (no index page)")
        return []
    links = [
        urllib.parse.urljoin(page, link.split("#")[0])
        for link in _page_links(*got)
        if urllib.parse.unquote(link.split("#")[0].rsplit("/", 1)[-1]) == filename
    ]
    if not links:
        tried.append(f"{page} (no link to {filename})")
    return links


def fetch(filename: str, sha256: str, url: str, sources: Sources, cache: Path, *, package: str = "") -> Path:
    """The file ``filename`` with hex digest ``sha256``, from the store or fetched into it.

    Raises:
        HashMismatch: a source had a file of that name with other bytes.
        FetchError: no source had it (the message lists what was tried).
    """
    if "/" in filename or filename in ("", ".", ".."):
        raise FetchError(f"{filename!r} is not a file name; fix the lock")
    store = cache / "files" / sha256.lower()
    final = store / filename
    if final.is_file():
        if file_sha256(final) == sha256:
            return final
        final.unlink()  # damaged: fetch it again
    store.mkdir(parents=True, exist_ok=True)
    what = f"{filename}" + (f" ({package})" if package else "")
    tried: list[str] = []

    def candidates() -> Iterator[str]:  # lazily: an index is not asked when the URL had the file
        if url:
            yield url
        for index in sources.indexes:
            yield from _index_urls(index, filename, tried)
        for directory in sources.find_links:
            local = directory / filename
            if local.is_file():
                yield local.resolve().as_uri()
            else:
                tried.append(f"{directory} (no {filename})")

    for candidate in candidates():
        fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=".tmp", dir=store)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            got = _download(candidate, tmp)
            if got is None:
                tried.append(f"{candidate} (not found)")
                continue
            if got != sha256:
                raise HashMismatch(
                    f"{what} from {candidate} has sha256 {got} but the lock pins {sha256}: the file was "
                    "changed or replaced; refusing it (check the source, or update the pin if the change "
                    "is intended)"
                )
            os.replace(tmp, final)
            return final
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    with contextlib.suppress(OSError):
        store.rmdir()
    places = "; ".join(tried) or "no URL, --find-links or --index"
    raise FetchError(
        f"cannot fetch {what}, sha256 {sha256}: tried {places}; "
        "give the index or directory that has it with --index URL or --find-links DIR"
    )


def copy_into(paths: Sequence[Path], directory: Path) -> list[Path]:
    """Copy (hard-link where possible) files into ``directory``; the new paths."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for path in paths:
        dest = directory / path.name
        if not dest.exists():
            try:
                os.link(path, dest)
            except OSError:
                shutil.copyfile(path, dest)
        out.append(dest)
    return out
