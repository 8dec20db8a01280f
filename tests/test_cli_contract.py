"""One output contract for report and status, --version, global flags anywhere, shell
completion, and the Python API (pipeline.api), through the real CLI and the real store."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pyarrow as pa
import pytest

from pipeline import api, db
from pipeline.errors import DatabaseBusy, InputError

from .conftest import cli


def _newsdedup(*args: object) -> subprocess.CompletedProcess:
    """The installed entry point's code path (argv handling included), as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True
    )


def test_version_and_global_flags_before_or_after_the_command(seeds_db):
    proc = _newsdedup("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("newsdedup ")
    for args in (["-v", "status", "--db", seeds_db], ["status", "--db", seeds_db, "-v"]):
        proc = _newsdedup(*args)
        assert proc.returncode == 0, (args, proc.stderr)
    proc = _newsdedup("status", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("newsdedup ")


def test_shell_completion_is_offered():
    code, out, _ = cli("--help")
    assert code == 0 and "--install-completion" in out and "--show-completion" in out


def test_report_every_view_in_every_format(seeds_db):
    for view in db.VIEWS:
        code, out, err = cli("report", view, "--format", "json", "--limit", "0", "--db", seeds_db)
        assert code == 0, (view, err)
        rows = json.loads(out)
        assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows), view
        code, out, err = cli("report", view, "--format", "csv", "--limit", "0", "--db", seeds_db)
        assert code == 0 and len(list(csv.reader(io.StringIO(out)))) == len(rows) + 1, view
    # a short name and the view's own name are the same report
    short = cli("report", "clusters", "--format", "json", "--limit", "0", "--db", seeds_db)[1]
    long = cli("report", "reuse_clusters", "--format", "json", "--limit", "0", "--db", seeds_db)
    assert json.loads(short) == json.loads(long[1]) and len(json.loads(short)) > 10
    # --limit 0 is every row; --limit 3 is three
    assert (
        len(json.loads(cli("report", "passages", "-f", "json", "-n", "3", "--db", seeds_db)[1]))
        == 3
    )
    # CSV holds a list as a JSON array
    out = cli("report", "clusters", "--format", "csv", "--db", seeds_db)[1]
    row = next(csv.DictReader(io.StringIO(out)))
    assert isinstance(json.loads(row["outlets"]), list)
    code, _, err = cli("report", "no_such_view", "--db", seeds_db)
    assert code == 2 and "no view named 'no_such_view'" in err


def test_overview_and_status_are_one_object_in_json_and_one_table_in_csv(seeds_db):
    code, out, _ = cli("report", "--format", "json", "--db", seeds_db)
    overview = json.loads(out)
    assert code == 0 and set(overview) == {
        "headline",
        "clusters",
        "syndication",
        "copying",
        "outlets",
    }
    assert overview["headline"]["articles"] == 5 and len(overview["clusters"]) == 10
    every = json.loads(cli("report", "--format", "json", "--limit", "0", "--db", seeds_db)[1])
    assert len(every["clusters"]) > 10
    code, out, _ = cli("status", "--format", "json", "--db", seeds_db)
    status = json.loads(out)
    assert status["counts"]["ingested"] == 5
    assert isinstance(status["runs"][0]["counts"], dict)  # an object, not a JSON string
    code, out, _ = cli("status", "--format", "csv", "--db", seeds_db)
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and len(table) == 2 and table[0][0] == "ingested"


def test_the_python_api_runs_reports_explains_and_fails_as_the_cli_does(seeds, tmp_path):
    path = tmp_path / "news.duckdb"
    counts = api.run([seeds], db=path)
    assert counts["ingest.ingested"] == 5 and counts["detect.documents"] == 5
    table = api.report("unique_articles", db=path)
    assert isinstance(table, pa.Table) and table.num_rows == 5
    pairs = api.report("passage_pairs", db=path, limit=0)
    a, b = pairs.column("doc_a")[0].as_py(), pairs.column("doc_b")[0].as_py()
    why = api.explain(a, b, db=path)
    assert why.spans
    assert api.export("clusters", tmp_path / "c.parquet", db=path) > 0
    with pytest.raises(InputError, match="no view named"):
        api.report("nope", db=path)
    with api.reading(path):
        pass
    import fcntl
    import os

    from pipeline.publish import lock_path

    fd = os.open(lock_path(path), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a run is working
    try:
        with pytest.raises(DatabaseBusy, match="in use by another process"):
            api.run([seeds], db=path)
    finally:
        os.close(fd)


def test_progress_is_a_live_bar_on_a_terminal_and_timed_lines_elsewhere(seeds, tmp_path):
    import os
    import pty
    import re

    env = {**os.environ, "COLUMNS": "120"}
    env.pop("NEWSDEDUP_PROGRESS_EVERY", None)
    master, slave = pty.openpty()  # stderr is a terminal, stdout a pipe
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", seeds, "--db", tmp_path / "a.duckdb"],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read().decode()
    proc.wait(timeout=120)
    os.close(master)
    assert proc.returncode == 0
    terminal = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen).decode("utf-8", "replace")
    for step in ("ingest", "clean", "detect: sketch", "detect: align"):
        assert step in terminal, (step, terminal[-500:])
    assert "5/5" in terminal and "100%" in terminal and "━" in terminal
    # stdout holds the stage lines only, no bar
    assert [ln.split(":")[0] for ln in out.splitlines()] == ["ingest", "clean", "detect"]
    # not a terminal: timestamped lines on stderr (here after every step: every 0 s)
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", seeds, "--db", tmp_path / "b.duckdb"],
        capture_output=True,
        text=True,
        env={**env, "NEWSDEDUP_PROGRESS_EVERY": "0"},
    )
    lines = [ln for ln in proc.stderr.splitlines() if "progress:" in ln]
    assert proc.returncode == 0 and lines, proc.stderr
    assert all(
        re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d newsdedup: progress: ", ln) for ln in lines
    )
    assert any("clean: 5 / 5 documents (100%)" in ln for ln in lines), lines
    assert "progress" not in proc.stdout
