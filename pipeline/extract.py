"""Extraction: a page or a text to its article text (trafilatura for HTML, with the page's
metadata), then the line rules (pipeline.linerules)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from datetime import datetime
from typing import Any

from pipeline.decode import DecodeError, decode_bytes, looks_binary
from pipeline.linerules import strip_boilerplate
from pipeline.records import CleanResult

_HTML_LANG_RE = re.compile(r"""<html[^>]*\blang\s*=\s*["']?([A-Za-z]{2,3})""", re.I)


def clean_html(html: str, url: str | None = None, title: str | None = None) -> CleanResult:
    """trafilatura extraction with metadata, then the same line rules as plain text."""
    import trafilatura
    from trafilatura.settings import Document
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return CleanResult(text="")
    meta = _metadata(tree, url)
    # trafilatura's defaults but comments. Not favor_precision, though it scores higher on the
    # newspaper4k pages (it drops their non-English comment and newsletter blocks): it also
    # deletes the text that follows an empty inline element ("said <span></span>the plan...")
    # and a standfirst outside the article container; the rules handle the chrome instead.
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        with_metadata=False,
        include_tables=True,
        deduplicate=False,
        favor_precision=False,
    )
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        return CleanResult(text="")
    meta_title = title or meta.title
    match = _HTML_LANG_RE.search(html[:5000])
    result = strip_boilerplate(
        doc.text or "", title=meta_title, language=match.group(1) if match else None
    )
    return dataclasses.replace(
        result,
        title=meta_title or result.title,
        author=meta.author,
        sitename=meta.sitename,
        url=meta.url or url,
        published_at=_parse_date(meta.date),
    )


def _metadata(tree: Any, url: str | None) -> Any:
    """trafilatura's metadata steps that we store (title, author, site, URL, date).

    Its full `extract_metadata` also searches the page body for authors, categories, tags
    and a licence, and runs htmldate's free-text date search: about a fifth of the whole
    extraction time for fields we do not use. Bylines in the text are removed by the rules.
    """
    from htmldate import find_date
    from trafilatura.metadata import (
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a handle or a site name, not a person
    with contextlib.suppress(Exception):  # JSON-LD on real pages is often broken
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.sitename = meta.sitename or extract_sitename(tree)
    meta.date = find_date(tree, extensive_search=False, original_date=True, url=meta.url)
    return meta


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def clean_document(
    raw: bytes, fmt: str, url: str | None, title: str | None, max_bytes: int | None = None
) -> CleanResult:
    """Pure: bytes of one input to rule-cleaned text. Raises DecodeError for unusable input."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise DecodeError(f"input is {len(raw)} bytes, over the limit of {max_bytes}")
    text = decode_bytes(raw, is_html=fmt == "html")
    if looks_binary(text):
        raise DecodeError("binary content, not text")
    if fmt == "html":
        return clean_html(text, url=url, title=title)
    return strip_boilerplate(text, title=title)


def _clean_many(items: list[tuple[bytes, str, str | None, str | None, int]]) -> list:
    return [_clean_one(it) for it in items]


def _clean_one(item: tuple[bytes, str, str | None, str | None, int]) -> CleanResult | str:
    """Worker: one document, a DecodeError turned into its message (picklable)."""
    try:
        return clean_document(*item)
    except DecodeError as exc:
        return str(exc)


_TEXT_PER_PAGE = 40  # plain-text documents cleaned in the time of one HTML page
