"""Quality gate: passage_pairs on a fixed sample of PAN 2013 text alignment (bench/bench_pan.py).

The real CLI runs on the sample's documents; its passage_pairs rows, mapped back to raw-file
offsets, are scored with the PAN measures (pipeline/evaluate.py). `python bench/bench_pan.py`
prints the same figures on the whole of ../shared/data/pan13-train.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_pan import (  # noqa: E402
    DEFAULT_DATA,
    NO_PLAGIARISM,
    SUBSETS,
    OffsetMap,
    align_words,
    evaluate_pan,
    select,
)

SAMPLE = 50  # pairs per sub-corpus with reuse (seeded, so always the same pairs)

# Floors a little under the plagdet measured on this sample (two alignment lanes, word-lane
# candidates, merged stretches): 0.914 / 0.827 / 0.841 / 0.541, 02-05 pooled 0.859. The
# full run (bench_pan.py): 0.944 / 0.832 / 0.863 / 0.476, entire 0.913. Raise a floor when
# detection gets better, never lower one quietly. The sample does not predict the full run
# exactly: other pairs, and a candidate search that depends on the whole corpus.
PLAGDET_FLOORS = {
    "02-no-obfuscation": 0.90,
    "03-random-obfuscation": 0.80,
    "04-translation-obfuscation": 0.82,
    "05-summary-obfuscation": 0.50,
    "entire": 0.84,  # 02-05 pooled
}
# Share of the no-plagiarism pairs (all 236, since one false pair in 50 is already 2%) with
# any detection: at most 1%. Measured: 2 of 236 (0.85%; 1 while a plain first line was taken
# for a headline without evidence: two pages' headings kept now add a paraphrase-lane link).
MAX_FALSE_PAIR_RATE = 0.01

needs_data = pytest.mark.skipif(
    not (DEFAULT_DATA / "truth.json").is_file(), reason=f"no PAN data at {DEFAULT_DATA}"
)


@pytest.fixture(scope="module")
def figures() -> dict:
    return evaluate_pan(DEFAULT_DATA, sample=SAMPLE, subsets=SUBSETS[1:])


@pytest.fixture(scope="module")
def no_plagiarism() -> dict:
    return evaluate_pan(DEFAULT_DATA, subsets=[NO_PLAGIARISM])


@needs_data
@pytest.mark.parametrize("name", list(PLAGDET_FLOORS))
def test_plagdet_floor(figures, name):
    fig = figures["entire"] if name == "entire" else figures["subsets"][name]
    assert fig["cases"] > 0
    assert fig["plagdet"] >= PLAGDET_FLOORS[name], {k: fig[k] for k in list(fig)[:7]}


@needs_data
def test_every_row_maps_back_to_the_raw_files(figures):
    assert figures["passage_pairs_rows"] > 0
    assert figures["unmapped_rows"] == 0


@needs_data
def test_no_plagiarism_pairs_are_rarely_linked(no_plagiarism):
    fig = no_plagiarism["subsets"][NO_PLAGIARISM]
    assert fig["pairs"] >= 200 and fig["cases"] == 0
    assert fig["false_pair_rate"] <= MAX_FALSE_PAIR_RATE, fig


@needs_data
def test_sample_is_fixed():
    truth = json.loads((DEFAULT_DATA / "truth.json").read_text(encoding="utf-8"))
    a, b = select(truth, SAMPLE), select(truth, SAMPLE)
    assert a.pairs == b.pairs
    assert all(len(p) == SAMPLE for p in a.pairs.values())
    assert sum(len(c) for c in a.cases.values()) > SAMPLE


# --- the offset mapping the gate relies on (no data needed) ----------------------------------


def test_align_skips_dropped_lines_and_keeps_the_repeated_copy():
    # the cleaner dropped the headline that the body repeats: the body maps to the body
    raw = "Storm hits coast\nStorm hits coast as winds rise. Menu Home\nMore here."
    clean = "Storm hits coast as winds rise.\nMore here."
    m = OffsetMap(clean, raw)
    start, end = m.to_raw(0, len("Storm hits coast as winds rise."))
    assert raw[start:end] == "Storm hits coast as winds rise."
    start, end = m.to_raw(clean.index("More"), len(clean))
    assert raw[start:end] == "More here."


def test_to_raw_carries_punctuation_only_where_raw_has_it():
    raw = "He said “Hello, world” today ."
    clean = 'He said "Hello, world" today.'
    m = OffsetMap(clean, raw)
    start, end = m.to_raw(clean.index('"'), len(clean))
    assert raw[start:end] == "Hello, world” today ."  # " differs from “, the stop matches
    assert m.to_raw(0, 0) is None


def test_align_words_is_monotonic_and_marks_new_words():
    out = align_words(["a", "x", "b", "c"], ["a", "b", "q", "c"])
    assert out == [0, -1, 1, 3]


def test_kept_share_counts_raw_words_missing_from_clean():
    raw = "one two three four"
    m = OffsetMap("one four", raw)
    assert m.kept_share(0, len(raw)) == 0.5
