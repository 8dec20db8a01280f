"""Faults for real: SIGKILLed runs, concurrent runs, bad inputs, broken databases.

Every test drives the real CLI (in-process or as a subprocess) on real DuckDB files.
"""

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import db
from pipeline.publish import work_path
from pipeline.records import Rejection

from .conftest import cli
from .corpus import bad_corpus, mixed_corpus, snapshot

KILL_POINTS = 4  # SIGKILLs at random instants, chained on one database
KILLS = 20  # single SIGKILLs at random instants, each on a new database, then a re-run
CONCURRENT = 4  # runs started at once on one database
# many detect commits, each followed by a publication: many places to die
BATCH_ENV = {"NEWSDEDUP_DETECT_BATCH_DOCS": "6", "NEWSDEDUP_PUBLISH_EVERY": "0"}


def _cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "pipeline", *(str(a) for a in args)]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **BATCH_ENV, **extra}


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mixed_corpus(tmp_path_factory.mktemp("corpus") / "in", n_jsonl=12, n_warc=6)


@pytest.fixture(scope="module")
def reference_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, float]:
    """The contents after one uninterrupted run, and how long that run took."""
    path = tmp_path_factory.mktemp("ref") / "news.duckdb"
    start = time.monotonic()
    proc = subprocess.run(
        _cmd("run", corpus, "--db", path), env=_env(), capture_output=True, text=True, timeout=120
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    return snapshot(path), seconds


@pytest.fixture(scope="module")
def reference(reference_run: tuple[dict, float]) -> dict:
    return reference_run[0]


def test_sigkill_at_random_instants_then_rerun_equals_a_clean_run(corpus, reference_run, tmp_path):
    reference, seconds = reference_run
    path = tmp_path / "news.duckdb"
    rng = random.Random()
    # the first kill lands inside the run for sure: just after ingest committed (its line
    # is printed), in cleaning or detection; the others at random instants of a run as
    # long as the uninterrupted one, start-up included (a resumed run has less to do and
    # may finish first: those count as not killed)
    delays = [round(rng.uniform(0, 0.1), 2)]
    delays += [round(rng.uniform(0.3, 0.9) * seconds, 2) for _ in range(KILL_POINTS - 1)]
    killed = 0
    for n, delay in enumerate(delays):
        proc = subprocess.Popen(
            _cmd("run", corpus, "--db", path),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if n == 0:
            assert proc.stdout.readline().startswith("ingest:")
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=60)
        if path.exists():  # the file opens after every kill, whatever it was doing
            con = duckdb.connect(str(path), read_only=True)
            # a kill before the first migration committed leaves a valid, empty database
            con.execute("select count(*) from information_schema.tables").fetchall()
            con.close()
    assert killed >= 1, f"runs finished before the kill: {delays}"
    proc = subprocess.run(
        _cmd("run", corpus, "--db", path), env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    got = snapshot(path)
    for name in reference:
        assert got[name] == reference[name], f"{name} differs after kills at {delays}"
    public = duckdb.connect(str(path), read_only=True)  # and readers see the same rows
    for name in ("documents", "passage_pairs", "syndication", "reuse_clusters"):
        rows = public.execute(f"select count(*) from {name}").fetchall()[0][0]
        assert rows == len(reference[name]), name
    # the killed runs are visible as interrupted, and the last run as ok
    statuses = [r[0] for r in public.execute("select status from runs").fetchall()]
    public.close()
    code, out, _ = cli("status", "--format", "json", "--db", path)
    assert code == 0 and json.loads(out)["runs"][0]["status"] == "ok"
    assert "running" not in statuses and len(statuses) == len(delays) + 1
    assert statuses.count("interrupted") >= 1, delays


def test_each_of_20_random_sigkills_then_a_rerun_equals_a_clean_run(
    corpus, reference_run, tmp_path
):
    """Each kill on a new database, at a random instant of the run (start-up, any stage, a
    commit, a publication), then one re-run: tables, views and the public file equal an
    uninterrupted run's every time."""
    reference, seconds = reference_run
    rng = random.Random()
    landed: list[float] = []
    for attempt in range(KILLS * 2):
        if len(landed) == KILLS:
            break
        path = tmp_path / f"k{attempt}" / "news.duckdb"
        path.parent.mkdir()
        delay = round(rng.uniform(0.02, 0.95) * seconds, 2)
        proc = subprocess.Popen(
            _cmd("run", corpus, "--db", path),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is not None:
            continue  # it finished first: not a kill
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        landed.append(delay)
        rerun = subprocess.run(
            _cmd("run", corpus, "--db", path), env=_env(), capture_output=True, text=True
        )
        assert rerun.returncode == 0, (delay, rerun.stderr)
        got = snapshot(path)
        for name in reference:
            assert got[name] == reference[name], f"{name} differs after a kill at {delay} s"
        public = duckdb.connect(str(path), read_only=True)
        rows = public.execute("select count(*) from passage_pairs").fetchall()[0][0]
        public.close()
        assert rows == len(reference["passage_pairs"]), delay
    assert len(landed) == KILLS, f"only {len(landed)} kills landed: {landed}"


def test_a_killed_run_shows_as_interrupted_before_the_next_run(corpus, tmp_path):
    path = tmp_path / "news.duckdb"
    proc = subprocess.Popen(  # published after every commit: status sees the ingested rows
        _cmd("run", corpus, "--db", path),
        env=_env(NEWSDEDUP_PUBLISH_EVERY="0"),
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.stdout.readline()  # "ingest: ..." is printed once ingest has committed
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    code, out, _ = cli("status", "--db", path)
    assert code == 0
    assert "was interrupted; no run has completed since" in out
    code, out, _ = cli("status", "--format", "json", "--db", path)
    status = json.loads(out)
    assert status["runs"][0]["status"] == "interrupted" and status["counts"]["ingested"] == 23


def test_concurrent_runs_one_works_the_others_exit_75_at_once(corpus, reference, tmp_path):
    path = tmp_path / "news.duckdb"  # not there yet: they also race to create it
    procs = [
        subprocess.Popen(
            _cmd("run", corpus, "--db", path),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CONCURRENT)
    ]
    start = time.monotonic()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, err, time.monotonic() - start))
    codes = sorted(r[0] for r in results)
    assert set(codes) <= {0, 75} and codes[0] == 0, results
    for code, err, _ in results:
        if code == 75:
            assert "database is in use by another process" in _one_line(err)
    assert snapshot(path) == reference


def test_every_bad_input_is_a_rejection_or_a_document_and_the_rest_loads(tmp_path, monkeypatch):
    limit = 300_000
    monkeypatch.setenv("NEWSDEDUP_CLEAN_MAX_BYTES", str(limit))
    bad = tmp_path / "bad"
    expect = bad_corpus(bad, limit)
    unreadable = bad / "secret.txt"
    unreadable.write_text("A secret story nobody may read.")
    unreadable.chmod(0)
    if os.geteuid() != 0:  # root reads anything; the symlink loop covers root
        expect[str(unreadable)] = "cannot read: Permission denied"
    path = tmp_path / "news.duckdb"
    code, out, err = cli("run", bad, bad / "missing.txt", "--db", path)
    assert code == 3, err
    assert "Traceback" not in err
    con = duckdb.connect(str(path), read_only=True)
    rejected = dict(con.execute("select source, reason from rejected_inputs").fetchall())
    docs = {r[0] for r in con.execute("select source from documents").fetchall()}
    texts = dict(con.execute("select source, clean_text from articles").fetchall())
    kept = dict(con.execute("select source, raw from rejected_inputs").fetchall())
    con.close()
    for source, fragment in expect.items():
        assert fragment in rejected.get(source, ""), (source, rejected.get(source))
    # the good parts of damaged files still load
    mixed = f"{bad / 'mixed.jsonl'}"
    assert {f"{mixed}#ok1", f"{mixed}#ok2"} <= docs
    warc = [s for s in docs if s.startswith(str(bad / "corrupt.warc"))]
    assert len(warc) == 2  # records 1 and 3 of 3
    assert any(s.startswith(str(bad / "truncated.jsonl.gz")) for s in docs)
    # decodable text is decoded, whatever it said it was
    assert "approuvé les réparations" in texts[str(bad / "latin1.txt")]
    assert "approuvé les réparations" in texts[str(bad / "badutf8.txt")]
    assert "élèves" in texts[str(bad / "mislabelled.html")]
    # nothing dropped: every file is a document or a rejection (or both, at clean)
    for file in bad.iterdir():
        if os.geteuid() == 0 and file == unreadable:
            assert str(file) in docs  # root could read it
            continue
        assert any(s.split("#")[0] == str(file) for s in docs | set(rejected)), file
    # the bytes are kept up to the limit: the bomb whole, the big file's head
    assert kept[str(bad / "bomb.jsonl.gz")] == (bad / "bomb.jsonl.gz").read_bytes()
    assert kept[str(bad / "big.txt")] == (bad / "big.txt").read_bytes()[: db.RAW_KEEP_BYTES]
    code, out, _ = cli("report", "rejected", "--format", "json", "--db", path)
    listed = {r["source"] for r in json.loads(out)}
    assert code == 0 and set(expect) <= listed
    # again: nothing new, the same rejections, still partial for the paths that stay bad
    code, out, _ = cli("run", bad, "--db", path)
    assert code == 3 and "ingested 0" in out


def test_rejections_are_recorded_once(con):
    r = Rejection("x.txt", "ingest", "empty file", b"", 0)
    db.record_rejections(con, [r, r], None)
    db.record_rejections(con, [r], None)
    assert con.sql("select count(*) from rejected_inputs").fetchall() == [(1,)]


# --- database problems: one clear line, a non-zero exit, and an undamaged file ----------


def test_not_a_duckdb_file_is_refused_and_left_untouched(tmp_path, seeds):
    bad = tmp_path / "notes.duckdb"
    content = b"my precious notes, not a database\n" * 200
    bad.write_bytes(content)
    code, _, err = cli("run", seeds, "--db", bad)
    assert code == 1 and "not a DuckDB database file" in _one_line(err)
    assert bad.read_bytes() == content
    assert not Path(str(bad) + ".wal").exists()


def test_unwritable_directory_is_one_line(tmp_path, seeds):
    if os.geteuid() == 0:
        target = Path("/sys/newsdedup-test.duckdb")  # sysfs refuses new files, even to root
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        target = folder / "news.duckdb"
    code, _, err = cli("run", seeds, "--db", target)
    assert code == 1 and "cannot write the database" in _one_line(err)
    assert not target.exists()


@pytest.mark.parametrize(
    ("room", "every"),
    [(300_000, "300"), (1_500_000, "300"), (1_500_000, "0")],
    ids=["at-a-commit", "at-the-checkpoint", "at-a-publication"],
)
def test_disk_full_mid_run_is_one_line_and_the_next_run_finishes(
    corpus, reference, tmp_path, room, every
):
    """A file size limit (RLIMIT_FSIZE) makes writes fail mid-run exactly as a full disk
    does (EFBIG instead of ENOSPC), without root or a tmpfs: at 300 kB a stage's commit to
    the write-ahead log fails, at 1.5 MB the checkpoint at the end of the run does, or,
    publishing after every commit, the first publication (the public file is larger than
    this small working store: a block per table)."""
    path = tmp_path / "news.duckdb"

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a dead process
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    proc = subprocess.run(
        _cmd("run", corpus, "--db", path),
        env=_env(NEWSDEDUP_PUBLISH_EVERY=every),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_disk,
    )
    assert proc.returncode == 1, proc.stderr
    line = _one_line(proc.stderr)
    assert "disk full" in line and "File too large" in line, line
    if every == "0":
        assert ".publish-" in line and not list(tmp_path.glob(".news.duckdb.publish-*"))
    else:
        assert proc.stdout.startswith("ingest:"), "the limit should bite after ingest began"
    rerun = subprocess.run(
        _cmd("run", corpus, "--db", path), env=_env(), capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(path) == reference


def test_schema_from_a_newer_version_is_refused_without_changes(tmp_path, seeds):
    path = tmp_path / "news.duckdb"
    assert cli("run", seeds, "--db", path)[0] == 0
    for written in (path, work_path(path)):  # a newer newsdedup wrote both files
        con = duckdb.connect(str(written))
        con.execute("insert into schema_migrations (version, name) values (999, 'from_the_future')")
        con.close()
    before = snapshot(path)
    for args in (["run", seeds], ["status"], ["report", "clusters"]):
        code, _, err = cli(*args, "--db", path)
        assert code == 1 and "newer than this newsdedup knows" in _one_line(err), args
    assert snapshot(path) == before
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from runs").fetchall() == [(1,)]
    con.close()


def test_migrations_run_forward_and_each_is_all_or_nothing(tmp_path):
    versions = [v for v, _, _ in db.migrations()]
    # a database at the first version gets every later one, in order
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    first = db.migrations()[0]
    con.execute(first[2])
    con.execute(
        "create table schema_migrations (version integer primary key, name varchar not null, applied_at timestamp not null default current_timestamp)"
    )
    con.execute("insert into schema_migrations (version, name) values (?, ?)", [first[0], first[1]])
    con.close()
    con = db.connect(old)
    assert [
        r[0] for r in con.execute("select version from schema_migrations order by 1").fetchall()
    ] == versions
    con.close()
    # a migration that fails half way leaves nothing of itself behind
    broken = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(broken))
    con.execute("create table runs (x integer)")  # 001 creates runs last: it will fail there
    con.close()
    code, _, err = cli("status", "--db", broken)  # read-only: refuses nothing, changes nothing
    code, _, err = cli("ingest", tmp_path / "none.txt", "--db", broken)
    assert code == 1 and "already exists" in _one_line(err)
    con = duckdb.connect(str(broken), read_only=True)
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    assert "documents" not in tables and "cleaned" not in tables
    assert con.execute("select count(*) from schema_migrations").fetchall() == [(0,)]
    con.close()
