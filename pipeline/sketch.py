"""MinHash signatures and LSH band keys, vectorised with numpy.

The signatures are datasketch's: the same permutations (taken from a datasketch MinHash
of the configured num_perm, seed and scheme) and the same "affine32" arithmetic as
``MinHash.update_batch`` with an identity hash function over our 32-bit shingle hashes.
tests/test_sketch.py pins that equality, so stored signatures can be loaded back as
``datasketch.MinHash(hashvalues=..., scheme=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import xxhash

from pipeline.text import content_stem, hash_stem

_U32 = np.uint32
_U64 = np.uint64
_EMPTY = np.iinfo(np.uint32).max
_CHUNK_SHINGLES = 8_192  # rows of the (shingles x num_perm) matrix at once: 2 MB, stays in cache


def distinct(x: np.ndarray, runs: bool = False) -> np.ndarray:
    """np.unique(x) by sort and compare: numpy 2's unique hashes, 10-90x slower on the
    few-hundred-element and million-element arrays detection makes. With runs (x is made
    of sorted runs, as lists of sorted sets laid end to end), a merge sort that takes the
    runs as they come: 3x faster there, slower on values in no order."""
    if len(x) < 2:
        return x.copy()
    k = np.sort(x, kind="stable" if runs else "quicksort")
    return k[np.concatenate(([True], k[1:] != k[:-1]))]


def distinct_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(x, return_inverse=True), by sort (see distinct)."""
    order = np.argsort(x, kind="stable")
    k = x[order]
    first = np.concatenate(([True], k[1:] != k[:-1])) if len(k) else np.empty(0, bool)
    inverse = np.empty(len(x), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return k[first], inverse


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer: datasketch pre-mixes input hashes with it."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters of a datasketch MinHash with these settings.

    Drawn as datasketch 2.0 draws them for "affine32" (an odd a, any b, from
    numpy's RandomState(seed)): importing datasketch costs ~0.6 s (it loads scipy), a
    lot for a small batch. tests/test_sketch.py pins the equality with datasketch.
    """
    if scheme != "affine32":
        raise ValueError(f"unsupported MinHash scheme {scheme!r}")
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=_U32)
    return a, b


class _WordCache(dict):
    """word -> its xxh32 (low 32 bits) and the xxh32 of its content stem (high 32 bits, 0
    for a function word: pipeline.text.content_stem); a miss computes and stores both."""

    def __missing__(self, word: str) -> int:
        stem = content_stem(word)
        stem_hash = 0 if stem is None else (hash_stem(stem) or 1)
        h = self[word] = xxhash.xxh32_intdigest(word.encode()) | stem_hash << 32
        return h


class TokenHasher:
    """Stable 32-bit word hashes (xxh32) and stem hashes, cached per vocabulary entry."""

    def __init__(self) -> None:
        self._cache = _WordCache()

    def both(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The words' hashes and their content stems' (0 for function words), from one
        lookup per word."""
        # map over a dict's __getitem__ runs in C: ~10x a Python loop per token
        packed = np.fromiter(map(self._cache.__getitem__, words), dtype=_U64, count=len(words))
        if len(self._cache) > 2_000_000:  # bound memory on huge vocabularies
            self._cache.clear()
        return packed.astype(_U32), (packed >> _U64(32)).astype(_U32)

    def stems(self, words: Sequence[str]) -> np.ndarray:
        """Hashes of the words' content stems, 0 for function words."""
        return self.both(words)[1]

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        return self.both(words)[0]


def shingles(token_hashes: np.ndarray, k: int) -> np.ndarray:
    """Hashes of every run of k consecutive words (one shingle when the text is shorter)."""
    n = len(token_hashes)
    if n == 0:
        return np.empty(0, dtype=_U32)
    if n < k:
        k = n
    acc = np.zeros(n - k + 1, dtype=_U32)
    for j in range(k):
        acc = acc * _U32(0x9E3779B1) + token_hashes[j : n - k + 1 + j]
    return fmix32(acc + _U32(k))


def signatures(
    shingle_sets: Sequence[np.ndarray], num_perm: int, seed: int, scheme: str = "affine32"
) -> np.ndarray:
    """(len(shingle_sets), num_perm) uint32 MinHash signatures; empty sets get all-max rows."""
    a, b = permutations(num_perm, seed, scheme)
    n = len(shingle_sets)
    out = np.full((n, num_perm), _EMPTY, dtype=_U32)
    lengths = np.fromiter(map(len, shingle_sets), dtype=np.int64, count=n)
    ends = np.cumsum(lengths)
    # permutations x shingles: each row's minima are taken over contiguous memory (2x
    # faster than reducing down the columns of shingles x permutations)
    buf = np.empty((num_perm, _CHUNK_SHINGLES), dtype=_U32)
    i = base = 0
    while i < n:
        # sets i..j-1 fill at most one chunk (a larger set gets a chunk of its own)
        j = max(i + 1, int(np.searchsorted(ends, base + _CHUNK_SHINGLES, side="right")))
        total = int(ends[j - 1]) - base
        if total:
            hv = fmix32(np.concatenate(shingle_sets[i:j]).astype(_U32, copy=False))
            phv = buf[:, :total] if total <= buf.shape[1] else np.empty((num_perm, total), _U32)
            np.multiply(a[:, None], hv[None, :], out=phv)
            phv += b[:, None]
            nonempty = lengths[i:j] > 0
            starts = (ends[i:j] - lengths[i:j] - base)[nonempty]
            out[i:j][nonempty] = np.minimum.reduceat(phv, starts, axis=1).T
        base = int(ends[j - 1])
        i = j
    return out


def band_hashes(sigs: np.ndarray, bands: int, rows: int, first_band: int = 0) -> np.ndarray:
    """(n, bands) int64 keys: band i of a signature hashed to 64 bits (with first_band + i
    mixed in, so keys of different band families never meet)."""
    n = sigs.shape[0]
    out = np.empty((n, bands), dtype=np.int64)
    for i in range(bands):
        mix = (first_band + i + 1) * 0x9E3779B97F4A7C15 % (1 << 64)
        acc = np.full(n, mix, dtype=_U64)
        for r in range(rows):
            acc = (acc ^ sigs[:, i * rows + r].astype(_U64)) * _U64(0x100000001B3)
        out[:, i] = fmix64(acc).view(np.int64)
    return out


def shingle_set(words: Sequence[str], k: int, hasher: TokenHasher) -> np.ndarray:
    """Sorted unique shingle hashes of a word sequence: the exact set behind a signature."""
    return distinct(shingles(hasher(words), k))


def jaccard_containment(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard and containment (of the smaller set in the larger) of two sorted sets."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return inter / union, inter / min(len(a), len(b))
