"""wheelhouse_file: one artifact, fetched by sha256 from its URLs or an index.

The identity of a file is (filename, sha256); where it comes from is
configuration. The given URLs are tried first, then each index in order,
looked up by file name through its PEP 503 simple page. Bytes that do not
match the sha256 are an error naming the file, the URL and both hashes.
"""

load(":pep503.bzl", "basename", "find_links", "project_of", "urljoin")

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

def _wheelhouse_file_impl(rctx):
    filename = rctx.attr.filename
    sha256 = rctx.attr.sha256
    out = "file/" + filename
    candidates = list(rctx.attr.urls)
    notes = []
    for i, index in enumerate(rctx.attr.indexes):
        page = index.rstrip("/") + "/" + project_of(filename) + "/"
        if _fetch(rctx, page, "pages/{}.html".format(i)) == None:
            notes.append("{} (index page not found)".format(page))
            continue
        links = [link for link in find_links(rctx.read("pages/{}.html".format(i))) if basename(link) == filename]
        if not links:
            notes.append("{} (no link to {})".format(page, filename))
        candidates.extend([urljoin(page, link.split("#")[0]) for link in links])
    for url in candidates:
        got = rctx.download(url = url, output = out, sha256 = sha256, allow_fail = True)
        if got.success:
            rctx.file("file/BUILD.bazel", _BUILD.format(filename = filename))
            rctx.file("BUILD.bazel", "")
            rctx.delete("pages")
            return
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
    fail("wheelhouse: cannot fetch {} (sha256 {}); tried: {}. Configure where it lives with wheelhouse.index(url = ...) in MODULE.bazel".format(
        filename,
        sha256,
        "; ".join(notes) or "no URL and no index configured",
    ))

wheelhouse_file = repository_rule(
    implementation = _wheelhouse_file_impl,
    doc = "One artifact (wheel or sdist) verified by sha256; `@<name>//file` is the file.",
    attrs = {
        "filename": attr.string(mandatory = True, doc = "str: the artifact's file name."),
        "sha256": attr.string(mandatory = True, doc = "str: its sha256 (hex)."),
        "urls": attr.string_list(doc = "list[str]: URLs tried first."),
        "indexes": attr.string_list(doc = "list[str]: PEP 503 simple index base URLs, in priority order."),
        "_fetch_page": attr.label(default = Label("//rules/private/tools:fetch_page.py"), allow_single_file = True),
    },
)
