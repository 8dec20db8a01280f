import csv
import io
import json
import subprocess
import sys
import time

import pytest

from .conftest import LETTER_SENTENCE, cli

COMMANDS = ["ingest", "clean", "detect", "run", "report", "status"]


def test_help_explains_every_command():
    code, out, _ = cli("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in out
    for name in COMMANDS:
        code, out, _ = cli(name, "--help")
        assert code == 0 and "--db" in out and len(out.splitlines()) > 5


def test_report_formats_and_limit(seeds_db):
    code, out, _ = cli("report", "clusters", "--format", "json", "--db", seeds_db)
    assert code == 0
    clusters = json.loads(out)
    assert any(c["n_docs"] == 5 for c in clusters)
    code, out, _ = cli("report", "passages", "--format", "csv", "--limit", "3", "--db", seeds_db)
    rows = list(csv.reader(io.StringIO(out)))  # passages may hold line breaks
    assert code == 0 and len(rows) == 4 and rows[0][:3] == ["cluster_id", "doc_id", "outlet"]
    code, out, _ = cli("report", "--db", seeds_db)
    assert code == 0 and "Reuse clusters" in out and LETTER_SENTENCE[:40] in out


def test_status_counts_and_runs(seeds_db):
    code, out, _ = cli("status", "--format", "json", "--db", seeds_db)
    assert code == 0
    status = json.loads(out)
    assert status["counts"]["ingested"] == 5 and status["counts"]["detected"] == 5
    assert status["runs"][0]["status"] == "ok" and status["runs"][0]["command"] == "run"


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err
    return lines[-1]


def test_missing_path_is_one_line_and_other_inputs_go_on(seeds, db_path, tmp_path):
    code, out, err = cli("run", seeds, tmp_path / "missing.html", "--db", db_path)
    assert code == 3
    assert "Traceback" not in err
    assert f"rejected {tmp_path / 'missing.html'}: no such file or directory" in err
    assert "ingested 5" in out


def test_corrupt_database_file_is_one_clear_line(tmp_path, seeds):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file at all" * 100)
    code, _, err = cli("run", seeds, "--db", bad)
    assert code == 1
    assert "not a DuckDB database file" in _one_line_error(err)
    code, _, err = cli("status", "--db", tmp_path / "absent.duckdb")
    assert code == 1 and "no such database" in _one_line_error(err)
    code, _, err = cli("run", seeds, "--db", tmp_path / "no" / "dir" / "x.duckdb")
    assert code == 1 and "does not exist" in _one_line_error(err)


def test_locked_database_exits_75_at_once(tmp_path, seeds):
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", str(seeds), "--db", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - start < 30
        assert proc.returncode == 75
        assert "in use by another process" in _one_line_error(proc.stderr)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("args", [["report", "nosuchview"], ["run"], ["report", "--format", "xml"]])
def test_usage_errors_exit_2(args, seeds_db):
    code, _, _ = cli(*args, "--db", seeds_db)
    assert code == 2


def test_reading_a_store_an_older_version_wrote_is_one_line(tmp_path):
    """A read-only command cannot create the views a newer version added: it says so, and
    the next writing command brings the store up to date."""
    import duckdb

    db_path = tmp_path / "news.duckdb"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A short story about the harbour and its boats.")
    assert cli("ingest", tmp_path / "in", "--db", db_path)[0] == 0
    con = duckdb.connect(str(db_path))
    con.execute("drop view stage_counts")  # as a store an older newsdedup wrote
    con.close()
    code, out, err = cli("status", "--db", db_path)
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "written by an older newsdedup" in err
    assert "stage_counts" in err
    assert cli("clean", "--db", db_path)[0] == 0
    code, out, err = cli("status", "--db", db_path)
    assert code == 0, err
