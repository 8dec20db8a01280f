"""The newsdedup command line: thin wrappers over the stage modules."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from pipeline import clean, db, detect, ingest, report
from pipeline.config import Config
from pipeline.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, PipelineError
from pipeline.records import StageResult

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help=(
        "newsdedup: find who published what first, who republished whom, and which text "
        "travelled across outlets. Inputs go into one DuckDB file; SQL views answer the questions."
    ),
)

DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar="NEWSDEDUP_DB",
        help="DuckDB database file (created if missing).",
        show_default=True,
    ),
]
PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Files or folders (searched recursively): .txt, .html, .htm.", show_default=False
    ),
]
OutletOption = Annotated[
    str | None,
    typer.Option("--outlet", help="Outlet name for every input of this call (overrides metadata)."),
]
DEFAULT_DB = Path("news.duckdb")


class ReportName(StrEnum):
    syndication = "syndication"
    copying = "copying"
    clusters = "clusters"
    passages = "passages"
    outlets = "outlets"
    boilerplate = "boilerplate"
    rejected = "rejected"
    articles = "articles"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _err(msg: str) -> None:
    typer.echo(f"newsdedup: {msg}", err=True)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and an exit code."""
    try:
        yield
    except PipelineError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _err(f"error: database: {first}")
        raise typer.Exit(EXIT_FAILED) from None
    except OSError as exc:
        _err(f"error: {exc.filename or ''}: {exc.strerror or exc}".replace(": : ", ": "))
        raise typer.Exit(EXIT_FAILED) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: still one line, the traceback only with --verbose
        logging.getLogger(__name__).info("traceback", exc_info=True)
        _err(f"error: internal: {type(exc).__name__}: {exc} (run with -v for the traceback)")
        raise typer.Exit(EXIT_FAILED) from None


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="newsdedup: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")
    ] = False,
) -> None:
    _setup_logging(verbose)


@contextlib.contextmanager
def _run(
    db_path: Path, command: str, inputs: list[str]
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str, Config, dict]]:
    """Open the database for writing and book the run in the runs table."""
    cfg = Config.load()
    con = db.connect(db_path)
    counts: dict[str, int] = {}
    run_id = db.start_run(con, command, inputs)
    try:
        yield con, run_id, cfg, counts
    except KeyboardInterrupt:
        db.finish_run(con, run_id, "interrupted", counts, "interrupted by signal")
        con.close()
        raise
    except BaseException as exc:
        if not isinstance(exc, typer.Exit):
            with contextlib.suppress(duckdb.Error):
                db.finish_run(
                    con,
                    run_id,
                    "failed",
                    counts,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
            con.close()
            raise
        con.close()
        raise
    else:
        status = "partial" if counts.get("rejected") else "ok"
        db.finish_run(con, run_id, status, counts)
        con.close()


def _report_stage(result: StageResult, counts: dict[str, int]) -> None:
    for key, value in result.counts.items():
        counts[f"{result.stage}.{key}"] = value
    if result.rejected:
        counts["rejected"] = counts.get("rejected", 0) + len(result.rejected)
    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.counts.items())
    typer.echo(f"{result.stage}: {shown or 'nothing to do'}")
    for r in result.rejected:
        _err(f"rejected {r.source}: {r.reason}")


def _exit_for(counts: dict[str, int]) -> None:
    if counts.get("rejected"):
        _err(f"{counts['rejected']} input(s) rejected; see 'newsdedup report rejected'")
        raise typer.Exit(EXIT_PARTIAL)


@app.command("ingest")
def ingest_cmd(
    paths: PathsArg, outlet: OutletOption = None, db_path: DbOption = DEFAULT_DB
) -> None:
    """Store every input untouched, with its metadata (outlet, URL, title, date).

    Outlet comes from --outlet, else a sidecar <file>.json or a manifest.jsonl in the
    folder, else the URL's registered domain, else a "source: example.com" trailer,
    else a placeholder unique to the file (unknown outlets are never merged).
    """
    with _errors(), _run(db_path, "ingest", [str(p) for p in paths]) as (con, run_id, cfg, counts):
        _report_stage(ingest.run(con, cfg, paths, outlet=outlet, run_id=run_id), counts)
    _exit_for(counts)


@app.command("clean")
def clean_cmd(db_path: DbOption = DEFAULT_DB) -> None:
    """Extract article text (trafilatura for HTML) and strip boilerplate, recording each removal."""
    with _errors(), _run(db_path, "clean", []) as (con, run_id, cfg, counts):
        _report_stage(clean.run(con, cfg, run_id=run_id), counts)
    _exit_for(counts)


@app.command("detect")
def detect_cmd(db_path: DbOption = DEFAULT_DB) -> None:
    """Find reused passages and syndicated articles for every cleaned document not yet processed."""
    with _errors(), _run(db_path, "detect", []) as (con, run_id, cfg, counts):
        _report_stage(detect.run(con, cfg, run_id=run_id), counts)


@app.command("run")
def run_cmd(paths: PathsArg, outlet: OutletOption = None, db_path: DbOption = DEFAULT_DB) -> None:
    """Ingest, clean and detect in one batch: the command a scheduled job calls.

    Idempotent: running it again on the same inputs adds nothing. Exit codes: 0 ok,
    1 failed, 2 usage, 3 some inputs rejected (the rest went through), 75 database busy.
    """
    with _errors(), _run(db_path, "run", [str(p) for p in paths]) as (con, run_id, cfg, counts):
        _report_stage(ingest.run(con, cfg, paths, outlet=outlet, run_id=run_id), counts)
        _report_stage(clean.run(con, cfg, run_id=run_id), counts)
        _report_stage(detect.run(con, cfg, run_id=run_id), counts)
    _exit_for(counts)


@app.command("report")
def report_cmd(
    view: Annotated[
        ReportName | None,
        typer.Argument(
            help="Which view to print; none prints the overview reuse report.", show_default=False
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=0, help="At most N rows.")
    ] = None,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Print a view: syndication, copying, clusters, passages, outlets, boilerplate, rejected."""
    with _errors():
        con = db.connect(db_path, read_only=True)
        try:
            if view is None:
                typer.echo(report.overview(con, limit or 10))
            else:
                cols, rows = report.query(con, view.value, limit)
                typer.echo(report.format_rows(cols, rows, fmt.value))
        finally:
            con.close()


@app.command("status")
def status_cmd(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Counts per stage and the last runs (an interrupted run is flagged)."""
    with _errors():
        con = db.connect(db_path, read_only=True)
        try:
            counts = con.execute(
                """
                select
                    (select count(*) from documents) as ingested,
                    (select count(*) from cleaned) as cleaned,
                    (select count(*) from detected) as detected,
                    (select count(*) from rejected_inputs) as rejected,
                    (select count(*) from documents where doc_id not in (select doc_id from cleaned)
                        and doc_id not in (select doc_id from rejected_inputs where doc_id is not null))
                        as awaiting_clean,
                    (select count(*) from cleaned) - (select count(*) from detected) as awaiting_detect,
                    (select count(*) from reuse_clusters) as clusters,
                    (select count(*) from syndication) as syndicated_pairs
                """
            )
            cols = [d[0] for d in counts.description]
            row = counts.fetchall()[0]
            runs = con.execute(
                """
                select run_id, command, status, started_at, finished_at, counts, error
                from runs order by started_at desc limit 10
                """
            )
            run_cols = [d[0] for d in runs.description]
            run_rows = runs.fetchall()
        finally:
            con.close()
        if fmt is Format.json:
            typer.echo(
                json.dumps(
                    {
                        "counts": dict(zip(cols, row, strict=True)),
                        "runs": json.loads(report.format_rows(run_cols, run_rows, "json")),
                    },
                    indent=2,
                )
            )
            return
        typer.echo(report.format_rows(cols, [row], fmt.value))
        typer.echo("")
        typer.echo(report.format_rows(run_cols, run_rows, fmt.value))
        for r in run_rows:
            if r[2] in ("interrupted", "running"):
                typer.echo(f"note: run {r[0]} ({r[1]}) was {r[2]}; the next run finishes its work")


def main() -> None:
    app()
    raise SystemExit(EXIT_OK)
