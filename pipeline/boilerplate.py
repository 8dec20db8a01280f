"""Learned outlet boilerplate: lines that recur across one outlet's documents and no other's.

Every document's rule-kept lines are recorded in `outlet_lines` as hashes. A line is learned
(`learned_boilerplate`) when at least `learn_min_docs` documents of one outlet carry it and no
document of another outlet does; text shared across outlets is the product's signal and is
never learned. Learning is incremental: each cleaned batch only re-examines the hashes it
touched, and reports which hashes changed state so the cleaner can re-clean the documents
that carry them (a newly learned line must go from older documents too, an unlearned line
must come back).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from pipeline import db

_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
PLACEHOLDER_PREFIX = "unknown:"  # per-file placeholder outlets: nothing is learned for them


def line_words(line: str) -> list[str]:
    """The casefolded words a line's key is made of."""
    return _WORD_RE.findall(line.casefold())


def line_key(line: str) -> str | None:
    """Stable hash of a line's casefolded words; None for a line without words."""
    return key_of_words(line_words(line))


def key_of_words(words: list[str]) -> str | None:
    """line_key from the line's words already split (`line_words`)."""
    if not words:
        return None
    return hashlib.blake2b(" ".join(words).encode(), digest_size=8).hexdigest()


def record_lines(
    con: duckdb.DuckDBPyConnection, rows: Iterable[tuple[str, str, Sequence[str]]]
) -> None:
    """Store (doc_id, outlet, line keys) for a batch; idempotent.

    A document's keys are distinct (clean.py keeps them as an ordered set) and each document
    counts once here, so only rows stored by an earlier run need skipping (the anti join).
    """
    by_doc = {doc_id: (outlet, keys) for doc_id, outlet, keys in rows}
    counts = [len(keys) for _, keys in by_doc.values()]
    if not sum(counts):
        return
    batch = pa.table(
        {
            "line_hash": [k for _, keys in by_doc.values() for k in keys],
            "outlet": np.repeat(np.array([o for o, _ in by_doc.values()], dtype=object), counts),
            "doc_id": np.repeat(np.array(list(by_doc), dtype=object), counts),
        }
    )
    con.register("_outlet_lines_batch", batch)
    try:
        con.execute(
            """
            insert into outlet_lines
            select b.* from _outlet_lines_batch as b
            anti join outlet_lines as o on o.line_hash = b.line_hash and o.doc_id = b.doc_id
            """
        )
    finally:
        con.unregister("_outlet_lines_batch")


def relearn(
    con: duckdb.DuckDBPyConnection,
    hashes: set[str],
    text_of: Callable[[set[str]], dict[str, str]],
    min_docs: int,
) -> set[str]:
    """Re-decide these line hashes; return those that changed state.

    text_of gives the line text of hashes about to be learned (stored for people to read).
    """
    if not hashes:
        return set()
    keys = list(hashes)
    # only lines in min_docs documents can be learned: the rest (nearly all) stay out
    stats = con.execute(
        """
        select line_hash, count(distinct outlet), count(distinct doc_id), any_value(outlet)
        from outlet_lines
        where line_hash in (select unnest($keys))
        group by line_hash
        having count(distinct doc_id) >= $min_docs
        """,
        {"keys": keys, "min_docs": min_docs},
    ).fetchall()
    before = {
        h: outlet
        for h, outlet in con.execute(
            "select line_hash, outlet from learned_boilerplate where line_hash in (select unnest(?))",
            [keys],
        ).fetchall()
    }
    learn: list[tuple[str, str, str, int]] = []
    for h, n_outlets, n_docs, outlet in stats:
        if n_outlets == 1 and n_docs >= min_docs and not outlet.startswith(PLACEHOLDER_PREFIX):
            learn.append((h, outlet, "", n_docs))
    now = {h for h, *_ in learn}
    added = now - set(before)
    dropped = set(before) - now
    if dropped:
        con.execute(
            "delete from learned_boilerplate where line_hash in (select unnest(?))",
            [sorted(dropped)],
        )
    if added:
        texts = text_of(added)
        rows = [(h, o, texts.get(h, ""), n) for h, o, _, n in learn if h in added]
        db.insert_arrow(
            con,
            "learned_boilerplate",
            pa.table(
                {
                    "line_hash": [r[0] for r in rows],
                    "outlet": [r[1] for r in rows],
                    "text": [r[2] for r in rows],
                    "n_docs": pa.array([r[3] for r in rows], pa.int32()),
                }
            ),
            select="line_hash, outlet, text, n_docs, current_timestamp",
        )
    kept = [(h, n) for h, _, _, n in learn if h not in added]
    if kept:  # n_docs is informational; keep it current in one statement
        con.execute(
            """
            update learned_boilerplate set n_docs = u.n
            from (select unnest(?) as h, unnest(?) as n) as u
            where line_hash = u.h
            """,
            [[h for h, _ in kept], [n for _, n in kept]],
        )
    return added | dropped


def learned_for(
    con: duckdb.DuckDBPyConnection, outlets: Iterable[str]
) -> dict[str, frozenset[str]]:
    """Learned line hashes of each outlet."""
    wanted = sorted(set(outlets))
    out: dict[str, set[str]] = {o: set() for o in wanted}
    for outlet, h in con.execute(
        "select outlet, line_hash from learned_boilerplate where outlet in (select unnest(?))",
        [wanted],
    ).fetchall():
        out[outlet].add(h)
    return {o: frozenset(s) for o, s in out.items()}


def docs_with(con: duckdb.DuckDBPyConnection, hashes: Iterable[str]) -> list[str]:
    """Documents that carry any of these line hashes."""
    keys = sorted(set(hashes))
    if not keys:
        return []
    rows = con.execute(
        "select distinct doc_id from outlet_lines where line_hash in (select unnest(?)) order by 1",
        [keys],
    ).fetchall()
    return [r[0] for r in rows]
