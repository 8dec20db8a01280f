"""Maximal shared spans between two texts: exact word-run seeds chained across small edits.

Seeds are runs of ``seed_words`` identical words found in both texts, in any order, so
passages that moved (reordered paragraphs) are found like any other. Consecutive seeds on
one diagonal are an exact run; runs chain into one span across gaps of edits (a changed,
inserted or dropped word, an attribution, an inserted sentence) of at most ``max_gap``
words and never longer than the matched text on either side of them. Spans then grow
over one-word edits at their edges while two more words agree, and each stretch of
either text is paired with one stretch of the other.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.paraphrase import SentenceParams, SentenceView, fragments
from pipeline.records import Span
from pipeline.sketch import TokenHasher, shingles
from pipeline.text import Tokens

_MAX_REPEATS = 8  # a seed repeated more often than this in one text anchors nothing
SENTENCES = SentenceParams()


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


def exact_runs(pairs: np.ndarray, k: int) -> np.ndarray:
    """(r, 3) runs [i0, j0, words] of consecutive seeds on one diagonal, sorted by i0.

    A run of n seeds of k words is an exact match of n + k - 1 words.
    """
    if len(pairs) == 0:
        return np.empty((0, 3), dtype=np.int64)
    diag = pairs[:, 1] - pairs[:, 0]
    order = np.lexsort((pairs[:, 0], diag))
    p, d = pairs[order], diag[order]
    step = (np.diff(d) == 0) & (np.diff(p[:, 0]) == 1)
    heads = np.flatnonzero(np.concatenate(([True], ~step)))
    n = np.diff(np.append(heads, len(p)))
    runs = np.stack([p[heads, 0], p[heads, 1], n + k - 1], axis=1)
    return runs[np.lexsort((runs[:, 1], runs[:, 0]))]


_LOOK_BACK = 64  # runs before this one that may precede it in a chain


def chain_runs(runs: np.ndarray, max_gap: int) -> list[list[tuple[int, int, int]]]:
    """Chains of runs, each a list of (i, j, words) in text order, best-scoring first.

    A run follows another when it starts after it on both sides (an overlap of a repeated
    word is cut off the later run) and the gap between them is at most max_gap words on
    each side and no longer than the matched words on either side of it: an attribution
    or an inserted sentence inside a copied passage is bridged, unrelated text between
    two short shared phrases is not. Chains are taken best first, each run used once, so
    where a phrase repeats, the occurrence that continues its neighbours wins.
    """
    rows = runs.tolist()
    n = len(rows)
    best = [0.0] * n
    matched = [0] * n
    pred = [-1] * n
    cut = [0] * n  # words cut off the start of each run where it follows its predecessor
    for r, (i, j, length) in enumerate(rows):
        best[r], matched[r] = float(length), length
        for p in range(r - 1, max(r - _LOOK_BACK, 0) - 1, -1):
            pi, pj, pl = rows[p]
            if pi >= i or pj >= j:
                continue
            delta = max(pi + pl - i, pj + pl - j, 0)
            own = length - delta
            if own <= 0:
                continue
            gap_a, gap_b = i + delta - pi - pl, j + delta - pj - pl
            gap = max(gap_a, gap_b)
            if gap > max_gap or gap > min(matched[p], own):
                continue
            score = best[p] + own - 0.5 * (gap_a + gap_b)
            if score > best[r]:
                best[r], matched[r], pred[r], cut[r] = score, matched[p] + own, p, delta
    used = [False] * n
    chains = []
    for r in sorted(range(n), key=lambda x: (-best[x], x)):
        if used[r]:
            continue
        chain = []
        x = r
        while x >= 0 and not used[x]:
            used[x] = True
            i, j, length = rows[x]
            # a run is cut only where its predecessor stays in the chain
            delta = cut[x] if pred[x] >= 0 and not used[pred[x]] else 0
            chain.append((i + delta, j + delta, length - delta))
            x = pred[x]
        chain.reverse()
        chains.append(chain)
    return chains


def dense_parts(
    chain: list[tuple[int, int, int]], min_words: int, min_density: float
) -> list[list[tuple[int, int, int]]]:
    """The chain, or its parts split at the widest gaps, whose runs make at least
    min_density of the shorter side: words inserted on one side (an attribution) are
    bridged, a word changed every few words is rewording (the sentence lane's)."""
    matched = sum(n for _, _, n in chain)
    if matched < min_words:
        return []
    i0, j0, _ = chain[0]
    il, jl, nl = chain[-1]
    if matched >= min_density * min(il + nl - i0, jl + nl - j0) or len(chain) == 1:
        return [chain]
    gaps = [
        max(x[0] - (w[0] + w[2]), x[1] - (w[1] + w[2]))
        for w, x in zip(chain, chain[1:], strict=False)
    ]
    cut = max(range(len(gaps)), key=lambda g: (gaps[g], -g)) + 1
    return dense_parts(chain[:cut], min_words, min_density) + dense_parts(
        chain[cut:], min_words, min_density
    )


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
    max_gap: int = 12,
    min_words: int = 8,
    seeds: tuple[np.ndarray, np.ndarray] | None = None,
    sentences: SentenceParams | None = SENTENCES,
    min_density: float = 0.85,
    views: Callable[[], tuple[SentenceView, SentenceView]] | None = None,
    reworded: bool = True,
) -> list[Span]:
    """Shared spans of at least min_words matched words between a and b, one place each.

    ``seeds``: the hashes of every run of seed_words words of a and of b, when the caller
    has them already (both texts at least seed_words long). With ``sentences``, a second lane
    adds stretches whose sentences share their content words (lane 'sentence'), and spans
    near each other on both sides are taken together (lane 'merged'); the spans such a
    span holds stay, marked nested. ``views``: makes the two texts' SentenceView, when the
    caller keeps them (called only when the sentence lane runs). ``reworded=False``: the caller has no evidence of
    reworded text (its candidate was shared shingles), so the sentence lane runs only to
    extend exact spans, never on a pair where the exact lane found none.
    """
    k = seed_words
    if seeds is not None:
        ha, hb = seeds
    else:
        ha = shingles(hasher(a.words), k) if len(a) >= k else np.empty(0, np.uint32)
        hb = shingles(hasher(b.words), k) if len(b) >= k else np.empty(0, np.uint32)
    pairs = seed_pairs(ha, hb)
    found: list[tuple[int, int, int, int, int, bool]] = []
    chains = chain_runs(exact_runs(pairs, k), max_gap) if len(pairs) else []
    for chain in (part for c in chains for part in dense_parts(c, min_words, min_density)):
        i0, j0, _ = chain[0]
        il, jl, ll = chain[-1]
        covered = sum(length for _, _, length in chain)
        s, t, e, f, grown = _grow(a.words, b.words, i0, j0, il + ll, jl + ll)
        one_run = len(chain) == 1 and grown == e - s - covered == f - t - covered
        covered += grown
        s, e = _trim(a, s, e)
        t, f = _trim(b, t, f)
        covered = min(covered, e - s, f - t)
        if covered >= min_words:
            found.append((s, t, e, f, covered, one_run))
    # one place each: a stretch of either text pairs with one stretch of the other (the
    # best-matched first); a phrase repeated in one text pairs with one of its repeats
    found.sort(key=lambda x: (-x[4], x[0], x[1]))
    kept: list[tuple[int, int, int, int, int, bool]] = []
    for s, t, e, f, cov, one_run in found:
        if any(
            _overlap(s, e, ks, ke) > 0.5 or _overlap(t, f, kt, kf) > 0.5
            for ks, kt, ke, kf, _, _ in kept
        ):
            continue
        kept.append((s, t, e, f, cov, one_run))
    exact = [
        _Found(s, t, e, f, cov, "verbatim" if ex and cov == e - s == f - t else "edited")
        for s, t, e, f, cov, ex in kept
    ]
    found_all = exact
    covered_a = sum(x.e - x.s for x in exact) / max(len(a), 1)
    covered_b = sum(x.f - x.t for x in exact) / max(len(b), 1)
    if sentences is not None and (exact or reworded) and min(covered_a, covered_b) < _HELD:
        # (two texts the exact spans already cover are a republication: nothing to add)
        both = views() if views is not None else None
        found_all = _merge_nearby(a, b, _with_sentences(a, b, exact, sentences, both), sentences)
    return [
        Span(
            a_start=int(a.starts[x.s]),
            a_end=_end_char(a, x.e),
            b_start=int(b.starts[x.t]),
            b_end=_end_char(b, x.f),
            a_words=x.e - x.s,
            b_words=x.f - x.t,
            matched_words=x.matched,
            kind=x.kind,
            lane=x.lane,
            nested=x.nested,
        )
        for x in sorted(found_all, key=lambda x: (x.s, x.t, x.lane))
    ]


_HELD = 0.8  # exact spans covering this much of a stretch (or of both texts) leave no rewording


@dataclass(slots=True)
class _Found:
    """A span in word positions: [s, e) of a, [t, f) of b."""

    s: int
    t: int
    e: int
    f: int
    matched: int
    kind: str
    lane: str = "exact"
    nested: bool = False


def _with_sentences(
    a: Tokens,
    b: Tokens,
    exact: list[_Found],
    p: SentenceParams,
    views: tuple[SentenceView, SentenceView] | None,
) -> list[_Found]:
    """The exact spans, and a span for each stretch whose sentences share their content
    words (pipeline.paraphrase) with the exact spans it holds: 'edited' when exact runs
    make most of it (then it is those runs' extent: the sentences around a copy are often
    on its topic, not copied), else 'paraphrase' (which needs min_seeds sentence pairs)."""
    out = list(exact)
    for fr in fragments(a, b, p, views):
        inside = [x for x in exact if x.s < fr.a1 and fr.a0 < x.e and x.t < fr.b1 and fr.b0 < x.f]
        s = min([fr.a0, *(x.s for x in inside)])
        t = min([fr.b0, *(x.t for x in inside)])
        e = max([fr.a1, *(x.e for x in inside)])
        f = max([fr.b1, *(x.f for x in inside)])
        if any(x not in inside and (x.s < e and s < x.e or x.t < f and t < x.f) for x in out):
            continue  # it would overlap, on either side, a span that is not its own
        in_runs = sum(x.matched for x in inside)
        if in_runs >= 0.5 * max(e - s, f - t):
            kind = "edited"
            s, t = min(x.s for x in inside), min(x.t for x in inside)
            e, f = max(x.e for x in inside), max(x.f for x in inside)
        elif fr.seeds >= p.min_seeds:
            kind = "paraphrase"
        else:
            continue
        held_a = sum(x.e - x.s for x in inside) / (e - s)
        held_b = sum(x.f - x.t for x in inside) / (f - t)
        if min(held_a, held_b) >= _HELD:
            continue  # the exact spans are (nearly) all of it already
        for x in inside:
            x.nested = True
        matched = min(max(in_runs, _bag_overlap(a.words[s:e], b.words[t:f])), e - s, f - t)
        out.append(_Found(s, t, e, f, matched, kind, "sentence"))
    return out


def _merge_nearby(a: Tokens, b: Tokens, found: list[_Found], p: SentenceParams) -> list[_Found]:
    """Top-level spans of one reworded stretch taken together: spans within merge_gap
    words of each other on both sides, in any order (shuffled phrases), or adjacent on
    one side and within merge_long times that on the other (a summary), become one span
    (lane 'merged') holding them."""
    top = [x for x in found if not x.nested]
    parent = list(range(len(top)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    near, far = p.merge_gap, p.merge_gap * p.merge_long
    for i, x in enumerate(top):
        for j in range(i + 1, len(top)):
            y = top[j]
            ga = max(x.s, y.s) - min(x.e, y.e)
            gb = max(x.t, y.t) - min(x.f, y.f)
            if max(ga, gb) <= near or (min(ga, gb) <= near // 4 and max(ga, gb) <= far):
                parent[root(j)] = root(i)
    groups: dict[int, list[_Found]] = {}
    for i, x in enumerate(top):
        groups.setdefault(root(i), []).append(x)
    out = list(found)
    for g in groups.values():
        if len(g) < 2:
            continue
        s, e = min(x.s for x in g), max(x.e for x in g)
        t, f = min(x.t for x in g), max(x.f for x in g)
        for x in g:
            x.nested = True
        in_runs = sum(
            x.matched
            for x in found
            if x.lane == "exact" and s <= x.s and x.e <= e and t <= x.t and x.f <= f
        )
        kind = "edited" if in_runs >= 0.5 * max(e - s, f - t) else "paraphrase"
        matched = min(max(in_runs, _bag_overlap(a.words[s:e], b.words[t:f])), e - s, f - t)
        out.append(_Found(s, t, e, f, matched, kind, "merged"))
    return out


def _bag_overlap(wa: list[str], wb: list[str]) -> int:
    """Words the two sides share, counted with repeats."""
    return sum((Counter(wa) & Counter(wb)).values())


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
