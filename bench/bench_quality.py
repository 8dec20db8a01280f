"""Detection quality on the labelled corpus of bench/gen_corpus.py: the figures behind the gates.

Runs the real pipeline (ingest -> clean -> detect) on a generated corpus and compares the
views with the planted truth:

- syndication pairs: precision and recall of the ``syndication`` view against the planted
  republications (pairs of documents from different outlets);
- shared passages (span overlap): a planted occurrence of >= 8 words with <= 10% token edits
  is found when stored occurrences cover half of its characters or more; a stored
  occurrence in a cross-outlet cluster is right when half of its characters or more lie in
  planted occurrences;
- direction: the earlier document of every found syndicated pair, and the first document of
  every cluster, where the dates differ;
- cluster quality: adjusted Rand index of the syndication groups (connected components of
  the syndication view) against the planted stories, every document counted.

``python bench/bench_quality.py [--stories N]`` prints the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from math import comb
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_corpus import Corpus, generate, write  # noqa: E402

from pipeline import clean, db, detect, ingest  # noqa: E402
from pipeline.config import Config  # noqa: E402

MIN_WORDS = 8
MAX_EDIT_SHARE = 0.10


def run_pipeline(
    corpus: Corpus, folder: Path, cfg: Config | None = None
) -> duckdb.DuckDBPyConnection:
    """Write the corpus into folder and run the real pipeline into folder/eval.duckdb."""
    cfg = cfg or Config.load()
    write(corpus, folder / "docs")
    con = db.connect(folder / "eval.duckdb")
    ingest.run(con, cfg, [folder / "docs"])
    clean.run(con, cfg)
    detect.run(con, cfg)
    return con


def adjusted_rand_index(truth: list[str], pred: list[str]) -> float:
    """ARI of two labelings of the same items (Hubert and Arabie)."""
    n = len(truth)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    a: dict[str, int] = defaultdict(int)
    b: dict[str, int] = defaultdict(int)
    for t, p in zip(truth, pred, strict=True):
        pairs[(t, p)] += 1
        a[t] += 1
        b[p] += 1
    index = sum(comb(v, 2) for v in pairs.values())
    sa, sb = sum(comb(v, 2) for v in a.values()), sum(comb(v, 2) for v in b.values())
    expected = sa * sb / comb(n, 2) if n > 1 else 0.0
    top = (sa + sb) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def _covered(ranges: list[tuple[int, int]], start: int, end: int) -> int:
    return sum(max(0, min(e, end) - max(s, start)) for s, e in ranges)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def evaluate(con: duckdb.DuckDBPyConnection, corpus: Corpus) -> dict[str, float]:
    """Compare the views with the planted truth; every figure is in [0, 1] or a count."""
    docs = corpus.by_key()
    key_of: dict[str, str] = {}
    offset: dict[str, int] = {}  # clean_text may lose leading lines: shift truth offsets
    for doc_id, source, text in con.sql(
        "select doc_id, source, clean_text from articles"
    ).fetchall():
        key = Path(source).stem
        key_of[doc_id] = key
        offset[key] = _shift(docs[key].text, text)

    # syndication pairs
    found = {
        frozenset((key_of[a], key_of[b])): earlier
        for a, b, earlier in con.sql("select doc_a, doc_b, earlier_doc from syndication").fetchall()
    }
    tp = sum(1 for p in found if p in corpus.syndication)
    direction_ok = direction_n = 0
    for pair, earlier in found.items():
        x, y = (docs[k] for k in sorted(pair))
        if pair in corpus.syndication and x.published_at != y.published_at:
            direction_n += 1
            want = x.key if x.published_at < y.published_at else y.key
            direction_ok += key_of[earlier] == want

    # syndication groups: connected components of found pairs vs planted stories
    parent = {k: k for k in docs}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for pair in found:
        x, y = sorted(pair)
        parent[find(y)] = find(x)
    keys = sorted(docs)
    ari = adjusted_rand_index([docs[k].story for k in keys], [find(k) for k in keys])

    # shared passages: planted occurrences vs stored occurrences (span overlap)
    stored: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    rows = con.sql(
        """
        with multi as (
            select cluster_id from shared_passages group by cluster_id
            having count(distinct outlet) > 1
        )
        select p.doc_id, p.start_char, p.end_char, p.cluster_id, p.is_first
        from shared_passages as p semi join multi as m on m.cluster_id = p.cluster_id
        """
    ).fetchall()
    firsts: dict[str, str] = {}
    for doc_id, s, e, cid, is_first in rows:
        key = key_of[doc_id]
        stored[key].append((s + offset[key], e + offset[key], cid))
        if is_first:
            firsts[cid] = key
    planted_hits = planted_n = 0
    for d in corpus.docs:
        ranges = [(s, e) for s, e, _ in stored.get(d.key, [])]
        for o in d.occurrences:
            if o.n_words < MIN_WORDS or o.edits > MAX_EDIT_SHARE * o.n_words:
                continue
            planted_n += 1
            planted_hits += _covered(ranges, o.start, o.end) * 2 >= o.end - o.start
    right = n_stored = 0
    for key, occs in stored.items():
        truth = [(o.start, o.end) for o in docs[key].occurrences]
        for s, e, _ in occs:
            n_stored += 1
            right += _covered(truth, s, e) * 2 >= e - s
    # cluster direction: the first document must be the earliest carrier of the text
    cl_ok = cl_n = 0
    for cid, first_key in firsts.items():
        members = [(k, s, e) for k, occs in stored.items() for s, e, c in occs if c == cid]
        units = {
            o.unit
            for k, s, e in members
            for o in docs[k].occurrences
            if _covered([(o.start, o.end)], s, e) * 2 >= e - s
        }
        if len(units) != 1:
            continue  # a cluster that merged two planted texts has no single first carrier
        dates = {docs[k].published_at for k, _, _ in members}
        if len(dates) < 2:
            continue
        cl_n += 1
        earliest = min(docs[k].published_at for k, _, _ in members)
        cl_ok += docs[first_key].published_at == earliest
    n_synd = len(corpus.syndication)
    real = _real_text_figures(con, corpus, key_of, offset)
    return {
        "documents": len(docs),
        "syndication_pairs": n_synd,
        "syndication_precision": _ratio(tp, len(found)),
        "syndication_recall": _ratio(tp, n_synd),
        "syndication_ari": ari,
        "direction_pairs": direction_n,
        "direction_accuracy": _ratio(direction_ok, direction_n),
        "planted_occurrences": planted_n,
        "passage_recall": _ratio(planted_hits, planted_n),
        "stored_occurrences": n_stored,
        "passage_precision": _ratio(right, n_stored),
        "cluster_direction_n": cl_n,
        "cluster_direction_accuracy": _ratio(cl_ok, cl_n),
        **real,
    }


def _real_text_figures(
    con: duckdb.DuckDBPyConnection,
    corpus: Corpus,
    key_of: dict[str, str],
    offset: dict[str, int],
) -> dict[str, float]:
    """What real text has: updates ('partial'), copies (not 'partial'), reworded copies
    (top-level edited or paraphrase pairs), and a repeated phrase aligned to the
    occurrence consistent with its neighbours."""
    relations = {
        frozenset((key_of[a], key_of[b])): rel
        for a, b, rel in con.sql("select doc_a, doc_b, relation from syndication").fetchall()
    }
    copies = [p for p in corpus.syndication if p not in corpus.updates]
    pairs: dict[frozenset[str], list[tuple[str, int, int, str]]] = defaultdict(list)
    for a, b, sa, sb, kind in con.sql(
        "select doc_a, doc_b, start_a, start_b, kind from passage_pairs where not nested"
    ).fetchall():
        ka, kb = key_of[a], key_of[b]
        pairs[frozenset((ka, kb))].append((ka, sa + offset[ka], sb + offset[kb], kind))
    reworded = sum(
        any(kind in ("edited", "paraphrase") for *_, kind in pairs.get(p, []))
        for p in corpus.paraphrases
    )
    right_repeat = 0
    for src, host, start, end in corpus.repeats:
        rows = pairs.get(frozenset((src, host)), [])
        starts = [sa if ka == src else sb for ka, sa, sb, _ in rows]
        right_repeat += bool(starts) and all(start <= x < end for x in starts)
    return {
        "updates": len(corpus.updates),
        "update_partial": _ratio(
            sum(relations.get(p) == "partial" for p in corpus.updates), len(corpus.updates)
        ),
        "copy_not_partial": _ratio(
            sum(relations.get(p) in ("duplicate", "republished") for p in copies), len(copies)
        ),
        "paraphrase_pairs": len(corpus.paraphrases),
        "paraphrase_recall": _ratio(reworded, len(corpus.paraphrases)),
        "repeats": len(corpus.repeats),
        "repeat_accuracy": _ratio(right_repeat, len(corpus.repeats)),
    }


def _shift(generated: str, clean_text: str) -> int:
    """Offset of clean_text inside the generated text (the cleaner may drop a header line)."""
    probe = clean_text[:200]
    pos = generated.find(probe)
    return max(pos, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=None, help="Lee stories to use (all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corpus = generate(args.stories, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        con = run_pipeline(corpus, Path(tmp))
        elapsed = time.perf_counter() - t0
        figures = evaluate(con, corpus)
        con.close()
    for k, v in figures.items():
        print(f"{k:28s} {v:.4f}" if isinstance(v, float) else f"{k:28s} {v}")
    print(f"{'pipeline_seconds':28s} {elapsed:.1f}")


if __name__ == "__main__":
    main()
