"""Quality gates: the real pipeline on a small fixed sample of the labelled corpus.

The floors are the issue's acceptance figures; bench/bench_quality.py prints the same
figures on the whole generated corpus. Raise a floor when detection improves; never lower one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_quality import adjusted_rand_index, evaluate, run_pipeline  # noqa: E402
from gen_corpus import generate  # noqa: E402

from pipeline.config import Config  # noqa: E402


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    corpus = generate(n_stories=80, seed=0)
    con = run_pipeline(corpus, tmp_path_factory.mktemp("quality"), Config())
    try:
        return evaluate(con, corpus)
    finally:
        con.close()


def test_sample_plants_every_kind_of_reuse():
    corpus = generate(n_stories=80, seed=0)
    kinds = {d.kind for d in corpus.docs}
    assert {"copy", "syndicated", "passage", "quote", "paraphrase"} <= kinds
    assert any(o.quoted for d in corpus.docs for o in d.occurrences)
    assert any(o.edits for d in corpus.docs for o in d.occurrences)
    assert len(corpus.syndication) >= 50
    for d in corpus.docs:  # truth offsets point at real text
        for o in d.occurrences:
            assert d.text[o.start : o.end].strip() and o.n_words >= 1


def test_syndication_pairs_precision_and_recall(figures):
    assert figures["syndication_precision"] >= 0.97, figures
    assert figures["syndication_recall"] >= 0.97, figures
    assert figures["syndication_ari"] >= 0.95, figures


def test_shared_passages_span_overlap(figures):
    assert figures["planted_occurrences"] >= 300
    assert figures["passage_recall"] >= 0.95, figures
    assert figures["passage_precision"] >= 0.95, figures


def test_direction_is_right_whenever_dates_differ(figures):
    assert figures["direction_pairs"] >= 50
    assert figures["direction_accuracy"] == 1.0, figures
    assert figures["cluster_direction_n"] >= 10
    assert figures["cluster_direction_accuracy"] == 1.0, figures


def test_what_real_text_has(figures):
    # updates are 'partial', copies are not; reworded copies are pairs; a phrase its
    # source repeats is aligned to the occurrence its neighbours follow
    assert figures["updates"] >= 2 and figures["update_partial"] == 1.0, figures
    assert figures["copy_not_partial"] >= 0.9, figures
    assert figures["paraphrase_pairs"] >= 5 and figures["paraphrase_recall"] >= 0.95, figures
    assert figures["repeats"] >= 2 and figures["repeat_accuracy"] == 1.0, figures


def test_adjusted_rand_index():
    assert adjusted_rand_index(["a", "a", "b", "b"], ["x", "x", "y", "y"]) == 1.0
    assert adjusted_rand_index(["a", "a", "b", "b"], ["x", "y", "x", "y"]) < 0
