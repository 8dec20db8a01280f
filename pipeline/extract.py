"""Extraction: a page or a text to its article text (trafilatura for HTML, with the page's
metadata), then the line rules (pipeline.linerules)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import unicodedata
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
    body = unicodedata.normalize("NFC", doc.text or "")
    meta_title = _nfc(title or meta.title)
    match = _HTML_LANG_RE.search(html[:5000])
    # the text's own language before the markup's: templates declare lang="en" on pages
    # of every language
    language = guess_language(body) or (match.group(1) if match else None)
    result = strip_boilerplate(body, title=meta_title, language=language)
    return dataclasses.replace(
        result,
        title=meta_title or result.title,
        author=_nfc(meta.author),
        sitename=_nfc(meta.sitename),
        url=meta.url or url,
        published_at=_parse_date(meta.date),
    )


# the commonest function words of each language with a rule table (pipeline/rules.py)
_FUNCTION_WORDS = {
    "en": frozenset("the and of to in is that for with was on are by this from".split()),
    "de": frozenset("der die und das ist nicht den mit sich auf für ein eine dem des".split()),
    "es": frozenset("el la de que y los las en por con para una del se es".split()),
    "fr": frozenset("le la les des et est une du dans pour que qui pas sur au".split()),
    "pt": frozenset("o a os as de que não uma do da em para com é dos".split()),
    "it": frozenset("il la che di e non una per del della è sono con gli le".split()),
}


def guess_language(text: str, sample: int = 400) -> str | None:
    """The language with a rule table whose function words the text's first `sample`
    words use most (a page without `<html lang>`); None when none stands out."""
    words = [w.strip(".,;:!?\"'()«»“”").lower() for w in text.split()[:sample]]
    if len(words) < 20:
        return None
    hits = {lang: sum(w in fw for w in words) for lang, fw in _FUNCTION_WORDS.items()}
    best = max(hits, key=lambda k: hits[k])
    second = max(v for k, v in hits.items() if k != best)
    return best if hits[best] >= 0.08 * len(words) and hits[best] > 1.3 * second else None


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
    return strip_boilerplate(unicodedata.normalize("NFC", text), title=_nfc(title))


def _nfc(text: str | None) -> str | None:
    """NFC, as trafilatura's extract() applies to its output (bare_extraction does not): a
    composed and a decomposed copy of one story ("é" as one code point or two) get the same
    shingles. On the extracted text, not the page: a page is a hundred times longer."""
    return unicodedata.normalize("NFC", text) if text else text


def _clean_many(items: list[tuple[bytes, str, str | None, str | None, int]]) -> list:
    return [_clean_one(it) for it in items]


def _clean_one(item: tuple[bytes, str, str | None, str | None, int]) -> CleanResult | str:
    """Worker: one document, a DecodeError turned into its message (picklable)."""
    try:
        return clean_document(*item)
    except DecodeError as exc:
        return str(exc)


_TEXT_PER_PAGE = 40  # plain-text documents cleaned in the time of one HTML page
