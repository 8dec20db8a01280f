"""Engines: the same run on the local engine and on Ray with 1 and 2 workers, on this machine.

Writes N generated articles as HTML pages (bench_scale's generator: Lee-corpus vocabulary,
5% republished, 5% carrying a passage of an earlier article, 1% hot-bucket briefs; each page
with navigation, an outlet footer line that is learned as boilerplate, and a copyright
line) with a manifest of outlets and dates, then:

- local: ``python -m pipeline run DIR`` (the stage-by-stage run, process pools over all cores);
- ray, 1 and 2 workers: a local Ray instance with that many CPUs as the executor of the
  clean and detect stages (every batch on Ray), timed stage by stage (Ray's start-up and
  the workers' first imports reported apart);
and checks every view of each Ray store equals the local one, row for row. Then the figures
the 100-million plan in BENCHMARKS.md scales: rows per document in each table, and the
seconds per document of each step.

    python bench/bench_engines.py [--n 3000] [--workers 1,2] [--keep DIR]

Needs the ray extra (pip install -e '.[ray,bench]').
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"ingested_at", "rejected_at", "cleaned_at", "detected_at", "created_at", "run_id"}
VOLATILE |= {"first_seen"}  # falls back to ingested_at where no date is known


def page(title: str, outlet: str, text: str) -> str:
    paras = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article>"
        f"<h1>{title}</h1>{paras}<p>Read more local news from {outlet} every day on our "
        f"website and in the weekly print edition.</p></article>"
        f"<footer>Copyright 2024 {outlet}</footer></body></html>"
    )


def write_corpus(folder: Path, n: int, seed: int = 0) -> None:
    from bench_scale import articles

    folder.mkdir(parents=True)
    t0 = datetime(2024, 1, 1)
    with (folder / "manifest.jsonl").open("w") as manifest:
        for i, (key, outlet, text) in enumerate(articles(n, seed)):
            title = " ".join(text.split()[:8]).rstrip(".").title()
            (folder / f"{key}.html").write_text(page(title, outlet, text))
            when = (t0 + timedelta(minutes=i)).isoformat()
            manifest.write(
                json.dumps({"file": f"{key}.html", "outlet": outlet, "published_at": when}) + "\n"
            )


def views(path: Path) -> dict[str, list[tuple]]:
    import duckdb

    from pipeline.db import VIEWS

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for name in VIEWS:
            cols = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_name = ? "
                    "order by ordinal_position",
                    [name],
                ).fetchall()
                if c not in VOLATILE
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            out[name] = con.execute(f"select {select} from {name} order by all").fetchall()
        return out
    finally:
        con.close()


def table_stats(path: Path) -> dict[str, float]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        docs = con.execute("select count(*) from documents").fetchall()[0][0]
        out: dict[str, float] = {"documents": docs}
        for table in (
            "cleaned",
            "passages",
            "passage_bands",
            "doc_bands",
            "doc_pairs",
            "alignments",
            "occurrences",
        ):
            out[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        out["raw_mb"] = (
            con.execute("select sum(size_bytes) from documents").fetchall()[0][0] / 2**20
        )
        out["clean_mb"] = (
            con.execute("select sum(strlen(clean_text)) from cleaned").fetchall()[0][0] / 2**20
        )
        out["db_mb"] = path.stat().st_size / 2**20
        return out
    finally:
        con.close()


def per_doc_cost(corpus: Path, n: int = 400) -> tuple[float, float]:
    """CPU seconds per document of the two per-document steps, one core, in-process:
    extraction and rules (clean), passages, signatures and band keys (detect's sketch)."""
    from pipeline import detect, extract
    from pipeline.config import Config
    from pipeline.sketch import TokenHasher

    cfg = Config()
    pages = [f.read_bytes() for f in sorted(corpus.glob("*.html"))[:n]]
    t = time.process_time()
    done = extract._clean_many([(raw, "html", None, None, cfg.clean.max_bytes) for raw in pages])
    t_clean = time.process_time() - t
    texts = [d.text for d in done if not isinstance(d, str)]
    t = time.process_time()
    hasher = TokenHasher()
    sketches = [detect.sketch_document(i, text, cfg.detect, hasher) for i, text in enumerate(texts)]
    detect.sketch_tables(sketches, cfg.detect, detect.param_id(cfg.detect))
    t_sketch = time.process_time() - t
    return t_clean / len(pages), t_sketch / max(len(texts), 1)


def child(args: argparse.Namespace) -> None:
    """One Ray run in this process: start-up, then the stages with Ray as their executor
    (JSON out)."""
    import dataclasses

    from pipeline import clean, db, detect, extract, ingest
    from pipeline.config import Config
    from pipeline.ray_engine import RayExecutor

    base = Config()
    # every batch on Ray, however small: this measures Ray, not the in-process shortcut
    cfg = dataclasses.replace(
        base,
        clean=dataclasses.replace(base.clean, pool_min_docs=0),
        detect=dataclasses.replace(base.detect, pool_min_docs=0),
    )
    t = time.perf_counter()
    timings: dict[str, float] = {}
    with RayExecutor(num_cpus=args.child_workers) as executor:
        timings["ray_start"] = time.perf_counter() - t
        # warm-up: every worker process imports the pipeline (trafilatura, numpy: ~3 s each)
        # once per job; a long-lived cluster pays it once, not per run
        t = time.perf_counter()
        pages = [f.read_bytes() for f in sorted(args.child_corpus.glob("*.html"))[:4]]
        jobs = [[(raw, "html", None, None, cfg.clean.max_bytes)] for raw in pages]
        executor.map(extract._clean_many, jobs * executor.workers)()
        timings["warm_up"] = time.perf_counter() - t
        con = db.connect(args.child_db)
        try:
            t = time.perf_counter()
            for stage in (
                lambda: ingest.run(con, cfg, [args.child_corpus]),
                lambda: clean.run(con, cfg, executor=executor),
                lambda: detect.run(con, cfg, executor=executor),
            ):
                t_stage = time.perf_counter()
                result = stage()
                timings[result.stage] = time.perf_counter() - t_stage
            timings["run"] = time.perf_counter() - t
        finally:
            con.close()
    print(json.dumps(timings))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--child-db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-workers", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_db:
        child(args)
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench_engines_"))
    base.mkdir(parents=True, exist_ok=True)
    corpus = base / "corpus"
    if not corpus.exists():
        t = time.perf_counter()
        write_corpus(corpus, args.n)
        print(f"corpus: {args.n} HTML pages in {time.perf_counter() - t:.1f} s", flush=True)
    try:
        local_db = base / "local.duckdb"
        local_db.unlink(missing_ok=True)
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", str(corpus), "--db", str(local_db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t
        if proc.returncode not in (0, 3):
            raise SystemExit(f"local run failed: {proc.stderr.strip()}")
        print(
            f"local     run {wall:7.1f} s  {args.n / wall:6.1f} docs/s  | {proc.stdout.strip().replace(chr(10), '; ')}",
            flush=True,
        )
        want = views(local_db)
        for k in (int(w) for w in args.workers.split(",")):
            ray_db = base / f"ray{k}.duckdb"
            ray_db.unlink(missing_ok=True)
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child-db",
                    str(ray_db),
                    "--child-corpus",
                    str(corpus),
                    "--child-workers",
                    str(k),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise SystemExit(f"ray run failed: {proc.stderr.strip()[-2000:]}")
            tm = json.loads(proc.stdout.strip().splitlines()[-1])
            same = views(ray_db) == want
            steps = ", ".join(
                f"{key} {v:.1f}"
                for key, v in tm.items()
                if key not in ("run", "ray_start", "warm_up")
            )
            print(
                f"ray x{k}    run {tm['run']:7.1f} s  {args.n / tm['run']:6.1f} docs/s  "
                f"(+ Ray start {tm['ray_start']:.1f} s, worker warm-up {tm['warm_up']:.1f} s)  views identical to local: {same}  | {steps}",
                flush=True,
            )
        read_s, finish_s = per_doc_cost(corpus)
        print(
            f"one core, CPU time per document: extract + rules {read_s * 1000:.2f} ms, "
            f"passages + signatures + bands {finish_s * 1000:.2f} ms"
        )
        print(
            f"load average during the runs: {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[2]:.2f} (15 min)"
        )
        stats = table_stats(local_db)
        docs = stats["documents"]
        per_doc = ", ".join(
            f"{t} {stats[t] / docs:.2f}"
            for t in (
                "passages",
                "passage_bands",
                "doc_bands",
                "doc_pairs",
                "alignments",
                "occurrences",
            )
        )
        print(f"rows per document: {per_doc}")
        print(
            f"raw {stats['raw_mb'] / docs * 1024:.1f} KB/doc, clean text {stats['clean_mb'] / docs * 1024:.1f} KB/doc, database {stats['db_mb'] / docs * 1024:.1f} KB/doc"
        )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
