"""Detect stage: passages and documents to MinHash bands, band-join candidates, verify, align.

For each batch of newly cleaned documents:
1. split into passages, hash word shingles, compute datasketch-compatible signatures for
   passages and documents (a document's signature is the minimum over its passages');
2. store the LSH band keys; candidates come from a join of the batch's keys against every
   stored key on (band_id, band_hash), each new item linked to at most ``max_partners``
   earliest members of a bucket, so a hot bucket costs linear, not quadratic, work;
3. verify passage candidates on their real shingle and stem overlap, inside that join (on
   the sets stored with each passage), and document candidates on exact Jaccard and
   containment; only the documents of verified pairs are read again;
4. align every verified document pair into maximal shared spans with character offsets.
Then clusters of reused text are rebuilt from the stored spans (pipeline.cluster).
"""

from __future__ import annotations

import collections
import ctypes
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import cluster, db, progress
from pipeline.align import align
from pipeline.config import Config, DetectConfig
from pipeline.errors import PipelineError
from pipeline.executor import Executor, Sized
from pipeline.paraphrase import SentenceView
from pipeline.records import PairEvidence, PairRow, PassageEdge, Span, SpanRow, StageResult
from pipeline.sketch import (
    TokenHasher,
    band_hashes,
    distinct,
    jaccard_containment,
    shingles,
    signatures,
)
from pipeline.text import (
    Tokens,
    passages_and_words,
    passages_of,
    quote_regions,
    quoted_share,
    tokenize,
    words_only,
)

log = logging.getLogger(__name__)

WORD_BAND = 100  # band_id of the word lane's first band in passage_bands
DUPLICATE_JACCARD = 0.8  # shingle Jaccard of near-identical articles
DUPLICATE_COVER = 0.9  # or the share of each that aligned spans cover
REPUBLISHED_SHARE = 0.75  # the share of one article inside the other: it carries it


@dataclass(slots=True)
class DocSketch:
    """Everything the detect stage derives from one clean text."""

    doc_seq: int
    text: str
    passages: list[tuple[int, int, int]]
    passage_shingles: list[np.ndarray]
    word_shingles: np.ndarray  # the shingle at each word position, in text order
    # the sketch's words' hashes and content-stem hashes, and each passage's word count
    word_hashes: np.ndarray
    stem_hashes: np.ndarray
    counts: list[int]
    hasher: TokenHasher
    _tokens: Tokens | None = None
    _tokens_hashed: bool = False  # the words hashed are those of _tokens
    _shingle_set: np.ndarray | None = None
    _passage_words: list[np.ndarray] | None = None
    _view: SentenceView | None = None

    @property
    def sentence_view(self) -> SentenceView:
        """The text as the sentence lane sees it (made on first use, kept: a document is
        aligned with many others)."""
        if self._view is None:
            self._view = SentenceView.of(self.tokens, self.token_hashes[1])
        return self._view

    @property
    def token_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """The hashes and stem hashes of the words of `tokens` (the sketch's own when the
        sketch was made from them)."""
        if self._tokens_hashed:
            return self.word_hashes, self.stem_hashes
        return self.hasher.both(self.tokens.words)

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            self._tokens = tokenize(self.text)
        return self._tokens

    @property
    def passage_words(self) -> list[np.ndarray]:
        """Each passage's distinct content-word stem hashes (the word lane's sets; made on
        first use: alignment never needs them)."""
        if self._passage_words is None:
            self._passage_words = passage_stem_sets(self.stem_hashes, self.counts)
        return self._passage_words

    @property
    def shingle_set(self) -> np.ndarray:
        """Sorted distinct shingles (only verification needs them: made on first use)."""
        if self._shingle_set is None:
            self._shingle_set = distinct(self.word_shingles)
        return self._shingle_set


def passage_stem_sets(stem_hashes: np.ndarray, counts: list[int]) -> list[np.ndarray]:
    """The distinct non-zero stem hashes of each run of counts[i] words, in one sort."""
    owner = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    keep = stem_hashes != 0
    keys = distinct((owner[keep] << np.uint64(32)) | stem_hashes[keep].astype(np.uint64))
    bounds = np.searchsorted(keys >> np.uint64(32), np.arange(len(counts) + 1, dtype=np.uint64))
    values = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return [values[bounds[i] : bounds[i + 1]] for i in range(len(counts))]


def sketch_document(
    doc_seq: int,
    text: str,
    cfg: DetectConfig,
    hasher: TokenHasher,
    tokens: Tokens | None = None,
    counts: Sequence[int] | None = None,
) -> DocSketch:
    """Pure: passages and shingle hashes of one clean text (of its tokens, when given).

    Words are hashed once per document; a passage's shingles are the slice of the
    document's shingles that lies inside it (the same values as hashing it alone).
    ``counts``: the words of each passage as stored when the text was sketched before
    (alignment re-sketches documents: finding the passages again is half of the cost).
    """
    k = cfg.shingle_size
    if tokens is None:
        passages, words = passages_and_words(text, cfg.min_passage_words, cfg.max_passage_words)
    elif counts is not None and sum(counts) == len(tokens) and all(n > 0 for n in counts):
        ends = np.cumsum(counts)
        firsts = (ends - np.asarray(counts)).tolist()
        passages = [
            (int(tokens.starts[w0]), int(tokens.ends[w1 - 1]), n)
            for w0, w1, n in zip(firsts, ends.tolist(), counts, strict=True)
        ]
    else:
        passages = passages_of(tokens, cfg.min_passage_words, cfg.max_passage_words)
    if tokens is not None:
        words = tokens.words
    token_hashes, stem_hashes = hasher.both(words)
    hashed = tokens is not None
    doc_shingles = shingles(token_hashes, k)
    counts = [n for _, _, n in passages]
    if sum(counts) == len(words):
        passage_shingles = []
        w0 = 0
        for n in counts:
            w1 = w0 + n
            if n >= k:
                passage_shingles.append(doc_shingles[w0 : w1 - k + 1])
            else:
                passage_shingles.append(shingles(token_hashes[w0:w1], k))
            w0 = w1
    else:  # casefolding changed a word boundary: hash passage by passage
        passage_shingles = [shingles(hasher(words_only(text[a:b])), k) for a, b, _ in passages]
        counts = [len(words_only(text[a:b])) for a, b, _ in passages]
        words = [w for a, b, _ in passages for w in words_only(text[a:b])]
        token_hashes, stem_hashes = hasher.both(words)
        hashed = False
    return DocSketch(
        doc_seq,
        text,
        passages,
        passage_shingles,
        doc_shingles,
        token_hashes,
        stem_hashes,
        counts,
        hasher,
        _tokens=tokens,
        _tokens_hashed=hashed,
    )


_WORKER_HASHER: TokenHasher | None = None


def _worker_hasher() -> TokenHasher:
    global _WORKER_HASHER
    if _WORKER_HASHER is None:
        _WORKER_HASHER = TokenHasher()
    return _WORKER_HASHER


def _sketch_chunk(items: list[tuple[int, str]], cfg: DetectConfig, pid: str) -> dict[str, pa.Table]:
    """Worker: the table rows (passages, bands, signatures) of some clean texts."""
    hasher = _worker_hasher()
    # the passages from the tokens' offsets: a pass of the word pattern per sentence costs
    # twice the tokenizer's array operations
    sketches = [sketch_document(seq, text, cfg, hasher, tokenize(text)) for seq, text in items]
    return sketch_tables(sketches, cfg, pid)


@dataclass(frozen=True, slots=True)
class _AlignJob:
    """Candidates of some new documents, with the texts of every document they involve."""

    pairs: list[tuple[int, int, str]]  # verified (earlier, new, evidence joined by '+')
    texts: dict[int, tuple[str, str]]  # doc_seq -> (outlet, clean text)
    counts: dict[int, list[int]]  # doc_seq -> its stored passages' word counts


def _align_job(job: _AlignJob, cfg: DetectConfig) -> tuple[list[PairRow], list[SpanRow]]:
    """Worker (or in-process): sketch the documents, align the verified pairs."""
    hasher = _worker_hasher()
    sketches = {
        seq: _align_sketch(seq, t, cfg, hasher, job.counts.get(seq))
        for seq, (_, t) in job.texts.items()
    }
    outlets = {seq: outlet for seq, (outlet, _) in job.texts.items()}
    return _align_pairs(job.pairs, sketches, outlets, hasher, cfg)


def _align_sketch(
    doc_seq: int, text: str, cfg: DetectConfig, hasher: TokenHasher, counts: list[int] | None
) -> DocSketch:
    """What alignment needs of a document: its tokens, their hashes and shingles. When the
    stored passages' word counts cover its words one by one (always, unless casefolding
    changed a word boundary), these are the sketch's own and its passages are not made
    again (a fifth of re-sketching); else the whole sketch."""
    tokens = tokenize(text)
    if counts is None or sum(counts) != len(tokens) or not all(n > 0 for n in counts):
        return sketch_document(doc_seq, text, cfg, hasher, tokens, counts)
    word_hashes, stem_hashes = hasher.both(tokens.words)
    doc_shingles = shingles(word_hashes, cfg.shingle_size)
    return DocSketch(
        doc_seq,
        text,
        [],  # (alignment reads no passage)
        [],
        doc_shingles,
        word_hashes,
        stem_hashes,
        counts,
        hasher,
        _tokens=tokens,
        _tokens_hashed=True,
    )


def _split(items: list, parts: int) -> list[list]:
    size = -(-len(items) // max(parts, 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _datasketch_version() -> str:
    # the installed version, without importing the package (it loads scipy)
    return importlib.metadata.version("datasketch")


# fields of DetectConfig that change how fast detection runs, never what it stores
_OPERATIONAL = frozenset({"batch_docs", "join_docs", "workers", "pool_min_docs"})


def params(cfg: DetectConfig) -> dict[str, object]:
    """Every parameter the stored sketches, pairs and spans depend on."""
    out: dict[str, object] = {
        f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name not in _OPERATIONAL
    }
    out["datasketch_version"] = _datasketch_version()
    # how the rows are laid out (passages carry their shingle and stem sets)
    out["layout"] = "shingles+stems"
    return out


def param_id(cfg: DetectConfig) -> str:
    key = json.dumps(params(cfg), sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def ensure_params(con: duckdb.DuckDBPyConnection, cfg: DetectConfig) -> str:
    """Record the parameters of this run; refuse to add to rows stored with others.

    Every stored signature names its parameters (a run killed after its bands were stored
    leaves signatures, not `detected` rows), and pairs and spans exist only beside the
    signatures of both their documents: checking the signatures covers everything stored.
    """
    pid = param_id(cfg)
    other = con.execute(
        "select param_id from doc_signatures where param_id <> ? limit 1", [pid]
    ).fetchall()
    if other:
        raise PipelineError(
            f"the stored detection was made with other parameters ({other[0][0]}, now {pid}); "
            "run 'newsdedup detect --redo' to recompute it with these"
        )
    stored = {r[0] for r in con.execute("select param_id from detect_params").fetchall()}
    if pid not in stored:
        con.execute(
            """
            insert into detect_params (param_id, num_perm, seed, scheme, shingle_size,
                passage_bands, passage_rows, doc_bands, doc_rows, datasketch_version, params)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                pid,
                cfg.num_perm,
                cfg.seed,
                cfg.scheme,
                cfg.shingle_size,
                cfg.passage_bands,
                cfg.passage_rows,
                cfg.doc_bands,
                cfg.doc_rows,
                _datasketch_version(),
                json.dumps(params(cfg), sort_keys=True),
            ],
        )
    return pid


# The tables detection owns: rows of one document, and rows of a pair (doc_a < doc_b).
DOC_TABLES = ("passages", "passage_bands", "doc_bands", "doc_signatures", "detected", "occurrences")
PAIR_TABLES = ("doc_pairs", "alignments")


def stale(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Documents with detection rows whose clean text changed (or went) since they were
    sketched."""
    rows = con.execute(
        """
        select s.doc_seq
        from doc_signatures as s
        left join documents as d on d.doc_seq = s.doc_seq
        left join cleaned as c on c.doc_id = d.doc_id
        where c.doc_id is null or c.cleaned_at > s.sketched_at
        union
        select doc_seq from detected where doc_seq not in (select doc_seq from doc_signatures)
        order by 1
        """
    ).fetchall()
    return [r[0] for r in rows]


def forget(con: duckdb.DuckDBPyConnection, seqs: Sequence[int]) -> int:
    """Drop detection's rows of these documents, in the caller's transaction, so detection
    redoes them; returns the clusters rebuilt.

    Later documents paired with them are detected again too (a document is only compared
    with earlier ones, so their pairs come back only that way), and only the clusters of
    documents whose spans were dropped are rebuilt.
    """
    if not seqs:
        return 0
    s = {"s": list(seqs)}
    later = [
        r[0]
        for r in con.execute(
            """
            -- every aligned pair has its doc_pairs row
            select distinct doc_b from doc_pairs
            where doc_a in (select unnest($s)) and doc_b not in (select unnest($s))
            """,
            s,
        ).fetchall()
    ]
    redo = {"s": [*seqs, *later]}
    touched = {
        d
        for row in con.execute(
            """
            select doc_a, doc_b from alignments
            where doc_a in (select unnest($s)) or doc_b in (select unnest($s))
            """,
            redo,
        ).fetchall()
        for d in row
    } - set(seqs)
    con.execute("delete from detected where doc_seq in (select unnest($s))", redo)
    # a bucket that loses a document is counted again from its stored rows
    con.execute(
        f"""
        delete from common_word_buckets where band_hash in (
            select band_hash from passage_bands
            where doc_seq in (select unnest($s)) and band_id >= {WORD_BAND}
        )
        """,
        s,
    )
    for table in PAIR_TABLES:
        con.execute(
            f"delete from {table} where doc_a in (select unnest($s)) or doc_b in (select unnest($s))",
            {"s": list(seqs)},
        )
        con.execute(f"delete from {table} where doc_b in (select unnest($s))", {"s": later})
    for table in DOC_TABLES:
        con.execute(f"delete from {table} where doc_seq in (select unnest($s))", s)
    return cluster.rebuild(con, touched) if touched else 0


def reset(con: duckdb.DuckDBPyConnection) -> int:
    """Forget all detection (for `detect --redo`); returns the documents it had covered."""
    n = con.execute("select count(*) from doc_signatures").fetchall()[0][0]
    for table in (*DOC_TABLES, *PAIR_TABLES, "common_word_buckets"):
        con.execute(f"delete from {table}")
    return n


def run(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    run_id: str | None = None,
    redo: bool = False,
    executor: Executor | None = None,
) -> StageResult:
    """Find reuse for every cleaned document not yet processed, against everything stored.

    Three steps for each group of up to `join_docs` pending documents: (1) their passages,
    bands and signatures are stored, a transaction per batch; (2) one band join finds
    their candidates (each join probes every stored key, so fewer joins cost less; a
    document's candidates are the same whichever join finds them); (3) batch by batch,
    candidates are verified and aligned on the pool while the previous batch's pairs,
    spans and clusters are stored, and the batch is marked detected.
    """
    dcfg = cfg.detect
    result = StageResult("detect")
    if redo:
        with db.transaction(con):
            result.add("reset", reset(con))
    pid = ensure_params(con, dcfg)
    changed = stale(con)
    if changed:
        with result.timed("forget"), db.transaction(con):
            forget(con, changed)
        result.add("redetected", len(changed))
        log.info("%d documents' clean text changed: their detection is redone", len(changed))
    pending = con.sql(
        """
        select d.doc_seq
        from documents as d
        inner join cleaned as c on c.doc_id = d.doc_id
        where d.doc_seq not in (select doc_seq from detected)
        order by d.doc_seq
        """
    ).fetchall()
    seqs = [r[0] for r in pending]
    pool = Sized(executor, dcfg.workers, dcfg.pool_min_docs)
    try:
        # group by group: a group's rows in word-lane buckets that earlier groups made
        # common are never stored, so its band join does not rank those buckets again
        for g in range(0, len(seqs), dcfg.join_docs):
            group = seqs[g : g + dcfg.join_docs]
            _store_sketches(con, group, dcfg, pid, pool, result)
            _detect_group(con, group, dcfg, pool, result, run_id)
    finally:
        pool.close()
    return result


def _store_sketches(
    con: duckdb.DuckDBPyConnection,
    seqs: list[int],
    cfg: DetectConfig,
    pid: str,
    pool: Sized,
    result: StageResult,
) -> None:
    """Store the table rows of the documents in seqs that have none (a killed
    run may have stored some); the next batches are sketched while this one is stored."""
    with result.timed("read"):
        stored = _sketched(con, seqs)
    todo = [s for s in seqs if s not in stored]
    batches = [todo[i : i + cfg.batch_docs] for i in range(0, len(todo), cfg.batch_docs)]

    def start(batch: list[int]) -> Callable[[], list[dict[str, pa.Table]]]:
        with result.timed("read"):
            texts = _texts(con, batch)
        items = [(s, texts[s][1]) for s in batch]
        if not pool.pays(len(items)):
            return lambda: [_sketch_chunk(items, cfg, pid)]
        return pool.executor.map(_sketch_chunk, _split(items, pool.workers * 4), cfg, pid)

    # one batch queued on the pool ahead of the one being stored: the workers seldom wait
    # for the parent's inserts, and the rows held at once stay two batches' worth
    common = bool(con.execute("select count(*) from common_word_buckets").fetchall()[0][0])
    queued = collections.deque(start(b) for b in batches[:AHEAD])
    meter = progress.meter("detect: sketch", len(todo))
    for i in range(len(batches)):
        wait = queued.popleft()
        if i + AHEAD < len(batches):
            queued.append(start(batches[i + AHEAD]))
        with result.timed("sketch"):
            parts = wait()
        with result.timed("store_bands"), db.transaction(con):
            for table in list(parts[0]):
                # a row in a word-lane bucket already common would rank past
                # word_max_bucket and never link: it is not stored
                skip = table == "passage_bands" and common
                # one insert of the parts' chunks (no copy): the anti join builds its table
                # of common buckets once per batch, not once per part
                whole = pa.concat_tables([part.pop(table) for part in parts])
                db.insert_arrow(con, table, whole, join=_NOT_COMMON if skip else "")
                del whole
        meter.advance(len(batches[i]))
    meter.close()
    if len(batches) > 1:
        # the band join then reads compressed, checkpointed row groups, not the WAL's
        with result.timed("checkpoint"):
            con.execute("checkpoint")


AHEAD = 1  # sketched batches queued on the pool while one is stored

_NOT_COMMON = f"""
    as b anti join common_word_buckets as c
        on c.band_hash = b.band_hash and b.doc_seq > c.head_until and b.band_id >= {WORD_BAND}
"""


def _detect_group(
    con: duckdb.DuckDBPyConnection,
    group: list[int],
    cfg: DetectConfig,
    pool: Sized,
    result: StageResult,
    run_id: str | None,
) -> None:
    """Candidates of the group's documents from one band join, then batch by batch: verify
    and align (the next batch on the pool while this one is stored), commit."""
    # the sketch phase's freed rows go back to the system before the join's own peak
    _release_freed_memory()
    with result.timed("band_join"):
        evidence, n_candidates = _passage_candidates(con, group, cfg)
        doc_edges = _doc_candidates(con, group, cfg)
    with result.timed("verify"):
        verified = verify(
            evidence, doc_edges, cfg, lambda p, col, share: _doc_shares(con, p, col, share)
        )
    del evidence
    by_new: dict[int, tuple[list, list]] = {}
    for doc_edge in doc_edges:
        by_new.setdefault(doc_edge[0], ([], []))[0].append(doc_edge)
    for (old, new), via in sorted(verified.items()):
        by_new.setdefault(new, ([], []))[1].append((old, new, "+".join(sorted(via))))
    batches = [group[i : i + cfg.batch_docs] for i in range(0, len(group), cfg.batch_docs)]
    with result.timed("read"):
        _stage_docs(con, sorted({d for pair in verified for d in pair}))
    # the documents of the batches in flight (this one and the next), read from the stage
    texts: dict[int, tuple[str, str]] = {}
    counts: dict[int, list[int]] = {}
    docs_of: list[set[int]] = []

    def job(pairs: list[tuple[int, int, str]]) -> _AlignJob:
        docs = {d for old, new, _ in pairs for d in (old, new)}
        return _AlignJob(
            pairs, {d: texts[d] for d in docs}, {d: counts[d] for d in docs if d in counts}
        )

    def start(batch: list[int]) -> Callable[[], list]:
        pairs = [p for n in batch if n in by_new for p in by_new[n][1]]
        docs_of.append({d for old, new, _ in pairs for d in (old, new)})
        with result.timed("read"):
            _read_staged(con, docs_of[-1] - texts.keys(), texts, counts)
        whole = job(pairs)
        if not pool.pays(len(whole.texts)):
            return lambda: [_align_job(whole, cfg)]
        # parts by earlier document: a batch's pairs reach back to documents all over the
        # store, and each part sketches the documents its pairs involve, so each earlier
        # document is sketched once per batch (the batch's own, once per part)
        olds = sorted({old for old, _, _ in whole.pairs})
        parts = [
            job([p for p in whole.pairs if part[0] <= p[0] <= part[-1]])
            for part in _split(olds, pool.workers)
        ]
        return pool.executor.map(_align_job, parts, cfg)

    upcoming = start(batches[0]) if batches else None
    meter = progress.meter("detect: align", len(group))
    for i, batch in enumerate(batches):
        wait, upcoming = upcoming, start(batches[i + 1]) if i + 1 < len(batches) else None
        assert wait is not None  # batch i was started before
        with result.timed("align"):
            parts = wait()
        pair_rows = sorted((r for rows, _ in parts for r in rows), key=lambda r: (r.doc_a, r.doc_b))
        span_rows = sorted((r for _, rows in parts for r in rows), key=lambda r: (r.doc_a, r.doc_b))
        d_edges = [e for n in batch if n in by_new for e in by_new[n][0]]
        p_candidates = {n: n_candidates[n] for n in batch if n in n_candidates}
        # the batch's clusters are rebuilt in the batch's own transaction: a run killed
        # after any commit leaves no spans without their clusters
        with result.timed("store"), db.transaction(con):
            _store_results(con, batch, pair_rows, span_rows, p_candidates, d_edges, run_id)
            touched = {d for a, b, *_ in span_rows for d in (a, b)}
            clean_texts = {d: texts[d][1] for d in touched}
            clusters = cluster.rebuild(con, touched, clean_texts) if touched else 0
        meter.advance(len(batch))
        result.add("documents", len(batch))
        result.add("passage_candidates", sum(p_candidates.values()))
        result.add("doc_candidates", len(d_edges))
        result.add("pairs", len(pair_rows))
        result.add("spans", len(span_rows))
        # as the views count them: syndication across outlets, duplicates within one
        same = [texts[r.doc_a][0] == texts[r.doc_b][0] for r in pair_rows]
        result.add(
            "syndication",
            sum(r.is_syndication and not s for r, s in zip(pair_rows, same, strict=True)),
        )
        result.add(
            "same_outlet_duplicates",
            sum(r.is_syndication and s for r, s in zip(pair_rows, same, strict=True)),
        )
        if touched:
            result.add("clusters", clusters)
        for d in docs_of[i] - (docs_of[i + 1] if i + 1 < len(docs_of) else set()):
            texts.pop(d)
            counts.pop(d, None)
    meter.close()
    con.execute("drop table if exists _align_docs")


def _release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc keeps freed memory for
    reuse: after a phase that built and dropped a batch's rows it still counts in the
    process's RSS, and the next phase's peak adds to it). Elsewhere nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


def _texts(con: duckdb.DuckDBPyConnection, seqs: Sequence[int]) -> dict[int, tuple[str, str]]:
    """doc_seq -> (outlet, clean_text)."""
    if not seqs:
        return {}
    # the range lets DuckDB skip row groups by their doc_seq bounds: batches are runs of
    # consecutive documents, and a scan of every clean text costs ~6x more
    rows = con.execute(
        """
        select d.doc_seq, d.outlet, c.clean_text
        from documents as d inner join cleaned as c on c.doc_id = d.doc_id
        where d.doc_seq between $lo and $hi and d.doc_seq in (select unnest($seqs))
        """,
        {"seqs": list(seqs), "lo": min(seqs), "hi": max(seqs)},
    ).fetchall()
    return {seq: (outlet, text) for seq, outlet, text in rows}


def _stage_docs(con: duckdb.DuckDBPyConnection, seqs: Sequence[int]) -> None:
    """The outlet, clean text and passage word counts of every document of a group's
    verified pairs, copied in one pass to a temporary table that the batches read theirs
    from: partners lie all over the store (a read per batch from the store would scan
    every clean text each time), and tens of thousands of texts then wait in DuckDB's
    memory, which spills to disk, not in Python's."""
    con.execute(
        """
        create or replace temp table _align_docs as
        select d.doc_seq, d.outlet, c.clean_text, p.counts
        from documents as d
        inner join cleaned as c on c.doc_id = d.doc_id
        left join (
            select doc_seq, list(n_words order by passage_no) as counts
            from passages
            where doc_seq between $lo and $hi and doc_seq in (select unnest($seqs))
            group by doc_seq
        ) as p on p.doc_seq = d.doc_seq
        where d.doc_seq between $lo and $hi and d.doc_seq in (select unnest($seqs))
        """,
        {"seqs": list(seqs), "lo": min(seqs, default=0), "hi": max(seqs, default=0)},
    )


def _read_staged(
    con: duckdb.DuckDBPyConnection,
    seqs: set[int],
    texts: dict[int, tuple[str, str]],
    counts: dict[int, list[int]],
) -> None:
    """Add these staged documents' (outlet, clean text) to texts and passage word counts
    to counts (see _stage_docs)."""
    if not seqs:
        return
    rows = con.execute(
        "select doc_seq, outlet, clean_text, counts from _align_docs"
        " where doc_seq in (select unnest($seqs))",
        {"seqs": list(seqs)},
    ).fetchall()
    for seq, outlet, text, n_words in rows:
        texts[seq] = (outlet, text)
        if n_words is not None:
            counts[seq] = n_words


def coverages(spans: Sequence[Span], n_words_a: int, n_words_b: int) -> tuple[float, float]:
    """Share of each article that its aligned spans with the other cover."""
    return (
        sum(s.a_words for s in spans) / max(n_words_a, 1),
        sum(s.b_words for s in spans) / max(n_words_b, 1),
    )


def coverage(spans: Sequence[Span], n_words_a: int, n_words_b: int) -> float:
    """Share of the more covered article that its aligned spans with the other cover."""
    return max(coverages(spans, n_words_a, n_words_b))


def relation(jaccard: float, containment: float, cover_a: float, cover_b: float) -> str:
    """How two syndicated articles relate (METER's wholly / partially derived):
    'duplicate' (near-identical), 'republished' (one carries the other, give or take a
    local intro or outro, edits or truncation) or 'partial' (a substantial shared part,
    as a story and its update)."""
    if jaccard >= DUPLICATE_JACCARD or min(cover_a, cover_b) >= DUPLICATE_COVER:
        return "duplicate"
    if containment >= REPUBLISHED_SHARE or max(cover_a, cover_b) >= REPUBLISHED_SHARE:
        return "republished"
    return "partial"


def is_syndication(jaccard: float, containment: float, cover: float, cfg: DetectConfig) -> bool:
    """The syndication rule: near-duplicate as wholes, or one inside the other."""
    return (
        jaccard >= cfg.syndication_jaccard
        or containment >= cfg.syndication_containment
        or cover >= cfg.syndication_coverage
    )


def pair_evidence(edges: Sequence[PassageEdge], cfg: DetectConfig) -> list[PairEvidence]:
    """Pure: the passage candidates counted pair by pair, as the band join counts them
    (`_passage_candidates`); pairs with nothing to count are left out."""
    counts: dict[tuple[int, int], list[int]] = {}
    for edge in edges:
        c = counts.setdefault((edge.doc_old, edge.doc_new), [0, 0, 0, 0])
        if edge.shared >= cfg.passage_min_shared:
            c[0] += 1
            continue
        if edge.shared:
            c[1] += 1
        if edge.word_shared:
            c[2] += 1
            c[3] = max(c[3], edge.word_shared)
    return [PairEvidence(*pair, *c) for pair, c in sorted(counts.items()) if any(c)]


def verify(
    evidence: Sequence[PairEvidence],
    doc_edges: Sequence[tuple[int, int]],
    cfg: DetectConfig,
    doc_shares: Callable[[list[tuple[int, int]], str, float], set[tuple[int, int]]],
) -> dict[tuple[int, int], set[str]]:
    """(earlier, new) document pairs the candidates link, each with its evidence ('passage',
    'words', 'doc'). The passage tests were made in the band join (PassageEdge.shared and
    word_shared, counted pair by pair). A pair whose only evidence is one small word-lane
    passage pair or one short shared run needs more: `doc_shares(pairs, column, share)`
    names the pairs whose documents share `share` of the shorter one's distinct stems
    ('stems') or shingles ('shingles')."""
    verified: dict[tuple[int, int], set[str]] = {}
    short_pairs: dict[tuple[int, int], int] = {}
    word_pairs: dict[tuple[int, int], tuple[int, int]] = {}  # (pairs, most stems shared)
    for ev in evidence:
        pair = (ev.doc_old, ev.doc_new)
        if ev.long:
            verified.setdefault(pair, set()).add("passage")
        # a short shared run ("said in a statement on") links two documents only
        # beside more evidence: reworded copies share many, unrelated news one
        if ev.short:
            short_pairs[pair] = ev.short
        if ev.words:  # the word lane's sets: Jaccard of content-word stems
            word_pairs[pair] = (ev.words, ev.word_best)
    words = {pair for pair, (n, _) in word_pairs.items() if n >= cfg.word_min_pairs}
    strong = {
        p for p in words if word_pairs[p][0] >= 2 or word_pairs[p][1] >= cfg.word_single_shared
    }
    strong |= doc_shares(sorted(words - strong), "stems", cfg.word_single_share)
    for pair in strong:
        verified.setdefault(pair, set()).add("words")
    shorts = {pair for pair, n in short_pairs.items() if n >= 2 or pair in verified}
    shorts |= doc_shares(sorted(set(short_pairs) - shorts), "shingles", cfg.short_min_share)
    for pair in shorts:
        verified.setdefault(pair, set()).add("passage")
    for new, old in doc_edges:
        verified.setdefault((old, new), set()).add("doc")
    return verified


def _doc_shares(
    con: duckdb.DuckDBPyConnection, pairs: list[tuple[int, int]], column: str, share: float
) -> set[tuple[int, int]]:
    """The (earlier, new) pairs whose documents share `share` of the shorter one's distinct
    passage sets' members (column 'stems' or 'shingles' of the stored passages)."""
    if not pairs:
        return set()
    assert column in ("stems", "shingles")
    docs = sorted({d for p in pairs for d in p})
    sets: list[np.ndarray] = []
    for i in range(0, len(docs), _DOCS_AT_ONCE):
        sets += _members_of(con, docs[i : i + _DOCS_AT_ONCE], column)
    index = {doc: i for i, doc in enumerate(docs)}
    out = set()
    for a, b in pairs:
        x, y = sets[index[a]], sets[index[b]]
        if _n_common(x, y) >= share * max(min(len(x), len(y)), 1):
            out.add((a, b))
    return out


def _n_common(x: np.ndarray, y: np.ndarray) -> int:
    """Pure: how many members two sorted distinct arrays share: one merge of the two runs
    (np.intersect1d sorts them as if in no order: 1.4x slower)."""
    both = np.concatenate((x, y))
    both.sort(kind="stable")
    return int(np.count_nonzero(both[1:] == both[:-1]))


# documents whose passages are read at once by _doc_shares: at 100,000 articles a group's
# short pairs involve ~77,000 documents and 40 M shingles, and reading them in one query
# held the result, its combined copy and the sets at once (1.2 GB above the run's RSS)
_DOCS_AT_ONCE = 4096


def _members_of(con: duckdb.DuckDBPyConnection, docs: list[int], column: str) -> list[np.ndarray]:
    """Each of these (sorted) documents' distinct members of its passages' `column` sets."""
    # the passages' lists as they are stored (4 bytes a member, no row per member, no sort
    # in the database), then each document's members in numpy
    table = con.sql(
        f"""
        select doc_seq, {column} as items
        from passages
        where doc_seq between $lo and $hi and doc_seq in (select unnest($docs))
            and {column} is not null
        """,
        params={"docs": docs, "lo": docs[0], "hi": docs[-1]},
    ).to_arrow_table()
    lists = table.column("items").combine_chunks()
    return _distinct_members(
        np.searchsorted(docs, table.column("doc_seq").to_numpy()),
        pc.list_value_length(lists).to_numpy(zero_copy_only=False),
        pc.list_flatten(lists).to_numpy(),
        len(docs),
    )


_MEMBERS_AT_ONCE = 1 << 21  # members sorted at once by _distinct_members (16 MB of keys)


def _distinct_members(
    owners: np.ndarray, counts: np.ndarray, flat: np.ndarray, n_owners: int
) -> list[np.ndarray]:
    """Pure: each owner's sorted distinct members (owner i's at index i, of 0..n_owners-1),
    from rows (owners[r], counts[r] members of flat, in row order) in any order.
    Rows are taken owner by owner, a few million members at a time, and each part is one
    sort of owner << 32 | member keys: no sort per owner, and no copy of all the members
    as 64-bit keys at once."""
    empty = flat[:0]
    sets = [empty] * n_owners
    order = np.argsort(owners, kind="stable")
    by_owner, lengths = owners[order], counts[order]
    starts = np.concatenate(([0], np.cumsum(counts)))[:-1][order]
    ends = np.cumsum(lengths)
    r = 0
    while r < len(order):
        s = max(r + 1, int(np.searchsorted(ends, ends[r] - lengths[r] + _MEMBERS_AT_ONCE, "right")))
        s = int(np.searchsorted(by_owner, by_owner[s - 1], "right"))  # whole owners only
        n = lengths[r:s]
        total = int(n.sum())
        local = np.cumsum(n) - n
        at = np.arange(total) - np.repeat(local, n) + np.repeat(starts[r:s], n)
        keys = np.repeat(by_owner[r:s].astype(np.uint64) << np.uint64(32), n)
        keys |= flat[at]
        keys = distinct(keys, runs=True)  # (each row's members are a sorted set)
        whose = (keys >> np.uint64(32)).astype(np.int64)
        members = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        bounds = np.searchsorted(whose, np.arange(by_owner[r], by_owner[s - 1] + 2))
        for i, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)):
            sets[int(by_owner[r]) + i] = members[lo:hi]
        r = s
    return sets


def _views(a: DocSketch, b: DocSketch) -> tuple[SentenceView, SentenceView]:
    return a.sentence_view, b.sentence_view


def _align_pairs(
    verified: Sequence[tuple[int, int, str]],
    sketches: dict[int, DocSketch],
    outlets: dict[int, str],
    hasher: TokenHasher,
    cfg: DetectConfig,
) -> tuple[list[PairRow], list[SpanRow]]:
    """Verified (earlier, new, evidence) pairs to (pair rows, span rows): every pair aligned
    into spans and judged."""
    pair_rows: list[PairRow] = []
    span_rows: list[SpanRow] = []
    k = cfg.shingle_size
    sentence_params = cfg.sentence_params()
    regions: dict[int, list[tuple[int, int]]] = {}

    def quoted(doc: int, start: int, end: int) -> float:
        if doc not in regions:
            regions[doc] = quote_regions(sketches[doc].text)
        return round(quoted_share(regions[doc], start, end), 4)

    seeds: dict[int, np.ndarray] = {}

    def seeds_of(doc: int) -> np.ndarray:
        """The document's word shingles of seed_words (the sketch's when the sizes agree),
        made once: a document is aligned with many others."""
        if doc not in seeds:
            sk = sketches[doc]
            if cfg.seed_words == k:
                seeds[doc] = sk.word_shingles
            else:
                seeds[doc] = shingles(sk.token_hashes[0], cfg.seed_words)
        return seeds[doc]

    for old, new, evidence in verified:
        via = set(evidence.split("+"))
        a, b = sketches[old], sketches[new]
        jac, cont = jaccard_containment(a.shingle_set, b.shingle_set)
        long_enough = min(len(a.tokens), len(b.tokens)) >= max(k, cfg.seed_words)
        spans = align(
            a.tokens,
            b.tokens,
            hasher,
            seed_words=cfg.seed_words,
            max_gap=cfg.max_gap,
            min_words=cfg.min_span_words,
            seeds=(seeds_of(old), seeds_of(new)) if long_enough else None,
            sentences=sentence_params,
            views=functools.partial(_views, a, b),
            reworded=via != {"passage"},
        )
        # whole-article measures count the exact lane's spans (the same text, not reworded)
        exact = [s for s in spans if s.lane == "exact"]
        shared = sum(s.a_words for s in exact)
        cover_a, cover_b = coverages(exact, len(a.tokens), len(b.tokens))
        cover = max(cover_a, cover_b)
        is_synd = is_syndication(jac, cont, cover, cfg)
        if outlets[old] == outlets[new] and not is_synd:
            continue  # one outlet's articles sharing passages: its template, not reuse
        if not spans and not is_synd:
            continue
        rel = relation(jac, cont, cover_a, cover_b) if is_synd else None
        pair_rows.append(
            PairRow(
                old, new, jac, cont, shared, len(exact), "+".join(sorted(via)), is_synd, cover, rel
            )
        )
        span_rows.extend(
            SpanRow(old, new, s, quoted(old, s.a_start, s.a_end), quoted(new, s.b_start, s.b_end))
            for s in spans
        )
    return pair_rows, span_rows


def _sketched(con: duckdb.DuckDBPyConnection, batch: list[int]) -> set[int]:
    """Documents of the batch whose signatures and bands are stored already."""
    rows = con.execute(
        "select doc_seq from doc_signatures where doc_seq in (select unnest(?))", [batch]
    ).fetchall()
    return {r[0] for r in rows}


def sketch_tables(
    sketches: Sequence[DocSketch], cfg: DetectConfig, pid: str
) -> dict[str, pa.Table]:
    """Pure: the passages, passage_bands, doc_bands and doc_signatures rows of some sketches.

    Rows follow the order of `sketches`, document by document.
    """
    flat = [ps for s in sketches for ps in s.passage_shingles]
    sigs = signatures(flat, cfg.num_perm, cfg.seed, cfg.scheme)
    counts = np.array([len(s.passage_shingles) for s in sketches], dtype=np.int64)
    owner = np.repeat(np.array([s.doc_seq for s in sketches], dtype=np.int64), counts)
    passage_no = (
        np.concatenate([np.arange(c, dtype=np.int32) for c in counts])
        if len(counts)
        else np.empty(0, np.int32)
    )
    nonempty = np.array([len(ps) > 0 for ps in flat], dtype=bool)

    # the word lane's sets (stored with the passages) and bands (numbered from WORD_BAND in
    # passage_bands: their keys mix that in)
    word_sets = [w for s in sketches for w in s.passage_words]
    has_words = np.array([len(w) >= cfg.word_min_words for w in word_sets], dtype=bool)
    out: dict[str, pa.Table] = {}
    out["passages"] = pa.table(
        {
            "doc_seq": owner,
            "passage_no": passage_no,
            "start_char": pa.array([p[0] for s in sketches for p in s.passages], pa.int32()),
            "end_char": pa.array([p[1] for s in sketches for p in s.passages], pa.int32()),
            "n_words": pa.array([p[2] for s in sketches for p in s.passages], pa.int32()),
            "stems": _uint_lists(word_sets),
            "shingles": _distinct_lists(flat),
        }
    )
    nb, nw = cfg.passage_bands, cfg.word_bands
    wsigs = signatures(
        [w for w, ok in zip(word_sets, has_words, strict=True) if ok], cfg.word_perm, cfg.seed
    )
    # a slot per passage and band, exact bands first: the valid slots, read row by row,
    # are the rows passage by passage (so document by document), as the sketches come
    slots = np.zeros((len(flat), nb + nw), dtype=np.int64)
    slots[nonempty, :nb] = band_hashes(sigs[nonempty], nb, cfg.passage_rows)
    slots[has_words, nb:] = band_hashes(wsigs, nw, cfg.word_rows, first_band=WORD_BAND)
    valid = np.zeros((len(flat), nb + nw), dtype=bool)
    valid[:, :nb] = nonempty[:, None]
    valid[:, nb:] = has_words[:, None]
    band_ids = np.concatenate(
        (np.arange(nb, dtype=np.int16), np.arange(WORD_BAND, WORD_BAND + nw, dtype=np.int16))
    )
    out["passage_bands"] = pa.table(
        {
            "doc_seq": np.broadcast_to(owner[:, None], valid.shape)[valid],
            "passage_no": np.broadcast_to(passage_no[:, None], valid.shape)[valid],
            "band_id": np.broadcast_to(band_ids[None, :], valid.shape)[valid],
            "band_hash": slots[valid],
        }
    )
    # a document's signature: the minimum over its passages' (the union of their shingles)
    doc_sigs = np.full((len(sketches), cfg.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
    has = counts > 0
    if has.any():
        doc_sigs[has] = np.minimum.reduceat(sigs, starts[has], axis=0)
    has &= np.array([len(s.word_shingles) > 0 for s in sketches], dtype=bool)
    dbands = band_hashes(doc_sigs[has], cfg.doc_bands, cfg.doc_rows)
    seqs = np.array([s.doc_seq for s in sketches], dtype=np.int64)
    out["doc_bands"] = pa.table(
        {
            "doc_seq": np.repeat(seqs[has], cfg.doc_bands),
            "band_id": np.tile(np.arange(cfg.doc_bands, dtype=np.int16), int(has.sum())),
            "band_hash": dbands.reshape(-1),
        }
    )
    out["doc_signatures"] = pa.table(
        {
            "doc_seq": seqs,
            "param_id": [pid] * len(seqs),
            "signature": pa.array(list(doc_sigs), pa.list_(pa.uint32())),
        }
    )
    return out


def _distinct_lists(arrays: list[np.ndarray]) -> pa.Array:
    """Each array's distinct values, sorted, as one Arrow list column (one sort for all)."""
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    owner = np.repeat(np.arange(len(arrays), dtype=np.uint64), counts)
    flat = np.concatenate(arrays).astype(np.uint64) if arrays else np.empty(0, np.uint64)
    keys = distinct((owner << np.uint64(32)) | flat)
    sizes = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(arrays))
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int32)
    values = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint32()))


def _uint_lists(sets: list[np.ndarray]) -> pa.Array:
    """Arrays of uint32 as one Arrow list column."""
    lengths = np.array([len(w) for w in sets], dtype=np.int32)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
    values = np.concatenate(sets).astype(np.uint32) if sets else np.empty(0, np.uint32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint32()))


def _passage_candidates(
    con: duckdb.DuckDBPyConnection, batch: list[int], cfg: DetectConfig
) -> tuple[list[PairEvidence], dict[int, int]]:
    """The evidence of each document pair whose passages share >= min_band_hits bands of
    word shingles (exact lane) or word-lane bands, and each new document's count of such
    passage pairs (its candidates). The passage pairs (PassageEdge's fields) are tested
    and counted pair by pair in the database: a million of them at 100,000 articles, most
    with nothing to count, never become Python objects.

    band_hash already mixes in the band number, so it alone is the bucket key. Almost every
    bucket holds one passage; only buckets with two or more members are ranked, so the
    cost is one probe of the stored keys plus work on the few shared buckets.

    When the batch holds every sketched document of its doc_seq range (one run's pending
    documents: the usual case), a shared bucket is a batch key seen twice in the batch or
    once before the range: the earlier keys are probed, not all of them.

    Word-lane buckets that come to hold their word_max_bucket + 1 earliest documents are
    recorded in common_word_buckets, from the same ranked rows: later documents' rows in
    them are not stored (`_store_sketches`), so a common word pair is ranked once, not again
    for every article that carries it.
    """
    lo, hi = min(batch, default=0), max(batch, default=0)
    others = con.execute(
        """
        select count(*) from doc_signatures
        where doc_seq between $lo and $hi and doc_seq not in (select unnest($batch))
        """,
        {"lo": lo, "hi": hi, "batch": batch},
    ).fetchall()[0][0]
    earlier = con.execute(
        "select count(*) from doc_signatures where doc_seq < $lo", {"lo": lo}
    ).fetchall()[0][0]
    if others == 0:
        shared = "select band_hash from new group by band_hash having count(*) > 1"
        if earlier:  # (a first run has none: the probe would build a table for nothing)
            shared += """
            union
            select pb.band_hash
            from passage_bands as pb
            semi join new as n on n.band_hash = pb.band_hash
            where pb.doc_seq < $lo
            """
    else:
        shared = """
            select pb.band_hash
            from passage_bands as pb
            semi join new as n on n.band_hash = pb.band_hash
            where pb.doc_seq <= $hi
            group by pb.band_hash
            having count(*) > 1
        """
    in_batch = "and m.doc_seq in (select unnest($batch))" if others else ""
    # the result waits in a temporary table: the counted buckets go from it straight into
    # common_word_buckets (millions of rows at 100,000 articles, never read into Python)
    con.execute(
        f"""
        create or replace temp table _band_join as
        with
        new as (
            select band_hash, band_id, doc_seq, passage_no
            from passage_bands
            where doc_seq between $lo and $hi and doc_seq in (select unnest($batch))
        ),
        shared as ({shared}),
        members as (
            select
                pb.band_hash,
                pb.band_id,
                pb.doc_seq,
                pb.passage_no,
                dense_rank() over (partition by pb.band_hash order by pb.doc_seq) as doc_rank,
            from passage_bands as pb
            semi join shared as s on s.band_hash = pb.band_hash
            where pb.doc_seq <= $hi
        ),
        counted as (
            -- word-lane buckets that now hold their word_max_bucket + 1 earliest documents
            -- (their rank hits it: a filter of the ranked rows, not an aggregate)
            select distinct band_hash, doc_seq as head_until,
            from members
            where band_id >= $word_band and doc_rank = $word_max_bucket + 1
        ),
        ranked as (
            -- the batch's rows in shared buckets; a word-lane bucket that held more than
            -- word_max_bucket earlier documents is a common word pair (a stock phrase, a
            -- topic), not evidence of reuse
            -- an exact-lane bucket past exact_max_bucket earlier documents is a stock
            -- phrase: its links count only towards a pair sharing exact_common_hits bands
            select m.band_hash, m.band_id, m.doc_seq, m.passage_no,
                m.band_id < $word_band and m.doc_rank > $exact_max_bucket + 1 as common,
            from members as m
            where m.doc_seq between $lo and $hi {in_batch}
                and (m.band_id < $word_band or m.doc_rank <= $word_max_bucket + 1)
        ),
        hits as (
            select
                n.doc_seq as doc_new,
                n.passage_no as p_new,
                h.doc_seq as doc_old,
                h.passage_no as p_old,
                count(*) filter (where n.band_id < $word_band) as exact_hits,
                count(*) filter (where n.band_id < $word_band and not n.common) as rare_hits,
                count(*) filter (where n.band_id >= $word_band) as word_hits,
            from ranked as n
            inner join members as h on h.band_hash = n.band_hash
            where h.doc_seq < n.doc_seq and h.doc_rank <= $max_partners
            group by all
        ),
        candidates as (
            select doc_new, p_new, doc_old, p_old,
                rare_hits >= $min_hits or exact_hits >= $common_hits as exact_lane,
            from hits
            where rare_hits >= $min_hits or exact_hits >= $common_hits
                or (exact_hits < $min_hits and word_hits >= $word_min_hits)
        ),
        measured as (
            -- both tests on the stored sets (the exact lane's failures get the word lane's):
            -- chance pairs are verified here, in bulk, and their documents never read
            select c.*,
                len(list_intersect(a.shingles, b.shingles)) as sh_inter,
                least(len(a.shingles), len(b.shingles)) as sh_min,
                len(list_intersect(a.stems, b.stems)) as w_inter,
                len(a.stems) + len(b.stems) - w_inter as w_union,
                least(len(a.stems), len(b.stems)) >= $word_min_words as w_ok,
            from candidates as c
            inner join passages as a on a.doc_seq = c.doc_new and a.passage_no = c.p_new
            inner join passages as b on b.doc_seq = c.doc_old and b.passage_no = c.p_old
            where a.doc_seq between $lo and $hi and b.doc_seq <= $hi
        ),
        final as (
            select doc_new, p_new, doc_old, p_old, exact_lane,
                case when exact_lane and sh_inter > 0 and sh_inter >= $overlap * sh_min
                    then sh_inter else 0 end as shared,
                case when w_ok and w_inter >= $word_min_shared
                    and w_inter >= $word_overlap * w_union then w_inter else 0 end as word_shared,
            from measured
        )
        -- one result: the candidates (kind 0) and the counted buckets (kind 1)
        select 0 as kind, * from final where exact_lane or word_shared > 0
        union all
        select 1, band_hash, 0, head_until, 0, false, 0, 0 from counted
        """,
        parameters={
            "batch": batch,
            "lo": lo,
            "hi": hi,
            "max_partners": cfg.max_partners,
            "min_hits": cfg.min_band_hits,
            "exact_max_bucket": cfg.exact_max_bucket,
            "common_hits": cfg.exact_common_hits,
            "word_band": WORD_BAND,
            "word_max_bucket": cfg.word_max_bucket,
            "word_min_hits": cfg.word_min_hits,
            "word_min_shared": cfg.word_min_shared,
            "word_overlap": cfg.word_overlap,
            "word_min_words": cfg.word_min_words,
            "overlap": cfg.passage_overlap,
        },
    )
    try:
        with db.transaction(con):
            con.execute(
                """
                insert into common_word_buckets
                select doc_new, doc_old from _band_join
                where kind = 1
                    and doc_new not in (select band_hash from common_word_buckets)
                """
            )
        # pair_evidence's counts
        evidence = con.execute(
            """
            with counted as (
                select doc_old, doc_new,
                    count(*) filter (where shared >= $min_shared) as long,
                    count(*) filter (where shared > 0 and shared < $min_shared) as short,
                    count(*) filter (where word_shared > 0 and shared < $min_shared) as words,
                    coalesce(max(word_shared) filter (
                        where word_shared > 0 and shared < $min_shared), 0) as word_best,
                from _band_join
                where kind = 0
                group by all
            )
            select * from counted where long > 0 or short > 0 or words > 0 order by all
            """,
            {"min_shared": cfg.passage_min_shared},
        ).fetchall()
        candidates = con.execute(
            "select doc_new, count(*) from _band_join where kind = 0 group by all"
        ).fetchall()
        return [PairEvidence(*row) for row in evidence], dict(candidates)
    finally:
        con.execute("drop table if exists _band_join")


def _doc_candidates(
    con: duckdb.DuckDBPyConnection, batch: list[int], cfg: DetectConfig
) -> list[tuple[int, int]]:
    """(new doc, earlier doc) pairs sharing at least one document band."""
    return con.execute(
        """
        with
        new as (
            select band_hash, doc_seq
            from doc_bands
            where doc_seq between $lo and $hi and doc_seq in (select unnest($batch))
        ),
        shared as (
            select d.band_hash
            from doc_bands as d
            semi join new as n on n.band_hash = d.band_hash
            where d.doc_seq <= $hi
            group by d.band_hash
            having count(*) > 1
        ),
        members as (
            select
                d.band_hash,
                d.doc_seq,
                row_number() over (partition by d.band_hash order by d.doc_seq) as rk,
            from doc_bands as d
            semi join shared as s on s.band_hash = d.band_hash
            where d.doc_seq <= $hi
        ),
        final as (
            select distinct n.doc_seq as doc_new, h.doc_seq as doc_old,
            from new as n
            inner join members as h on h.band_hash = n.band_hash
            where h.doc_seq < n.doc_seq and h.rk <= $max_partners
        )
        select * from final order by all
        """,
        {
            "batch": batch,
            "lo": min(batch, default=0),
            "hi": max(batch, default=0),
            "max_partners": cfg.max_partners,
        },
    ).fetchall()


def _store_results(
    con: duckdb.DuckDBPyConnection,
    batch: list[int],
    pair_rows: list[PairRow],
    span_rows: list[SpanRow],
    passage_candidates: dict[int, int],
    doc_edges: list[tuple[int, int]],
    run_id: str | None,
) -> None:
    if pair_rows:
        cols = {name: [getattr(r, name) for r in pair_rows] for name in PairRow._fields}
        types = {"doc_a": pa.int64(), "doc_b": pa.int64(), "shared_words": pa.int32()}
        types |= {"n_spans": pa.int32(), "via": pa.string(), "is_syndication": pa.bool_()}
        types |= {"relation": pa.string()}
        db.insert_arrow(
            con,
            "doc_pairs",
            pa.table(
                {name: pa.array(v, types.get(name, pa.float64())) for name, v in cols.items()}
            ),
        )
    if span_rows:
        spans = [r.span for r in span_rows]
        db.insert_arrow(
            con,
            "alignments",
            pa.table(
                {
                    "doc_a": pa.array([r.doc_a for r in span_rows], pa.int64()),
                    "doc_b": pa.array([r.doc_b for r in span_rows], pa.int64()),
                    "a_start": pa.array([s.a_start for s in spans], pa.int32()),
                    "a_end": pa.array([s.a_end for s in spans], pa.int32()),
                    "b_start": pa.array([s.b_start for s in spans], pa.int32()),
                    "b_end": pa.array([s.b_end for s in spans], pa.int32()),
                    "a_words": pa.array([s.a_words for s in spans], pa.int32()),
                    "b_words": pa.array([s.b_words for s in spans], pa.int32()),
                    "matched_words": pa.array([s.matched_words for s in spans], pa.int32()),
                    "kind": pa.array([s.kind for s in spans], pa.string()),
                    "lane": pa.array([s.lane for s in spans], pa.string()),
                    "nested": pa.array([s.nested for s in spans], pa.bool_()),
                    "a_quote_share": pa.array([r.a_quote_share for r in span_rows], pa.float64()),
                    "b_quote_share": pa.array([r.b_quote_share for r in span_rows], pa.float64()),
                }
            ),
        )
    n_cand = dict(passage_candidates)
    for new, _ in doc_edges:
        n_cand[new] = n_cand.get(new, 0) + 1
    db.insert_arrow(
        con,
        "detected",
        pa.table(
            {
                "doc_seq": pa.array(batch, pa.int64()),
                "n_candidates": pa.array([n_cand.get(s, 0) for s in batch], pa.int32()),
                "run_id": pa.array([run_id] * len(batch), pa.string()),
            }
        ),
        select="doc_seq, n_candidates, current_timestamp, run_id",
    )
