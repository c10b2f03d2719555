"""wheelhouse_file: one artifact, fetched by sha256 from its URLs or an index.

The identity of a file is (filename, sha256); where it comes from is
configuration. The given URLs are tried first, then each index in order,
looked up by file name through its simple page (PEP 691 JSON or PEP 503 HTML),
then each mirror as `<mirror>/<file name>`. Bytes that do not
match the sha256 are an error naming the file, the URL and both hashes.
"""

load(":pep503.bzl", "basename", "page_links", "project_of", "urljoin")

_BUILD = """\
filegroup(
    name = "file",
    srcs = ["{filename}"],
    visibility = ["//visibility:public"],
)
"""

def _fetch(rctx, url, output):
    """Downloads without a checksum; returns the sha256, or None on failure.

    Bazel's downloader refuses plain-http URLs without a checksum, so those go
    through a stdlib-only helper run by the local python3.
    """
    if not url.startswith("http://"):
        got = rctx.download(url = url, output = output, allow_fail = True)
        return got.sha256 if got.success else None
    python = rctx.which("python3")
    if not python:
        return None
    result = rctx.execute([python, "-I", rctx.path(rctx.attr._fetch_page), url, output], timeout = 120)
    return result.stdout.strip() if result.return_code == 0 else None

def _try(rctx, url, filename, sha256, output, notes):
    """Downloads `url` checked against `sha256` to `output`; True on success.

    A file that arrives with other bytes is fatal (never a reason to try the
    next source): it names the file, the URL and both hashes.
    """
    got = rctx.download(url = url, output = output, sha256 = sha256, allow_fail = True)
    if got.success:
        return True
    actual = _fetch(rctx, url, "mismatch/" + filename)
    if actual != None:
        rctx.delete("mismatch")
        fail("wheelhouse: {} from {} has sha256 {} but the lock pins {}: the file was changed or replaced; refusing it (check the index, or update the pin if the change is intended)".format(
            filename,
            url,
            actual,
            sha256,
        ))
    notes.append("{} (download failed)".format(url))
    return False

def _index_urls(rctx, i, index, filename, notes):
    page = index.rstrip("/") + "/" + project_of(filename) + "/"
    if _fetch(rctx, page, "pages/{}.html".format(i)) == None:
        notes.append("{} (index page not found)".format(page))
        return []
    links = [link for link in page_links(rctx.read("pages/{}.html".format(i))) if basename(link) == filename]
    rctx.delete("pages")
    if not links:
        notes.append("{} (no link to {})".format(page, filename))
    return [urljoin(page, link.split("#")[0]) for link in links]

def fetch_artifact(rctx, *, filename, sha256, urls, indexes, mirrors, output):
    """Downloads one artifact, checked against its sha256: the URLs, then each index, then each mirror.

    Args:
      rctx: the repository_ctx.
      filename: str, the artifact's file name (how indexes and mirrors know it).
      sha256: str, its hex sha256.
      urls: list[str], tried first.
      indexes: list[str], simple index base URLs (PEP 691/503), in priority order.
      mirrors: list[str], flat `<url>/<file name>` directories, tried last.
      output: str, where to write it in the repository.
    Returns:
      list[str]: empty when fetched; otherwise what was tried and why it failed.
    """
    notes = []
    for url in urls:
        if _try(rctx, url, filename, sha256, output, notes):
            return []
    for i, index in enumerate(indexes):
        for url in _index_urls(rctx, i, index, filename, notes):
            if _try(rctx, url, filename, sha256, output, notes):
                return []
    for mirror in mirrors:
        if _try(rctx, mirror.rstrip("/") + "/" + filename, filename, sha256, output, notes):
            return []
    return notes or ["no URL, index or mirror configured"]

def _wheelhouse_file_impl(rctx):
    filename = rctx.attr.filename
    notes = fetch_artifact(
        rctx,
        filename = filename,
        sha256 = rctx.attr.sha256,
        urls = rctx.attr.urls,
        indexes = rctx.attr.indexes,
        mirrors = rctx.attr.mirrors,
        output = "file/" + filename,
    )
    if notes:
        fail("wheelhouse: cannot fetch {} (sha256 {}); tried: {}. Configure where it lives with wheelhouse.index(url = ...) or wheelhouse.mirror(url = ...) in MODULE.bazel".format(
            filename,
            rctx.attr.sha256,
            "; ".join(notes),
        ))
    rctx.file("file/BUILD.bazel", _BUILD.format(filename = filename))
    rctx.file("BUILD.bazel", "")

wheelhouse_file = repository_rule(
    implementation = _wheelhouse_file_impl,
    doc = "One artifact (wheel or sdist) verified by sha256; `@<name>//file` is the file.",
    attrs = {
        "filename": attr.string(mandatory = True, doc = "str: the artifact's file name."),
        "sha256": attr.string(mandatory = True, doc = "str: its sha256 (hex)."),
        "urls": attr.string_list(doc = "list[str]: URLs tried first."),
        "indexes": attr.string_list(doc = "list[str]: simple index base URLs (PEP 691/503), in priority order."),
        "mirrors": attr.string_list(doc = "list[str]: flat directories (`<url>/<file name>`), tried last."),
        "_fetch_page": attr.label(default = Label("//rules/private/tools:fetch_page.py"), allow_single_file = True),
    },
)
