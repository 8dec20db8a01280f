"""Group occurrences of the same reused text across documents into clusters.

Each stored span is an occurrence in two documents. Overlapping occurrences within one
document are one occurrence (the union of their ranges); occurrences linked by a span
are one cluster (connected components). A cluster's id derives from its earliest member,
so ids stay put as new batches add members.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping

import duckdb
import numpy as np
import pyarrow as pa

from pipeline import db
from pipeline.text import WORD_RE, quote_regions, quoted_share

QUOTE_SHARE = 0.5  # an occurrence at least this much inside quotation marks is a quote


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


def affected_docs(con: duckdb.DuckDBPyConnection, touched: set[int]) -> set[int]:
    """touched docs plus every doc sharing a cluster with them, to a fixed point."""
    docs = set(touched)
    while True:
        rows = con.execute(
            """
            with hit as (
                select distinct cluster_id from occurrences where doc_seq in (select unnest($d))
            )
            select distinct o.doc_seq from occurrences as o semi join hit as h
                on h.cluster_id = o.cluster_id
            """,
            {"d": sorted(docs)},
        ).fetchall()
        more = {r[0] for r in rows} - docs
        if not more:
            return docs
        docs |= more


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
    if touched is None:
        rows = con.execute(
            "select doc_a, doc_b, a_start, a_end, b_start, b_end from alignments"
        ).fetchall()
        con.execute("delete from occurrences")
    else:
        if not touched:
            return 0
        docs = sorted(affected_docs(con, touched))
        rows = con.execute(
            """
            select doc_a, doc_b, a_start, a_end, b_start, b_end from alignments
            where doc_a in (select unnest($d)) or doc_b in (select unnest($d))
            """,
            {"d": docs},
        ).fetchall()
        con.execute("delete from occurrences where doc_seq in (select unnest($d))", {"d": docs})
    per_doc: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for da, dbb, a0, a1, b0, b1 in rows:
        per_doc[da].append((a0, a1))
        per_doc[dbb].append((b0, b1))
    occ_index: dict[int, list[tuple[int, int]]] = {
        d: merge_intervals(r) for d, r in per_doc.items()
    }
    nodes: list[tuple[int, int, int]] = [
        (d, s, e) for d in sorted(occ_index) for s, e in occ_index[d]
    ]
    # each span end's occurrence: the last one of its document starting at or before it,
    # found for all spans at once on (doc_seq, start) keys (nodes are sorted by them)
    node_keys = np.array([(d << 32) | s for d, s, _ in nodes], dtype=np.int64)
    spans = np.array(rows, dtype=np.int64).reshape(-1, 6)
    ends_a = np.searchsorted(node_keys, (spans[:, 0] << 32) | spans[:, 2], side="right") - 1
    ends_b = np.searchsorted(node_keys, (spans[:, 1] << 32) | spans[:, 4], side="right") - 1
    uf = _UnionFind(len(nodes))
    for x, y in zip(ends_a.tolist(), ends_b.tolist(), strict=True):
        uf.union(x, y)

    known = known_texts or {}
    texts = {d: known[d] for d in occ_index if d in known}
    missing = [d for d in occ_index if d not in known]
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
    cluster_of: dict[int, str] = {}
    out = {
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
    for i, (doc, s, e) in enumerate(nodes):
        root = uf.find(i)  # the smallest node id: earliest document, then earliest offset
        if root not in cluster_of:
            rd, rs, _ = nodes[root]
            cluster_of[root] = hashlib.sha256(f"{rd}:{rs}".encode()).hexdigest()[:12]
        text = texts[doc]
        if doc not in regions_cache:
            regions_cache[doc] = quote_regions(text)
        share = quoted_share(regions_cache[doc], s, e)
        out["doc_seq"].append(doc)
        out["start_char"].append(s)
        out["end_char"].append(e)
        out["n_words"].append(len(WORD_RE.findall(text, s, e)))
        out["quote_share"].append(round(share, 4))
        out["is_quote"].append(share >= QUOTE_SHARE)
        out["cluster_id"].append(cluster_of[root])
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
    return len(cluster_of)
