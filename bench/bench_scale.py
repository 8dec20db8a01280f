"""Speed and scale: the real pipeline on N generated ~600-word articles, then 1,000 more.

Prints per stage: seconds, docs/s, peak RSS so far and the database size; then the same
for an incremental batch of 1,000 new articles into that store; then the pipeline's
signature step against datasketch's per-token ``MinHash.update`` on a sample.

Articles are words drawn from the Lee corpus vocabulary (bench/gen_corpus.py) with Zipf
weights, in sentences and paragraphs, so unrelated articles share no 8-word run by chance.
Planted: 5% republished whole by another outlet (lightly edited), 5% carrying a 40-word
passage of an earlier article, and a hot bucket of 1% identical short briefs.

    python bench/bench_scale.py [--n 100000] [--batch 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_corpus import OUTLETS, lee_stories  # noqa: E402

from pipeline import clean, db, detect, ingest  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.sketch import TokenHasher, shingles, signatures  # noqa: E402
from pipeline.text import words_only  # noqa: E402

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


def articles(n: int, seed: int, start: int = 0) -> list[tuple[str, str, str]]:
    """(key, outlet, text) for n articles; keys continue from start."""
    rng = np.random.default_rng(seed)
    words, p = vocabulary()
    out: list[tuple[str, str, str]] = []
    for i in range(n):
        key = f"a{start + i:07d}"
        outlet = OUTLETS[int(rng.integers(len(OUTLETS)))]
        r = rng.random()
        if out and r < 0.01:
            out.append((key, outlet, HOT_BRIEF))
            continue
        if out and r < 0.06:  # republished whole, a few words changed
            _, src_outlet, text = out[int(rng.integers(len(out)))]
            toks = text.split(" ")
            for j in rng.integers(len(toks), size=max(1, len(toks) // 50)):
                toks[j] = words[int(rng.integers(2000))]
            outlet = next(o for o in OUTLETS if o != src_outlet)
            out.append((key, outlet, " ".join(toks)))
            continue
        idx = rng.choice(len(words), size=600, p=p)
        lens = rng.integers(10, 26, size=60)
        sents, pos = [], 0
        for length in lens:
            if pos >= 600:
                break
            chunk = [words[j] for j in idx[pos : pos + length]]
            pos += length
            sents.append(" ".join(chunk).capitalize() + ".")
        paras = [" ".join(sents[k : k + 3]) for k in range(0, len(sents), 3)]
        if out and r < 0.11:  # a 40-word passage of an earlier article
            _, _, src = out[int(rng.integers(len(out)))]
            toks = src.split(" ")
            at = int(rng.integers(max(1, len(toks) - 40)))
            paras.insert(len(paras) // 2, " ".join(toks[at : at + 40]))
        out.append((key, outlet, "\n\n".join(paras)))
    return out


def write(folder: Path, docs: list[tuple[str, str, str]], t0: datetime) -> None:
    folder.mkdir(parents=True)
    with (folder / "manifest.jsonl").open("w") as manifest:
        for n, (key, outlet, text) in enumerate(docs):
            (folder / f"{key}.txt").write_text(text)
            when = (t0 + timedelta(minutes=n)).isoformat()
            manifest.write(json.dumps({"file": f"{key}.txt", "outlet": outlet, "published_at": when}) + "\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stages(db_path: Path, folder: Path, cfg: Config, label: str) -> float:
    con = db.connect(db_path)
    total = 0.0
    n = None
    for name, fn in (
        ("ingest", lambda: ingest.run(con, cfg, [folder])),
        ("clean", lambda: clean.run(con, cfg)),
        ("detect", lambda: detect.run(con, cfg)),
    ):
        t = time.perf_counter()
        result = fn()
        con.execute("checkpoint")
        dt = time.perf_counter() - t
        total += dt
        if n is None:
            n = result.counts.get("ingested") or result.counts.get("documents") or 0
        extra = ", ".join(f"{k} {v}" for k, v in result.counts.items())
        print(
            f"{label:12s} {name:7s} {dt:8.2f} s {n / dt if dt else 0:10.0f} docs/s "
            f"peak RSS {peak_rss_mb():7.0f} MB  db {db_path.stat().st_size / 2**20:7.0f} MB  ({extra})",
            flush=True,
        )
    con.close()
    print(f"{label:12s} total   {total:8.2f} s {n / total:10.0f} docs/s", flush=True)
    return total


def signature_ratio(docs: list[tuple[str, str, str]], cfg: Config, sample: int) -> None:
    """The pipeline's signature step vs datasketch's per-token MinHash.update, same texts."""
    from datasketch import MinHash

    texts = [t for _, _, t in docs[:sample]]
    d = cfg.detect
    t = time.perf_counter()
    hasher = TokenHasher()
    ours = signatures(
        [np.unique(shingles(hasher(words_only(x)), d.shingle_size)) for x in texts],
        d.num_perm,
        d.seed,
        d.scheme,
    )
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    for x in texts:
        w = words_only(x)
        m = MinHash(num_perm=d.num_perm, seed=d.seed, scheme=d.scheme)
        for i in range(len(w) - d.shingle_size + 1):
            m.update(" ".join(w[i : i + d.shingle_size]).encode())
    ref_s = time.perf_counter() - t
    print(
        f"signatures   {len(texts)} docs: pipeline {len(texts) / ours_s:9.0f} docs/s, "
        f"datasketch MinHash.update {len(texts) / ref_s:7.0f} docs/s, ratio {ref_s / ours_s:5.1f}x"
    )
    assert ours.shape == (len(texts), d.num_perm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=500, help="docs for the signature ratio")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsdedup-bench-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    cfg = Config.load()
    t = time.perf_counter()
    docs = articles(args.n + args.batch, seed=1)
    t0 = datetime(2024, 1, 1)
    write(work / "corpus", docs[: args.n], t0)
    write(work / "batch", docs[args.n :], t0 + timedelta(minutes=args.n))
    print(f"generated {args.n} + {args.batch} articles in {time.perf_counter() - t:.1f} s", flush=True)
    db_path = work / "bench.duckdb"
    run_stages(db_path, work / "corpus", cfg, f"run {args.n}")
    run_stages(db_path, work / "batch", cfg, f"+{args.batch}")
    signature_ratio(docs, cfg, args.sample)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
