"""The HTML report: one self-contained page with the copying network and how text spread.

Everything is inline (CSS, JS, the data as JSON), so the file opens with no network. The
data is computed here from the views and capped (top outlets, top clusters, top rows, words
per passage), so the file stays small on any store; the page only draws it.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from pipeline import report
from pipeline.errors import PipelineError
from pipeline.report import _plain

_WORD = re.compile(r"\S+")
_NORM = re.compile(r"[^\w]+")
# characters of article text shown either side of a shared passage
_CONTEXT_CHARS = 160
# a matching run shorter than this many words is chance ("the", "of the"), not shared text
_MIN_MATCH = 2
# longest text in a table cell
_MAX_CELL = 200


@dataclass(frozen=True, slots=True)
class Caps:
    """How much of each list the page shows; bounds the file size on any store."""

    outlets: int = 40  # network nodes: outlets with the most shared words
    edges: int = 150  # network links among them, most shared words first
    clusters: int = 8  # timelines: the largest reuse clusters
    occurrences: int = 40  # points per timeline (earliest first)
    passages: int = 6  # occurrences per cluster shown side by side
    pairs: int = 5  # syndicated pairs shown side by side
    rows: int = 200  # rows per table
    words: int = 150  # words per passage or article shown


# (title, relation, columns, order by) of each table; the order picks the top rows
_TABLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Reuse clusters",
        "reuse_clusters",
        "cluster_id, n_docs, n_outlets, first_outlet, first_seen, first_seen_basis, kind, "
        "n_occurrences, max_words, text",
        "n_docs desc, n_outlets desc, max_words desc, cluster_id",
    ),
    (
        "Copying between outlets",
        "copying",
        "source_outlet, target_outlet, n_docs, n_passages, shared_words, quote_words, prose_words",
        "shared_words desc, source_outlet, target_outlet",
    ),
    (
        "Syndication",
        "syndication",
        "outlet_a, outlet_b, doc_a, doc_b, jaccard, containment, shared_words, earlier_doc, "
        "earlier_basis",
        "jaccard desc, doc_a, doc_b",
    ),
    (
        "Outlet originality",
        "outlet_originality",
        "outlet, n_docs, n_words, shared_words, original_share",
        "shared_words desc, outlet",
    ),
    (
        "Rejected inputs",
        "rejected_inputs",
        "source, stage, reason, size_bytes, rejected_at",
        "rejected_at, source",
    ),
)


def _norm(word: str) -> str:
    return _NORM.sub("", word.lower()) or word


def _cut(text: str, max_words: int) -> str:
    words = _WORD.findall(text)
    if len(words) <= max_words:
        return text
    end = list(_WORD.finditer(text))[max_words - 1].end()
    return text[:end] + " …"


def highlight(text: str, *others: str) -> list[tuple[str, bool]]:
    """Split text into runs of words it shares with any of others (True) or not (False).

    difflib's matching blocks over normalised word tokens; runs shorter than _MIN_MATCH
    words do not count. Whitespace is kept, so the runs join back into text.
    """
    toks = list(_WORD.finditer(text))
    a = [_norm(m.group()) for m in toks]
    shared = [False] * len(a)
    # our tokens are seq2, which difflib indexes once for all the others
    matcher = difflib.SequenceMatcher(None, [], a, autojunk=False)
    for other in others:
        matcher.set_seq1([_norm(w) for w in _WORD.findall(other)])
        for block in matcher.get_matching_blocks():
            if block.size >= _MIN_MATCH:
                shared[block.b : block.b + block.size] = [True] * block.size
    runs: list[tuple[str, bool]] = []
    pos = 0
    for tok, flag in zip(toks, shared, strict=True):
        piece = text[pos : tok.end()]
        pos = tok.end()
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + piece, flag)
        else:
            runs.append((piece, flag))
    if pos < len(text):  # trailing whitespace
        last, flag = runs.pop() if runs else ("", False)
        runs.append((last + text[pos:], flag))
    return runs


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None
) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in cur.fetchall()]


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return int(con.execute(sql, params or []).fetchall()[0][0])


OTHERS = "other outlets"  # the node that stands for every outlet past caps.outlets


def _network(con: duckdb.DuckDBPyConnection, caps: Caps) -> dict[str, Any]:
    """The copying network: the caps.outlets outlets with the most shared words, and one
    node for all the others (their links summed), so a store of hundreds of outlets still
    draws as a legible ring."""
    ranked = _rows(
        con,
        """
        with ends as (
            select source_outlet as outlet, shared_words as out_words, 0 as in_words from copying
            union all
            select target_outlet, 0, shared_words from copying
        )
        select outlet, sum(out_words + in_words) as words, sum(out_words) as out_words,
            sum(in_words) as in_words
        from ends group by outlet order by words desc, outlet
        """,
    )
    keep = max(caps.outlets - 1, 1) if len(ranked) > caps.outlets else caps.outlets
    nodes, rest = ranked[:keep], ranked[keep:]
    names = [n["outlet"] for n in nodes]
    if rest:
        nodes.append(
            {
                "outlet": f"{OTHERS} ({len(rest)})",
                "words": sum(n["words"] for n in rest),
                "out_words": sum(n["out_words"] for n in rest),
                "in_words": sum(n["in_words"] for n in rest),
                "members": len(rest),
            }
        )
    others = nodes[-1]["outlet"] if rest else None
    edges = _rows(
        con,
        """
        with named as (
            select
                case when list_contains($names, source_outlet) then source_outlet
                    else $others end as source,
                case when list_contains($names, target_outlet) then target_outlet
                    else $others end as target,
                n_docs, n_passages, shared_words, quote_words, prose_words
            from copying
        )
        select source, target, sum(n_docs)::bigint as n_docs,
            sum(n_passages)::bigint as n_passages, sum(shared_words)::bigint as shared_words,
            sum(quote_words)::bigint as quote_words, sum(prose_words)::bigint as prose_words
        from named
        where source is not null and target is not null and source <> target
        group by source, target
        order by shared_words desc, source, target
        limit $limit
        """,
        {"names": names, "others": others, "limit": caps.edges},
    )
    return {
        "nodes": nodes,
        "edges": edges,
        "total_outlets": len(ranked),
        "total_edges": _count(con, "select count(*) from copying"),
    }


def _clusters(con: duckdb.DuckDBPyConnection, caps: Caps) -> list[dict[str, Any]]:
    clusters = _rows(
        con,
        """
        select cluster_id, n_docs, n_outlets, n_occurrences, first_outlet, first_seen,
            first_seen_basis, kind, text
        from reuse_clusters
        order by n_docs desc, n_outlets desc, max_words desc, cluster_id
        limit ?
        """,
        [caps.clusters],
    )
    if not clusters:
        return []
    occurrences = _rows(
        con,
        """
        select
            p.cluster_id, p.doc_id, p.outlet, p.published_at, p.doc_seq, p.rank_in_cluster,
            p.is_quote, p.n_words, p.text,
            substr(a.clean_text, greatest(p.start_char - ?, 0) + 1,
                p.start_char - greatest(p.start_char - ?, 0)) as before,
            substr(a.clean_text, p.end_char + 1, ?) as after,
        from shared_passages as p
        inner join articles as a on a.doc_id = p.doc_id
        where list_contains(?, p.cluster_id) and p.rank_in_cluster <= ?
        order by p.cluster_id, p.rank_in_cluster
        """,
        [
            _CONTEXT_CHARS,
            _CONTEXT_CHARS,
            _CONTEXT_CHARS,
            [c["cluster_id"] for c in clusters],
            max(caps.occurrences, caps.passages),
        ],
    )
    by_cluster: dict[str, list[dict]] = {}
    for row in occurrences:
        by_cluster.setdefault(row["cluster_id"], []).append(row)
    for c in clusters:
        occ = by_cluster.get(c["cluster_id"], [])
        c["text"] = _cut(c["text"], caps.words)
        c["occurrences"] = [
            {k: o[k] for k in ("doc_id", "outlet", "published_at", "rank_in_cluster", "is_quote")}
            | {"n_words": o["n_words"]}
            for o in occ[: caps.occurrences]
        ]
        shown = occ[: caps.passages]
        c["passages"] = []
        for i, o in enumerate(shown):
            others = [x["text"] for j, x in enumerate(shown) if j != i]
            span = _cut(o["text"], caps.words)
            before = o["before"].split(" ", 1)[-1] if o["before"] else ""
            after = o["after"].rsplit(" ", 1)[0] if o["after"] else ""
            segs: list[list] = [["…" + before if before else "", 0]]
            segs += [[t, 2 if flag else 1] for t, flag in highlight(span, *others)]
            segs.append([after + "…" if after else "", 0])
            c["passages"].append(
                {
                    "outlet": o["outlet"],
                    "doc_id": o["doc_id"],
                    "published_at": o["published_at"],
                    "rank_in_cluster": o["rank_in_cluster"],
                    "is_quote": o["is_quote"],
                    "segments": [s for s in segs if s[0]],
                }
            )
    return clusters


def _pairs(con: duckdb.DuckDBPyConnection, caps: Caps) -> list[dict[str, Any]]:
    pairs = _rows(
        con,
        """
        select s.doc_a, s.doc_b, s.outlet_a, s.outlet_b, s.jaccard, s.containment,
            s.earlier_doc, s.earlier_basis, a.clean_text as text_a, b.clean_text as text_b,
            a.title as title_a, b.title as title_b
        from syndication as s
        inner join articles as a on a.doc_id = s.doc_a
        inner join articles as b on b.doc_id = s.doc_b
        order by s.jaccard desc, s.doc_a, s.doc_b
        limit ?
        """,
        [caps.pairs],
    )
    for p in pairs:
        text_a, text_b = _cut(p.pop("text_a"), caps.words), _cut(p.pop("text_b"), caps.words)
        p["segments_a"] = [[t, 2 if f else 1] for t, f in highlight(text_a, text_b)]
        p["segments_b"] = [[t, 2 if f else 1] for t, f in highlight(text_b, text_a)]
    return pairs


def _tables(con: duckdb.DuckDBPyConnection, caps: Caps) -> list[dict[str, Any]]:
    out = []
    for title, relation, columns, order in _TABLES:
        cur = con.execute(f"select {columns} from {relation} order by {order} limit ?", [caps.rows])
        cols = [d[0] for d in cur.description]
        rows = []
        for r in cur.fetchall():
            cells = []
            for v in r:
                # seconds are enough to read and still sort as text
                v = v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else _plain(v)
                if isinstance(v, list):
                    v = ", ".join(str(x) for x in v)
                if isinstance(v, str) and len(v) > _MAX_CELL:
                    v = v[: _MAX_CELL - 1] + "…"
                cells.append(v)
            rows.append(cells)
        total = _count(con, f"select count(*) from {relation}")
        out.append(
            {"title": title, "name": relation, "columns": cols, "rows": rows, "total": total}
        )
    return out


def build(con: duckdb.DuckDBPyConnection, caps: Caps | None = None) -> dict[str, Any]:
    """The page's data: headline figures, network, timelines, side-by-side texts, tables."""
    caps = caps or Caps()
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "caps": asdict(caps),
        "figures": [[name, value] for name, value in report.headline(con).items()],
        "network": _network(con, caps),
        "clusters": _clusters(con, caps),
        "pairs": _pairs(con, caps),
        "tables": _tables(con, caps),
    }


def render(data: dict[str, Any]) -> str:
    """The page: the template with the data inlined as JSON (safe inside a script tag)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # no "</script>" or "<!--" can end the data block early
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page, css, js = (_asset(name) for name in ("report.html", "report.css", "report.js"))
    return page.replace("/*STYLE*/", css).replace("/*SCRIPT*/", js).replace("/*DATA*/", payload)


@functools.cache
def _asset(name: str) -> str:
    """The page's template, style sheet and script: package data (pipeline/report_assets)."""
    return resources.files("pipeline.report_assets").joinpath(name).read_text(encoding="utf-8")


def write(con: duckdb.DuckDBPyConnection, path: Path, caps: Caps | None = None) -> int:
    """Write the report to path (atomically: a temporary file, then a rename); returns bytes."""
    path = Path(path)
    if not path.parent.is_dir():
        raise PipelineError(f"{path}: directory {path.parent} does not exist")
    html = render(build(con, caps)).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(html)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(html)
