import numpy as np
from datasketch import MinHash

from pipeline.sketch import TokenHasher, band_hashes, jaccard_containment, shingles, signatures


def test_signatures_equal_datasketch_update_batch():
    hasher = TokenHasher()
    texts = ["the quick brown fox jumps over the lazy dog", "a b c d e f", "one"]
    sets = [shingles(hasher(t.split()), 3) for t in texts]
    ours = signatures(sets, num_perm=64, seed=7, scheme="affine32")
    for row, hv in zip(ours, sets, strict=True):
        m = MinHash(num_perm=64, seed=7, scheme="affine32", hashfunc=lambda x: x)
        m.update_batch(hv.tolist())
        assert np.array_equal(row, m.hashvalues)


def test_signature_jaccard_tracks_true_jaccard():
    hasher = TokenHasher()
    base = [f"w{i}" for i in range(400)]
    other = base[:300] + [f"x{i}" for i in range(100)]
    a, b = (np.unique(shingles(hasher(w), 3)) for w in (base, other))
    true_j, _ = jaccard_containment(a, b)
    sig = signatures([a, b], num_perm=256, seed=1)
    est = float(np.mean(sig[0] == sig[1]))
    assert abs(est - true_j) < 0.1


def test_empty_set_gets_max_signature_and_band_keys_are_stable():
    sig = signatures([np.empty(0, np.uint32)], num_perm=8, seed=1)
    assert (sig == np.iinfo(np.uint32).max).all()
    s = signatures([np.arange(10, dtype=np.uint32)], num_perm=8, seed=1)
    assert np.array_equal(band_hashes(s, 4, 2), band_hashes(s.copy(), 4, 2))
    assert len(set(band_hashes(s, 4, 2)[0].tolist())) == 4


def test_shingles_of_short_text_is_one_shingle():
    hasher = TokenHasher()
    assert len(shingles(hasher(["a", "b"]), 3)) == 1
    assert len(shingles(hasher([]), 3)) == 0
    assert len(shingles(hasher(list("abcde")), 3)) == 3


def test_signatures_across_chunks_and_empty_sets_equal_one_set_at_a_time():
    """Sets are packed into chunks of rows; packing must not change any signature."""
    from pipeline.sketch import _CHUNK_SHINGLES

    rng = np.random.default_rng(3)
    sizes = [0, 5, 0, _CHUNK_SHINGLES - 3, 7, 0, 2 * _CHUNK_SHINGLES + 1, 1, 300, 0]
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32) for n in sizes]
    packed = signatures(sets, num_perm=16, seed=2)
    for row, s in zip(packed, sets, strict=True):
        assert np.array_equal(row, signatures([s], num_perm=16, seed=2)[0])
    assert (packed[0] == np.iinfo(np.uint32).max).all() and not (packed[1] == packed[0]).all()


def test_permutations_are_datasketch_s():
    from pipeline.sketch import permutations

    for num_perm, seed in ((64, 1), (128, 7), (16, 12345)):
        a, b = permutations(num_perm, seed, "affine32")
        ref = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        assert np.array_equal(a, ref[0]) and np.array_equal(b, ref[1])
        assert a.dtype == b.dtype == np.uint32


def test_distinct_equals_numpy_unique():
    from pipeline.sketch import distinct, distinct_inverse

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 9, 700):
        for dtype in (np.uint32, np.uint64):
            x = rng.integers(0, 40, size=n).astype(dtype)
            values, inverse = np.unique(x, return_inverse=True)
            got_values, got_inverse = distinct_inverse(x)
            assert np.array_equal(distinct(x), values)
            assert np.array_equal(distinct(x, runs=True), values)
            runs = np.concatenate([np.sort(part) for part in np.array_split(x, 5)])
            assert np.array_equal(distinct(runs, runs=True), values)
            assert np.array_equal(got_values, values)
            assert np.array_equal(got_inverse, inverse.ravel())
