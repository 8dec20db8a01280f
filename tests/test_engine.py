"""Executors: the per-document work inline, on a process pool or on Ray leaves the same
tables and views, row for row (the stages are the same; only the executor differs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, SEEDS, cli
from .corpus import mixed_corpus, snapshot, write_jsonl
from .test_clean_learned import BRIEF, STORIES

ROOT = Path(__file__).resolve().parent.parent


def build_corpus(dest: Path) -> Path:
    """Seeds, JSONL and WARC reusing their sentences, the syndication, reordered and HTML
    fixtures, an outlet whose footer is learned as boilerplate, and inputs to reject."""
    mixed_corpus(dest / "mixed", n_jsonl=10, n_warc=6)
    for name in ("syndication", "reordered", "html"):
        shutil.copytree(FIXTURES / name, dest / name)
    for page in sorted((FIXTURES / "clean").glob("*.html"))[:4]:
        shutil.copy(page, dest / "html" / page.name)
    rows = [
        {"id": f"h{i}", "outlet": "harbourpost.example", "text": f"{story}\n\n{BRIEF}\n"}
        for i, story in enumerate(STORIES)
    ]
    write_jsonl(dest / "harbour.jsonl", rows)
    (dest / "bad").mkdir()
    (dest / "bad" / "empty.txt").write_bytes(b"")
    (dest / "bad" / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00" * 200)
    (dest / "bad" / "feed.jsonl").write_text('{"id": "x", "text": 3}\nnot json\n')
    return dest


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("engine") / "in")


@pytest.fixture(scope="module")
def local_run(corpus: Path) -> tuple[dict, str]:
    """The stage-by-stage run over the corpus: snapshot and stdout."""
    path = corpus.parent / "local.duckdb"
    code, out, err = cli("run", corpus, SEEDS, "--db", path)
    assert code == 3, err  # the bad inputs are rejected, the rest go through
    return snapshot(path), out


def _check_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name in want:
        assert got[name] == want[name], f"{name} differs"


def test_corpus_exercises_every_step(local_run):
    want, out = local_run
    assert len(want["articles"]) >= 30 and want["syndication"] and want["shared_passages"]
    learned = [r for r in want["removed_boilerplate"] if "Daily Brief" in str(r)]
    assert len(learned) == len(STORIES)  # the harbour outlet's footer was learned
    stages = {r[2] for r in want["rejected_inputs"]}
    assert stages == {"ingest", "clean"}


def _summary(out: str) -> list[str]:
    return [
        line for line in out.splitlines() if line.split(":")[0] in ("ingest", "clean", "detect")
    ]


def test_run_on_a_process_pool_equals_the_inline_run(corpus, local_run, tmp_path, monkeypatch):
    """Every batch on the pool (no size threshold), then everything in one process."""
    want, local_out = local_run
    monkeypatch.setenv("NEWSDEDUP_CLEAN_POOL_MIN_DOCS", "0")
    monkeypatch.setenv("NEWSDEDUP_DETECT_POOL_MIN_DOCS", "0")
    monkeypatch.setenv("NEWSDEDUP_CLEAN_WORKERS", "2")
    monkeypatch.setenv("NEWSDEDUP_DETECT_WORKERS", "2")
    path = tmp_path / "pool.duckdb"
    code, out, err = cli("run", corpus, SEEDS, "--db", path)
    assert code == 3, err
    assert _summary(out) == _summary(local_out)
    _check_same(snapshot(path), want)
    monkeypatch.setenv("NEWSDEDUP_CLEAN_WORKERS", "1")
    monkeypatch.setenv("NEWSDEDUP_DETECT_WORKERS", "1")
    path = tmp_path / "inline.duckdb"
    code, out, err = cli("run", corpus, SEEDS, "--db", path)
    assert code == 3, err
    _check_same(snapshot(path), want)


def test_engine_ray_without_the_extra_is_one_line_and_usage_exit(tmp_path):
    # a fresh interpreter in which `import ray` fails, as where the extra is not installed
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from pipeline.cli import app\n"
        f"app([ 'run', {str(SEEDS)!r}, '--engine', 'ray', '--db', {str(tmp_path / 'x.duckdb')!r}])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "install newsdedup[ray]" in lines[0], proc.stderr
    assert not (tmp_path / "x.duckdb").exists()  # refused before the database was touched


def test_address_needs_the_ray_engine(tmp_path):
    code, _, err = cli("run", SEEDS, "--address", "auto", "--db", tmp_path / "x.duckdb")
    assert code == 2 and "only with --engine ray" in err


# --- Ray -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray instance for the module (2 CPUs, no dashboard)."""
    ray = pytest.importorskip(
        "ray", reason="ray is not installed (pip install 'newsdedup[ray]' to run the Ray test)"
    )
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_run_equals_the_local_run_and_again_adds_nothing(
    corpus, local_run, ray_local, tmp_path, monkeypatch
):
    # every batch on Ray, however small (the thresholds keep small batches in-process)
    monkeypatch.setenv("NEWSDEDUP_CLEAN_POOL_MIN_DOCS", "0")
    monkeypatch.setenv("NEWSDEDUP_DETECT_POOL_MIN_DOCS", "0")
    tasks = []
    from pipeline import ray_engine

    real_map = ray_engine.RayExecutor.map

    def counting_map(self, fn, jobs, *args):
        tasks.append((fn.__name__, len(jobs)))
        return real_map(self, fn, jobs, *args)

    monkeypatch.setattr(ray_engine.RayExecutor, "map", counting_map)
    path = tmp_path / "ray.duckdb"
    code, out, err = cli("run", corpus, SEEDS, "--engine", "ray", "--db", path)
    assert code == 3, err
    want, local_out = local_run
    assert _summary(out) == _summary(local_out)
    _check_same(snapshot(path), want)
    # the clean and detect stages' work ran as Ray tasks
    assert {name for name, _ in tasks} == {"_clean_many", "_sketch_chunk", "_align_job"}, tasks
    summary = json.loads(cli("status", "--format", "json", "--db", path)[1])
    assert summary["counts"]["awaiting_detect"] == 0
    # the same inputs again: nothing new, nothing changed
    code, out, err = cli("run", corpus, SEEDS, "--engine", "ray", "--db", path)
    assert code == 3 and "ingested 0" in out, err
    _check_same(snapshot(path), want)
