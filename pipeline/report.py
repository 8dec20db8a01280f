"""Report stage: the views as tables, JSON or CSV, and a one-screen overview."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import InputError

# report name -> (relation, order by)
REPORTS: dict[str, tuple[str, str]] = {
    "clusters": ("reuse_clusters", "n_docs desc, max_words desc, cluster_id"),
    "passages": ("shared_passages", "cluster_id, rank_in_cluster"),
    "syndication": ("syndication", "jaccard desc, doc_a, doc_b"),
    "copying": ("copying", "shared_words desc, source_outlet, target_outlet"),
    "outlets": ("outlet_originality", "original_share, outlet"),
    "boilerplate": (
        "(select kind as family, outlet, count(distinct doc_id) as n_docs, count(*) as n_spans, "
        "sum(length(text)) as n_chars, arg_min(text, length(text)) as shortest_example "
        "from removed_boilerplate group by all)",
        "family, n_docs desc, n_spans desc, outlet",
    ),
    "rejected": (
        "(select source, stage, reason, size_bytes, rejected_at from rejected_inputs)",
        "rejected_at, source",
    ),
    "articles": ("(select * exclude (clean_text) from articles)", "doc_seq"),
    "sources": ("sources", "doc_seq, source"),
    "duplicates": ("duplicates", "story, doc_id"),
    "unique": ("(select * exclude (clean_text) from unique_articles)", "published_at, doc_id"),
}
# a view's own name (as the README spells it) -> its short report name
LONG_NAMES = {
    "reuse_clusters": "clusters",
    "shared_passages": "passages",
    "outlet_originality": "outlets",
    "removed_boilerplate": "boilerplate",
    "rejected_inputs": "rejected",
    "unique_articles": "unique",
}
EXPORT_FORMATS = {"parquet": "(format parquet)", "jsonl": "(format json)", "csv": "(format csv)"}


def export(con: duckdb.DuckDBPyConnection, name: str, fmt: str, out: Path) -> int:
    """Write a public view (its whole rows, clean text included) to `out` with DuckDB's
    COPY: Parquet, JSON lines or CSV (lists and structs as JSON there). Returns the rows
    written; the file appears whole (written beside it, then renamed)."""
    relation, order = resolve(name)
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"--format {fmt!r}: one of {', '.join(EXPORT_FORMATS)}")
    select = f"select * from {relation} order by {order}"
    kinds = con.execute(f"describe {select}").fetchall()
    # sums of word counts are 128-bit in DuckDB: 64 bits hold them, and every reader has them
    swaps = [f'"{c}"::bigint as "{c}"' for c, t, *_ in kinds if t == "HUGEINT"]
    if fmt == "csv":  # a CSV cell holds a list as JSON, not as DuckDB's [a, b]
        nested = [c for c, t, *_ in kinds if t.endswith("]") or t.startswith(("STRUCT", "MAP"))]
        swaps += [f'to_json("{c}")::varchar as "{c}"' for c in nested]
    if swaps:
        select = f"select * replace ({', '.join(swaps)}) from ({select})"
    if out.is_dir():
        raise InputError(f"{out}: is a directory; --out wants a file name")
    if not out.parent.exists():
        raise InputError(f"{out}: directory {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.part")
    quoted = str(tmp).replace("'", "''")
    try:  # COPY answers with the rows it wrote
        rows = con.execute(f"copy ({select}) to '{quoted}' {EXPORT_FORMATS[fmt]}").fetchall()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return int(rows[0][0])


# columns too wide for a terminal table are cut to this many characters
_MAX_CELL = 70


def names() -> list[str]:
    """Every name `report` and `export` take: the short report names and every view's own."""
    from pipeline import db

    return sorted({*REPORTS, *db.VIEWS})


def resolve(name: str) -> tuple[str, str]:
    """(relation, order by) of a report name or a view's own name (as the README spells
    it: reuse_clusters, shared_passages, ...)."""
    from pipeline import db

    short = LONG_NAMES.get(name, name)
    if name in db.VIEWS:  # the view itself, ordered as its report orders it if that is it
        same = short in REPORTS and REPORTS[short][0] == name
        return name, REPORTS[short][1] if same else "all"
    if short in REPORTS:
        return REPORTS[short]
    raise InputError(f"no view named {name!r}; one of: {', '.join(names())}")


def query(
    con: duckdb.DuckDBPyConnection, name: str, limit: int | None
) -> tuple[list[str], list[tuple]]:
    """A view's rows in its report order; limit None (or 0) is every row."""
    relation, order = resolve(name)
    sql = f"select * from {relation} order by {order}"
    if limit:
        sql += f" limit {int(limit)}"
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return cols, cur.fetchall()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _csv_cell(value: Any) -> Any:
    """A CSV cell: lists and objects as JSON, everything else plain."""
    value = _plain(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = " ".join(str(_plain(value)).split())
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def format_rows(cols: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in rows],
            indent=2,
            ensure_ascii=False,
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(cols)
        writer.writerows([[_csv_cell(v) for v in r] for r in rows])
        return buf.getvalue().rstrip("\n")
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(cols), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    if not rows:
        out.append("(no rows)")
    return "\n".join(out)


def headline(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The store in a few figures (the overview's first line, the HTML report's header)."""
    n_docs, n_outlets, n_words = con.execute(
        "select count(*), count(distinct outlet), coalesce(sum(n_words), 0) from articles"
    ).fetchall()[0]
    n_clusters, n_occ = con.execute(
        "select count(*), coalesce(sum(n_occurrences), 0) from reuse_clusters"
    ).fetchall()[0]
    return {
        "articles": int(n_docs),
        "outlets": int(n_outlets),
        "words": int(n_words),
        "reuse clusters": int(n_clusters),
        "shared passages": int(n_occ),
        "syndicated pairs": con.execute("select count(*) from syndication").fetchall()[0][0],
        "rejected inputs": con.execute("select count(*) from rejected_inputs").fetchall()[0][0],
    }


OVERVIEW = (
    ("Reuse clusters (largest first)", "clusters"),
    ("Syndication (near-duplicate articles across outlets)", "syndication"),
    ("Copying between outlets (source = first to carry the text)", "copying"),
    ("Outlet originality", "outlets"),
)


def overview_data(con: duckdb.DuckDBPyConnection, limit: int | None = 10) -> dict[str, Any]:
    """The overview as one object: the headline figures and the first rows of each of its
    tables (`report --format json`; limit None or 0: every row)."""
    out: dict[str, Any] = {"headline": headline(con)}
    for _, name in OVERVIEW:
        cols, rows = query(con, name, limit)
        out[name] = [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in rows]
    return out


def overview(con: duckdb.DuckDBPyConnection, limit: int | None = 10) -> str:
    """The reuse report printed by `newsdedup report` with no view named (limit None or
    0: every row of its tables)."""
    h = headline(con)
    n_docs, n_outlets, n_words = h["articles"], h["outlets"], h["words"]
    n_clusters, n_occ = h["reuse clusters"], h["shared passages"]
    n_synd, n_rej = h["syndicated pairs"], h["rejected inputs"]
    parts = [
        "newsdedup reuse report",
        f"{n_docs} articles from {n_outlets} outlets ({n_words} words); "
        f"{n_clusters} reuse clusters with {n_occ} occurrences; "
        f"{n_synd} syndicated pairs; {n_rej} rejected inputs",
    ]
    for title, name in OVERVIEW:
        cols, rows = query(con, name, limit)
        if name == "clusters":
            keep = [
                "cluster_id",
                "n_docs",
                "n_outlets",
                "first_outlet",
                "first_seen_basis",
                "kind",
                "text",
            ]
            idx = [cols.index(c) for c in keep]
            cols, rows = keep, [tuple(r[i] for i in idx) for r in rows]
        parts += ["", f"== {title} ==", format_rows(cols, rows, "table")]
    return "\n".join(parts)
