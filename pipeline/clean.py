"""Clean stage: decode, extract (trafilatura for HTML), strip boilerplate, record every removal."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from pipeline import db
from pipeline.config import Config
from pipeline.records import CleanResult, Rejection, Removal, StageResult

log = logging.getLogger(__name__)

CLEANER_VERSION = "1"

_TERMINAL = ".!?:;\"”’'…)]"
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


# --- decoding ---------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we can tell."""


def decode_bytes(raw: bytes, is_html: bool = False) -> str:
    """Decode by BOM, then declared charset (HTML), then strict UTF-8, then detection."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in raw[:4096] and raw.count(b"\x00") > len(raw) // 100:
        raise DecodeError("binary content (NUL bytes), not text")
    if is_html:
        match = _META_CHARSET_RE.search(raw[:4096])
        if match:
            try:
                return raw.decode(match.group(1).decode("ascii"), errors="strict")
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration: fall through to detection
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw[:200_000]))
    if not matches:
        raise DecodeError("not decodable as text in any known encoding")
    best = min(matches, key=lambda m: m.chaos)
    # Western single-byte encodings tie on short texts; cp1252 is by far the likeliest
    for m in matches:
        if m.encoding == "cp1252" and m.chaos <= best.chaos + 0.01:
            best = m
    return raw.decode(best.encoding, errors="replace")


def looks_binary(text: str) -> bool:
    """Text whose characters are mostly control or replacement characters."""
    sample = text[:20_000]
    if not sample:
        return False
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\n\r\t")
    )
    return bad > len(sample) * 0.1


# --- rule tables ------------------------------------------------------------------------
# Each family is data: (family, pattern over one stripped line). Order does not matter:
# a line is removed by the first family whose pattern matches it.

_AGENCIES = (
    r"Getty(?: Images)?|AFP|AP|Reuters|EPA|PA(?: Wire| Images)?|Shutterstock|Alamy|Bloomberg|"
    r"NurPhoto|SOPA Images|Anadolu|Xinhua|Sipa|REX|Zuma|iStock|WireImage"
)

LINE_RULES: tuple[tuple[str, str], ...] = (
    # captions and photo credits
    (
        "caption",
        rf"^(?:[\w.'’-]+\s+){{0,4}}[\w.'’-]+\s*/\s*(?:{_AGENCIES})(?:\s+via\s+.{{1,40}})?\.?$",
    ),
    (
        "caption",
        r"^\(?(?:Photo|Picture|Image|Credit|Photograph|Pic)s?(?: credit)?\s*[:/]\s*.{1,80}$",
    ),
    (
        "caption",
        r"^.{0,300}\((?:Image|Images|Picture|Pictures|Photo|Photos|Pic|Credit)s?:\s*[^)]{1,60}\)\s*$",
    ),
    (
        "caption",
        r"^[A-Z][A-Z .,'’-]{2,40}(?:, [A-Z .]{2,30})? - (?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]* \d{1,2}(?:, \d{4})?: .+$",
    ),
    # teaser, related and read-more blocks
    (
        "teaser",
        r"^(?:READ MORE|SEE MORE|READ ALSO|ALSO READ|MORE|RELATED|RELATED ARTICLES?|RECOMMENDED|WATCH|TRENDING|LATEST|MOST READ)\s*[:>»|-].{0,200}$",
    ),
    (
        "teaser",
        r"^(?:Read more|See more|Also read|Read also|Related|Related articles?|Recommended|More on this story|Most read(?: in .{1,40})?)\s*(?:[:>»|-].{0,200})?[.…]*$",
    ),
    ("teaser", r"^(?:Click here|Read the full story|Continue reading)\b.{0,80}$"),
    (
        "teaser",
        r"^.{3,200}\[(?:INSIGHT|VIDEO|MAPPED|POLL|PICTURES|PHOTOS|PICS|LATEST|REVEALED|ANALYSIS|LIVE|REPORT|SPECIAL|REACTION|COMMENT|EXPLAINED|QUIZ|GALLERY)\]$",
    ),
    (
        "teaser",
        r"^.{0,80}\b(?:in this link|at this link|at the link below|see link)\b[^.]{0,20}[.…]*$",
    ),
    # comment threads and forum chrome
    (
        "comments",
        r"^(?:Sign In or Register to comment|Log in to comment|Comments are closed|Show comments|View comments|Load comments)\.?$",
    ),
    ("comments", r"^\d+\s+(?:comments?|replies|reply)$"),
    ("comments", r"^(?:Comments|Reader comments|Join the conversation)\s*(?:\(\d+\))?$"),
    # share, follow, sign-in and newsletter prompts
    (
        "prompt",
        r"^(?:Sign in|Log in|Login|Register|Subscribe|Sign up)\b.{0,60}\b(?:comment|comments|newsletter|continue|free|account)\b.{0,40}$",
    ),
    (
        "prompt",
        r"^Follow (?:us|@?[\w.]+(?: [\w.]+){0,3}) on (?:Twitter|Facebook|X|Instagram|LinkedIn|Threads|TikTok|Bluesky)\b.{0,60}$",
    ),
    (
        "prompt",
        r"^(?:Share|Share this|Share on|Tweet|Email|Print)(?: (?:this|article|story|page|on \w+))?[:!.]?$",
    ),
    (
        "prompt",
        r"^.{0,60}\b(?:sign up|subscribe) (?:to|for) (?:our|the|my) .{0,40}newsletter\b.{0,60}$",
    ),
    # trailers: source lines, wire credits, copyright
    ("trailer", r"^(?:source|sources)\s*:\s*\S.{0,80}$"),
    ("trailer", r"^\((?:Reporting|Additional reporting|Writing|Editing|Compiled) by .{1,200}\)$"),
    ("trailer", r"^(?:©|\(c\)|Copyright)\s*(?:©\s*)?\d{4}\b.{0,120}$"),
    ("trailer", r"^(?:[A-Z][\w.'’-]+ ){1,6}contributed to this (?:report|story|article)\.?$"),
    # update and correction notes
    ("update_note", r"^This (?:report|story|article|post) (?:has been|was) updated\b.{0,120}$"),
    (
        "update_note",
        r"^(?:Update to (?:the )?story below|Original story follows|Story continues below|Original story below)\s*[:.]?$",
    ),
    (
        "update_note",
        r"^(?:Updated|Last updated|Published)\s*(?:at|on)?\s*:?\s*\d{1,2}[:.]\d{2}.{0,60}$",
    ),
)

# A line that opens a block of teasers: it and the non-blank lines after it go.
BLOCK_OPENERS: tuple[tuple[str, str], ...] = (
    ("teaser", r"^DON[’'`]?T MISS\b.{0,80}$"),
    ("teaser", r"^(?:MORE FROM|RELATED STORIES|YOU MAY ALSO LIKE|MOST READ|TOP STORIES)\b.{0,40}$"),
)

_COMPILED_LINES = tuple(
    (fam, re.compile(pat, re.I if fam != "caption" else 0)) for fam, pat in LINE_RULES
)
_COMPILED_BLOCKS = tuple((fam, re.compile(pat, re.I)) for fam, pat in BLOCK_OPENERS)
_CREDIT_RE = re.compile(LINE_RULES[0][1])
_IMAGE_TAG_RE = re.compile(LINE_RULES[2][1])
_BULLET_RE = re.compile(r"^\s*[•●▪◦]\s+")


@dataclass(slots=True)
class _Line:
    text: str
    kind: str | None = None  # family that removes it, None to keep


def _words(s: str) -> int:
    return len(_WORD_RE.findall(s))


def _is_label(s: str, max_words: int) -> bool:
    """A short line with no sentence punctuation: a heading, label or caption title."""
    s = s.strip()
    return bool(s) and _words(s) <= max_words and s[-1] not in _TERMINAL


def _prev_nonblank(lines: list[_Line], i: int) -> int | None:
    j = i - 1
    while j >= 0 and not lines[j].text.strip():
        j -= 1
    return j if j >= 0 else None


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[\u200b\u200c\u200d\ufeff]", "", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _same_text(a: str, b: str) -> bool:
    norm = lambda s: " ".join(_WORD_RE.findall(s.casefold()))  # noqa: E731
    return bool(a.strip()) and norm(a) == norm(b)


def strip_boilerplate(text: str, title: str | None = None) -> CleanResult:
    """Apply the rule families to plain article text; return kept text and removals."""
    lines = [_Line(t) for t in _normalise(text).split("\n")]
    found_title = title

    # headline repeated at the top: kept as title, not twice in the text
    first = next((i for i, ln in enumerate(lines) if ln.text.strip()), None)
    if first is not None:
        head = lines[first].text.strip()
        if title and _same_text(head, title):
            lines[first].kind = "headline"
        elif not title and _is_label(head, 25) and _words(head) >= 3:
            lines[first].kind = "headline"
            found_title = head

    for i, ln in enumerate(lines):
        s = ln.text.strip()
        if not s or ln.kind:
            continue
        for fam, rx in _COMPILED_LINES:
            if rx.match(s):
                ln.kind = fam
                break
        if ln.kind is None:
            for fam, rx in _COMPILED_BLOCKS:
                if rx.match(s):
                    ln.kind = fam
                    j = i + 1
                    while j < len(lines) and lines[j].text.strip() and _words(lines[j].text) <= 30:
                        lines[j].kind = fam
                        j += 1
                    break

    # context: the heading above an "(Image: ...)" caption, the caption above a credit line
    for i, ln in enumerate(lines):
        s = ln.text.strip()
        if ln.kind != "caption":
            continue
        j = _prev_nonblank(lines, i)
        if j is None or lines[j].kind:
            continue
        above = lines[j].text.strip()
        if _IMAGE_TAG_RE.match(s) and _is_label(above, 8):
            lines[j].kind = "caption"
        elif _CREDIT_RE.match(s) and _is_label(above, 40):
            lines[j].kind = "caption"

    _mark_comment_threads(lines)
    _mark_trailing_labels(lines)

    kept: list[str] = []
    removed: list[Removal] = []
    for ln in lines:
        if ln.kind is None:
            kept.append(ln.text)
        elif removed and removed[-1].kind == ln.kind and _was_previous_removed(kept, removed):
            removed[-1] = Removal(ln.kind, removed[-1].text + "\n" + ln.text.strip())
        else:
            removed.append(Removal(ln.kind, ln.text.strip()))
            kept.append("\x00")  # marks where a removal happened, for merging runs
    clean = "\n".join(k for k in kept if k != "\x00")
    clean = re.sub(r"\n{3,}", "\n\n", clean).strip()
    return CleanResult(text=clean, removed=tuple(removed), title=found_title)


def _was_previous_removed(kept: list[str], removed: list[Removal]) -> bool:
    """True when nothing but blank lines was kept since the last removal (one run)."""
    for k in reversed(kept):
        if k == "\x00":
            return True
        if k.strip():
            return False
    return False


def _mark_comment_threads(lines: list[_Line]) -> None:
    """Bullet comments and their indented replies that run into a comment prompt."""
    for i, ln in enumerate(lines):
        if ln.kind != "comments":
            continue
        j = _prev_nonblank(lines, i)
        block: list[int] = []
        seen_bullet = False
        while j is not None:
            raw = lines[j].text
            if _BULLET_RE.match(raw):
                seen_bullet = True
                block.append(j)
            elif raw.startswith(("  ", "\t")) and lines[j].kind is None:
                block.append(j)
            else:
                break
            j = _prev_nonblank(lines, j)
        if seen_bullet:
            for k in block:
                lines[k].kind = "comments"


def _mark_trailing_labels(lines: list[_Line]) -> None:
    """Section labels and navigation left after the story's last sentence."""
    for i in range(len(lines) - 1, -1, -1):
        s = lines[i].text.strip()
        if not s or lines[i].kind:
            continue
        if _is_label(s, 5):
            prev = _prev_nonblank(lines, i)
            # only when something above was chrome too, or it sits after the last sentence
            if prev is not None:
                lines[i].kind = "trailer"
                continue
        break


def clean_html(html: str, url: str | None = None, title: str | None = None) -> CleanResult:
    """trafilatura extraction with metadata, then the same line rules as plain text."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        with_metadata=True,
        include_tables=True,
        deduplicate=False,
        favor_precision=False,
    )
    if doc is None or not (doc.text or "").strip():
        return CleanResult(text="")
    meta_title = title or doc.title
    result = strip_boilerplate(doc.text, title=meta_title)
    return CleanResult(
        text=result.text,
        removed=result.removed,
        title=meta_title or result.title,
        author=doc.author,
        sitename=doc.sitename,
        url=doc.url or url,
        published_at=_parse_date(doc.date),
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def clean_document(raw: bytes, fmt: str, url: str | None, title: str | None) -> CleanResult:
    """Pure: bytes of one input to clean text. Raises DecodeError for non-text input."""
    text = decode_bytes(raw, is_html=fmt == "html")
    if looks_binary(text):
        raise DecodeError("binary content, not text")
    if fmt == "html":
        return clean_html(text, url=url, title=title)
    return strip_boilerplate(text, title=title)


# --- stage ------------------------------------------------------------------------------


def run(con: duckdb.DuckDBPyConnection, cfg: Config, run_id: str | None = None) -> StageResult:
    """Clean every ingested document not yet cleaned (or rejected at cleaning)."""
    result = StageResult("clean")
    pending = con.sql(
        """
        select doc_id, source, format, url, title
        from documents
        where doc_id not in (select doc_id from cleaned)
          and doc_id not in (select doc_id from rejected_inputs where doc_id is not null)
        order by doc_seq
        """
    ).fetchall()
    batch = 500
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        ids = [row[0] for row in chunk]
        raws = dict(
            con.execute(
                "select doc_id, raw from documents where doc_id in (select unnest(?))", [ids]
            ).fetchall()
        )
        rows = _clean_rows(((row, raws[row[0]]) for row in chunk), cfg, result)
        _store(con, rows, result, run_id)
    return result


def _clean_rows(
    items: Iterable[tuple[tuple, bytes]], cfg: Config, result: StageResult
) -> list[tuple[str, CleanResult]]:
    out: list[tuple[str, CleanResult]] = []
    for (doc_id, source, fmt, url, title), raw in items:
        try:
            cleaned = clean_document(raw, fmt, url, title)
        except DecodeError as exc:
            result.rejected.append(Rejection(source, "clean", str(exc), None, len(raw), doc_id))
            continue
        n_words = _words(cleaned.text)
        if n_words < max(cfg.clean.min_words, 1):
            reason = "no article text found" if fmt == "html" else "no text left after cleaning"
            result.rejected.append(Rejection(source, "clean", reason, None, len(raw), doc_id))
            continue
        out.append((doc_id, cleaned))
    return out


def _store(
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[str, CleanResult]],
    result: StageResult,
    run_id: str | None,
) -> None:
    cleaned = pa.table(
        {
            "doc_id": [d for d, _ in rows],
            "clean_text": [c.text for _, c in rows],
            "n_words": pa.array([_words(c.text) for _, c in rows], pa.int32()),
            "title": [c.title for _, c in rows],
            "author": [c.author for _, c in rows],
            "sitename": [c.sitename for _, c in rows],
            "url": [c.url for _, c in rows],
            "published_at": pa.array([c.published_at for _, c in rows], pa.timestamp("us")),
        }
    )
    removed = pa.table(
        {
            "doc_id": [d for d, c in rows for _ in c.removed],
            "span_no": pa.array([i for _, c in rows for i in range(len(c.removed))], pa.int32()),
            "kind": [r.kind for _, c in rows for r in c.removed],
            "text": [r.text for _, c in rows for r in c.removed],
        }
    )
    with db.transaction(con):
        con.register("cleaned_batch", cleaned)
        con.register("removed_batch", removed)
        con.execute(
            f"""
            insert into cleaned
            select doc_id, clean_text, n_words, title, author, sitename, url, published_at,
                   '{CLEANER_VERSION}', current_timestamp
            from cleaned_batch
            where doc_id not in (select doc_id from cleaned)
            """
        )
        con.execute(
            """
            insert into removed_spans
            select * from removed_batch
            where doc_id not in (select doc_id from removed_spans)
            """
        )
        db.record_rejections(con, result.rejected, run_id)
        con.unregister("cleaned_batch")
        con.unregister("removed_batch")
    result.add("cleaned", len(rows))
    result.add("removed_spans", len(removed))
