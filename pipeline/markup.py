"""What a page says about itself in its markup: canonical URL, site name, publication date.

Pages put these in many places: `<link rel=canonical>`, Open Graph and article `<meta>`
tags (attributes in any order, any quoting), and JSON-LD (`url`, `datePublished`,
`publisher`). The whole page is read, not only its head: JSON-LD often sits in the body,
and some heads pass 200 KB of inline scripts.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

_TAG = re.compile(rb"<(link|meta)\b([^>]*)>", re.I)
_ATTR = re.compile(rb"""([a-zA-Z_:][-\w:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_LD = re.compile(
    rb"""<script\b[^>]*type\s*=\s*["']?application/ld\+json["']?[^>]*>(.*?)</script>""",
    re.I | re.S,
)
_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "webpage"}


@dataclass(frozen=True, slots=True)
class PageMeta:
    url: str | None = None
    site_name: str | None = None
    published: str | None = None  # as the page writes it (parse_datetime reads it)


def _attrs(blob: bytes) -> dict[str, str]:
    out = {}
    for key, value in _ATTR.findall(blob):
        text = value.strip(b"\"'").decode("utf-8", "replace")
        out[key.decode("ascii", "replace").lower()] = html.unescape(text).strip()
    return out


def _ld_objects(raw: bytes) -> Iterator[dict]:
    for block in _LD.findall(raw):
        try:
            data = json.loads(block.decode("utf-8", "replace").strip().rstrip(";"))
        except ValueError:
            continue
        todo = [data]
        while todo:
            item = todo.pop()
            if isinstance(item, list):
                todo.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    todo.append(item["@graph"])
                yield item


def _ld_type(item: dict) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def _name(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def page_meta(raw: bytes) -> PageMeta:
    """The page's own URL, site name and publication date, each from its best source:
    canonical link > og:url > JSON-LD url; og:site_name > JSON-LD publisher;
    article:published_time (and its kin) > JSON-LD datePublished."""
    canonical = og_url = site = published = None
    for kind, blob in _TAG.findall(raw):
        a = _attrs(blob)
        if kind.lower() == b"link":
            if "canonical" in a.get("rel", "").lower().split() and a.get("href"):
                canonical = canonical or a["href"]
            continue
        key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
        value = a.get("content")
        if not value:
            continue
        if key == "og:url":
            og_url = og_url or value
        elif key == "og:site_name":
            site = site or value
        elif key in ("article:published_time", "datepublished", "pubdate", "og:published_time"):
            published = published or value
    ld_url = ld_site = ld_date = None
    for item in _ld_objects(raw):
        if not _ld_type(item) & _ARTICLE_TYPES:
            continue
        url = item.get("url") or item.get("mainEntityOfPage")
        if isinstance(url, dict):
            url = url.get("@id") or url.get("url")
        if isinstance(url, str) and url.startswith("http"):
            ld_url = ld_url or url
        ld_site = ld_site or _name(item.get("publisher"))
        date = item.get("datePublished")
        if isinstance(date, str) and date.strip():
            ld_date = ld_date or date.strip()
    url_found = next((u for u in (canonical, og_url, ld_url) if u and u.startswith("http")), None)
    return PageMeta(url_found, site or ld_site, published or ld_date)
