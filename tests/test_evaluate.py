"""The PAN measures on small hand-computed cases (pipeline/evaluate.py)."""

from __future__ import annotations

import math

import pytest

from pipeline.evaluate import (
    Passage,
    covered,
    detects,
    f1,
    granularity,
    macro_precision,
    macro_recall,
    overlap,
    plagdet,
    score,
)


def p(susp: tuple[int, int], src: tuple[int, int], pair: tuple[str, str] = ("s1", "r1")) -> Passage:
    return Passage(pair[0], pair[1], susp, src)


CASE = p((0, 100), (0, 100))


def figures(cases: list[Passage], dets: list[Passage]) -> tuple[float, float, float, float]:
    s = score(cases, dets)
    return s.precision, s.recall, s.granularity, s.plagdet


def test_perfect_detection_scores_one_everywhere():
    assert figures([CASE], [CASE]) == (1.0, 1.0, 1.0, 1.0)


def test_half_overlap_on_both_sides():
    # 50 of 100 chars on each side: recall 100/200, precision 100/200
    assert figures([CASE], [p((50, 150), (50, 150))]) == pytest.approx((0.5, 0.5, 1.0, 0.5))


def test_split_detection_has_granularity_two():
    dets = [p((0, 50), (0, 50)), p((50, 100), (50, 100))]
    prec, rec, gran, score_ = figures([CASE], dets)
    assert (prec, rec, gran) == (1.0, 1.0, 2.0)
    assert score_ == pytest.approx(1 / math.log2(3))


def test_granularity_averages_over_detected_cases_only():
    cases = [CASE, p((200, 300), (200, 300)), p((400, 500), (400, 500))]
    dets = [p((0, 50), (0, 50)), p((50, 100), (50, 100)), p((200, 300), (200, 300))]
    assert granularity(cases, dets) == 1.5  # (2 + 1) / 2; the third case is not detected
    assert score(cases, dets).granularity == 1.5
    assert granularity(cases, []) == 1.0


def test_overlapping_detections_count_shared_chars_once():
    dets = [p((0, 60), (0, 60)), p((40, 100), (40, 100))]
    assert macro_recall([CASE], dets) == 1.0
    assert macro_precision([CASE], dets) == 1.0
    assert granularity([CASE], dets) == 2.0


def test_detection_on_the_wrong_source_range_detects_nothing():
    det = p((0, 100), (500, 600))  # right susp range, wrong src range
    assert not detects(CASE, det)
    assert figures([CASE], [det]) == (0.0, 0.0, 1.0, 0.0)


def test_detection_in_another_document_pair_detects_nothing():
    det = p((0, 100), (0, 100), pair=("s1", "r2"))
    assert not detects(CASE, det)
    assert figures([CASE], [det]) == (0.0, 0.0, 1.0, 0.0)


def test_touching_ranges_do_not_overlap():
    assert overlap((0, 100), (100, 200)) == 0
    assert not detects(CASE, p((100, 200), (0, 100)))


def test_detection_twice_the_case_halves_precision():
    prec, rec, gran, score_ = figures([CASE], [p((0, 200), (0, 200))])
    assert (prec, rec, gran) == (0.5, 1.0, 1.0)
    assert score_ == pytest.approx(2 / 3)


def test_one_side_half_covered():
    # susp fully covered, src half: recall (100 + 50) / 200; the detection lies inside the case
    prec, rec, _, _ = figures([CASE], [p((0, 100), (0, 50))])
    assert (prec, rec) == (1.0, 0.75)


def test_missed_case_halves_recall():
    other = p((200, 300), (200, 300))
    assert figures([CASE, other], [CASE]) == pytest.approx((1.0, 0.5, 1.0, 2 / 3))


def test_one_detection_over_two_cases():
    cases = [CASE, p((200, 300), (200, 300))]
    prec, rec, gran, _ = figures(cases, [p((0, 300), (0, 300))])
    assert rec == 1.0
    assert gran == 1.0  # each case is detected by one detection
    assert prec == pytest.approx(400 / 600)


def test_false_detection_lowers_macro_precision_by_its_share():
    dets = [CASE, p((500, 600), (500, 600))]
    assert figures([CASE], dets) == pytest.approx((0.5, 1.0, 1.0, 2 / 3))


def test_empty_inputs_follow_the_pan_script():
    assert figures([], []) == (1.0, 1.0, 1.0, 1.0)
    assert figures([CASE], []) == (0.0, 0.0, 1.0, 0.0)  # nothing found
    assert figures([], [CASE]) == (0.0, 0.0, 1.0, 0.0)  # found something where nothing is


def test_counts():
    s = score([CASE, p((200, 300), (200, 300))], [p((0, 50), (0, 50)), p((50, 90), (50, 90))])
    assert (s.n_cases, s.n_detections, s.n_detected_cases) == (2, 2, 1)
    assert s.recall == pytest.approx(0.9 / 2)


def test_covered_merges_overlapping_ranges():
    assert covered((0, 100), [(10, 30), (20, 40), (90, 120), (200, 300)]) == 30 + 10
    assert covered((0, 100), [(10, 50), (20, 30)]) == 40  # one range inside another
    assert covered((0, 100), []) == 0


def test_f1_and_plagdet_match_the_pan_reference_values():
    assert f1(0.0, 0.0) == 0.0
    assert f1(1.0, 0.5) == pytest.approx(2 / 3)
    assert plagdet(1.0, 1.0, 2.0) == pytest.approx(0.63092975)
    assert plagdet(0.75, 0.25, 2.0) == pytest.approx(0.23659865)
    assert plagdet(1.0, 1.0, 0.5) == 0.0
