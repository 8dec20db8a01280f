"""Group occurrences of the same reused text across documents into clusters.

Each stored span is an occurrence in two documents. Ranges of one document that mostly
cover each other are the same text; occurrences linked by a span or by being the same
text are one cluster (connected components). A short sentence inside a long shared
stretch is its own text, so clusters never chain through one long span, and a range may
sit in two clusters (the sentence's and the stretch's). A cluster's id derives from its
earliest occurrence, so ids stay put as new batches add members.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping

import duckdb
import pyarrow as pa

from pipeline import db
from pipeline.text import WORD_RE, quote_regions, quoted_share

QUOTE_SHARE = 0.5  # an occurrence at least this much inside quotation marks is a quote
SAME_TEXT = 0.5  # two ranges of one document overlapping this much of the longer: one text


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def merge_intervals(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of overlapping [start, end) ranges, sorted."""
    out: list[list[int]] = []
    for s, e in sorted(ranges):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def same_text_components(
    spans: list[tuple[int, int, int, int, int, int]],
) -> tuple[list[tuple[int, int, int]], _UnionFind]:
    """Nodes (doc, start, end), one per end of each span, and their components.

    A span links its two ends. Two ends in one document are the same text when each
    covers most of the other (SAME_TEXT of the longer): a sentence inside a long shared
    stretch is a text of its own, not a way into the long stretch's cluster.
    """
    ends: dict[tuple[int, int, int], int] = {}
    uf_pairs: list[tuple[int, int]] = []
    for da, db_, a0, a1, b0, b1 in spans:
        x = ends.setdefault((da, a0, a1), len(ends))
        y = ends.setdefault((db_, b0, b1), len(ends))
        uf_pairs.append((x, y))
    nodes = list(ends)
    uf = _UnionFind(len(nodes))
    for x, y in uf_pairs:
        uf.union(x, y)
    by_doc: dict[int, list[int]] = defaultdict(list)
    for x in sorted(range(len(nodes)), key=lambda x: nodes[x]):
        by_doc[nodes[x][0]].append(x)
    for xs in by_doc.values():
        for n, x in enumerate(xs):
            _, s, e = nodes[x]
            for y in xs[n + 1 :]:
                _, t, f = nodes[y]
                if t >= e:
                    break
                if min(e, f) - max(s, t) >= SAME_TEXT * max(e - s, f - t):
                    uf.union(x, y)
    return nodes, uf


def rebuild(
    con: duckdb.DuckDBPyConnection,
    touched: set[int] | None = None,
    known_texts: Mapping[int, str] | None = None,
) -> int:
    """Recompute occurrences and clusters from the stored spans; returns #clusters rebuilt.

    With ``touched`` (the documents of new spans) only the clusters those documents are
    in are rebuilt: work grows with the batch and the clusters it joins, not the store.
    A cluster is closed under its spans, so the result equals a full rebuild.
    ``known_texts`` holds clean texts the caller has already: only the others are read.
    """
    measured: dict[tuple[int, int, int], list] = {}  # (doc, start, end) -> stored measures
    if touched is None:
        rows = con.execute(
            "select doc_a, doc_b, a_start, a_end, b_start, b_end from alignments"
            " where lane = 'exact'"
        ).fetchall()
        con.execute("delete from occurrences")
    else:
        if not touched:
            return 0
        t = {"t": sorted(touched)}
        # the clusters in the touched documents; their spans are those of the touched
        # documents and those inside their occurrences (the same text: reworded stretches
        # are not clustered)
        con.execute(
            """
            create or replace temp table _hit as
            select distinct cluster_id from occurrences where doc_seq in (select unnest($t))
            """,
            t,
        )
        rows = con.execute(
            """
            with occ as (
                select o.doc_seq, o.start_char, o.end_char
                from occurrences as o semi join _hit as h on h.cluster_id = o.cluster_id
            )
            select a.doc_a, a.doc_b, a.a_start, a.a_end, a.b_start, a.b_end
            from alignments as a
            where a.lane = 'exact' and (
                a.doc_a in (select unnest($t)) or a.doc_b in (select unnest($t))
                or exists (
                    select 1 from occ
                    where occ.doc_seq = a.doc_a
                        and occ.start_char <= a.a_start and a.a_end <= occ.end_char
                )
            )
            """,
            t,
        ).fetchall()
        # what each stored occurrence measured: a range still there is not measured again
        # (a text's quote regions and words cost more than the rest of the rebuild)
        measured = {
            (doc, s, e): rest
            for doc, s, e, *rest in con.execute(
                """
                select o.doc_seq, o.start_char, o.end_char, o.n_words, o.quote_share, o.is_quote
                from occurrences as o semi join _hit as h on h.cluster_id = o.cluster_id
                """
            ).fetchall()
        }
        con.execute("delete from occurrences where cluster_id in (select cluster_id from _hit)")
        con.execute("drop table _hit")
    nodes, uf = same_text_components(rows)
    # a cluster's occurrence in a document: the union of its ranges there
    groups: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for x, (doc, s, e) in enumerate(nodes):
        groups[uf.find(x)][doc].append((s, e))
    if touched is not None:
        # a cluster is rebuilt where it meets a touched document; the other components
        # are parts of clusters elsewhere (a sentence inside a rebuilt stretch), kept as stored
        groups = {
            root: per_doc for root, per_doc in groups.items() if any(d in touched for d in per_doc)
        }
    occurrences = [
        sorted((d, s, e) for d, r in per_doc.items() for s, e in merge_intervals(r))
        for per_doc in groups.values()
    ]
    doc_set = {occ[0] for occs in occurrences for occ in occs if occ not in measured}
    known = known_texts or {}
    texts = {d: known[d] for d in doc_set if d in known}
    missing = [d for d in doc_set if d not in known]
    if missing:
        texts.update(
            con.execute(
                """
                select d.doc_seq, c.clean_text
                from documents as d inner join cleaned as c on c.doc_id = d.doc_id
                where d.doc_seq in (select unnest(?))
                """,
                [missing],
            ).fetchall()
        )
    out: dict[str, list] = {
        k: []
        for k in (
            "doc_seq",
            "start_char",
            "end_char",
            "n_words",
            "quote_share",
            "is_quote",
            "cluster_id",
        )
    }
    regions_cache: dict[int, list[tuple[int, int]]] = {}
    for occs in occurrences:
        # the id derives from the earliest occurrence: it stays put as members are added
        cid = hashlib.sha256("{}:{}:{}".format(*occs[0]).encode()).hexdigest()[:12]
        for doc, s, e in occs:
            if (doc, s, e) in measured:
                n_words, share, is_quote = measured[doc, s, e]
            else:
                text = texts[doc]
                if doc not in regions_cache:
                    regions_cache[doc] = quote_regions(text)
                exact = quoted_share(regions_cache[doc], s, e)
                n_words = len(WORD_RE.findall(text, s, e))
                share, is_quote = round(exact, 4), exact >= QUOTE_SHARE
            out["doc_seq"].append(doc)
            out["start_char"].append(s)
            out["end_char"].append(e)
            out["n_words"].append(n_words)
            out["quote_share"].append(share)
            out["is_quote"].append(is_quote)
            out["cluster_id"].append(cid)
    table = pa.table(
        {
            "doc_seq": pa.array(out["doc_seq"], pa.int64()),
            "start_char": pa.array(out["start_char"], pa.int32()),
            "end_char": pa.array(out["end_char"], pa.int32()),
            "n_words": pa.array(out["n_words"], pa.int32()),
            "quote_share": pa.array(out["quote_share"], pa.float64()),
            "is_quote": pa.array(out["is_quote"], pa.bool_()),
            "cluster_id": pa.array(out["cluster_id"], pa.string()),
        }
    )
    db.insert_arrow(con, "occurrences", table)
    return len(groups)
