"""rules/private/pep503.bzl, evaluated with starlark-pyo3, against Python's own answers.

Differential tests: hypothesis generates names, pages and URLs; the Starlark
mirror must agree with ``packaging.utils.canonicalize_name`` and
``urllib.parse.urljoin`` (on the URL shapes index pages use).
"""

from __future__ import annotations

import html
import json
import urllib.parse
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from starlark_eval import eval_bzl

MODULE = eval_bzl("pep503.bzl")


def call(fn: str, *args: str) -> Any:
    return MODULE.call(fn, *args)


NAME = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?", fullmatch=True)


@settings(max_examples=1000, deadline=None)
@given(NAME)
def test_normalize_name_matches_packaging(name: str) -> None:
    assert call("normalize_name", name) == canonicalize_name(name)


@settings(max_examples=1000, deadline=None)
@given(
    NAME, st.from_regex(r"[0-9]+(\.[0-9]+){0,3}", fullmatch=True), st.sampled_from(["whl", "tar.gz", "zip"])
)
def test_project_of_file_names(name: str, version: str, kind: str) -> None:
    dist = name.replace("-", "_")
    filename = f"{dist}-{version}-py3-none-any.whl" if kind == "whl" else f"{name}-{version}.{kind}"
    assert call("project_of", filename) == canonicalize_name(name)


SEGMENT = st.from_regex(r"[a-z0-9_.-]{1,8}", fullmatch=True).filter(lambda s: s not in (".", ".."))


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(SEGMENT, min_size=1, max_size=4),
    st.lists(st.one_of(SEGMENT, st.just("..")), min_size=1, max_size=5),
    st.sampled_from(["relative", "root", "absolute"]),
)
def test_urljoin_matches_python(base_parts: list[str], ref_parts: list[str], shape: str) -> None:
    base = "http://127.0.0.1:8080/" + "/".join(base_parts) + "/"
    ref = "/".join(ref_parts)
    if ref_parts[-1] == "..":
        ref += "/x.whl"
    if shape == "root":
        ref = "/" + ref
    elif shape == "absolute":
        ref = "https://files.example.invalid/" + ref
    assert call("urljoin", base, ref) == urllib.parse.urljoin(base, ref)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(NAME, st.sampled_from(['"', "'"])), max_size=6), st.text(max_size=30))
def test_find_links_extracts_every_href(names: list[tuple[str, str]], noise: str) -> None:
    noise = noise.replace("href=", "")
    body = noise.join(f"<a href={q}../../files/{html.escape(n)}.whl#sha256=ab{q}>{n}</a>" for n, q in names)
    expected = [f"../../files/{n}.whl#sha256=ab" for n, _ in names]
    assert call("find_links", f"<html><body>{body}</body></html>") == expected


def test_real_index_page_shape() -> None:
    page = (
        '<a href="../../files/tomli-2.5.0.tar.gz#sha256=26" data-requires-python="&gt;=3.8">'
        "tomli-2.5.0.tar.gz</a><br>\n<a href='https://h.invalid/t/tomli-2.5.0-py3-none-any.whl'>w</a>"
    )
    links = call("find_links", page)
    assert links == [
        "../../files/tomli-2.5.0.tar.gz#sha256=26",
        "https://h.invalid/t/tomli-2.5.0-py3-none-any.whl",
    ]
    assert [call("basename", link) for link in links] == [
        "tomli-2.5.0.tar.gz",
        "tomli-2.5.0-py3-none-any.whl",
    ]
    assert json.dumps(call("urljoin", "http://127.0.0.1:1/simple/tomli/", links[0].split("#")[0])) == (
        '"http://127.0.0.1:1/files/tomli-2.5.0.tar.gz"'
    )


@settings(max_examples=500, deadline=None)
@given(st.lists(NAME, max_size=6), st.booleans())
def test_page_links_reads_pep691_json_and_pep503_html_alike(names: list[str], json_first: bool) -> None:
    urls = [f"../../files/{n}-1.0.tar.gz" for n in names]
    as_json = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "name": "x",
            "files": [{"filename": u.rpartition("/")[2], "url": u, "hashes": {"sha256": "ab"}} for u in urls],
        },
        indent=1 if json_first else None,
    )
    anchors = "".join(f'<a href="{html.escape(u)}#sha256=ab">f</a>' for u in urls)
    as_html = f"<html><body>{anchors}</body></html>"
    assert call("page_links", ("\n " if json_first else "") + as_json) == urls
    assert [link.split("#")[0] for link in call("page_links", as_html)] == urls
