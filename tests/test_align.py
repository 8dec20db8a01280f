from pipeline.align import align
from pipeline.sketch import TokenHasher
from pipeline.text import tokenize

LETTER = (
    "Sir, in due deference to the sovereignty of the Republic of Iraq, and as requested by "
    "the Iraqi Parliament and the Prime Minister, CJTF-OIR will be repositioning forces over "
    "the course of the coming days and weeks to prepare for onward movement."
)


def spans(a: str, b: str, **kw):
    return align(tokenize(a), tokenize(b), TokenHasher(), **kw)


def test_near_verbatim_variant_is_one_span_with_exact_offsets():
    variant = LETTER.replace("in due deference", "in deference").replace(",", "")
    a = "Unrelated opening words here. " + LETTER + " Then something else entirely."
    b = "The letter read: " + variant + " the letter said."
    found = spans(a, b)
    assert len(found) == 1
    s = found[0]
    assert a[s.a_start : s.a_end] == LETTER
    assert b[s.b_start : s.b_end].startswith("Sir in deference")
    assert s.a_words >= 40


def test_spelling_variant_inside_span():
    a = "The defence ministry said the troops would leave the region by the end of the month."
    b = "The defense ministry said the troops would leave the region by the end of the month."
    found = spans(a, b)
    assert len(found) == 1 and found[0].a_start == 0 and found[0].a_end == len(a)


def test_reordered_passages_are_each_found():
    p1 = "The city council voted on Tuesday to build twelve kilometres of protected lanes."
    p2 = "Opponents argued that removing a lane would cause congestion on the busiest routes."
    p3 = "The scheme will cost eleven million pounds, mostly paid by a national grant."
    a = f"{p1}\n\n{p2}\n\n{p3}"
    b = f"{p3}\n\nSomething unrelated in between for a while.\n\n{p2}\n\n{p1}"
    found = spans(a, b)
    exact = [s for s in found if s.lane == "exact"]
    assert sorted(a[s.a_start : s.a_end] for s in exact) == sorted([p1, p2, p3])
    # exact spans covering (nearly) both texts are a republication: nothing merges them
    assert found == exact and not any(s.nested for s in found)


def test_shuffled_phrases_of_one_stretch_merge_into_one_span():
    p1 = "The city council voted on Tuesday to build twelve kilometres of protected lanes."
    p2 = "Opponents argued that removing a lane would cause congestion on the busiest routes."
    host_a = "Weather was mild across the region with light winds and a little rain expected. " * 3
    host_b = "Shares rose in early trading as investors looked ahead to the results season. " * 3
    a = f"{host_a}\n\n{p1} {p2}\n\n{host_a}"
    b = f"{host_b}\n\n{p2} Some words inserted here. {p1}\n\n{host_b}"
    found = spans(a, b)
    top = [s for s in found if not s.nested]
    assert len(top) == 1 and top[0].lane == "merged"
    assert a[top[0].a_start : top[0].a_end] == f"{p1} {p2}"
    assert sorted(a[s.a_start : s.a_end] for s in found if s.nested) == sorted([p1, p2])


def test_short_shared_runs_do_not_count():
    a = "The prime minister said on Monday that the plan would go ahead."
    b = "Critics say the prime minister said on Monday nothing of the kind."
    assert spans(a, b, min_words=8) == []


def test_loose_paraphrase_is_not_a_span():
    a = "President Trump stated that if Iraq forces the U.S. military to leave it will be hit."
    b = "He said that if Iraq asked the U.S. to leave on unfriendly terms they would pay."
    assert spans(a, b) == []
