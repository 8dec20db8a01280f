"""newsdedup from Python: what the CLI does, for a notebook or a script.

    from pipeline import api

    counts = api.run(["incoming/"], db="news.duckdb")      # ingest + clean + detect
    stories = api.report("unique_articles", db="news.duckdb")  # a pyarrow.Table
    stories.to_pandas()                                    # (with pandas installed)
    why = api.explain("1a2b3c", "4d5e6f", db="news.duckdb")

Each call is the CLI command of the same name: the same run bookkeeping and publication
(`run` writes the working store and publishes `db`), the same reads of the public file,
and the same errors: a `pipeline.errors.PipelineError` whose message is the CLI's line
(`InputError` for a bad argument, `DatabaseBusy` when another run holds the store,
`DatabaseError` for a file that cannot be used).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline import clean, detect, ingest, publish
from pipeline import explain as explaining
from pipeline import report as reports
from pipeline.config import Config
from pipeline.explain import Explanation
from pipeline.records import StageResult

DEFAULT_DB = Path("news.duckdb")


def _counts(result: StageResult, counts: dict[str, int]) -> None:
    for key, value in result.counts.items():
        counts[f"{result.stage}.{key}"] = value
    if result.rejected:
        counts["rejected"] = counts.get("rejected", 0) + len(result.rejected)


def run(
    paths: Sequence[str | Path],
    db: str | Path = DEFAULT_DB,
    outlet: str | None = None,
    wait: float = 0.0,
    input_type: str | None = None,
) -> dict[str, int]:
    """Ingest, clean and detect `paths` into the store `db` (as `newsdedup run`); returns
    the counts per stage (`"ingest.ingested"`, `"detect.syndication"`, ..., `"rejected"`)."""
    cfg = Config.load()
    public = Path(db)
    inputs = [Path(p) for p in paths]
    with publish.session(public, "run", [str(p) for p in inputs], wait) as (con, run_id, counts):
        _counts(ingest.run(con, cfg, inputs, outlet, run_id, force=input_type), counts)
        _counts(clean.run(con, cfg, run_id=run_id), counts)
        _counts(detect.run(con, cfg, run_id=run_id), counts)
    return counts


def reading(
    db: str | Path = DEFAULT_DB,
) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A read-only connection to the public file (what `report` and `status` read)."""
    return publish.reading(Path(db))


def report(view: str, db: str | Path = DEFAULT_DB, limit: int | None = None) -> pa.Table:
    """A view's rows (by its name or a report's short name, in the report's order) as a
    pyarrow.Table; limit None or 0 = every row."""
    relation, order = reports.resolve(view)
    sql = f"select * from {relation} order by {order}"
    if limit:
        sql += f" limit {int(limit)}"
    with reading(db) as con:
        return con.sql(sql).to_arrow_table()


def explain(doc_a: str, doc_b: str, db: str | Path = DEFAULT_DB) -> Explanation:
    """Why two documents are linked (as `newsdedup explain`): scores and shared spans."""
    with reading(db) as con:
        return explaining.explain(con, doc_a, doc_b, Config.load().detect)


def export(view: str, out: str | Path, fmt: str = "parquet", db: str | Path = DEFAULT_DB) -> int:
    """Write a view to `out` (parquet, jsonl or csv); returns the rows written."""
    with reading(db) as con:
        return reports.export(con, view, fmt, Path(out))
