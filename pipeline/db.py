"""The DuckDB file: opening it safely, forward-only migrations, views, run bookkeeping."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.errors import DatabaseBusy, DatabaseError, SchemaTooNew
from pipeline.records import Rejection

log = logging.getLogger(__name__)

# Views in dependency order; each lives in sql/views/<name>.sql.
VIEWS = (
    "articles",
    "document_order",
    "passage_pairs",
    "shared_passages",
    "reuse_clusters",
    "syndication",
    "copying",
    "outlet_originality",
    "removed_boilerplate",
    "sources",
    "duplicates",
    "unique_articles",
    "stage_counts",
    "recent_runs",
)
RAW_KEEP_BYTES = 1_000_000  # bytes of a rejected input kept in rejected_inputs.raw


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every numbered file in sql/, in order."""
    out = []
    for entry in resources.files("pipeline.sql").iterdir():
        match = re.fullmatch(r"(\d{3})_(\w+)\.sql", entry.name)
        if match:
            out.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(out)


def view_sql(name: str) -> str:
    return resources.files("pipeline.sql.views").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the database, migrate it and (re)create the views."""
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseError(f"{path}: no such database (run 'newsdedup ingest' or 'run' first)")
    if not read_only and not path.parent.exists():
        raise DatabaseError(f"{path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise DatabaseError(f"{path}: is a directory, not a database file")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise translate_error(path, exc) from exc
    try:
        # a setting, not a connect() config: another connection to the same file in this
        # process (tests, a notebook) would refuse a different config
        con.execute(f"set memory_limit = '{_memory_limit()}'")
        # checkpoint when the WAL passes 512 MB, not DuckDB's 16 MB: every checkpoint also
        # rewrites the key indexes in full, so with frequent ones a 100,000-article run
        # spent a third of its cleaning time checkpointing. A killed run replays the WAL.
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_WAL}'")
        if not read_only:
            migrate(con)
            create_views(con)
        else:
            check_current(con, path)
    except duckdb.Error as exc:
        con.close()
        raise translate_error(path, exc) from exc
    except Exception:
        con.close()
        raise
    return con


CHECKPOINT_WAL = "512MB"


def _memory_limit() -> str:
    """DuckDB's memory limit: NEWSDEDUP_MEMORY_LIMIT, default 384MB. Past it, DuckDB spills
    joins and aggregates to disk instead of growing (its own default is 80% of RAM)."""
    value = os.environ.get("NEWSDEDUP_MEMORY_LIMIT", "384MB").strip()
    if not re.fullmatch(r"\d+(?:\.\d+)?\s*[KMGT]i?B", value, re.I):
        raise DatabaseError(f"NEWSDEDUP_MEMORY_LIMIT={value!r}: expected a size such as 1GB")
    return value


def translate_error(path: Path | None, exc: duckdb.Error) -> DatabaseError:
    """One clear line for a DuckDB error (lock, not a database, permissions, disk full)."""
    msg = " ".join(str(exc).split()) if str(exc) else type(exc).__name__
    low = msg.lower()
    if len(msg) > 300:  # the cause is often at the end ("... : File too large")
        msg = f"{msg[:200]} ... {msg[-90:]}"
    where = f"{path}: " if path else ""
    if "lock" in low and ("conflicting" in low or "could not set lock" in low):
        return DatabaseBusy(
            f"{where}database is in use by another process (locked); try again later"
        )
    if "not a valid duckdb database" in low or "is not a duckdb" in low or "unable to open" in low:
        return DatabaseError(f"{where}not a DuckDB database file or corrupt ({msg})")
    if "permission denied" in low or "read-only file system" in low:
        return DatabaseError(f"{where}cannot write the database ({msg})")
    if "no space left" in low or "disk full" in low or "file too large" in low:
        return DatabaseError(
            f"{where}disk full (or file size limit) while writing the database; committed "
            f"batches are kept, run again when there is room ({msg})"
        )
    return DatabaseError(f"{where}database error: {msg}")


def check_current(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A read-only session cannot migrate or create views: refuse, in one line, a database
    that an older newsdedup wrote (the next writing command brings it up to date)."""
    current = check_schema(con)
    known = max((v for v, _, _ in migrations()), default=0)
    stored = {
        r[0]
        for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()
    }
    missing = [v for v in VIEWS if v not in stored]
    if current < known or missing:
        what = (
            f"schema version {current}, this newsdedup's is {known}"
            if current < known
            else (f"without the view(s) {', '.join(missing)}")
        )
        raise DatabaseError(
            f"{path}: written by an older newsdedup ({what}); any writing command "
            "(for example 'newsdedup detect') brings it up to date"
        )


def check_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Current schema version; refuses a database written by a newer schema."""
    has_table = con.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    current = 0
    if has_table:
        current = con.execute("select coalesce(max(version), 0) from schema_migrations").fetchall()[
            0
        ][0]
    known = max((v for v, _, _ in migrations()), default=0)
    if current > known:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this newsdedup knows ({known}); "
            "upgrade newsdedup"
        )
    return current


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations forward only, each in one transaction."""
    con.execute(
        """
        create table if not exists schema_migrations (
            version integer primary key,
            name varchar not null,
            applied_at timestamp not null default current_timestamp
        )
        """
    )
    check_schema(con)
    done = {r[0] for r in con.execute("select version from schema_migrations").fetchall()}
    applied = []
    # every known version not applied yet, in order: a file numbered below one already
    # applied (two branches merged) still runs once
    for version, name, sql in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "insert into schema_migrations (version, name) values (?, ?)", [version, name]
            )
        applied.append(version)
        log.info("applied migration %03d_%s", version, name)
    return applied


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    for name in VIEWS:
        con.execute(view_sql(name))


_AFTER_COMMIT: dict[int, Callable[[], None]] = {}


def after_commit(con: duckdb.DuckDBPyConnection, hook: Callable[[], None] | None) -> None:
    """Call hook after every transaction() on con commits (None: no longer). A run
    publishes its store this way every few minutes, always between two commits."""
    if hook is None:
        _AFTER_COMMIT.pop(id(con), None)
    else:
        _AFTER_COMMIT[id(con)] = hook


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    else:
        con.execute("commit")
    hook = _AFTER_COMMIT.get(id(con))
    if hook is not None:
        hook()


def insert_arrow(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batch: pa.Table,
    select: str = "*",
    join: str = "",
) -> None:
    """insert into table select ... from an Arrow batch (one crossing, not row by row);
    `join` follows the batch in the from clause (`as b anti join ...`)."""
    name = f"_batch_{table}"
    con.register(name, batch)
    try:
        # by name: tables gain columns in later migrations (their defaults fill the rest)
        how = "by name " if select == "*" else ""
        con.execute(f"insert into {table} {how}select {select} from {name} {join}")
    finally:
        con.unregister(name)


def rejection_id(source: str, stage: str, reason: str) -> str:
    return hashlib.sha256(f"{source}\0{stage}\0{reason}".encode()).hexdigest()[:16]


def record_rejections(
    con: duckdb.DuckDBPyConnection, rejections: Sequence[Rejection], run_id: str | None
) -> None:
    if not rejections:
        return
    batch = pa.table(
        {
            "rejected_id": [rejection_id(r.source, r.stage, r.reason) for r in rejections],
            "source": [r.source for r in rejections],
            "stage": [r.stage for r in rejections],
            "reason": [r.reason for r in rejections],
            "size_bytes": pa.array([r.size_bytes for r in rejections], pa.int64()),
            "raw": pa.array(
                [r.raw[:RAW_KEEP_BYTES] if r.raw else None for r in rejections], pa.binary()
            ),
            "doc_id": [r.doc_id for r in rejections],
            "run_id": [run_id] * len(rejections),
        }
    )
    con.register("_rejected_batch", batch)
    try:
        con.execute(
            """
            insert into rejected_inputs
                (rejected_id, source, stage, reason, size_bytes, raw, doc_id, run_id)
            select distinct on (rejected_id) *
            from _rejected_batch
            where rejected_id not in (select rejected_id from rejected_inputs)
            """
        )
    finally:
        con.unregister("_rejected_batch")


# --- runs -------------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("newsdedup", "datasketch", "trafilatura", "duckdb", "typer", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def start_run(con: duckdb.DuckDBPyConnection, command: str, inputs: Sequence[str]) -> str:
    # a run left 'running' by a process that died is marked interrupted: we hold the lock now
    con.execute("update runs set status = 'interrupted' where status = 'running'")
    run_id = uuid.uuid4().hex[:12]
    versions = library_versions()
    con.execute(
        """
        insert into runs (run_id, command, inputs, started_at, status, code_version, library_versions)
        values (?, ?, ?, current_timestamp, 'running', ?, ?)
        """,
        [
            run_id,
            command,
            json.dumps(list(inputs)),
            versions.get("newsdedup"),
            json.dumps(versions),
        ],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    counts: dict[str, int],
    error: str | None = None,
) -> None:
    con.execute(
        """
        update runs set finished_at = current_timestamp, status = ?, counts = ?, error = ?
        where run_id = ?
        """,
        [status, json.dumps(counts), error, run_id],
    )
    con.execute("checkpoint")
