"""Maximal shared spans between two texts: exact word-run seeds chained across small edits.

Seeds are runs of ``seed_words`` identical words found in both texts, in any order, so
passages that moved (reordered paragraphs) are found like any other. Seeds on nearby
diagonals chain into one span when the gap between them is at most ``max_gap`` words on
each side (a changed, inserted or dropped word: "in due deference" / "in deference").
Spans then grow over one-word edits at their edges while two more words agree.
"""

from __future__ import annotations

import re

import numpy as np

from pipeline.records import Span
from pipeline.sketch import TokenHasher, shingles
from pipeline.text import Tokens

_MAX_REPEATS = 8  # a seed repeated more often than this in one text anchors nothing


def seed_pairs(ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """(m, 2) positions (i, j) with ha[i] == hb[j], sorted by i then j."""
    if len(ha) == 0 or len(hb) == 0:
        return np.empty((0, 2), dtype=np.int64)
    order = np.argsort(hb, kind="stable")
    sorted_b = hb[order]
    lo = np.searchsorted(sorted_b, ha, side="left")
    hi = np.searchsorted(sorted_b, ha, side="right")
    counts = hi - lo
    counts[counts > _MAX_REPEATS] = 0
    if counts.sum() == 0:
        return np.empty((0, 2), dtype=np.int64)
    i = np.repeat(np.arange(len(ha)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    j = order[np.repeat(lo, counts) + offsets]
    return np.stack([i, j], axis=1)


def _chain(pairs: np.ndarray, k: int, max_gap: int) -> list[list[int]]:
    """Chains [i0, j0, i_last, j_last, covered_words] from seeds sorted by (i, j).

    A seed right after (i - 1, j - 1) in that order always extends the chain that seed
    joined (the same diagonal, one word on: no other chain costs as little), so runs of
    such seeds are taken in one step: near-copies are mostly one long run.
    """
    active: dict[int, list[int]] = {}
    done: list[list[int]] = []
    step = np.all(np.diff(pairs, axis=0) == 1, axis=1)
    heads = np.flatnonzero(np.concatenate(([True], ~step)))
    run = np.diff(np.append(heads, len(pairs))) - 1  # seeds after each head that extend it
    for (i, j), extra in zip(pairs[heads].tolist(), run.tolist(), strict=True):
        _chain_seed(active, done, i, j, k, max_gap)
        if extra:
            c = active[j - i]
            c[2] += extra
            c[3] += extra
            c[4] += extra  # min(k, 1) words each
    done.extend(active.values())
    return done


def _chain_seed(
    active: dict[int, list[int]], done: list[list[int]], i: int, j: int, k: int, max_gap: int
) -> None:
    """Add seed (i, j): extend the cheapest chain in reach or start one on its diagonal."""
    d = j - i
    best = None
    best_cost = None
    for dd in range(d - max_gap, d + max_gap + 1):
        c = active.get(dd)
        if c is None:
            continue
        di, dj = i - c[2], j - c[3]
        if 0 < di <= max_gap + k and 0 < dj <= max_gap + k:
            cost = abs(di - dj) + (0 if dd == d else 1)
            if best_cost is None or cost < best_cost:
                best, best_cost = dd, cost
    if best is None:
        stale = active.pop(d, None)
        if stale is not None:
            done.append(stale)
        active[d] = [i, j, i, j, k]
        return
    c = active.pop(best)
    c[4] += min(k, i - c[2])
    c[2], c[3] = i, j
    stale = active.pop(d, None)
    if stale is not None:
        done.append(stale)
    active[d] = c


def _grow(
    a: list[str], b: list[str], s: int, t: int, e: int, f: int
) -> tuple[int, int, int, int, int]:
    """Extend [s, e) x [t, f) over exact words and single-word edits confirmed by 2 words.

    Returns the new bounds and how many of the added words (on a's side) match exactly.
    """
    matched = 0

    def agree(i: int, j: int, n: int, step: int) -> int:
        """How many of the n words from (i, j) on agree: n, fewer where both texts end, or 0."""
        for x in range(n):
            ii, jj = i + step * x, j + step * x
            in_a, in_b = 0 <= ii < len(a), 0 <= jj < len(b)
            if not in_a and not in_b:
                return x  # both texts end here: the words so far are all there is
            if not (in_a and in_b) or a[ii] != b[jj]:
                return 0
        return n

    for step in (-1, 1):
        while True:
            i, j = (s - 1, t - 1) if step < 0 else (e, f)
            n = agree(i, j, 2, step)  # one shared word alone ("the") is not evidence
            moved = (n, n) if n else None
            if moved is None:
                for da, db in ((1, 1), (1, 0), (0, 1)):  # substitution, extra word in a, in b
                    n = agree(i + step * da, j + step * db, 2, step)
                    if n:
                        moved = (da + n, db + n)
                        break
            if moved is None:
                break
            matched += n
            if step < 0:
                s, t = s - moved[0], t - moved[1]
            else:
                e, f = e + moved[0], f + moved[1]
    return s, t, e, f, matched


def align(
    a: Tokens,
    b: Tokens,
    hasher: TokenHasher,
    seed_words: int = 3,
    max_gap: int = 4,
    min_words: int = 8,
    min_matched: float = 0.85,
    seeds: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Span]:
    """Maximal shared spans of at least min_words words (on both sides) between a and b.

    ``seeds``: the hashes of every run of seed_words words of a and of b, when the caller
    has them already (both texts at least seed_words long).
    """
    k = seed_words
    if seeds is not None:
        ha, hb = seeds
    else:
        ha = shingles(hasher(a.words), k) if len(a) >= k else np.empty(0, np.uint32)
        hb = shingles(hasher(b.words), k) if len(b) >= k else np.empty(0, np.uint32)
    pairs = seed_pairs(ha, hb)
    if len(pairs) == 0:
        return []
    spans: list[tuple[int, int, int, int, int]] = []
    for i0, j0, il, jl, covered in _chain(pairs, k, max_gap):
        s, t, e, f, grown = _grow(a.words, b.words, i0, j0, il + k, jl + k)
        covered += grown
        s, e = _trim(a, s, e)
        t, f = _trim(b, t, f)
        if min(e - s, f - t) >= min_words and covered >= min_matched * (e - s):
            spans.append((s, t, e, f, min(covered, e - s)))
    spans.sort(key=lambda x: -(x[2] - x[0]))
    kept: list[tuple[int, int, int, int, int]] = []
    for s, t, e, f, cov in spans:
        if any(
            _overlap(s, e, ks, ke) > 0.5 and _overlap(t, f, kt, kf) > 0.5
            for ks, kt, ke, kf, _ in kept
        ):
            continue
        kept.append((s, t, e, f, cov))
    kept.sort()
    return [
        Span(
            a_start=int(a.starts[s]),
            a_end=_end_char(a, e),
            b_start=int(b.starts[t]),
            b_end=_end_char(b, f),
            a_words=e - s,
            b_words=f - t,
            matched_words=cov,
        )
        for s, t, e, f, cov in kept
    ]


_BOUNDARY = re.compile(r"[.!?…]|\n")
_CLOSERS = ".!?…,;:\"”’')]"
_TRIM_WORDS = 2  # words hanging over a sentence boundary at either end are dropped


def _boundary_before(tok: Tokens, i: int) -> bool:
    """A sentence or paragraph break between word i-1 and word i."""
    return bool(_BOUNDARY.search(tok.text[tok.ends[i - 1] : tok.starts[i]]))


def _trim(tok: Tokens, s: int, e: int) -> tuple[int, int]:
    """Drop 1-2 words that hang over a sentence boundary at the start or end of [s, e)."""
    for n in range(1, _TRIM_WORDS + 1):
        if e - n - s > n and _boundary_before(tok, e - n):
            e -= n
            break
    for n in range(1, _TRIM_WORDS + 1):
        if e - s - n > n and _boundary_before(tok, s + n):
            s += n
            break
    return s, e


def _end_char(tok: Tokens, e: int) -> int:
    """End of word e-1, taking in the punctuation that closes it ("departure.”")."""
    end = int(tok.ends[e - 1])
    limit = int(tok.starts[e]) if e < len(tok) else len(tok.text)
    while end < limit and tok.text[end] in _CLOSERS:
        end += 1
    return end


def _overlap(s1: int, e1: int, s2: int, e2: int) -> float:
    inter = min(e1, e2) - max(s1, s2)
    return inter / min(e1 - s1, e2 - s2) if inter > 0 else 0.0
