"""Engines: where the per-document work runs, one machine or a cluster.

The per-document stages are pure functions over Arrow tables with every parameter passed in
(`read_shard`: read an input file and rule-clean its articles; `finish_shard`: remove learned
boilerplate, split passages, hash shingles, signatures and band keys), so any engine can run
them on any worker. The global steps run in DuckDB over the Parquet files they write:
ingest order (doc_seq), learned outlet boilerplate, then detection (band join, verification,
alignment, clustering) exactly as `detect.run` does it. Results land in the same tables and
views as the stage-by-stage run, row for row (tests/test_engine.py).

- `local` (default): the stage commands on one machine; cleaning and sketching run in
  process pools over all cores (`clean.Cleaner`, `detect.Sketcher`).
- `ray` (`pipeline.ray_engine`, extra `newsdedup[ray]`): Ray Data runs the two pure
  functions on a cluster's workers; this module's `run_sharded` does the rest.
`run_sharded` also takes a `PoolMapper` (a process pool over Parquet shards, no Ray), which
the tests use to pin the sharded flow against the stage-by-stage one.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import clean, db, detect, ingest
from pipeline.config import CleanConfig, Config, DetectConfig
from pipeline.records import CleanResult, Rejection, Removal, StageResult
from pipeline.sketch import TokenHasher
from pipeline.workers import process_pool

log = logging.getLogger(__name__)

SHARD_FILES_MAX = 64  # input files per read task at most (a JSONL or WARC file may be large)
SHARD_DOCS = (64, 2_000)  # documents per finish task: at least, at most

_REMOVED = pa.list_(pa.struct([("kind", pa.string()), ("text", pa.string())]))
# pass 1: one row per article, rejected part or file (the reader's counts)
READ_SCHEMA = pa.schema(
    [
        ("file_no", pa.int64()),
        ("rec_no", pa.int64()),
        ("kind", pa.string()),  # doc | rejected | counts
        ("doc_id", pa.string()),
        ("source", pa.string()),
        ("outlet", pa.string()),
        ("outlet_basis", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("published_at", pa.timestamp("us")),
        ("format", pa.string()),
        ("size_bytes", pa.int64()),
        ("raw", pa.binary()),  # the document's bytes; a rejected part's first bytes
        ("reason", pa.string()),  # rejected: why
        ("counts", pa.string()),  # counts: the reader's counters as JSON
        ("clean_error", pa.string()),  # rule cleaning failed (not text): why
        ("clean_text", pa.string()),
        ("removed", _REMOVED),
        ("c_title", pa.string()),
        ("c_author", pa.string()),
        ("c_sitename", pa.string()),
        ("c_url", pa.string()),
        ("c_published_at", pa.timestamp("us")),
        ("line_keys", pa.list_(pa.string())),
    ]
)
# pass 2: one row per document, the finished clean text and its sketch as lists
FINISH_SCHEMA = pa.schema(
    [
        ("doc_seq", pa.int64()),
        ("doc_id", pa.string()),
        ("reason", pa.string()),  # rejected after learned boilerplate went: why
        ("clean_text", pa.string()),
        ("n_words", pa.int32()),
        ("removed", _REMOVED),
        ("title", pa.string()),
        ("author", pa.string()),
        ("sitename", pa.string()),
        ("url", pa.string()),
        ("published_at", pa.timestamp("us")),
        ("p_start", pa.list_(pa.int32())),
        ("p_end", pa.list_(pa.int32())),
        ("p_words", pa.list_(pa.int32())),
        ("p_stems", pa.list_(pa.list_(pa.uint32()))),
        ("pb_passage", pa.list_(pa.int32())),
        ("pb_band", pa.list_(pa.int16())),
        ("pb_hash", pa.list_(pa.int64())),
        ("db_band", pa.list_(pa.int16())),
        ("db_hash", pa.list_(pa.int64())),
        ("signature", pa.list_(pa.uint32())),
    ]
)


# --- the per-document work: pure functions over Arrow tables ---------------------------


def read_shard(files: pa.Table, cfg: Config, outlet: str | None) -> pa.Table:
    """Pure: input files (file_no, path) to their articles, rule-cleaned, and rejected parts."""
    rows: list[dict[str, Any]] = []
    meta_index = ingest.MetadataIndex()
    for file_no, path in zip(
        files.column("file_no").to_pylist(), files.column("path").to_pylist(), strict=True
    ):
        result = StageResult("ingest")
        rec_no = 0
        try:
            for doc in ingest.read_inputs(Path(path), cfg, outlet, meta_index, result):
                outcome = clean._clean_one(
                    (doc.raw, doc.format, doc.url, doc.title, cfg.clean.max_bytes)
                )
                rows.append(_doc_row(file_no, rec_no, doc, outcome))
                rec_no += 1
        except (duckdb.Error, MemoryError):
            raise
        except Exception as exc:  # a reader bug on one input must not stop the batch
            log.info("%s: unexpected error while reading", path, exc_info=True)
            reason = f"cannot read: unexpected {type(exc).__name__}: {exc}"
            result.rejected.append(Rejection(str(path), "ingest", reason))
        for r in result.rejected:
            rows.append(
                {
                    "file_no": file_no,
                    "rec_no": rec_no,
                    "kind": "rejected",
                    "source": r.source,
                    "reason": r.reason,
                    "raw": r.raw,
                    "size_bytes": r.size_bytes,
                }
            )
            rec_no += 1
        rows.append(
            {
                "file_no": file_no,
                "rec_no": rec_no,
                "kind": "counts",
                "counts": json.dumps(result.counts),
            }
        )
    return pa.Table.from_pylist(rows, schema=READ_SCHEMA)


def _doc_row(file_no: int, rec_no: int, doc: Any, outcome: CleanResult | str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "file_no": file_no,
        "rec_no": rec_no,
        "kind": "doc",
        "doc_id": ingest.doc_id_for(doc.outlet, doc.raw),
        "source": doc.source,
        "outlet": doc.outlet,
        "outlet_basis": doc.outlet_basis,
        "url": doc.url,
        "title": doc.title,
        "published_at": doc.published_at,
        "format": doc.format,
        "size_bytes": len(doc.raw),
        "raw": doc.raw,
    }
    if isinstance(outcome, str):
        row["clean_error"] = outcome
        return row
    row.update(
        clean_text=outcome.text,
        removed=[{"kind": r.kind, "text": r.text} for r in outcome.removed],
        c_title=outcome.title,
        c_author=outcome.author,
        c_sitename=outcome.sitename,
        c_url=outcome.url,
        c_published_at=outcome.published_at,
        line_keys=list(outcome.line_keys),
    )
    return row


def _clean_result(row: dict[str, Any]) -> CleanResult:
    return CleanResult(
        text=row["clean_text"],
        removed=tuple(Removal(r["kind"], r["text"]) for r in row["removed"] or ()),
        title=row["c_title"],
        author=row["c_author"],
        sitename=row["c_sitename"],
        url=row["c_url"],
        published_at=row["c_published_at"],
        line_keys=tuple(row["line_keys"] or ()),
    )


def finish_shard(
    docs: pa.Table,
    learned: dict[str, list[str]],
    clean_cfg: CleanConfig,
    detect_cfg: DetectConfig,
    pid: str,
) -> pa.Table:
    """Pure: rule-cleaned documents (doc_seq, outlet, format and the clean columns of
    READ_SCHEMA) to finished clean text and its passages, band keys and signature."""
    rows = sorted(docs.to_pylist(), key=lambda r: r["doc_seq"])
    hasher = TokenHasher()
    out: list[dict[str, Any]] = []
    sketches: list[detect.DocSketch] = []
    for row in rows:
        done = clean.finish_document(
            _clean_result(row), frozenset(learned.get(row["outlet"], ())), clean_cfg, row["format"]
        )
        base = {"doc_seq": row["doc_seq"], "doc_id": row["doc_id"]}
        if isinstance(done, str):
            out.append({**base, "reason": done})
            continue
        out.append(
            {
                **base,
                "clean_text": done.text,
                "n_words": clean._words(done.text),
                "removed": [{"kind": r.kind, "text": r.text} for r in done.removed],
                "title": done.title,
                "author": done.author,
                "sitename": done.sitename,
                "url": done.url,
                "published_at": done.published_at,
            }
        )
        sketches.append(detect.sketch_document(row["doc_seq"], done.text, detect_cfg, hasher))
    table = pa.Table.from_pylist(out, schema=FINISH_SCHEMA)
    seqs = np.array([r["doc_seq"] for r in out], dtype=np.int64)
    flat = detect.sketch_tables(sketches, detect_cfg, pid)
    nested = {
        "p_start": _nest(flat["passages"], "start_char", seqs),
        "p_end": _nest(flat["passages"], "end_char", seqs),
        "p_words": _nest(flat["passages"], "n_words", seqs),
        "p_stems": _nest(flat["passages"], "stems", seqs),
        "pb_passage": _nest(flat["passage_bands"], "passage_no", seqs),
        "pb_band": _nest(flat["passage_bands"], "band_id", seqs),
        "pb_hash": _nest(flat["passage_bands"], "band_hash", seqs),
        "db_band": _nest(flat["doc_bands"], "band_id", seqs),
        "db_hash": _nest(flat["doc_bands"], "band_hash", seqs),
    }
    sigs = dict(
        zip(
            flat["doc_signatures"].column("doc_seq").to_pylist(),
            flat["doc_signatures"].column("signature").to_pylist(),
            strict=True,
        )
    )
    nested["signature"] = pa.array([sigs.get(int(s)) for s in seqs], pa.list_(pa.uint32()))
    for name, column in nested.items():
        table = table.set_column(
            table.schema.get_field_index(name), FINISH_SCHEMA.field(name), column
        )
    return table


def _nest(flat: pa.Table, column: str, seqs: np.ndarray) -> pa.Array:
    """One list per document of `seqs` (ascending) from rows grouped by doc_seq in that order."""
    owner = flat.column("doc_seq").to_numpy()
    bounds = np.searchsorted(owner, np.append(seqs, np.iinfo(np.int64).max), side="left")
    bounds[-1] = len(owner)
    values = flat.column(column).combine_chunks()
    return pa.ListArray.from_arrays(pa.array(bounds, pa.int32()), values)


# --- engines: who runs a pure function over Parquet shards -----------------------------


class Mapper(Protocol):
    """Runs fn(table, **kwargs) over every Parquet file of src, one output file per shard."""

    name: str
    workers: int

    def map_parquet(
        self, fn: Callable[..., pa.Table], kwargs: dict[str, Any], src: Path, dest: Path
    ) -> None: ...


def apply_file(fn: Callable[..., pa.Table], kwargs: dict[str, Any], src: str, dest: str) -> int:
    """fn over one Parquet shard, written to dest; returns the rows written."""
    out = fn(pq.read_table(src), **kwargs)
    pq.write_table(out, dest)
    return out.num_rows


class PoolMapper:
    """A process pool over all cores of this machine, Parquet shard by shard."""

    name = "pool"

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map_parquet(
        self, fn: Callable[..., pa.Table], kwargs: dict[str, Any], src: Path, dest: Path
    ) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        parts = sorted(src.glob("*.parquet"))
        outs = [str(dest / p.name) for p in parts]
        task = functools.partial(apply_file, fn, kwargs)
        if self.workers < 2 or len(parts) < 2:
            for p, o in zip(parts, outs, strict=True):
                task(str(p), o)
            return
        with process_pool(self.workers) as pool:
            list(pool.map(task, [str(p) for p in parts], outs))


# --- the sharded run: per-document work on the engine, global steps in DuckDB -------------


def _write_shards(tables: Iterator[pa.RecordBatch] | Sequence[pa.Table], dest: Path) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for n, part in enumerate(tables, 1):
        table = part if isinstance(part, pa.Table) else pa.Table.from_batches([part])
        pq.write_table(table, dest / f"part-{n:05d}.parquet")
    return n


def _glob(path: Path) -> str:
    return str(path / "*.parquet").replace("'", "''")


def run_sharded(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    paths: Sequence[Path],
    mapper: Mapper,
    work_dir: Path,
    outlet: str | None = None,
    run_id: str | None = None,
    timings: dict[str, float] | None = None,
) -> list[StageResult]:
    """ingest + clean + detect with the per-document work on `mapper`; returns the three results.

    `work_dir` holds the Parquet shards (on a cluster: a path every worker can read and
    write); it is removed at the end. `timings`, when given, gets the seconds of each step
    (read_clean, learn, finish_sketch, load: the sharded part; detect: the global join,
    verification, alignment and clustering).
    """
    work = work_dir / (run_id or "run")
    if work.exists():
        shutil.rmtree(work)
    clock = _Clock(timings)
    try:
        ing = _ingest(con, cfg, paths, mapper, work, outlet, run_id, clock)
        cln = _clean(con, cfg, mapper, work, run_id, clock)
        # documents a relearned line made stale (and any left by an earlier run) are cleaned
        # the stage-by-stage way; then detection over the stored bands
        rest = clean.run(con, cfg, run_id=run_id)
        for key, value in rest.counts.items():
            cln.add(key, value)
        cln.rejected.extend(rest.rejected)
        clock.lap("clean_rest")
        det = detect.run(con, cfg, run_id=run_id)
        clock.lap("detect")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            work_dir.rmdir()  # when no other run's shards are in it
    return [ing, cln, det]


class _Clock:
    """Seconds per step into a dict (or nowhere)."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self.t = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[step] = self.into.get(step, 0.0) + now - self.t
        self.t = now


def _ingest(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    paths: Sequence[Path],
    mapper: Mapper,
    work: Path,
    outlet: str | None,
    run_id: str | None,
    clock: _Clock,
) -> StageResult:
    result = StageResult("ingest")
    files = [str(p) for p in ingest.discover(paths, result)]
    per_shard = max(1, min(SHARD_FILES_MAX, math.ceil(len(files) / (mapper.workers * 4))))
    _write_shards(
        [
            pa.table(
                {
                    "file_no": pa.array(range(i, min(i + per_shard, len(files))), pa.int64()),
                    "path": files[i : i + per_shard],
                }
            )
            for i in range(0, len(files), per_shard)
        ],
        work / "inputs",
    )
    clock.lap("discover")
    mapper.map_parquet(read_shard, {"cfg": cfg, "outlet": outlet}, work / "inputs", work / "read")
    clock.lap("read_clean")
    read = _glob(work / "read")
    has_read = any((work / "read").glob("*.parquet"))
    if has_read:
        for (counts,) in con.execute(
            f"select counts from read_parquet('{read}') where kind = 'counts' order by file_no"
        ).fetchall():
            for key, value in json.loads(counts).items():
                result.add(key, value)
        for source, reason, raw, size in con.execute(
            f"""
            select source, reason, raw, size_bytes from read_parquet('{read}')
            where kind = 'rejected' order by file_no, rec_no
            """
        ).fetchall():
            result.rejected.append(Rejection(source, "ingest", reason, raw, size))
    with db.transaction(con):
        n = _insert_documents(con, read, run_id) if has_read else 0
        db.record_rejections(con, result.rejected, run_id)
    clock.lap("store_documents")
    result.add("ingested", n)
    result.add("inputs", len(files))
    result.add("rejected", len(result.rejected))
    return result


def _insert_documents(con: duckdb.DuckDBPyConnection, read: str, run_id: str | None) -> int:
    """Documents new to the store in ingest order: by file, then record, first copy wins."""
    before = con.execute("select count(*) from documents").fetchall()[0][0]
    con.execute(
        f"""
        insert into documents
            (doc_id, doc_seq, source, outlet, outlet_basis, url, title, published_at,
             format, size_bytes, raw, run_id)
        with
        docs as (
            select * from read_parquet('{read}') where kind = 'doc'
        ),
        firsts as (
            select * from docs
            qualify row_number() over (partition by doc_id order by file_no, rec_no) = 1
        ),
        new as (
            select * from firsts anti join documents as d on d.doc_id = firsts.doc_id
        ),
        final as (
            select
                doc_id,
                (select coalesce(max(doc_seq), 0) from documents)
                    + row_number() over (order by file_no, rec_no) as doc_seq,
                source, outlet, outlet_basis, url, title, published_at, format, size_bytes, raw,
                ?::varchar as run_id,
            from new
        )
        select * from final
        """,
        [run_id],
    )
    return con.execute("select count(*) from documents").fetchall()[0][0] - before


def _clean(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    mapper: Mapper,
    work: Path,
    run_id: str | None,
    clock: _Clock,
) -> StageResult:
    """Learned boilerplate over every rule-cleaned document at once, then the finish pass."""
    result = StageResult("clean")
    read = _glob(work / "read")
    if not any((work / "read").glob("*.parquet")):
        return result
    pending = f"""
        with
        docs as (
            select * from read_parquet('{read}') where kind = 'doc'
            qualify row_number() over (partition by doc_id order by file_no, rec_no) = 1
        ),
        final as (
            select d.doc_seq, d.source, d.outlet, d.format, d.size_bytes, r.*
                exclude (file_no, rec_no, kind, doc_id, source, outlet, outlet_basis, url,
                         title, published_at, format, size_bytes, raw, reason, counts),
                d.doc_id,
            from docs as r
            inner join documents as d on d.doc_id = r.doc_id
            where d.doc_id not in (select doc_id from cleaned)
              and d.doc_id not in (select doc_id from rejected_inputs where doc_id is not null)
        )
        select * from final order by doc_seq
    """
    rows = con.sql(pending).to_arrow_table().to_pylist()
    rejected = [
        Rejection(r["source"], "clean", r["clean_error"], None, r["size_bytes"], r["doc_id"])
        for r in rows
        if r["clean_error"] is not None
    ]
    good = [(r["doc_id"], r["outlet"], _clean_result(r)) for r in rows if r["clean_error"] is None]
    with db.transaction(con):
        learned = clean.learn(con, good, cfg.clean, result)
        db.record_rejections(con, rejected, run_id)
        pid = detect.ensure_params(con, cfg.detect)
    ids = [d for d, _, _ in good]
    # documents re-queued meanwhile (none on a fresh store) are left to clean.run
    batches = con.sql(
        f"""
        select p.* exclude (source, size_bytes, clean_error)
        from ({pending}) as p
        where p.doc_id in (select unnest($ids))
        order by p.doc_seq
        """,
        params={"ids": ids},
    ).to_arrow_reader(_shard_docs(len(ids), mapper.workers))
    _write_shards(batches, work / "clean")
    clock.lap("learn")
    kwargs = {
        "learned": {o: sorted(h) for o, h in learned.items() if h},
        "clean_cfg": cfg.clean,
        "detect_cfg": cfg.detect,
        "pid": pid,
    }
    mapper.map_parquet(finish_shard, kwargs, work / "clean", work / "finished")
    clock.lap("finish_sketch")
    if any((work / "finished").glob("*.parquet")):
        with db.transaction(con):
            _load_finished(con, _glob(work / "finished"), cfg.detect, pid, result, run_id)
    clock.lap("load")
    result.rejected[:0] = rejected
    return result


def _shard_docs(n: int, workers: int) -> int:
    return max(SHARD_DOCS[0], min(SHARD_DOCS[1], math.ceil(n / (workers * 4)) or 1))


def _load_finished(
    con: duckdb.DuckDBPyConnection,
    finished: str,
    cfg: DetectConfig,
    pid: str,
    result: StageResult,
    run_id: str | None,
) -> None:
    """cleaned, removed_spans, rejections, passages, band keys and signatures from pass 2."""
    src = f"read_parquet('{finished}')"
    late = [
        Rejection(source, "clean", reason, None, size, doc_id)
        for doc_id, source, size, reason in con.execute(
            f"""
            select f.doc_id, d.source, d.size_bytes, f.reason
            from {src} as f inner join documents as d on d.doc_id = f.doc_id
            where f.reason is not null
            order by f.doc_seq
            """
        ).fetchall()
    ]
    db.record_rejections(con, late, run_id)
    result.rejected.extend(late)
    # only what is not stored yet: a document cleaned meanwhile keeps its rows
    con.execute(
        f"""
        create temp table _finished as
        select f.* from {src} as f
        where f.reason is null and f.doc_id not in (select doc_id from cleaned)
        """
    )
    try:
        con.execute(clean.insert_cleaned_sql("_finished"))
        con.execute(
            """
            insert into removed_spans
            with spans as (
                select doc_id, unnest(range(len(removed)))::integer as span_no,
                       unnest(removed) as r
                from _finished
            )
            select doc_id, span_no, r.kind, r.text from spans
            """
        )
        con.execute(
            """
            insert into passages
            select doc_seq, unnest(range(len(p_start)))::integer, unnest(p_start),
                   unnest(p_end), unnest(p_words), unnest(p_stems)
            from _finished
            """
        )
        con.execute(
            """
            insert into passage_bands
            select doc_seq, unnest(pb_passage), unnest(pb_band), unnest(pb_hash)
            from _finished
            """
        )
        con.execute(
            """
            insert into doc_bands
            select doc_seq, unnest(db_band), unnest(db_hash) from _finished
            """
        )
        con.execute(
            """
            insert into doc_signatures (doc_seq, param_id, signature)
            select doc_seq, ?, signature from _finished
            """,
            [pid],
        )
        n, spans = con.execute(
            "select count(*), coalesce(sum(len(removed)), 0) from _finished"
        ).fetchall()[0]
    finally:
        con.execute("drop table _finished")
    result.add("cleaned", n)
    result.add("removed_spans", int(spans))
