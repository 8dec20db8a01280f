"""Reuse that survives rewording: sentences matched on their word sets, not exact runs.

Copies with words substituted, inserted, deleted or shuffled, machine-translation round
trips and summaries keep few exact word runs but most of their content words. Here each
sentence of two texts is a bag of content-word stems weighted by tf-isf (a word's weight
falls with the share of the pair's sentences that hold it); sentence pairs with cosine and
Dice both above ``seed_sim`` are seeds; seeds within ``max_gap`` sentences of each other on
both sides are grouped into fragments (the grouping alternates between the two texts'
orders until it is stable), and a fragment is kept when its two sides, as wholes, are
similar too. This is the seed-extend-filter scheme of Sanchez-Perez et al. (PAN 2014),
vectorised over sparse matrices of the pair's sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pipeline.text import Tokens, content_stems, sentence_bounds


@dataclass(frozen=True, slots=True)
class SentenceParams:
    """How the sentence lane seeds, groups, keeps and merges (tuned on PAN 2013 training
    pairs: bench/bench_pan.py)."""

    seed_sim: float = 0.33  # cosine and Dice two sentences need to be a seed
    max_gap: int = 4  # sentences between two seeds of one fragment, on each side
    max_gap_words: int = 80  # and words
    min_sim: float = 0.34  # cosine of a fragment's two sides as wholes
    min_words: int = 20  # words of a fragment's shorter side
    min_seeds: int = 2  # seeds of a fragment with few exact runs ('paraphrase')
    merge_gap: int = 80  # words between two spans of one pair that are one reworded stretch
    merge_long: int = 6  # times that on one side while the other side's gap is a quarter


@dataclass(frozen=True, slots=True)
class Fragment:
    """Word ranges [a0, a1) x [b0, b1) of two texts that say the same thing."""

    a0: int
    a1: int
    b0: int
    b1: int
    similarity: float  # cosine of the two sides' weighted word bags
    seeds: int  # sentence pairs of the fragment that matched on their own


def _units(tok: Tokens) -> list[tuple[int, int]]:
    """Word ranges of the text's sentences."""
    bounds = sentence_bounds(tok.text)
    if not bounds or not len(tok):
        return []
    arr = np.array(bounds, dtype=np.int64)
    w0 = np.searchsorted(tok.starts, arr[:, 0])
    w1 = np.searchsorted(tok.starts, arr[:, 1])
    return [(s, e) for s, e in zip(w0.tolist(), w1.tolist(), strict=True) if e > s]


def _entries(
    stems: list[str | None], units: list[tuple[int, int]], vocab: dict[str, int]
) -> tuple[list[int], list[int]]:
    """(sentence, word id) of every content word, the ids drawn from vocab."""
    rows, cols = [], []
    for u, (s, e) in enumerate(units):
        for st in stems[s:e]:
            if st is not None:
                rows.append(u)
                cols.append(vocab.setdefault(st, len(vocab)))
    return rows, cols


def _matrix(entries: tuple[list[int], list[int]], n: int, v: int) -> sparse.csr_matrix:
    rows, cols = entries
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, v))  # duplicates are summed


def fragments(a: Tokens, b: Tokens, p: SentenceParams = SentenceParams()) -> list[Fragment]:
    """Fragments of a and b whose sentences share most of their content words."""
    ua, ub = _units(a), _units(b)
    if not ua or not ub:
        return []
    vocab: dict[str, int] = {}
    ea = _entries(content_stems(a.words), ua, vocab)
    eb = _entries(content_stems(b.words), ub, vocab)
    v = len(vocab)
    if v == 0:
        return []
    ma, mb = _matrix(ea, len(ua), v), _matrix(eb, len(ub), v)
    # term counts and sentence frequencies over the pair's sentences
    ba, bb = (ma > 0).astype(np.float32), (mb > 0).astype(np.float32)
    sf = np.asarray(ba.sum(axis=0)).ravel() + np.asarray(bb.sum(axis=0)).ravel()
    isf = np.log((len(ua) + len(ub)) / sf).astype(np.float32)
    wa, wb = _normalised(ma @ sparse.diags(isf)), _normalised(mb @ sparse.diags(isf))
    cos = (wa @ wb.T).toarray()
    inter = (ba @ bb.T).toarray()
    na, nb = np.asarray(ba.sum(axis=1)).ravel(), np.asarray(bb.sum(axis=1)).ravel()
    dice = 2 * inter / np.maximum(na[:, None] + nb[None, :], 1)
    si, sj = np.nonzero((cos > p.seed_sim) & (dice > p.seed_sim))
    if len(si) == 0:
        return []
    out = []
    # a gap is measured in sentences and in words: one "sentence" of a page without
    # punctuation can be thousands of words
    starts = (np.array([u[0] for u in ua]), np.array([u[0] for u in ub]))
    ends = (np.array([u[1] for u in ua]), np.array([u[1] for u in ub]))
    seeds = list(zip(si.tolist(), sj.tolist(), strict=True))
    for group in _groups(seeds, p.max_gap, p.max_gap_words, starts, ends):
        i0, i1 = min(g[0] for g in group), max(g[0] for g in group) + 1
        j0, j1 = min(g[1] for g in group), max(g[1] for g in group) + 1
        va = np.asarray(ma[i0:i1].sum(axis=0)).ravel() * isf
        vb = np.asarray(mb[j0:j1].sum(axis=0)).ravel() * isf
        sim = float(va @ vb / max(np.linalg.norm(va) * np.linalg.norm(vb), 1e-9))
        a0, a1, b0, b1 = ua[i0][0], ua[i1 - 1][1], ub[j0][0], ub[j1 - 1][1]
        if sim >= p.min_sim and min(a1 - a0, b1 - b0) >= p.min_words:
            out.append(Fragment(a0, a1, b0, b1, sim, len(group)))
    return _resolve(out)


def _normalised(m: sparse.spmatrix) -> sparse.csr_matrix:
    m = sparse.csr_matrix(m)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sparse.diags(1 / np.maximum(norms, 1e-9)) @ m


def _groups(
    seeds: list[tuple[int, int]],
    max_gap: int,
    max_gap_words: int,
    starts: tuple[np.ndarray, np.ndarray],
    ends: tuple[np.ndarray, np.ndarray],
) -> list[list[tuple[int, int]]]:
    """Seeds split wherever the gap on either side passes max_gap sentences or
    max_gap_words words, alternating sides until stable."""
    groups = [seeds]
    side = 0
    stable = 0
    while stable < 2:
        out = []
        for g in groups:
            g = sorted(g, key=lambda x: (x[side], x[1 - side]))
            cur = [g[0]]
            for x in g[1:]:
                last = cur[-1][side]
                words = starts[side][x[side]] - ends[side][last]
                if x[side] - last > max_gap or words > max_gap_words:
                    out.append(cur)
                    cur = []
                cur.append(x)
            out.append(cur)
        stable = stable + 1 if len(out) == len(groups) else 0
        groups = out
        side = 1 - side
    return groups


def _resolve(found: list[Fragment]) -> list[Fragment]:
    """Overlapping fragments: the more similar one stays."""
    kept: list[Fragment] = []
    for f in sorted(found, key=lambda f: -f.similarity):
        if any(f.a0 < k.a1 and k.a0 < f.a1 or f.b0 < k.b1 and k.b0 < f.b1 for k in kept):
            continue
        kept.append(f)
    return sorted(kept, key=lambda f: (f.a0, f.b0))
