"""Speed and scale: the real pipeline on N generated ~600-word articles, then 1,000 more.

Prints per stage: seconds, docs/s, peak RSS so far and the database size; then the same
for an incremental batch of 1,000 new articles into that store; then the pipeline's
signature step against datasketch's per-token ``MinHash.update`` on a sample.

Article text (`--text`): `markov` (the default) comes from a word-level Markov model of real
news (bench/gen_markov.py: order 2 backing off to order 1, trained on the Lee corpus and,
when NEWSDEDUP_REAL_PAGES names newspaper4k's archive, its English articles), so stock
phrases recur and unrelated articles share short runs, as real news does; `zipf` draws
words independently from the Lee vocabulary with Zipf weights, so unrelated articles share
no 8-word run by chance. Planted either way: 5% republished whole by another outlet
(lightly edited), 5% carrying a 40-word passage of an earlier article, and a hot bucket of
1% identical short briefs.

    python bench/bench_scale.py [--n 100000] [--batch 1000] [--text markov|zipf] [--keep DIR] [--no-hot]

Both loads run the real CLI (``python -m pipeline -v run FOLDER``) in a child process, as a
scheduled job would; its log gives each stage's seconds (and the steps inside), the
process's peak RSS so far and the database size after it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_corpus import OUTLETS, lee_stories  # noqa: E402

from pipeline.config import Config  # noqa: E402
from pipeline.sketch import TokenHasher, shingles, signatures  # noqa: E402
from pipeline.text import words_only  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOT_BRIEF = "Markets closed higher on Friday as investors weighed the latest figures."


def vocabulary() -> tuple[list[str], np.ndarray]:
    counts: dict[str, int] = {}
    for story in lee_stories():
        for sent in story:
            for w in sent.split():
                w = w.strip(".,;:\"“”()'’?!").lower()
                if w.isalpha():
                    counts[w] = counts.get(w, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])
    weights = 1.0 / np.arange(1, len(words) + 1) ** 0.9
    return words, weights / weights.sum()


def zipf_bodies(rng: np.random.Generator) -> Iterator[str]:
    """Article bodies of words drawn independently (Zipf over the Lee vocabulary): unrelated
    articles share no 8-word run by chance (`--text zipf`)."""
    words, p = vocabulary()
    while True:
        idx = rng.choice(len(words), size=600, p=p)
        lens = rng.integers(10, 26, size=60)
        sents, pos = [], 0
        for length in lens:
            if pos >= 600:
                break
            chunk = [words[j] for j in idx[pos : pos + length]]
            pos += length
            sents.append(" ".join(chunk).capitalize() + ".")
        yield "\n\n".join(" ".join(sents[k : k + 3]) for k in range(0, len(sents), 3))


def markov_bodies(rng: np.random.Generator, chunk: int = 2000) -> Iterator[str]:
    """Article bodies from a word-level Markov model of real news (bench/gen_markov.py):
    stock phrases recur and unrelated articles share short runs (`--text markov`)."""
    from gen_markov import MarkovNews, training_texts

    model = MarkovNews(training_texts())
    while True:
        yield from model.generate(chunk, 600, rng)


def articles(
    n: int,
    seed: int,
    start: int = 0,
    text: str = "markov",
    planted: dict[str, tuple[str, str]] | None = None,
) -> Iterator[tuple[str, str, str]]:
    """(key, outlet, text) for n articles, streamed; copies draw on a window of recent ones.

    `planted`, when given, gets key -> ('republished' | 'passage' | 'hot', source key) of
    every planted copy (the truth the run is scored on; the near-identical briefs all name
    the first, and "hot" names it too)."""
    rng = np.random.default_rng(seed)
    words, _ = vocabulary()
    bodies = markov_bodies(rng) if text == "markov" else zipf_bodies(rng)
    recent: list[tuple[str, str, str]] = []
    for i in range(n):
        key = f"a{start + i:07d}"
        outlet = OUTLETS[int(rng.integers(len(OUTLETS)))]
        r = rng.random()
        if recent and r < 0.01:
            if planted is not None:
                hot = planted.setdefault("hot", ("hot", key))[1]
                planted[key] = ("hot", hot)
            yield key, outlet, f"{HOT_BRIEF} Ref {i}."
            continue
        if recent and r < 0.06:  # republished whole, a few words changed
            src_key, src_outlet, text = recent[int(rng.integers(len(recent)))]
            if planted is not None:
                planted[key] = ("republished", src_key)
            toks = text.split(" ")
            for j in rng.integers(len(toks), size=max(1, len(toks) // 50)):
                toks[j] = words[int(rng.integers(2000))]
            outlet = next(o for o in OUTLETS if o != src_outlet)
            yield key, outlet, " ".join(toks)
            continue
        paras = next(bodies).split("\n\n")
        if recent and r < 0.11:  # a 40-word passage of an earlier article
            src_key, _, src = recent[int(rng.integers(len(recent)))]
            if planted is not None:
                planted[key] = ("passage", src_key)
            toks = src.split(" ")
            at = int(rng.integers(max(1, len(toks) - 40)))
            paras.insert(len(paras) // 2, " ".join(toks[at : at + 40]))
        doc = (key, outlet, "\n\n".join(paras))
        recent.append(doc)
        if len(recent) > 5000:
            del recent[: len(recent) - 5000]
        yield doc


def write(
    folder: Path, docs: Iterable[tuple[str, str, str]], t0: datetime, keep: int = 0
) -> list[str]:
    """Write articles and their manifest; returns the texts of the first ``keep``."""
    folder.mkdir(parents=True)
    kept: list[str] = []
    with (folder / "manifest.jsonl").open("w") as manifest:
        for n, (key, outlet, text) in enumerate(docs):
            (folder / f"{key}.txt").write_text(text)
            when = (t0 + timedelta(minutes=n)).isoformat()
            row = {"file": f"{key}.txt", "outlet": outlet, "published_at": when}
            manifest.write(json.dumps(row) + "\n")
            if n < keep:
                kept.append(text)
    return kept


_STAGE_LOG = re.compile(
    r"INFO: (ingest|clean|detect): ([\d.]+) s(?:, )?(.*); peak RSS so far (\d+) MB; "
    r"database (.+?) \(\+ WAL (.+?)\)$"
)


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat (0, 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Share of all cores' time that was busy between two readings: a run that cannot
    keep both cores busy shows it here, and so does a machine shared with other work
    (the pool's workers are not this process's reaped children, so rusage misses them)."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def planted_found(db_path: Path, planted: dict[str, tuple[str, str]]) -> dict[str, int]:
    """How many planted copies the public views hold: republications as syndication rows,
    passages as passage_pairs rows between copy and source (a passage copied within one
    outlet is its template by design, not counted); and the other stored document pairs
    (chance runs of the generator, or copies of copies)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        docs = con.sql(
            "select doc_id, regexp_extract(source, '([^/]+)[.]txt$', 1), outlet from articles"
        ).fetchall()
        keys = {doc: key for doc, key, _ in docs}
        outlet = {key: o for _, key, o in docs}
        synd = {
            frozenset((keys[a], keys[b]))
            for a, b in con.sql("select doc_a, doc_b from syndication").fetchall()
        }
        pairs = {
            frozenset((keys[a], keys[b]))
            for a, b in con.sql("select doc_a, doc_b from passage_pairs").fetchall()
        }
    finally:
        con.close()
    root: dict[str, str] = {}
    planted = {k: v for k, v in planted.items() if k != "hot"}
    for key, (kind, src) in sorted(planted.items()):
        if kind in ("republished", "hot"):
            root[key] = root.get(src, src)

    def family(k: str) -> str:
        return root.get(k, k)

    related = {frozenset((family(k), family(s))) for k, (_, s) in planted.items()}
    out = {"republished": 0, "republished_found": 0, "passage": 0, "passage_found": 0}
    for key, (kind, src) in planted.items():
        if kind == "hot" or outlet.get(key) == outlet.get(src):
            continue
        out[kind] += 1
        out[f"{kind}_found"] += frozenset((key, src)) in (synd if kind == "republished" else pairs)
    stored = synd | pairs
    out["stored_pairs"] = len(stored)
    out["unplanted_pairs"] = sum(
        1
        for p in stored
        if len({family(k) for k in p}) > 1 and frozenset(family(k) for k in p) not in related
    )
    return out


LOG: Path | None = None  # --log: the runs' whole -v logs are appended here


def run_pipeline(db_path: Path, folder: Path, label: str, n: int) -> float:
    """The real ``newsdedup run`` in one process, as a scheduled job calls it; prints each
    stage's line of its -v log (seconds, steps, peak RSS so far, database size) and
    returns the wall time of the whole command."""
    t = time.perf_counter()
    before = _cpu_ticks()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "-v", "run", str(folder), "--db", str(db_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t
    busy = _busy_share(before, _cpu_ticks())
    if proc.returncode not in (0, 3):
        raise SystemExit(f"run failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    if LOG is not None:
        with LOG.open("a", encoding="utf-8") as f:
            f.write(f"== {label}\n{proc.stderr}")
    for line in proc.stderr.splitlines():
        m = _STAGE_LOG.search(line)
        if m:
            stage, secs, steps, rss, size, wal = m.groups()
            print(
                f"{label:10s} {stage:7s} {float(secs):8.2f} s {n / max(float(secs), 0.01):9.0f} docs/s  "
                f"peak RSS {int(rss):6d} MB  db {size} (+ WAL {wal})"
                + (f"  | {steps}" if steps else ""),
                flush=True,
            )
    print(
        f"{label:10s} {'total':7s} {wall:8.2f} s {n / wall:9.0f} docs/s  (the whole command; "
        f"the machine's cores {busy:.0%} busy meanwhile, with anyone else's work)"
    )
    print(f"{label:10s} {proc.stdout.strip().replace(chr(10), '; ')}", flush=True)
    return wall


def hot_bucket(sizes: tuple[int, ...] = (1000, 2000, 4000)) -> None:
    """detect on H near-identical short briefs (one LSH bucket): time must grow linearly in H."""
    from pipeline import clean, db, detect, ingest
    from pipeline.config import Config

    cfg = Config(detect=dataclasses.replace(Config().detect, workers=1))
    prev = None
    for h in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "hot"
            docs = ((f"h{i:06d}", OUTLETS[i % 12], f"{HOT_BRIEF} Ref {i}.") for i in range(h))
            write(folder, docs, datetime(2024, 1, 1))
            con = db.connect(Path(tmp) / "hot.duckdb")
            ingest.run(con, cfg, [folder])
            clean.run(con, cfg)
            t = time.perf_counter()
            res = detect.run(con, cfg)
            dt = time.perf_counter() - t
            con.close()
        ratio = f"  x{dt / prev:.2f} for x2 docs" if prev else ""
        print(
            f"hot bucket {h:6d} identical docs: detect {dt:6.2f} s, pairs {res.counts.get('pairs', 0)}{ratio}"
        )
        prev = dt


def signature_ratio(texts: list[str], cfg: Config) -> None:
    """The pipeline's signature step vs datasketch's per-token MinHash.update, same words.

    Both start from the same normalised word lists (tokenising is common to both) and
    end with one 64-permutation signature per document; one core each, same process.
    """
    from datasketch import MinHash

    d = cfg.detect
    words = [words_only(t) for t in texts]
    signatures([np.arange(3, dtype=np.uint32)], d.num_perm, d.seed, d.scheme)  # warm: perms
    best_ours = best_ref = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        t = time.perf_counter()
        hasher = TokenHasher()
        ours = signatures(
            [shingles(hasher(w), d.shingle_size) for w in words], d.num_perm, d.seed, d.scheme
        )
        best_ours = min(best_ours, time.perf_counter() - t)
    k = d.shingle_size
    for _ in range(1):
        t = time.perf_counter()
        ref = []
        for w in words:
            m = MinHash(num_perm=d.num_perm, seed=d.seed, scheme=d.scheme)
            for i in range(len(w) - k + 1):
                m.update(" ".join(w[i : i + k]).encode())
            ref.append(m)
        best_ref = min(best_ref, time.perf_counter() - t)
    n = len(words)
    print(
        f"signatures   {n} docs: pipeline {n / best_ours:9.0f} docs/s, "
        f"datasketch MinHash.update {n / best_ref:7.0f} docs/s, ratio {best_ref / best_ours:5.1f}x"
    )
    assert ours.shape == (n, d.num_perm) and len(ref) == n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=500, help="docs for the signature ratio")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--no-hot", action="store_true", help="skip the hot-bucket timings")
    parser.add_argument(
        "--text", choices=("markov", "zipf"), default="markov", help="how article text is made"
    )
    parser.add_argument("--log", type=Path, help="append the runs' -v logs to this file")
    args = parser.parse_args()
    global LOG
    LOG = args.log
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsdedup-bench-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    cfg = Config.load()
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}"
    )
    t = time.perf_counter()
    t0 = datetime(2024, 1, 1)
    planted: dict[str, tuple[str, str]] = {}
    stream = articles(args.n + args.batch, seed=1, text=args.text, planted=planted)
    sample = write(work / "corpus", itertools.islice(stream, args.n), t0, keep=args.sample)
    write(work / "batch", stream, t0 + timedelta(minutes=args.n))
    print(
        f"generated {args.n} + {args.batch} {args.text} articles in "
        f"{time.perf_counter() - t:.1f} s",
        flush=True,
    )
    db_path = work / "bench.duckdb"
    run_pipeline(db_path, work / "corpus", f"run {args.n}", args.n)
    first = {k: v for k, v in planted.items() if k == "hot" or int(k[1:]) < args.n}
    found = planted_found(db_path, first)
    print(
        f"run {args.n}  planted republications found {found['republished_found']} / "
        f"{found['republished']}, planted passages found {found['passage_found']} / "
        f"{found['passage']} (across outlets); stored pairs {found['stored_pairs']}, of them unplanted "
        f"{found['unplanted_pairs']}",
        flush=True,
    )
    run_pipeline(db_path, work / "batch", f"+{args.batch}", args.batch)
    signature_ratio(sample, cfg)
    if not args.no_hot:
        hot_bucket()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
