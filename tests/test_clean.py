import pytest

from pipeline.decode import DecodeError, decode_bytes
from pipeline.extract import clean_document
from pipeline.linerules import strip_boilerplate

from .conftest import FIXTURES, LETTER_SENTENCE, SEEDS

BOILERPLATE = {
    "000": [
        "Gary Williams/Getty Images",
        "TUCSON, AZ - JULY 11",
        "This report has been updated",
    ],
    "001": [
        "Sign In or Register to comment",
        "NOW, other US leaders",
        "Fake news. The Pentagon just ordered",
        "The new democracy of Iraq wants",
        "see copy of letter in this link",
    ],
    "002": ["Read more.", "U.S. & Global News", "Original story follows", "Update to story below"],
    "003": [],
    "004": [
        "(Image:",
        "DON’T MISS",
        "[INSIGHT]",
        "[VIDEO]",
        "[MAPPED]",
        "READ MORE:",
        "source: express.co.uk",
        "US write to Iraqi military\n",
        "Boris Johnson\n",
    ],
}

STORY = {
    "000": [
        "Sir, in due deference to the sovereignty of the Republic of Iraq",
        "During this time, there will be an increase in helicopter travel",
        "UPDATE: The Department of Defense has pushed back on the letter",
        "The USA wants no more threats!",
    ],
    "001": [
        "Secretary of State Mike Pompeo likewise dismissed",
        "all of which has since been liberated.",
    ],
    "002": [
        'Milley said: "That letter is a draft',
        "It'll make Iranian sanctions look somewhat tame.",
    ],
    "003": [
        "WASHINGTON: The US has no plans to pull out militarily from Iraq",
        "stretching from Lebanon through Syria and Iraq to Iran.",
        "Reposition",
    ],
    "004": [
        "The US-led coalition fighting against ISIS has told the Iraqi military",
        "as he called for de-escalation from all sides.",
        "Around 400 British Army soldiers are involved",
    ],
}


def _seed(prefix: str) -> bytes:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_bytes()


@pytest.mark.parametrize("prefix", sorted(BOILERPLATE))
def test_seed_cleaning_removes_boilerplate_and_keeps_story(prefix):
    result = clean_document(_seed(prefix), "txt", None, None)
    text = result.text + "\n"
    assert LETTER_SENTENCE in text
    for junk in BOILERPLATE[prefix]:
        assert junk not in text, junk
    for sentence in STORY[prefix]:
        assert sentence in text, sentence
    removed = "\n".join(r.text for r in result.removed)
    for junk in BOILERPLATE[prefix]:
        assert junk.strip() in removed, junk


def test_every_story_sentence_of_a_seed_is_kept():
    """Seed 003 carries no boilerplate: cleaning keeps every line but the layout."""
    raw = _seed("003").decode()
    result = clean_document(raw.encode(), "txt", None, None)
    for line in raw.splitlines():
        assert line.strip() in result.text
    assert result.removed == ()


def test_headline_becomes_title_not_text():
    result = strip_boilerplate("Big storm hits the coast\n\nThe storm hit the coast on Monday.")
    assert result.title == "Big storm hits the coast"
    assert result.text == "The storm hit the coast on Monday."
    assert [r.kind for r in result.removed] == ["headline"]


def test_quoted_read_more_and_update_note_followed_by_story_are_kept():
    text = (
        "The minister said it was time to act.\n\n"
        "“People should read more about the plan before judging it,” she said.\n\n"
        "This story has been updated with a statement from the ministry.\n"
        "The ministry said on Tuesday that the plan would go ahead as scheduled."
    )
    result = strip_boilerplate(text, title="Unrelated title")
    assert "“People should read more about the plan" in result.text
    assert "The ministry said on Tuesday" in result.text
    assert [r.kind for r in result.removed] == ["update_note"]


def test_html_article_with_captions_and_teasers():
    raw = (FIXTURES / "html" / "harbour.html").read_bytes()
    result = clean_document(raw, "html", None, None)
    assert result.title == "Harbour wall to be rebuilt after winter storms"
    assert result.author == "Maria Lopez"
    assert result.sitename == "The Coastal Gazette"
    assert result.published_at is not None and result.published_at.year == 2021
    for keep in (
        "The harbour wall at Porthcove will be rebuilt this summer",
        "This work cannot come soon enough.",
        "a public meeting will be held in the village hall next month.",
    ):
        assert keep in result.text
    for junk in (
        "READ MORE",
        "DON'T MISS",
        "[INSIGHT]",
        "[VIDEO]",
        "Follow The Coastal",
        "(Image:",
        "About time too",
        "Copyright",
        "Home",
        "Harbour wall to be rebuilt after",
    ):
        assert junk not in result.text, junk
    kinds = {r.kind for r in result.removed}
    assert {"teaser", "prompt"} <= kinds


def test_decoding_by_bom_declared_charset_and_fallback():
    assert decode_bytes("\ufeffCafé".encode("utf-8")) == "Café"
    html = '<meta charset="iso-8859-1"><p>Café</p>'.encode("latin-1")
    assert "Café" in decode_bytes(html, is_html=True)
    assert decode_bytes("Le café est très bon, dit-il à la presse.".encode("cp1252")).startswith(
        "Le café est très bon"
    )
    with pytest.raises(DecodeError):
        decode_bytes(b"\x00\x01\x02\x00" * 100)


def test_menu_only_page_is_rejected_as_no_article(con, tmp_path):
    from pipeline import clean, ingest
    from pipeline.config import Config

    page = tmp_path / "menu.html"
    page.write_text(
        "<html><head><title>Menu</title></head><body><nav><ul><li><a href='/'>Home</a></li>"
        "<li><a href='/news'>News</a></li></ul></nav></body></html>"
    )
    ingest.run(con, Config(), [page])
    result = clean.run(con, Config())
    assert [r.reason for r in result.rejected] == ["no article text found"]
    assert con.sql("select count(*) from cleaned").fetchall() == [(0,)]
    assert con.sql("select source, stage from rejected_inputs").fetchall() == [(str(page), "clean")]


def test_rules_tried_by_line_length_pick_the_rule_trying_all_would():
    """The alternation skips rules too narrow for a line and rules whose needed text the line
    lacks; the rule found must not change."""
    from pipeline.linerules import _compiled

    line_rules, _, alternation = _compiled(None)
    lines = {
        ln.strip()
        for path in sorted(FIXTURES.glob("clean/*.*")) + sorted(SEEDS.glob("*"))
        for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if ln.strip()
    }
    lines |= {"Copyright 2024 " + "x" * n + " All rights reserved." for n in (50, 60, 200)}
    lines |= {"Pictured: " + "word " * n for n in (10, 59, 61, 200)}
    lines |= {
        "Ann Lee and Bo Chan contributed to this report.",
        "Jo Smith/Getty Images",
        "A man walks by. REUTERS/Jane Doe",
        "© 2024 Example News. All rights reserved.",
        "Sign up to our daily newsletter for the latest news",
        "see copy of letter in this link",
        "Ann Lee and Bo Chan contributed to this story, she said, " + "and more " * 30,
    }
    assert alternation.gated, "no rule has a needed text"
    assert any(alternation.bounds), "no rule has a bounded width: nothing to skip"
    found = 0
    for s in lines:
        first = next((i for i, (_, rx, _) in enumerate(line_rules) if rx.match(s)), None)
        assert alternation.first(s) == first, s
        found += first is not None
    assert found > 30


def _widest_match(pattern: str, flags: int) -> int | None:
    """Longest string the pattern can match when it must end at `$` (None: unbounded or not
    anchored), from the stdlib's own pattern parser: only this test reads it."""
    _constants = pytest.importorskip("re._constants")
    _parser = pytest.importorskip("re._parser")

    def ends_at_end(items: list) -> bool:
        if not items:
            return False
        op, arg = items[-1]
        if op is _constants.AT:
            return arg is _constants.AT_END
        if op is _constants.BRANCH and len(items) == 1:
            return all(ends_at_end(list(branch)) for branch in arg[1])
        if op is _constants.SUBPATTERN:
            return ends_at_end(list(arg[-1]))
        return False

    parsed = _parser.parse(pattern, flags)
    widest = parsed.getwidth()[1]
    if widest >= _constants.MAXREPEAT or not ends_at_end(list(parsed)):
        return None
    return widest


def test_each_rules_max_chars_is_its_patterns_widest_match():
    """The length shortcut of the rule pass trusts max_chars: a figure below the widest
    match would keep boilerplate, a missing one only costs time."""
    import re

    from pipeline import rules

    for table in rules.RULES.values():
        for rule in table:
            if not isinstance(rule, rules.Rule):
                continue
            flags = 0 if rule.family in rules.CASE_SENSITIVE else re.I
            assert rule.max_chars == _widest_match(rule.pattern, flags), rule.pattern


def test_clean_text_is_nfc_so_composed_and_decomposed_copies_are_one_text():
    import unicodedata

    from pipeline.extract import clean_document

    story = (
        "Le ministre a déclaré mercredi que la décision était définitive. "
        "Les députés de l'opposition ont réclamé un débat à l'Assemblée avant l'été."
    )
    composed = unicodedata.normalize("NFC", story).encode()
    decomposed = unicodedata.normalize("NFD", story).encode()
    assert composed != decomposed
    html = "<html><body><article><p>{}</p></article></body></html>"
    for fmt, wrap in (("txt", "{}"), ("html", html)):
        a = clean_document(wrap.format(composed.decode()).encode(), fmt, None, None).text
        b = clean_document(wrap.format(decomposed.decode()).encode(), fmt, None, None).text
        assert a == b and unicodedata.is_normalized("NFC", b) and "déclaré" in b, fmt


def test_a_lone_comments_line_is_not_a_thread_but_a_thread_under_it_goes():
    from pipeline.linerules import strip_boilerplate

    story = [
        "The council voted on Tuesday to close the harbour road for repairs this summer.",
        "Comments",
        "Residents said the works would cut the town off from the coast for three months.",
        "The mayor said a ferry would run twice a day while the road is closed.",
    ]
    out = strip_boilerplate("\n".join(story)).text
    assert story[2] in out and story[3] in out and "Comments" not in out
    thread = story[:1] + [
        "Comments",
        "harbourfan 2 hours ago",
        "About time they fixed it.",
        "Reply Report",
    ]
    out = strip_boilerplate("\n".join(thread)).text
    assert out.strip() == story[0]


@pytest.mark.parametrize(
    "line", ["Ottostraße 14", "390 kcal", "Tel. 030 1234567", "Southampton v Portsmouth"]
)
def test_short_data_lines_at_the_end_are_story_not_navigation(line):
    from pipeline.linerules import strip_boilerplate

    body = "The café opened on Monday in the old market hall near the station.\n"
    out = strip_boilerplate(f"{body}\nFind it here:\n{line}\n").text
    assert line in out, out
    out = strip_boilerplate(f"{body}\nHome\nSport\nWeather\n").text
    assert out.strip() == body.strip()


def test_a_plain_first_line_is_a_headline_only_standing_alone_above_the_story():
    inline = strip_boilerplate("Ottawa council meets again\nThe council met on Monday to vote.")
    assert inline.removed == () and inline.text.startswith("Ottawa council meets again")
    no_story = strip_boilerplate("Opening hours and prices\n\nMonday 9-5\n\nTuesday 9-5")
    assert "headline" not in {r.kind for r in no_story.removed}
    # standing alone above a story sentence it is one: test_headline_becomes_title_not_text


def test_captions_without_a_credit_go_and_story_lines_about_photos_stay():
    text = (
        "The council voted on Tuesday to build a new harbour wall after the storms.\n\n"
        "Pictured at the scene.\n\n"
        "Photo outside the town hall\n\n"
        "Photos of the suspect were released on Tuesday.\n\n"
        "The harbour master said the new wall would protect boats."
    )
    result = strip_boilerplate(text, title="Harbour wall approved")
    assert [(r.kind, r.text) for r in result.removed] == [
        ("caption", "Pictured at the scene.\nPhoto outside the town hall")
    ]
    assert "Photos of the suspect were released on Tuesday." in result.text


def test_a_most_read_list_goes_whether_its_items_are_lines_or_paragraphs():
    story = "The council voted on Tuesday to build a new harbour wall after the storms."
    after = "The harbour master said the new wall would protect boats."
    items = ["Man rescued from cliff after four hours", "Schools close early as snow arrives"]
    for heading, sep in (("Most Read", "\n\n"), ("Most viewed stories", "\n")):
        text = f"{story}\n\n{heading}\n\n" + sep.join(items) + f"\n\n{after}"
        result = strip_boilerplate(text, title="Harbour wall approved")
        assert result.text == f"{story}\n\n{after}", heading
        assert [r.kind for r in result.removed] == ["teaser"]
    trailer = f"{story}\n\nMost read in UK\n\n(Reporting by Tom Evans; Editing by Ros Russell)"
    kinds = [r.kind for r in strip_boilerplate(trailer, title="x").removed]
    assert kinds == ["teaser", "trailer"]  # the trailer under the heading keeps its family
