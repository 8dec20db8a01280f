"""Why two documents are linked: their scores and the shared spans side by side."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb

from pipeline.align import align
from pipeline.config import DetectConfig
from pipeline.detect import coverage, is_syndication
from pipeline.errors import InputError
from pipeline.records import Span
from pipeline.sketch import TokenHasher, jaccard_containment
from pipeline.text import quote_regions, quoted_share, tokenize, words_only

QUOTE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class DocInfo:
    doc_id: str
    doc_seq: int
    outlet: str
    published_at: datetime | None
    n_words: int


@dataclass(frozen=True, slots=True)
class SharedSpan:
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_words: int
    b_words: int
    matched_words: int
    kind: str  # verbatim | edited | paraphrase
    lane: str  # exact | sentence
    nested: bool
    a_kind: str  # quote | prose
    b_kind: str
    a_text: str
    b_text: str


@dataclass(frozen=True, slots=True)
class Explanation:
    a: DocInfo
    b: DocInfo
    stored: bool  # the pair is in doc_pairs; else the scores are computed now
    jaccard: float
    containment: float
    coverage: float
    via: str
    is_syndication: bool
    earlier_doc: str
    earlier_basis: str
    spans: list[SharedSpan]


def _doc(con: duckdb.DuckDBPyConnection, ref: str) -> tuple[DocInfo, str]:
    rows = con.execute(
        """
        select doc_id, doc_seq, outlet, published_at, n_words, clean_text
        from articles where doc_id like $p || '%' order by doc_id limit 2
        """,
        {"p": ref},
    ).fetchall()
    if not rows:
        raise InputError(f"no cleaned document with id {ref!r} (see 'newsdedup report articles')")
    if len(rows) > 1:
        raise InputError(f"document id prefix {ref!r} is ambiguous; give more characters")
    doc_id, seq, outlet, published, n_words, text = rows[0]
    return DocInfo(doc_id, seq, outlet, published, n_words), text


def explain(
    con: duckdb.DuckDBPyConnection, ref_a: str, ref_b: str, cfg: DetectConfig
) -> Explanation:
    """Scores and shared spans of two documents (ids or unique id prefixes)."""
    a, text_a = _doc(con, ref_a)
    b, text_b = _doc(con, ref_b)
    if a.doc_seq == b.doc_seq:
        raise InputError("give two different documents")
    if a.doc_seq > b.doc_seq:  # stored pairs and spans run from the earlier-ingested doc
        a, b, text_a, text_b = b, a, text_b, text_a
    pair = con.execute(
        """
        select jaccard, containment, coverage, via, is_syndication
        from doc_pairs where doc_a = ? and doc_b = ?
        """,
        [a.doc_seq, b.doc_seq],
    ).fetchall()
    spans_rows = [
        Span(*row)
        for row in con.execute(
            """
            select a_start, a_end, b_start, b_end, a_words, b_words, matched_words, kind,
                lane, nested
            from alignments where doc_a = ? and doc_b = ? order by a_start
            """,
            [a.doc_seq, b.doc_seq],
        ).fetchall()
    ]
    hasher = TokenHasher()
    if pair:
        jac, cont, cover, via, synd = pair[0]
    else:  # not linked: compute what detection would have seen, to show why not
        k = cfg.shingle_size
        from pipeline.sketch import shingle_set

        jac, cont = jaccard_containment(
            shingle_set(words_only(text_a), k, hasher), shingle_set(words_only(text_b), k, hasher)
        )
        found = align(
            tokenize(text_a),
            tokenize(text_b),
            hasher,
            seed_words=cfg.seed_words,
            max_gap=cfg.max_gap,
            min_words=cfg.min_span_words,
            sentences=cfg.sentence_params(),
        )
        spans_rows = found
        cover = coverage([s for s in found if s.lane == "exact"], a.n_words, b.n_words)
        via, synd = "none", is_syndication(jac, cont, cover, cfg)
    qa, qb = quote_regions(text_a), quote_regions(text_b)

    def kind(regions: list[tuple[int, int]], s: int, e: int) -> str:
        return "quote" if quoted_share(regions, s, e) >= QUOTE_SHARE else "prose"

    spans = [
        SharedSpan(
            **asdict(s),
            a_kind=kind(qa, s.a_start, s.a_end),
            b_kind=kind(qb, s.b_start, s.b_end),
            a_text=text_a[s.a_start : s.a_end],
            b_text=text_b[s.b_start : s.b_end],
        )
        for s in spans_rows
    ]
    earlier, basis = con.execute(
        """
        select
            case when a.order_rank < b.order_rank then a.doc_id else b.doc_id end,
            earlier_basis(a.first_seen, b.first_seen, a.dated, b.dated)
        from document_order as a, document_order as b
        where a.doc_seq = ? and b.doc_seq = ?
        """,
        [a.doc_seq, b.doc_seq],
    ).fetchall()[0]
    return Explanation(a, b, bool(pair), jac, cont, cover, via, synd, earlier, basis, spans)


def render(ex: Explanation, fmt: str = "text", width: int = 60) -> str:
    """The explanation as text (spans side by side) or JSON."""
    if fmt == "json":
        data = asdict(ex)
        return json.dumps(data, indent=2, default=str, ensure_ascii=False)
    verdict = (
        "syndication" if ex.is_syndication else ("shared passages" if ex.spans else "not linked")
    )
    lines = []
    for tag, d in (("A", ex.a), ("B", ex.b)):
        when = d.published_at.isoformat() if d.published_at else "date unknown"
        lines.append(f"{tag}  {d.doc_id}  {d.outlet}  {when}  {d.n_words} words")
    source = "stored by detect" if ex.stored else "not stored; computed now"
    lines.append(
        f"{verdict}: jaccard {ex.jaccard:.3f}  containment {ex.containment:.3f}  "
        f"coverage {ex.coverage:.3f}  via {ex.via}  ({source})"
    )
    tag = "A" if ex.earlier_doc == ex.a.doc_id else "B"
    lines.append(f"earlier: {tag} ({ex.earlier_basis})")
    shared = sum(s.a_words for s in ex.spans)
    lines.append(f"{len(ex.spans)} shared span(s), {shared} words")
    for n, s in enumerate(ex.spans, 1):
        lines.append("")
        left = f"A[{s.a_start}:{s.a_end}] {s.a_kind}"
        right = f"B[{s.b_start}:{s.b_end}] {s.b_kind}"
        lines.append(f"#{n} {s.a_words} words, {s.matched_words} matched")
        lines.append(f"{left:<{width}} | {right}")
        wa, wb = _wrap(s.a_text, width), _wrap(s.b_text, width)
        for i in range(max(len(wa), len(wb))):
            la = wa[i] if i < len(wa) else ""
            lb = wb[i] if i < len(wb) else ""
            lines.append(f"{la:<{width}} | {lb}")
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line)
    return out
