"""Simple-API helpers (PEP 503/691) in pure Starlark (no Bazel builtins but `json`), tested against Python.

tests/unit/test_starlark_pep503.py evaluates this file with starlark-pyo3 and
compares it with `packaging.utils.canonicalize_name` and `urllib.parse.urljoin`.
"""

def normalize_name(name):
    """PEP 503 normalization: runs of `-`, `_`, `.` become `-`, lower case.

    Args:
      name: str.
    Returns:
      str
    """
    out = []
    sep = False
    for c in name.lower().elems():
        if c in "-_.":
            sep = True
            continue
        if sep and out:
            out.append("-")
        sep = False
        out.append(c)
    return "".join(out)

def project_of(filename):
    """The normalized project name of a wheel or sdist file name.

    Args:
      filename: str.
    Returns:
      str
    """
    if filename.endswith(".whl"):
        return normalize_name(filename.split("-")[0])
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz"):
        if filename.endswith(suffix):
            return normalize_name(filename[:-len(suffix)].rpartition("-")[0])
    return normalize_name(filename)

def find_links(html):
    """All `href` values of an HTML page, in order.

    Args:
      html: str.
    Returns:
      list[str]
    """
    links = []
    rest = html
    for _ in range(len(html)):
        i = rest.find("href=")
        if i < 0:
            break
        rest = rest[i + 5:]
        if not rest:
            break
        quote = rest[0]
        if quote not in "\"'":
            continue
        end = rest.find(quote, 1)
        if end < 0:
            break
        links.append(rest[1:end].replace("&amp;", "&"))
        rest = rest[end + 1:]
    return links

def page_links(text):
    """The file URLs of a simple-API project page: PEP 691 JSON or PEP 503 HTML.

    Args:
      text: str, the page as served.
    Returns:
      list[str], as written (relative URLs are resolved by the caller).
    """
    if text.lstrip().startswith("{"):
        page = json.decode(text)
        if type(page) == "dict" and type(page.get("files")) == "list":
            return [f["url"] for f in page["files"] if type(f) == "dict" and type(f.get("url")) == "string"]
        return []
    return find_links(text)

def urljoin(base, ref):
    """Resolves `ref` against `base` (absolute, root-relative or relative with `..`).

    Args:
      base: str, an absolute URL.
      ref: str.
    Returns:
      str
    """
    if "://" in ref:
        return ref
    scheme, _, rest = base.partition("://")
    host, _, path = rest.partition("/")
    if ref.startswith("/"):
        parts = []
        pieces = ref[1:].split("/")
    else:
        parts = path.split("/")[:-1]
        pieces = ref.split("/")
    for piece in pieces:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "{}://{}/{}".format(scheme, host, "/".join(parts))

def basename(url):
    """The file name of a URL, without query or fragment.

    Args:
      url: str.
    Returns:
      str
    """
    return url.split("#")[0].split("?")[0].rpartition("/")[2]
