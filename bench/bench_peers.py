"""Side by side with what users would pick instead, on the same generated articles.

Writes N Markov-text articles (bench_scale's generator and planted reuse), then times, each
as a whole process (start-up and imports included) on this machine, one after the other:

- newsdedup: `newsdedup run FOLDER` (ingest, clean, detect: passages, alignment, clusters);
- datasketch: a plain MinHashLSH script doing document-level dedup alone, as datasketch's
  documentation shows it (word 3-gram shingles, `MinHash.update` per shingle,
  `MinHashLSH(threshold=0.5, num_perm=128)`, query then insert);
- rensa: the same script with rensa's `RMinHash` / `RMinHashLSH` (its README's usage);
- text-dedup: `python -m text_dedup.minhash` on the articles as a local JSON dataset (its
  documentation's command line, default parameters);
- datatrove: its four MinHash stages (signatures, buckets, clusters, filter) on a
  `LocalPipelineExecutor` with one task per core, as its minhash example runs them.

Each peer runs in its own virtual environment (created on first use under --venvs, pinned
versions, from the package registry), so none shares our dependencies. The last two read
JSON lines: the timed process writes them from the articles' files first (a few seconds),
as our run reads those files.

    python bench/bench_peers.py [--n 20000] [--venvs DIR] [--keep DIR] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import articles, write  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PINS = {
    "datasketch": ["datasketch==2.0.0"],
    "rensa": ["rensa==0.5.0"],
    "text-dedup": ["text-dedup==0.4.0"],
    "datatrove": ["datatrove[processing]==0.10.1", "orjson", "spacy"],
}

# document-level near-duplicate dedup, as each library's documentation shows it
DATASKETCH = """
import sys, glob
from datasketch import MinHash, MinHashLSH
files = sorted(glob.glob(sys.argv[1] + "/*.txt"))
lsh = MinHashLSH(threshold=0.5, num_perm=128)
dups = 0
for i, path in enumerate(files):
    words = open(path, encoding="utf-8").read().lower().split()
    m = MinHash(num_perm=128)
    for s in {" ".join(words[j:j + 3]) for j in range(len(words) - 2)}:
        m.update(s.encode("utf8"))
    if lsh.query(m):
        dups += 1
    else:
        lsh.insert(str(i), m)
print(f"{len(files)} documents, {dups} near-duplicates of an earlier one")
"""

RENSA = """
import sys, glob
from rensa import RMinHash, RMinHashLSH
files = sorted(glob.glob(sys.argv[1] + "/*.txt"))
lsh = RMinHashLSH(threshold=0.5, num_perm=128, num_bands=16)
dups = 0
for i, path in enumerate(files):
    words = open(path, encoding="utf-8").read().lower().split()
    m = RMinHash(num_perm=128, seed=42)
    m.update(list({" ".join(words[j:j + 3]) for j in range(len(words) - 2)}))
    if lsh.query(m):
        dups += 1
    else:
        lsh.insert(i, m)
print(f"{len(files)} documents, {dups} near-duplicates of an earlier one")
"""


# the articles as JSON lines, written by the timed process itself (see the docstring)
TO_JSONL = """
import glob, json, os, shutil, sys
def to_jsonl(folder, out, shards=1):
    # a fresh work folder: datatrove skips tasks it finds done, datasets reuses its cache
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    os.makedirs(out)
    files = [open(f"{out}/{i:02d}.jsonl", "w", encoding="utf-8") for i in range(shards)]
    for n, path in enumerate(sorted(glob.glob(folder + "/*.txt"))):
        text = open(path, encoding="utf-8").read()
        files[n % shards].write(json.dumps({"id": os.path.basename(path), "text": text}) + "\\n")
    for f in files:
        f.close()
"""

TEXT_DEDUP = (
    TO_JSONL
    + """
import subprocess
work = os.path.abspath("text_dedup_work")
to_jsonl(sys.argv[1], work + "/in")
env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
proc = subprocess.run([sys.executable, "-m", "text_dedup.minhash", "--path", "json",
    "--data_files", work + "/in/00.jsonl", "--split", "train", "--cache_dir",
    work + "/cache", "--output", work + "/out", "--column", "text"], env=env,
    capture_output=True, text=True)
if proc.returncode:
    sys.exit(proc.stderr[-2000:])
import datasets
kept = len(datasets.load_from_disk(work + "/out"))
print(f"{kept} documents kept")
"""
)

DATATROVE = (
    TO_JSONL
    + """
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets,
    MinhashDedupCluster, MinhashDedupFilter)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter

if __name__ == "__main__":
    work = os.path.abspath("datatrove_work")
    tasks = os.cpu_count() or 1
    to_jsonl(sys.argv[1], work + "/in", shards=tasks)  # a task per input file
    config = MinhashConfig()
    read = lambda: JsonlReader(work + "/in")
    stages = [
        [read(), MinhashDedupSignature(output_folder=work + "/sigs", config=config)],
        [MinhashDedupBuckets(input_folder=work + "/sigs", output_folder=work + "/buckets",
            config=config)],
        [MinhashDedupCluster(input_folder=work + "/buckets", output_folder=work + "/remove_ids",
            config=config)],
        [read(), MinhashDedupFilter(input_folder=work + "/remove_ids"),
            JsonlWriter(work + "/out")],
    ]
    counts = [tasks, config.num_buckets, 1, tasks]
    for n, (pipeline, k) in enumerate(zip(stages, counts)):
        LocalPipelineExecutor(pipeline=pipeline, tasks=k, workers=tasks,
            logging_dir=f"{work}/logs/{n}").run()
    import gzip
    kept = sum(1 for f in glob.glob(work + "/out/*") for _ in gzip.open(f, "rt"))
    print(f"{kept} documents kept")
"""
)

SCRIPTS = {
    "datasketch": DATASKETCH,
    "rensa": RENSA,
    "text-dedup": TEXT_DEDUP,
    "datatrove": DATATROVE,
}


def venv(root: Path, name: str) -> Path:
    """The peer's own environment (made once, with its pinned package); its python."""
    path = root / name
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-U", "pip"], check=True, env=os.environ
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PINS[name]], check=True, env=os.environ
        )
    return python


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.strip()[-1500:]}")
    return wall, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--venvs", type=Path, default=Path(tempfile.gettempdir()) / "newsdedup-peers")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--only", default="newsdedup,datasketch,rensa,text-dedup,datatrove")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsdedup-peers-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    if not corpus.exists():
        t = time.perf_counter()
        write(corpus, itertools.islice(articles(args.n, seed=1), args.n), datetime(2024, 1, 1))
        print(f"generated {args.n} markov articles in {time.perf_counter() - t:.1f} s", flush=True)
    args.venvs.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for name in args.only.split(","):
            if name == "newsdedup":
                db = work / "news.duckdb"
                db.unlink(missing_ok=True)
                cmd = [sys.executable, "-m", "pipeline", "run", str(corpus), "--db", str(db)]
                wall, last = timed(cmd, ROOT)
            else:
                script = work / f"{name.replace('-', '_')}_peer.py"
                script.write_text(SCRIPTS[name])
                wall, last = timed([str(venv(args.venvs, name)), str(script), str(corpus)], work)
            rows.append((name, wall))
            print(f"{name:11s} {wall:7.1f} s  {args.n / wall:7.0f} docs/s  | {last}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
