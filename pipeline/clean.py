"""Clean stage: pending documents, extracted and rule-cleaned through an executor
(pipeline.extract, pipeline.linerules), learned outlet boilerplate (pipeline.boilerplate),
stored with every removal; `show` of one document."""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipeline import boilerplate, db, progress
from pipeline.config import CleanConfig, Config
from pipeline.errors import InputError
from pipeline.executor import Executor, Sized
from pipeline.extract import _TEXT_PER_PAGE, _clean_many
from pipeline.linerules import apply_learned, word_count
from pipeline.records import CleanResult, Rejection, StageResult

log = logging.getLogger(__name__)

# The rules' version, bumped when they change what they remove. Each cleaned row stores it
# with the extractor's version (cleaner_version()); the clean stage and `status` count the
# documents cleaned otherwise, and `clean --redo` re-cleans them.
CLEANER_VERSION = "4"  # 4: NFC-normalised text


@functools.cache
def cleaner_version() -> str:
    """The rules' version and trafilatura's: either changes what a page cleans to."""
    return f"{CLEANER_VERSION}+trafilatura-{importlib.metadata.version('trafilatura')}"


def older_rules(con: duckdb.DuckDBPyConnection) -> int:
    """Documents cleaned by other rules or another extractor than this code's."""
    return con.execute(
        "select count(*) from cleaned where cleaner_version <> ?", [cleaner_version()]
    ).fetchall()[0][0]


class Cleaner:
    """clean_document over many documents through an executor (pipeline.executor): inline
    for small batches, the executor's workers otherwise."""

    def __init__(self, cfg: CleanConfig, executor: Executor | None = None) -> None:
        self.cfg = cfg
        self._sized = Sized(executor, cfg.workers, cfg.pool_min_docs)
        self.workers = self._sized.workers

    def map(self, items: list[tuple[bytes, str, str | None, str | None, int]]) -> list:
        return self.submit(items)()

    def submit(
        self, items: list[tuple[bytes, str, str | None, str | None, int]]
    ) -> Callable[[], list]:
        """Start cleaning items; the returned function waits for and returns the outcomes.

        With workers, the caller stores the previous batch while this one is cleaned.
        """
        # workers pay off past pool_min_docs HTML pages; plain text is ~40x cheaper to clean
        weight = sum(1.0 if it[1] == "html" else 1 / _TEXT_PER_PAGE for it in items)
        executor = self._sized.over(weight)
        size = max(1, min(16, len(items) // (executor.workers * 4)))
        wait = executor.map(_clean_many, [items[i : i + size] for i in range(0, len(items), size)])
        return lambda: [outcome for part in wait() for outcome in part]

    def close(self) -> None:
        self._sized.close()

    def __enter__(self) -> Cleaner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- stage ------------------------------------------------------------------------------


def invalidate(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]) -> int:
    """Forget the cleaning of these documents so the stage redoes them (detection sees
    their new clean text by itself: pipeline.detect.stale)."""
    if not doc_ids:
        return 0
    ids = {"ids": list(doc_ids)}
    con.execute("delete from cleaned where doc_id in (select unnest($ids))", ids)
    con.execute("delete from removed_spans where doc_id in (select unnest($ids))", ids)
    con.execute(
        "delete from rejected_inputs where stage = 'clean' and doc_id in (select unnest($ids))",
        ids,
    )
    return len(doc_ids)


def reset(con: duckdb.DuckDBPyConnection) -> int:
    """Forget all cleaning and learned boilerplate (for `clean --redo`)."""
    n = con.execute("select count(*) from cleaned").fetchall()[0][0]
    for table in ("cleaned", "removed_spans", "outlet_lines", "learned_boilerplate"):
        con.execute(f"delete from {table}")
    con.execute("delete from rejected_inputs where stage = 'clean'")
    return n


def run(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    run_id: str | None = None,
    redo: bool = False,
    executor: Executor | None = None,
) -> StageResult:
    """Clean every ingested document not yet cleaned; with redo, everything again."""
    result = StageResult("clean")
    if redo:
        with db.transaction(con):
            result.add("reset", reset(con))
    elif older := older_rules(con):
        result.add("older_rules", older)
        log.warning(
            "%d documents were cleaned by other rules (not %s); 'newsdedup clean --redo' "
            "re-cleans them",
            older,
            cleaner_version(),
        )
    attempts: dict[str, int] = {}
    with Cleaner(cfg.clean, executor) as cleaner:
        # one pass over what is pending; documents that a pass re-queued (learning changed a
        # line they carry) make the next pass, and each is cleaned at most twice a run
        while True:
            pending = [
                row
                for row in con.execute(
                    """
                    select doc_id, source, format, url, title, outlet, doc_seq, size_bytes
                    from documents
                    where doc_id not in (select doc_id from cleaned)
                      and doc_id not in (
                          select doc_id from rejected_inputs where doc_id is not null)
                    order by doc_seq
                    """
                ).fetchall()
                if attempts.get(row[0], 0) < 2
            ]
            if not pending:
                break
            meter = progress.meter("clean", len(pending))
            queued: deque = deque()
            for chunk in _batches(pending, cfg.clean.batch_docs, cfg.clean.batch_bytes):
                for row in chunk:
                    attempts[row[0]] = attempts.get(row[0], 0) + 1
                # the doc_seq range lets DuckDB skip the row groups of other documents
                # instead of reading every stored page
                raws = dict(
                    con.execute(
                        """
                        select doc_id, raw from documents
                        where doc_seq between $lo and $hi and doc_id in (select unnest($ids))
                        """,
                        {
                            "ids": [row[0] for row in chunk],
                            "lo": min(row[6] for row in chunk),
                            "hi": max(row[6] for row in chunk),
                        },
                    ).fetchall()
                )
                items = [
                    (raws[doc_id], fmt, url, title, cfg.clean.max_bytes)
                    for doc_id, _, fmt, url, title, _, _, _ in chunk
                ]
                # cleaned while earlier batches are stored: two queued on the pool, so the
                # workers never wait for the parent's bookkeeping
                queued.append((chunk, cleaner.submit(items), raws))
                if len(queued) > 2:
                    done, outcomes, held = queued.popleft()
                    _store(con, done, outcomes(), held, cfg, result, run_id)
                    meter.advance(len(done))
            while queued:
                done, outcomes, held = queued.popleft()
                _store(con, done, outcomes(), held, cfg, result, run_id)
                meter.advance(len(done))
            meter.close()
    return result


def _batches(rows: list[tuple], max_docs: int, max_bytes: int) -> Iterator[list[tuple]]:
    """Runs of pending rows (size in bytes last) of at most max_docs and max_bytes
    (a single larger document is a batch of its own)."""
    batch: list[tuple] = []
    held = 0
    for row in rows:
        if batch and (len(batch) >= max_docs or held + row[-1] > max_bytes):
            yield batch
            batch, held = [], 0
        batch.append(row)
        held += row[-1]
    if batch:
        yield batch


def _store(
    con: duckdb.DuckDBPyConnection,
    pending: list[tuple],
    outcomes: list[CleanResult | str],
    raws: dict[str, bytes],
    cfg: Config,
    result: StageResult,
    run_id: str | None,
) -> None:
    """One transaction: record lines, relearn, re-queue affected documents, store the batch."""
    rejected: list[Rejection] = []
    good: list[tuple[str, str, CleanResult]] = []
    formats: dict[str, tuple[str, str]] = {}
    for (doc_id, source, fmt, _, _, outlet, *_), outcome in zip(pending, outcomes, strict=True):
        formats[doc_id] = (source, fmt)
        if isinstance(outcome, str):
            rejected.append(Rejection(source, "clean", outcome, None, len(raws[doc_id]), doc_id))
        else:
            good.append((doc_id, outlet, outcome))
    with db.transaction(con):
        learned = learn(con, good, cfg.clean, result)
        rows: list[tuple[str, CleanResult]] = []
        for doc_id, outlet, cleaned in good:
            source, fmt = formats[doc_id]
            done = finish_document(cleaned, learned[outlet], cfg.clean, fmt)
            if isinstance(done, str):
                rejected.append(Rejection(source, "clean", done, None, len(raws[doc_id]), doc_id))
                continue
            rows.append((doc_id, done))
        insert_cleaned(con, rows)
        db.record_rejections(con, rejected, run_id)
    result.rejected.extend(rejected)
    result.add("cleaned", len(rows))
    result.add("removed_spans", sum(len(c.removed) for _, c in rows))


def learn(
    con: duckdb.DuckDBPyConnection,
    good: Sequence[tuple[str, str, CleanResult]],
    cfg: CleanConfig,
    result: StageResult,
) -> dict[str, frozenset[str]]:
    """Record the (doc_id, outlet, rule-cleaned) lines, relearn, re-queue stale documents;
    returns the learned line hashes of the outlets in `good`."""
    boilerplate.record_lines(con, ((d, o, c.line_keys) for d, o, c in good))

    def text_of(keys: set[str]) -> dict[str, str]:
        # line texts only for the few hashes being learned (hashing every line is costly)
        found: dict[str, str] = {}
        for _, _, c in good:
            if keys.isdisjoint(c.line_keys):
                continue
            for line in c.text.split("\n"):
                key = boilerplate.line_key(line)
                if key in keys:
                    found.setdefault(key, line.strip())
        return found

    keys = {k for _, _, c in good for k in c.line_keys}
    changed = boilerplate.relearn(con, keys, text_of, cfg.learn_min_docs)
    batch_ids = {d for d, _, _ in good}
    stale = [d for d in boilerplate.docs_with(con, changed) if d not in batch_ids]
    if stale:
        invalidate(con, stale)
        result.add("recleaned", len(stale))
        log.info("learned boilerplate changed: %d documents re-queued", len(stale))
    return boilerplate.learned_for(con, (o for _, o, _ in good))


def finish_document(
    cleaned: CleanResult, learned: frozenset[str], cfg: CleanConfig, fmt: str
) -> CleanResult | str:
    """Pure: the outlet's learned lines removed; the rejection reason when too little is left."""
    cleaned = apply_learned(cleaned, learned, cfg.learn_max_share)
    if word_count(cleaned) < max(cfg.min_words, 1):
        return "no article text found" if fmt == "html" else "no text left after cleaning"
    return cleaned


def insert_cleaned_sql(source: str, where: str = "") -> str:
    """insert into cleaned from a relation with the cleaned columns (a batch, Parquet rows)."""
    return f"""
        insert into cleaned
        select doc_id, clean_text, n_words, title, author, sitename, url, published_at,
               '{cleaner_version()}', current_timestamp
        from {source} {where}
    """


def insert_cleaned(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, CleanResult]]) -> None:
    """Store finished clean results (cleaned and removed_spans); idempotent."""
    cleaned = pa.table(
        {
            "doc_id": [d for d, _ in rows],
            "clean_text": [c.text for _, c in rows],
            "n_words": pa.array([word_count(c) for _, c in rows], pa.int32()),
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
    con.register("cleaned_batch", cleaned)
    con.register("removed_batch", removed)
    try:
        con.execute(
            insert_cleaned_sql("cleaned_batch", "where doc_id not in (select doc_id from cleaned)")
        )
        con.execute(
            """
            insert into removed_spans
            select * from removed_batch
            where doc_id not in (select doc_id from removed_spans)
            """
        )
    finally:
        con.unregister("cleaned_batch")
        con.unregister("removed_batch")


# --- show -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentView:
    """One document as `newsdedup show` prints it."""

    meta: dict[str, object]
    clean_text: str | None
    removed: list[tuple[str, str]]  # (family, text) in document order


def describe(con: duckdb.DuckDBPyConnection, doc_id: str) -> DocumentView:
    """Metadata, clean text and removed spans of one document (a unique id prefix will do)."""
    cur = con.execute(
        """
        select d.doc_id, d.doc_seq, d.source, d.outlet, d.outlet_basis, d.format,
               coalesce(d.url, c.url) as url, coalesce(d.title, c.title) as title,
               coalesce(d.published_at, c.published_at) as published_at,
               c.author, c.sitename, c.n_words, c.cleaner_version, c.cleaned_at,
               (select string_agg(reason, '; ') from rejected_inputs as r
                where r.doc_id = d.doc_id) as rejected,
               c.clean_text
        from documents as d
        left join cleaned as c on c.doc_id = d.doc_id
        where d.doc_id like ? || '%'
        order by d.doc_seq
        limit 2
        """,
        [doc_id.strip().lower()],
    )
    cols = [c[0] for c in cur.description]
    rows = cur.fetchall()
    if not rows:
        raise InputError(f"no document {doc_id!r} (see 'newsdedup report articles')")
    if len(rows) > 1:
        raise InputError(f"document id prefix {doc_id!r} is ambiguous; give more characters")
    meta = dict(zip(cols, rows[0], strict=True))
    text = meta.pop("clean_text")
    removed = con.execute(
        "select kind, text from removed_spans where doc_id = ? order by span_no",
        [meta["doc_id"]],
    ).fetchall()
    return DocumentView(meta=meta, clean_text=text, removed=[(k, t) for k, t in removed])
