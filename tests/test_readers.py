"""Scheduled runs beside the people who query the store, for real: readers hold the public
file while runs work, the DuckDB 1.5 CLI opens it, and SIGTERM / SIGKILL leave no process
of the run behind (pipeline/publish.py, pipeline/executor.py)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import db
from pipeline.publish import PUBLIC_TABLES, lock_path, work_path

from .conftest import cli
from .corpus import mixed_corpus, snapshot

# every stage on the process pool, many detect commits: a run has workers and commit points
POOL_ENV = {
    "NEWSDEDUP_CLEAN_POOL_MIN_DOCS": "1",
    "NEWSDEDUP_DETECT_POOL_MIN_DOCS": "1",
    "NEWSDEDUP_DETECT_BATCH_DOCS": "6",
}
DUCKDB_CLI = Path(sys.executable).with_name("duckdb")  # duckdb-cli 1.5.x, the dev extra's


def _cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "pipeline", *(str(a) for a in args)]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **POOL_ENV, **extra}


def _descendants(pid: int) -> set[int]:
    """Every living process under pid (from /proc), zombies left out."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            left.add(pid)
    return left


def _start_with_workers(
    corpus: Path, path: Path, env: dict[str, str]
) -> tuple[subprocess.Popen, set[int]]:
    """A run started and watched until its pool workers are up; returns it and them."""
    proc = subprocess.Popen(
        _cmd("run", corpus, "--db", path),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _descendants(proc.pid)
        if len(workers) >= 3:  # the forkserver and its workers
            return proc, workers
        time.sleep(0.02)
    pytest.fail(f"no pool workers seen (exit {proc.poll()}): {proc.communicate()}")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mixed_corpus(tmp_path_factory.mktemp("corpus") / "in", n_jsonl=12, n_warc=6)


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("ref") / "news.duckdb"
    proc = subprocess.run(_cmd("run", corpus, "--db", path), env=_env(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return snapshot(path)


def test_a_reader_held_open_across_two_runs_blocks_neither(corpus, tmp_path, seeds):
    path = tmp_path / "news.duckdb"
    assert cli("run", seeds, "--db", path)[0] == 0
    held = duckdb.connect(str(path), read_only=True)  # a notebook left open
    assert held.sql("select count(*) from articles").fetchall() == [(5,)]
    half = tmp_path / "half"
    half.mkdir()
    for name in sorted(os.listdir(corpus))[:4]:
        shutil.copy(corpus / name, half / name)
    for batch in (half, corpus):
        proc = subprocess.run(
            _cmd("run", batch, "--db", path), env=_env(), capture_output=True, text=True
        )
        assert proc.returncode in (0, 3), proc.stderr  # the corpus has bad inputs: 3
        assert "in use" not in proc.stderr
    # the held session keeps its snapshot; a new one sees every document
    assert held.sql("select count(*) from articles").fetchall() == [(5,)]
    held.close()
    fresh = duckdb.connect(str(path), read_only=True)
    assert fresh.sql("select count(*) from articles").fetchall()[0][0] > 5
    fresh.close()
    assert snapshot(path)["passage_pairs"]  # the views answer on the public file


def test_a_query_during_a_run_answers_within_a_second(corpus, tmp_path, seeds):
    path = tmp_path / "news.duckdb"
    assert cli("run", seeds, "--db", path)[0] == 0
    proc, _ = _start_with_workers(corpus, path, _env())
    start = time.monotonic()
    con = duckdb.connect(str(path), read_only=True)
    rows = con.sql("select count(*) from passage_pairs").fetchall()
    con.close()
    code, out, err = cli("report", "syndication", "--db", path)
    took = time.monotonic() - start
    running = proc.poll() is None
    out_run, err_run = proc.communicate(timeout=120)
    assert proc.returncode in (0, 3), err_run
    assert running, "the run ended before the reader asked: the test proves nothing"
    assert rows[0][0] > 0 and code == 0, err
    assert took < 1.0, f"reading during a run took {took:.2f} s"
    code, out, _ = cli("status", "--format", "json", "--db", path)
    assert json.loads(out)["runs"][0]["status"] in ("ok", "partial")


def test_the_public_file_holds_the_working_stores_public_rows(corpus, tmp_path):
    path = tmp_path / "news.duckdb"
    proc = subprocess.run(_cmd("run", corpus, "--db", path), env=_env(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    work = duckdb.connect(str(work_path(path)), read_only=True)
    public = duckdb.connect(str(path), read_only=True)
    try:
        for table, select in PUBLIC_TABLES.items():
            got = sorted(public.sql(f"select * from {table}").fetchall(), key=repr)
            want = sorted(work.sql(select).fetchall(), key=repr)
            assert got == want, table
        for view in db.VIEWS:
            got = sorted(public.sql(f"select * from {view}").fetchall(), key=repr)
            assert got == sorted(work.sql(f"select * from {view}").fetchall(), key=repr), view
        names = {r[0] for r in public.sql("select table_name from duckdb_tables()").fetchall()}
        assert "passage_bands" not in names and "raw" not in {
            r[0] for r in public.sql("describe documents").fetchall()
        }
    finally:
        work.close()
        public.close()


def _public_matches_work(path: Path) -> None:
    work = duckdb.connect(str(work_path(path)), read_only=True)
    public = duckdb.connect(str(path), read_only=True)
    try:
        for table, select in PUBLIC_TABLES.items():
            got = sorted(public.sql(f"select * from {table}").fetchall(), key=repr)
            assert got == sorted(work.sql(select).fetchall(), key=repr), table
    finally:
        work.close()
        public.close()


def test_later_runs_update_the_public_file_in_place_to_the_same_rows(corpus, seeds, tmp_path):
    path = tmp_path / "news.duckdb"
    assert cli("run", corpus, "--db", path)[0] == 0
    marker = "select rewritten_at from published"
    first = duckdb.connect(str(path), read_only=True).sql(marker).fetchall()
    # new documents, then every detection row dropped and made again
    for args in (("run", seeds), ("detect", "--redo")):
        assert cli(*args, "--db", path)[0] == 0
        _public_matches_work(path)
        con = duckdb.connect(str(path), read_only=True)
        assert con.sql(marker).fetchall() == first  # updated in place, not written afresh
        con.close()
    proc = subprocess.run(
        [DUCKDB_CLI, "-readonly", "-csv", str(path), "-c", "select count(*) from shared_passages"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and int(proc.stdout.splitlines()[1]) > 0, proc.stderr


def test_duckdb_cli_1_5_runs_every_public_view(seeds, tmp_path):
    assert DUCKDB_CLI.exists(), "duckdb-cli (the dev extra) is not installed"
    version = subprocess.run([DUCKDB_CLI, "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("v1.5"), version.stdout
    path = tmp_path / "news.duckdb"
    assert cli("run", seeds, "--db", path)[0] == 0
    for view in db.VIEWS:
        proc = subprocess.run(
            [DUCKDB_CLI, "-readonly", "-csv", str(path), "-c", f"select count(*) from {view}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and proc.stdout.splitlines()[0] == "count_star()", (
            view,
            proc.stderr,
        )
    proc = subprocess.run(
        [DUCKDB_CLI, "-readonly", "-csv", str(path), "-c", "select count(*) from shared_passages"],
        capture_output=True,
        text=True,
    )
    assert int(proc.stdout.splitlines()[1]) > 0


def test_sigterm_mid_run_stops_within_10_s_and_the_next_run_finishes_the_work(
    corpus, reference, tmp_path
):
    path = tmp_path / "news.duckdb"
    proc, workers = _start_with_workers(corpus, path, _env())
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    out, err = proc.communicate(timeout=30)
    took = time.monotonic() - start
    assert took < 10, f"exit took {took:.1f} s"
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, err)
    assert "interrupted by SIGTERM" in err and "Traceback" not in err, err
    time.sleep(1)
    assert not _alive(workers), "processes of the run left behind"
    con = duckdb.connect(str(work_path(path)), read_only=True)
    status = con.sql("select status, error from runs").fetchall()
    con.close()
    assert status == [("interrupted", "interrupted by SIGTERM")], status
    proc = subprocess.run(_cmd("run", corpus, "--db", path), env=_env(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert snapshot(path) == reference


LONG_QUERY = """
import sys
from pathlib import Path
from pipeline import errors, publish
errors.handle_stop_signals()
try:
    with errors.stoppable(), publish.session(Path(sys.argv[1]), "test", []) as (con, _, _):
        print("ready", flush=True)
        con.execute("select count(*) from range(20000000000) t(i) where i % 7 = 3").fetchall()
except KeyboardInterrupt:
    sys.exit(128 + errors.stop_signal())
"""


def test_sigterm_inside_a_long_duckdb_query_stops_it_at_once_and_books_the_run_interrupted(
    tmp_path,
):
    """Python runs a signal handler only between bytecodes: without the wakeup thread that
    interrupts the query, this one would run for minutes; and DuckDB reports the stop as
    its own error, which must still end the run 'interrupted', not 'failed'."""
    path = tmp_path / "news.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", LONG_QUERY, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "ready\n"
    time.sleep(0.5)  # inside the query
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    took = time.monotonic() - start
    assert proc.returncode == 128 + signal.SIGTERM and took < 3, (proc.returncode, took)
    con = duckdb.connect(str(work_path(path)), read_only=True)
    status = con.sql("select status, error from runs").fetchall()
    con.close()
    assert status == [("interrupted", "interrupted by SIGTERM")], status


def test_sigkill_of_the_main_process_leaves_no_worker_after_15_s(corpus, tmp_path):
    path = tmp_path / "news.duckdb"
    proc, workers = _start_with_workers(corpus, path, _env())
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(workers), f"workers still running 15 s after kill -9: {_alive(workers)}"


def test_run_wait_waits_for_the_active_run_and_75_only_when_the_wait_ends(seeds, tmp_path):
    path = tmp_path / "news.duckdb"
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what a run holds while it works
    patient = subprocess.Popen(
        _cmd("run", seeds, "--wait", "120", "--db", path),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    short = subprocess.run(
        _cmd("run", seeds, "--wait", "0.5", "--db", path),
        env=_env(),
        capture_output=True,
        text=True,
    )
    time.sleep(1)
    assert patient.poll() is None, "it did not wait"
    code, out, _ = cli("status", "--db", path)  # nothing published yet: one line, no wait
    os.close(fd)  # the active run ends
    out, err = patient.communicate(timeout=120)
    assert short.returncode == 75 and "waited 0.5 s" in short.stderr, short.stderr
    assert len([ln for ln in short.stderr.splitlines() if ln.strip()]) == 1, short.stderr
    assert patient.returncode == 0 and "ingested 5" in out, err
