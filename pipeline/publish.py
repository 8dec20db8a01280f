"""The public file readers open, and the working store beside it that runs write.

DuckDB lets one process write a file and nobody read it meanwhile, so `--db news.duckdb`
names two files: runs write the working store `news.work.duckdb`, and at the end of each
run (and every `NEWSDEDUP_PUBLISH_EVERY` seconds of a long one, after a commit) the tables
readers need are copied into a new file that atomically replaces `news.duckdb` (write,
fsync, rename). A session holding the old file keeps a consistent snapshot; the next one
opens the new file. The public file is written in DuckDB 1.5's storage format, so the
DuckDB CLI and the Node bindings that the registries ship open it too.

A run holds `news.work.duckdb.lock` (an advisory lock the kernel drops when the process
dies, however it dies): another run waits for it (`run --wait`) or exits 75, and `status`
asks it whether a run is working now.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipeline import db
from pipeline.errors import DatabaseBusy, DatabaseError, on_stop, stopped_by, stopping

log = logging.getLogger(__name__)

# what readers query: every view's tables (documents without the raw bytes, which stay in
# the working store), the run history, and what `status`, `show` and `explain` read;
# detection's working state (passages, bands, signatures) stays behind
PUBLIC_TABLES = {
    "schema_migrations": "select * from schema_migrations",
    "documents": "select * exclude (raw) from documents",
    "input_sources": "select * from input_sources",
    "rejected_inputs": "select * from rejected_inputs",
    "cleaned": "select * from cleaned",
    "removed_spans": "select * from removed_spans",
    "learned_boilerplate": "select * from learned_boilerplate",
    "detect_params": "select * from detect_params",
    "detected": "select * from detected",
    "doc_pairs": "select * from doc_pairs",
    "alignments": "select * from alignments",
    "occurrences": "select * from occurrences",
    "runs": "select * from runs",
}
STORAGE_VERSION = "v1.5.0"  # the oldest DuckDB that opens the public file
MARKER = "published"  # a table only the public file has

# How a publication brings the previous public file up to date instead of writing every
# row again: table -> (the column its rows come in groups of, the columns that tell a
# changed group; a long text is told by its version column). A group whose row count or
# hash sum differs is replaced; the other tables are small and copied whole.
SYNCED = {
    "documents": ("doc_id", ()),
    "input_sources": ("source", ()),
    "rejected_inputs": ("rejected_id", ("raw",)),
    "cleaned": ("doc_id", ("clean_text",)),  # cleaned_at changes with it
    "removed_spans": ("doc_id", ()),
    "detected": ("doc_seq", ()),
    "doc_pairs": ("doc_b", ()),
    "alignments": ("doc_b", ()),
    "occurrences": ("doc_seq", ()),
}
REWRITE_AFTER = 86_400.0  # seconds: a file updated in place is written afresh once a day


def work_path(public: Path) -> Path:
    """news.duckdb -> news.work.duckdb (the working store)."""
    return public.with_name(f"{public.stem}.work{public.suffix}")


def lock_path(public: Path) -> Path:
    return work_path(public).with_name(work_path(public).name + ".lock")


@contextlib.contextmanager
def run_lock(public: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the store's run lock for the block; wait up to `wait` seconds for a run that
    holds it, then raise DatabaseBusy."""
    if not public.parent.exists():
        raise DatabaseError(f"{public}: directory {public.parent} does not exist")
    try:
        fd = os.open(lock_path(public), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DatabaseError(
            f"{public}: cannot write the database ({lock_path(public).name}: {exc.strerror})"
        ) from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f" (waited {wait:g} s)" if wait else ""
                    raise DatabaseBusy(
                        f"{public}: database is in use by another process (a run is working "
                        f"on it){waited}; try again later, or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock


def run_active(public: Path) -> bool:
    """Whether a run holds the store's run lock now (a shared probe, released at once)."""
    try:
        fd = os.open(lock_path(public), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def working_store(public: Path) -> Path:
    """The working store of `public`, taking over a store from before the split: a
    `news.duckdb` that holds everything becomes `news.work.duckdb`, once it has opened and
    migrated under its own name (a file that is not a store, or is from a newer
    newsdedup, is refused in one line and left where it is). Call with the run lock held."""
    work = work_path(public)
    if work.exists() or not public.exists() or public.is_dir():
        return work
    con = db.connect(public)  # refuses what is not a store of ours, migrates what is
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        con.execute("checkpoint")
    finally:
        con.close()
    if MARKER in tables:
        raise DatabaseError(
            f"{public}: the working store {work.name} beside it is missing, and this file is "
            f"only its published copy; restore {work.name}, or move {public.name} aside and "
            "run again to rebuild the store from the inputs"
        )
    os.replace(public, work)
    wal = public.with_name(public.name + ".wal")
    if wal.exists():
        os.replace(wal, work.with_name(work.name + ".wal"))
    log.info("%s: moved to %s (the working store); readers get a published copy", public, work)
    return work


@dataclass(frozen=True, slots=True)
class Published:
    path: Path
    seconds: float
    size_bytes: int


def publish(con: duckdb.DuckDBPyConnection, public: Path, run_id: str | None) -> Published:
    """Put a new public file in place of `public` atomically (write, fsync, rename), holding
    the public tables of the working store `con` and the views. Call with the run lock held.

    The new file starts as a copy of the previous one, brought up to date group by group
    (`SYNCED`): a run that adds 1,000 articles to 100,000 rewrites what changed, not the
    whole store. A missing or foreign previous file, another schema version, a day since
    the file was last written afresh, or any failure of the update: the file is written
    afresh instead.
    """
    start = time.perf_counter()
    for stale in public.parent.glob(f".{public.name}.publish-*"):
        stale.unlink(missing_ok=True)  # left by a run killed while publishing
    tmp = public.with_name(f".{public.name}.publish-{os.getpid()}")
    try:
        rewritten = _updatable(con, public)
        try:
            if rewritten is None:
                raise _Rewrite
            shutil.copyfile(public, tmp)
            _write(con, tmp, run_id, rewritten)
        except (_Rewrite, duckdb.Error, OSError) as exc:
            if stopping():
                raise
            if not isinstance(exc, _Rewrite):
                log.info("%s: written afresh (the update in place failed: %s)", public, exc)
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)
            _write(con, tmp, run_id, None)
        _fsync(tmp)
        os.replace(tmp, public)
        _fsync(public.parent)
    except duckdb.Error as exc:
        raise db.translate_error(public, exc) from exc
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return Published(public, time.perf_counter() - start, public.stat().st_size)


class _Rewrite(Exception):
    """The previous public file cannot be updated in place."""


def _updatable(con: duckdb.DuckDBPyConnection, public: Path) -> datetime | None:
    """When the previous public file was last written afresh, if it can be updated in place
    (ours, the working store's schema version, written afresh within REWRITE_AFTER)."""
    if not public.is_file():
        return None
    try:
        old = duckdb.connect(str(public), read_only=True)
    except duckdb.Error:
        return None
    try:
        tables = {r[0] for r in old.execute("select table_name from duckdb_tables()").fetchall()}
        if MARKER not in tables:
            return None
        columns = {r[0] for r in old.execute(f"describe {MARKER}").fetchall()}
        if "rewritten_at" not in columns:
            return None
        version = old.execute("select max(version) from schema_migrations").fetchall()[0][0]
        rewritten = old.execute(f"select max(rewritten_at) from {MARKER}").fetchall()[0][0]
    except duckdb.Error:
        return None
    finally:
        old.close()
    ours = con.execute("select max(version) from schema_migrations").fetchall()[0][0]
    if version != ours or rewritten is None:
        return None
    if (datetime.now() - rewritten).total_seconds() > REWRITE_AFTER:
        return None
    return rewritten


def _write(
    con: duckdb.DuckDBPyConnection, tmp: Path, run_id: str | None, rewritten: datetime | None
) -> None:
    """Fill `tmp`: afresh (rewritten None), or update the copy of the previous file in it."""
    alias = "newsdedup_public"
    quoted = str(tmp).replace("'", "''")
    how = "" if rewritten is not None else f" (storage_version '{STORAGE_VERSION}')"
    con.execute(f"attach '{quoted}' as {alias}{how}")
    try:
        for table, select in PUBLIC_TABLES.items():
            if rewritten is not None and table in SYNCED:
                _sync(con, alias, table, select)
                continue
            if rewritten is not None:
                con.execute(f"drop table {alias}.main.{table}")
            con.execute(f"create table {alias}.main.{table} as {select}")
        if rewritten is not None:
            con.execute(f"drop table {alias}.main.{MARKER}")
        con.execute(
            f"create table {alias}.main.{MARKER} as select current_timestamp as published_at, "
            "?::varchar as run_id, ?::timestamp as rewritten_at",
            [run_id, rewritten or datetime.now()],
        )
    finally:
        con.execute(f"detach {alias}")
    # the views, in the new file's own catalog (they name main.<table>)
    pub = duckdb.connect(str(tmp))
    try:
        db.create_views(pub)
        pub.execute("checkpoint")
    finally:
        pub.close()


def _sync(con: duckdb.DuckDBPyConnection, alias: str, table: str, select: str) -> None:
    """Replace the groups of `table` in the attached public file whose rows differ from the
    working store's (by row count and the sum of the rows' hashes)."""
    key, skip = SYNCED[table]
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where database_name = ? "
            "and table_name = ? order by column_index",
            [alias, table],
        ).fetchall()
        if r[0] not in skip
    ]
    told = f"count(*) as n, sum(hash({', '.join(columns)})) as h"
    con.execute(
        f"""
        create or replace temp table _changed as
        select coalesce(w.k, p.k) as k
        from (select {key} as k, {told} from ({select}) group by 1) as w
        full outer join (select {key} as k, {told} from {alias}.main.{table} group by 1) as p
            on p.k = w.k
        where w.n is distinct from p.n or w.h is distinct from p.h
        """
    )
    try:
        con.execute(f"delete from {alias}.main.{table} where {key} in (select k from _changed)")
        con.execute(
            f"insert into {alias}.main.{table} by name "
            f"select * from ({select}) where {key} in (select k from _changed)"
        )
    finally:
        con.execute("drop table _changed")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Publisher:
    """Publishes after a commit once `every` seconds have passed since the last time."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, public: Path, run_id: str, every: float
    ) -> None:
        self.con, self.public, self.run_id, self.every = con, public, run_id, every
        self.last = time.monotonic()

    def maybe(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.now()

    def now(self) -> Published:
        done = publish(self.con, self.public, self.run_id)
        self.last = time.monotonic()
        log.info(
            "published %s: %.1f MB in %.2f s", done.path, done.size_bytes / 2**20, done.seconds
        )
        return done


def publish_every() -> float:
    """NEWSDEDUP_PUBLISH_EVERY: seconds between publications inside one run (default 300;
    0 = after every commit)."""
    value = os.environ.get("NEWSDEDUP_PUBLISH_EVERY", "300").strip()
    try:
        every = float(value)
    except ValueError:
        every = -1.0
    if every < 0:
        raise DatabaseError(f"NEWSDEDUP_PUBLISH_EVERY={value!r}: expected seconds >= 0")
    return every


@contextlib.contextmanager
def session(
    public: Path, command: str, inputs: list[str], wait: float = 0.0
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str, dict[str, int]]]:
    """A writing command's whole life: hold the run lock (waiting up to `wait` seconds),
    open the working store, book the run in `runs`, publish after commits every
    NEWSDEDUP_PUBLISH_EVERY seconds and at the end. Yields (connection, run id, counts);
    the run ends 'ok' (or 'partial' when counts has rejections), 'interrupted' on
    KeyboardInterrupt (SIGINT, SIGTERM), 'failed' on any other exception."""
    every = publish_every()
    with run_lock(public, wait):
        con = db.connect(working_store(public))
        counts: dict[str, int] = {}
        run_id = db.start_run(con, command, inputs)
        publisher = Publisher(con, public, run_id, every)
        db.after_commit(con, publisher.maybe)
        try:
            with on_stop(con.interrupt):
                yield con, run_id, counts
        except BaseException as exc:  # the committed batches stay
            db.after_commit(con, None)
            with contextlib.suppress(duckdb.Error):
                con.rollback()  # a statement the stop cut short may have left one open
            with contextlib.suppress(duckdb.Error):
                if isinstance(exc, KeyboardInterrupt) or stopping():
                    db.finish_run(
                        con, run_id, "interrupted", counts, f"interrupted by {stopped_by()}"
                    )
                else:
                    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    db.finish_run(con, run_id, "failed", counts, first)
            raise
        else:
            db.after_commit(con, None)
            db.finish_run(con, run_id, "partial" if counts.get("rejected") else "ok", counts)
            publisher.now()
        finally:
            db.after_commit(con, None)
            con.close()


@contextlib.contextmanager
def reading(public: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The public file opened read-only, for what only looks (`report`, `status`, `show`,
    `explain`, pipeline.api): never the working store, so a reader never holds up a run."""
    if not public.exists() and work_path(public).exists():
        raise DatabaseError(
            f"{public}: not published yet: the first run is still working, or stopped "
            "before it published (run 'newsdedup run' again)"
        )
    con = db.connect(public, read_only=True)
    try:
        yield con
    finally:
        con.close()
