"""Quality gate: the labelled cleaning fixtures (tests/fixtures/clean), floors pinned.

Each NAME.html / NAME.txt has NAME.expected.txt (the article text a person would keep) and
labels.json names the families each page carries. Kept text is scored on tokens; removed
lines are the lines of the extractor's output (HTML) or of the input (text) that are not in
the expected text. Raise a floor when the cleaner gets better; never lower it quietly.
"""

from __future__ import annotations

import json

import pytest
import trafilatura

from pipeline import rules
from pipeline.evaluate import line_prf, token_prf
from pipeline.extract import clean_document

from .conftest import FIXTURES

CLEAN = FIXTURES / "clean"
LABELS = json.loads((CLEAN / "labels.json").read_text(encoding="utf-8"))
FLOORS = {
    "kept_precision": 0.97,
    "kept_recall": 0.97,
    "removed_precision": 0.97,
    "removed_recall": 0.97,
}


def _page(name: str):
    for suffix, fmt in ((".html", "html"), (".txt", "txt")):
        path = CLEAN / f"{name}{suffix}"
        if path.is_file():
            return path.read_bytes(), fmt
    raise FileNotFoundError(name)


@pytest.fixture(scope="module")
def outcomes():
    out = {}
    for name in sorted(LABELS):
        raw, fmt = _page(name)
        result = clean_document(raw, fmt, None, None)
        if fmt == "html":
            source = trafilatura.bare_extraction(
                raw.decode("utf-8"), include_comments=False, include_tables=True, deduplicate=False
            ).text
        else:
            source = raw.decode("utf-8")
        expected = (CLEAN / f"{name}.expected.txt").read_text(encoding="utf-8")
        out[name] = (result, source, expected)
    return out


def test_fixture_set_is_large_and_covers_every_family():
    assert len(LABELS) >= 30
    assert sum(1 for n in LABELS if (CLEAN / f"{n}.html").is_file()) >= 15
    assert len({n.split("_")[0] for n in LABELS}) >= 5  # outlet templates and plain text
    labelled = {f for fams in LABELS.values() for f in fams}
    assert set(rules.FAMILIES) - {"learned", "nav"} <= labelled


def test_kept_text_and_removed_lines_meet_the_floors(outcomes):
    kept = [0, 0, 0]
    removed = [0, 0, 0]
    for result, source, expected in outcomes.values():
        kept = [a + b for a, b in zip(kept, token_prf(expected, result.text), strict=True)]
        removed = [
            a + b for a, b in zip(removed, line_prf(source, expected, result.text), strict=True)
        ]
    scores = {
        "kept_precision": kept[0] / kept[1],
        "kept_recall": kept[0] / kept[2],
        "removed_precision": removed[0] / removed[1],
        "removed_recall": removed[0] / removed[2],
    }
    assert removed[2] >= 150  # the set really carries boilerplate to find
    for key, floor in FLOORS.items():
        assert scores[key] >= floor, (key, scores)


def test_each_page_loses_the_families_it_carries(outcomes):
    for name, (result, _, _) in outcomes.items():
        found = {r.kind for r in result.removed}
        assert found == set(LABELS[name]), name


@pytest.mark.parametrize(
    "line",
    [
        "“Source: trust me, it is all true,” the post read.",
        "By Monday, engineers hope to have a clearer idea of how long the repairs will take.",
        "Share prices in the operator's parent company rose by three per cent.",
        "Copyright lawyers were among the guests at the launch.",
        "More than 4,000 people have already signed a petition.",
        "Photo opportunities will be limited until the calf is stronger, the park said.",
        "Read more about how the course was changed on the organisers' website, a spokesperson said.",
        "UPDATE: The Department of Defense has pushed back on the letter.",
    ],
)
def test_story_lines_that_look_like_chrome_are_kept(line):
    text = f"The council met on Tuesday night to discuss the plans.\n{line}\nIt will meet again in May."
    result = clean_document(text.encode(), "txt", None, "A title")
    assert line in result.text
    assert result.removed == ()
