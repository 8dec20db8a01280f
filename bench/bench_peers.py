"""Side by side with what users would pick instead, on the same generated articles.

Writes N Markov-text articles (bench_scale's generator and planted reuse), then times, each
as a whole process (start-up and imports included) on this machine, one after the other:

- newsdedup: `newsdedup run FOLDER` (ingest, clean, detect: passages, alignment, clusters);
- datasketch: a plain MinHashLSH script doing document-level dedup alone, as datasketch's
  documentation shows it (word 3-gram shingles, `MinHash.update` per shingle,
  `MinHashLSH(threshold=0.5, num_perm=128)`, query then insert);
- rensa: the same script with rensa's `RMinHash` / `RMinHashLSH` (its README's usage).

Each peer runs in its own virtual environment (created on first use under --venvs, pinned
versions, from the package registry), so none shares our dependencies. text-dedup's
MinHash and datatrove's four MinHash stages are not wired in yet (see BENCHMARKS.md).

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
PINS = {"datasketch": "datasketch==2.0.0", "rensa": "rensa==0.5.0"}

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


def venv(root: Path, name: str) -> Path:
    """The peer's own environment (made once, with its pinned package); its python."""
    path = root / name
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", PINS[name]], check=True, env=os.environ
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
    ap.add_argument("--only", default="newsdedup,datasketch,rensa")
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
                script = work / f"{name}_peer.py"
                script.write_text(DATASKETCH if name == "datasketch" else RENSA)
                wall, last = timed([str(venv(args.venvs, name)), str(script), str(corpus)], work)
            rows.append((name, wall))
            print(f"{name:11s} {wall:7.1f} s  {args.n / wall:7.0f} docs/s  | {last}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
