"""Reuse that survives rewording: sentences matched on their word sets, not exact runs.

Copies with words substituted, inserted, deleted or shuffled, machine-translation round
trips and summaries keep few exact word runs but most of their content words. Here each
sentence of two texts is a bag of content-word stems weighted by tf-isf (a word's weight
falls with the share of the pair's sentences that hold it); sentence pairs with cosine and
Dice both above ``seed_sim`` are seeds; seeds within ``max_gap`` sentences of each other on
both sides are grouped into fragments (the grouping alternates between the two texts'
orders until it is stable), and a fragment is kept when its two sides, as wholes, are
similar too. This is the seed-extend-filter scheme of Sanchez-Perez et al. (PAN 2014),
vectorised over matrices of the pair's sentences.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass

import numpy as np

from pipeline.sketch import distinct_inverse
from pipeline.text import Tokens, content_stems, hash_stem, sentence_bounds

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class SentenceView:
    """A text as the sentence lane sees it: its sentences' word ranges, and for each of
    its content words the sentence it sits in and its stem hash."""

    units: list[tuple[int, int]]
    unit_of: np.ndarray  # int64 sentence index of each content word
    stems: np.ndarray  # uint32 stem hash of each content word

    @classmethod
    def of(cls, tok: Tokens, stem_hashes: np.ndarray) -> SentenceView:
        """The view of tokenised text whose words' stem hashes (0: function word) are given."""
        bounds = sentence_bounds(tok.text)
        if not bounds or not len(tok):
            return cls([], np.empty(0, np.int64), np.empty(0, np.uint32))
        arr = np.array(bounds, dtype=np.int64)
        w0 = np.searchsorted(tok.starts, arr[:, 0])
        w1 = np.searchsorted(tok.starts, arr[:, 1])
        keep = w1 > w0
        w0, w1 = w0[keep], w1[keep]
        # each sentence's words get its index (sentences never overlap: w1[u] <= w0[u + 1])
        unit = np.full(len(tok), -1, dtype=np.int64)
        lengths = w1 - w0
        at = np.arange(int(lengths.sum())) + np.repeat(w0 - (np.cumsum(lengths) - lengths), lengths)
        unit[at] = np.repeat(np.arange(len(w0)), lengths)
        content = (unit >= 0) & (stem_hashes != 0)
        units = list(zip(w0.tolist(), w1.tolist(), strict=True))
        return cls(units, unit[content], stem_hashes[content])


def _view(tok: Tokens) -> SentenceView:
    stems = content_stems(tok.words)
    hashes = np.array([0 if st is None else (hash_stem(st) or 1) for st in stems], np.uint32)
    return SentenceView.of(tok, hashes)


def _matrix(entries: tuple[np.ndarray, np.ndarray], n: int, v: int) -> np.ndarray:
    """(n, v) float32 counts of each word id in each sentence."""
    rows, cols = entries
    flat = rows.astype(np.int64) * v + cols.astype(np.int64)
    return np.bincount(flat, minlength=n * v).reshape(n, v).astype(np.float32)


_SAME_SENTENCE = 0.8  # cosine of two sentences that are one sentence repeated
_MAX_CELLS = 40_000_000  # sentences x vocabulary of a pair past which the lane is skipped


def fragments(
    a: Tokens,
    b: Tokens,
    p: SentenceParams = SentenceParams(),
    views: tuple[SentenceView, SentenceView] | None = None,
) -> list[Fragment]:
    """Fragments of a and b whose sentences share most of their content words.

    ``views``: the two texts' SentenceView, when the caller keeps them (a document is
    compared with many others)."""
    va_, vb_ = views if views is not None else (_view(a), _view(b))
    ua, ub = va_.units, vb_.units
    if not ua or not ub or not len(va_.stems) or not len(vb_.stems):
        return []
    vocab, ids = distinct_inverse(np.concatenate([va_.stems, vb_.stems]))
    v = len(vocab)
    if (len(ua) + len(ub)) * v > _MAX_CELLS:
        log.debug("sentence lane skipped: %d x %d sentences, %d words", len(ua), len(ub), v)
        return []
    ea = (va_.unit_of, ids[: len(va_.stems)])
    eb = (vb_.unit_of, ids[len(va_.stems) :])
    ma, mb = _matrix(ea, len(ua), v), _matrix(eb, len(ub), v)
    # term counts and sentence frequencies over the pair's sentences
    ba, bb = (ma > 0).astype(np.float32), (mb > 0).astype(np.float32)
    isf = np.log((len(ua) + len(ub)) / (ba.sum(axis=0) + bb.sum(axis=0)))
    wa, wb = _normalised(ma * isf), _normalised(mb * isf)
    cos = wa @ wb.T
    na, nb = ba.sum(axis=1), bb.sum(axis=1)
    dice = 2 * (ba @ bb.T) / np.maximum(na[:, None] + nb[None, :], 1)
    si, sj = np.nonzero((cos > p.seed_sim) & (dice > p.seed_sim))
    if len(si) == 0:
        return []
    out = []
    # a gap is measured in sentences and in words: one "sentence" of a page without
    # punctuation can be thousands of words
    starts = (np.array([u[0] for u in ua]), np.array([u[0] for u in ub]))
    ends = (np.array([u[1] for u in ua]), np.array([u[1] for u in ub]))
    seeds = _one_to_one(list(zip(si.tolist(), sj.tolist(), strict=True)), cos, p.max_gap)
    for group in _groups(seeds, p.max_gap, p.max_gap_words, starts, ends):
        i0, i1 = min(g[0] for g in group), max(g[0] for g in group) + 1
        j0, j1 = min(g[1] for g in group), max(g[1] for g in group) + 1
        va = ma[i0:i1].sum(axis=0) * isf
        vb = mb[j0:j1].sum(axis=0) * isf
        sim = float(va @ vb / max(np.linalg.norm(va) * np.linalg.norm(vb), 1e-9))
        a0, a1, b0, b1 = ua[i0][0], ua[i1 - 1][1], ub[j0][0], ub[j1 - 1][1]
        if sim >= p.min_sim and min(a1 - a0, b1 - b0) >= p.min_words:
            out.append(Fragment(a0, a1, b0, b1, sim, len(group)))
    return _resolve(out)


def _normalised(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)


def _one_to_one(
    seeds: list[tuple[int, int]], cos: np.ndarray, max_gap: int
) -> list[tuple[int, int]]:
    """At most one near-identical seed per sentence on each side: where a sentence repeats
    (a standfirst and the body), the seed that its neighbours' seeds follow on the same
    diagonal wins, then the more similar one."""
    diag: collections.Counter[int] = collections.Counter()
    for i, j in seeds:
        diag[j - i] += 1

    def support(x: tuple[int, int]) -> tuple[int, float]:
        d = x[1] - x[0]
        near = sum(diag[d + k] for k in (-1, 0, 1)) - 1
        return (near, float(cos[x]))

    kept: list[tuple[int, int]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for x in sorted(seeds, key=support, reverse=True):
        if cos[x] < _SAME_SENTENCE:
            kept.append(x)  # a summary's sentence may stand for several of its source's
            continue
        if x[0] in used_a or x[1] in used_b:
            continue
        kept.append(x)
        used_a.add(x[0])
        used_b.add(x[1])
    return kept


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
