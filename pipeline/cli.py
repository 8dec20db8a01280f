"""The newsdedup command line: thin wrappers over the stage modules."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import sys
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from pipeline import (
    clean,
    db,
    detect,
    errors,
    explain,
    html_report,
    ingest,
    progress,
    publish,
    report,
)
from pipeline.config import Config
from pipeline.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, PipelineError
from pipeline.records import StageResult

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # help text is plain text: "newsdedup[ray]" is not markup, paragraphs are re-wrapped
    rich_markup_mode=None,
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
        help=(
            "Files or folders (searched recursively): .txt, .html, .htm, .jsonl or .ndjson "
            "(one article per line), .json (an array of articles), .warc (HTML responses), "
            "each also gzipped (.gz); other files when their content is HTML. '-' reads JSONL "
            "from standard input."
        ),
        show_default=False,
        metavar="PATH",
    ),
]


class InputType(StrEnum):
    html = "html"
    text = "text"
    jsonl = "jsonl"
    json = "json"
    warc = "warc"


TypeOption = Annotated[
    InputType | None,
    typer.Option(
        "--type",
        help="Read every input as this type, whatever its name (default: by name, and HTML "
        "by content for other files).",
    ),
]


def _reader(kind: InputType | None) -> str | None:
    return None if kind is None else ("txt" if kind is InputType.text else kind.value)


OutletOption = Annotated[
    str | None,
    typer.Option("--outlet", help="Outlet name for every input of this call (overrides metadata)."),
]
DEFAULT_DB = Path("news.duckdb")


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
        with errors.stoppable():
            yield
    except typer.Exit:
        raise
    except (KeyboardInterrupt, Exception) as exc:
        if isinstance(exc, KeyboardInterrupt) or errors.stopping():
            _err(
                f"interrupted by {errors.stopped_by()}: committed work is kept; the next run goes on"
            )
            raise typer.Exit(128 + errors.stop_signal()) from None
        _fail(exc)


def _fail(exc: Exception) -> None:
    """The one line and the exit code for an error that no stop signal caused."""
    if isinstance(exc, PipelineError):
        _err(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    if isinstance(exc, duckdb.Error):
        translated = db.translate_error(None, exc)
        _err(f"error: {translated}")
        raise typer.Exit(translated.exit_code) from None
    if isinstance(exc, BrokenPipeError):  # `newsdedup report | head`: the reader has it all
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_OK) from None
    if isinstance(exc, OSError):
        _err(f"error: {exc.filename or ''}: {exc.strerror or exc}".replace(": : ", ": "))
        raise typer.Exit(EXIT_FAILED) from None
    # a bug: still one line, the traceback only with --verbose
    logging.getLogger(__name__).info("traceback", exc_info=exc)
    _err(f"error: internal: {type(exc).__name__}: {exc} (run with -v for the traceback)")
    raise typer.Exit(EXIT_FAILED) from None


def _setup_logging(verbose: bool) -> None:
    # a log file or the journal gets timestamps; a terminal gets the bare message
    stamp = "" if sys.stderr.isatty() else "%(asctime)s "
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format=f"{stamp}newsdedup: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"newsdedup {version('newsdedup')}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Log progress to stderr (before or after the command)."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    _setup_logging(verbose)


GLOBAL_FLAGS = ("-v", "--verbose", "--version")


def _global_first(argv: list[str]) -> list[str]:
    """Global flags are the app's, wherever they are given: `newsdedup run x -v` is
    `newsdedup -v run x` (everything after `--` is left alone)."""
    stop = argv.index("--") if "--" in argv else len(argv)
    flags = [a for a in argv[:stop] if a in GLOBAL_FLAGS]
    rest = [a for a in argv[:stop] if a not in GLOBAL_FLAGS]
    return flags + rest + argv[stop:]


@contextlib.contextmanager
def _run(
    db_path: Path, command: str, inputs: list[str], wait: float = 0.0
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str, Config, dict]]:
    """A writing command's run (pipeline.publish.session) and the configuration."""
    cfg = Config.load()
    with publish.session(db_path, command, inputs, wait) as (con, run_id, counts):
        yield con, run_id, cfg, counts


def _report_stage(
    result: StageResult, counts: dict[str, int], con: duckdb.DuckDBPyConnection
) -> None:
    for key, value in result.counts.items():
        counts[f"{result.stage}.{key}"] = value
    if result.rejected:
        counts["rejected"] = counts.get("rejected", 0) + len(result.rejected)
    shown = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.counts.items())
    typer.echo(f"{result.stage}: {shown or 'nothing to do'}")
    steps = "".join(f", {k.replace('_', ' ')} {v:.1f}" for k, v in result.seconds.items())
    log = logging.getLogger(__name__)
    if log.isEnabledFor(logging.INFO):
        size, wal = con.sql(
            "select database_size, wal_size from pragma_database_size()"
        ).fetchall()[0]
        log.info(
            "%s: %.2f s%s; peak RSS so far %.0f MB; database %s (+ WAL %s)",
            result.stage,
            time.perf_counter() - result.started,
            steps,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            size,
            wal,
        )
    for r in result.rejected:
        _err(f"rejected {r.source}: {r.reason}")


def _exit_for(counts: dict[str, int]) -> None:
    if counts.get("rejected"):
        _err(f"{counts['rejected']} input(s) rejected; see 'newsdedup report rejected'")
        raise typer.Exit(EXIT_PARTIAL)


@app.command("ingest")
def ingest_cmd(
    paths: PathsArg,
    outlet: OutletOption = None,
    kind: TypeOption = None,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Store every input untouched, with its metadata (outlet, URL, title, date).

    Outlet comes from --outlet, else a sidecar <file>.json or a manifest.jsonl in the
    folder, else the URL's registered domain, else a "source: example.com" trailer,
    else a placeholder unique to the file (unknown outlets are never merged).
    """
    with _errors(), _run(db_path, "ingest", [str(p) for p in paths]) as (con, run_id, cfg, counts):
        result = ingest.run(con, cfg, paths, outlet=outlet, run_id=run_id, force=_reader(kind))
        _report_stage(result, counts, con)
    _exit_for(counts)


@app.command("clean")
def clean_cmd(
    redo: Annotated[
        bool,
        typer.Option(
            "--redo",
            help="Re-clean every document (after rule changes); detection is redone by 'detect'.",
        ),
    ] = False,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Extract article text (trafilatura for HTML) and strip boilerplate, recording each removal.

    Lines recurring across several documents of one outlet (and no other) are learned as
    that outlet's boilerplate; documents cleaned earlier are re-cleaned when that changes.
    """
    inputs = ["--redo"] if redo else []
    with _errors(), _run(db_path, "clean", inputs) as (con, run_id, cfg, counts):
        _report_stage(clean.run(con, cfg, run_id=run_id, redo=redo), counts, con)
    _exit_for(counts)


@app.command("show")
def show_cmd(
    doc_id: Annotated[
        str, typer.Argument(help="Document id (or a unique prefix of it).", show_default=False)
    ],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """One document: metadata, clean text, and each removed span with its family."""
    with _errors():
        with publish.reading(db_path) as con:
            view = clean.describe(con, doc_id)
        if fmt is Format.json:
            out = {k: report._plain(v) for k, v in view.meta.items()}
            out["clean_text"] = view.clean_text
            out["removed"] = [{"family": k, "text": t} for k, t in view.removed]
            typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
            return
        if fmt is Format.csv:
            typer.echo(report.format_rows(["family", "text"], view.removed, "csv"))
            return
        for key, value in view.meta.items():
            typer.echo(f"{key + ':':<16}{'' if value is None else report._plain(value)}")
        typer.echo("\n--- clean text ---")
        typer.echo(view.clean_text if view.clean_text is not None else "(not cleaned)")
        typer.echo(f"\n--- removed spans ({len(view.removed)}) ---")
        for family, text in view.removed:
            lines = text.split("\n")
            typer.echo(f"[{family}] {lines[0]}")
            for line in lines[1:]:
                typer.echo(f"{' ' * (len(family) + 3)}{line}")


@app.command("detect")
def detect_cmd(
    redo: Annotated[
        bool,
        typer.Option(
            "--redo",
            help="Forget all detection and redo it (after a change of detection parameters).",
        ),
    ] = False,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Find reused passages and syndicated articles for every cleaned document not yet
    processed, and again for documents whose clean text changed."""
    inputs = ["--redo"] if redo else []
    with _errors(), _run(db_path, "detect", inputs) as (con, run_id, cfg, counts):
        _report_stage(detect.run(con, cfg, run_id=run_id, redo=redo), counts, con)


class EngineName(StrEnum):
    local = "local"
    ray = "ray"


@app.command("run")
def run_cmd(
    paths: PathsArg,
    outlet: OutletOption = None,
    kind: TypeOption = None,
    engine: Annotated[
        EngineName,
        typer.Option(
            "--engine",
            help="Where the per-document work runs: local (all cores of this machine) or ray "
            "(a Ray cluster; needs the newsdedup[ray] extra). Results are the same.",
        ),
    ] = EngineName.local,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Ray cluster to connect to (ray.init address); default: start a local instance.",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="If another run is working on the store, wait up to this long for it "
            "(exit 75 only when the wait ends).",
        ),
    ] = 0.0,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Ingest, clean and detect in one batch: the command a scheduled job calls.

    Idempotent: running it again on the same inputs adds nothing. Exit codes: 0 ok,
    1 failed, 2 usage, 3 some inputs rejected (the rest went through), 75 database busy.
    """
    if engine is EngineName.local and address:
        raise typer.BadParameter("only with --engine ray", param_hint="--address")
    with _errors(), contextlib.ExitStack() as stack:
        executor = None
        if engine is EngineName.ray:
            from pipeline import ray_engine

            # Ray first: a missing extra or an unreachable cluster never holds the database
            executor = stack.enter_context(ray_engine.RayExecutor(address))
        inputs = [str(p) for p in paths]
        with _run(db_path, "run", inputs, wait) as (con, run_id, cfg, counts):
            done = ingest.run(con, cfg, paths, outlet=outlet, run_id=run_id, force=_reader(kind))
            _report_stage(done, counts, con)
            # each stage starts from checkpointed tables, as it does when run as its own
            # command: rows committed since the last checkpoint wait in DuckDB's memory,
            # and past its limit it spills and rereads them (100,000 articles: the raw
            # pages' 368 MB of WAL, then the clean texts' 404 MB, made clean 13% and
            # detect 11% slower)
            con.execute("checkpoint")
            _report_stage(clean.run(con, cfg, run_id=run_id, executor=executor), counts, con)
            con.execute("checkpoint")
            _report_stage(detect.run(con, cfg, run_id=run_id, executor=executor), counts, con)
    _exit_for(counts)


def _view_names(incomplete: str) -> list[str]:
    return [n for n in report.names() if n.startswith(incomplete)]


@app.command("report")
def report_cmd(
    view: Annotated[
        str | None,
        typer.Argument(
            help="Which view to print, by its name (reuse_clusters, passage_pairs, "
            "unique_articles, ...) or a short one (clusters, passages, outlets, unique, "
            "boilerplate, rejected); none prints the overview reuse report.",
            show_default=False,
            autocompletion=_view_names,
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", min=0, help="At most N rows; 0 = all (default 10 in the overview)."
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write the HTML report (network, timelines, side-by-side text, tables) to "
            "this file instead; --limit caps its table rows.",
            dir_okay=False,
        ),
    ] = None,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Print a view (table, JSON array of objects, or CSV with lists as JSON), or the
    overview (in JSON one object)."""
    if html is not None and view is not None:
        raise typer.BadParameter("--html writes the whole report; name no view", param_hint="VIEW")
    with _errors(), publish.reading(db_path) as con:
        if html is not None:
            caps = html_report.Caps() if not limit else html_report.Caps(rows=limit)
            size = html_report.write(con, html, caps)
            typer.echo(f"report: wrote {html} ({size / 1024:.0f} KB)")
        elif view is None:
            shown = 10 if limit is None else limit
            if fmt is Format.json:
                typer.echo(
                    json.dumps(report.overview_data(con, shown), indent=2, ensure_ascii=False)
                )
            elif fmt is Format.csv:  # the headline figures, one row
                h = report.headline(con)
                typer.echo(report.format_rows(list(h), [tuple(h.values())], "csv"))
            else:
                typer.echo(report.overview(con, shown))
        else:
            cols, rows = report.query(con, view, limit)
            typer.echo(report.format_rows(cols, rows, fmt.value))


class ExportFormat(StrEnum):
    parquet = "parquet"
    jsonl = "jsonl"
    csv = "csv"


@app.command("export")
def export_cmd(
    view: Annotated[
        str,
        typer.Argument(
            help="A public view (unique_articles, duplicates, passage_pairs, ...) or a report "
            "name (clusters, passages, outlets, unique, ...).",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write.", dir_okay=False)],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="parquet, jsonl or csv.")
    ] = ExportFormat.parquet,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Write a view to a file (DuckDB's COPY): the deduplicated set for pandas, polars,
    Spark or a Hugging Face dataset (`newsdedup export unique_articles -o stories.parquet`)."""
    with _errors(), publish.reading(db_path) as con:
        rows = report.export(con, view, fmt.value, out)
    typer.echo(f"export: {rows} rows of {view} to {out}")


@app.command("explain")
def explain_cmd(
    doc_a: Annotated[str, typer.Argument(help="A document id (or a unique prefix).")],
    doc_b: Annotated[str, typer.Argument(help="Another document id (or a unique prefix).")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text (spans side by side) or json.")
    ] = "text",
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Why two documents are linked: scores (jaccard, containment, coverage, via) and shared spans."""
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    with _errors():
        with publish.reading(db_path) as con:
            ex = explain.explain(con, doc_a, doc_b, Config.load().detect)
        typer.echo(explain.render(ex, fmt))


@app.command("status")
def status_cmd(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    db_path: DbOption = DEFAULT_DB,
) -> None:
    """Counts per stage and the last runs (an interrupted run is flagged)."""
    with _errors():
        # a run marked running is working now if it holds the run lock, else it died
        now = "running" if publish.run_active(db_path) else "interrupted"
        with publish.reading(db_path) as con:
            counts = con.execute("select * from stage_counts")
            cols = [d[0] for d in counts.description]
            row = counts.fetchall()[0]
            cols.append("cleaned_by_older_rules")
            row = (*row, clean.older_rules(con))
            runs = con.execute(
                """
                select * replace (if(status = 'running', ?, status) as status)
                from recent_runs order by started_at desc
                """,
                [now],
            )
            run_cols = [d[0] for d in runs.description]
            run_rows = runs.fetchall()
        if fmt is Format.json:  # one object; each run's counts an object, not a string
            runs = json.loads(report.format_rows(run_cols, run_rows, "json"))
            for run in runs:
                if isinstance(run.get("counts"), str):
                    run["counts"] = json.loads(run["counts"])
            out = {"counts": dict(zip(cols, row, strict=True)), "runs": runs}
            typer.echo(json.dumps(out, indent=2))
            return
        if fmt is Format.csv:  # one table: the counts (the runs: `report recent_runs`)
            typer.echo(report.format_rows(cols, [row], "csv"))
            return
        typer.echo(report.format_rows(cols, [row], fmt.value))
        typer.echo("")
        typer.echo(report.format_rows(run_cols, run_rows, fmt.value))
        done = max((r[3] for r in run_rows if r[2] in ("ok", "partial")), default=None)
        for r in run_rows:
            if r[2] == "interrupted":
                then = "a later run completed" if done and done > r[3] else None
                then = then or "no run has completed since; the next run picks up its work"
                typer.echo(f"note: run {r[0]} ({r[1]}) was interrupted; {then}")


def main() -> None:
    progress.enable()
    errors.handle_stop_signals()
    app(args=_global_first(sys.argv[1:]), prog_name="newsdedup")
    raise SystemExit(EXIT_OK)
