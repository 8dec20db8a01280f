from pipeline.text import quote_regions, quoted_share, split_passages, tokenize


def test_tokenize_offsets_and_normalisation():
    text = "It’s the U.S. Army’s letter."
    toks = tokenize(text)
    assert toks.words == ["it's", "the", "u", "s", "army's", "letter"]
    assert text[toks.starts[0] : toks.ends[0]] == "It’s"


def test_split_passages_cover_clauses_and_merge_short_ones():
    text = (
        "The letter, seen by Reuters, read: “We respect your sovereign decision to order "
        "our departure.” Officials said. It was a long day for everyone involved in the talks."
    )
    passages = split_passages(text, min_words=5, max_words=60)
    texts = [text[a:b] for a, b, _ in passages]
    assert any(t.startswith("“We respect your sovereign decision") for t in texts)
    assert all(n >= 5 for _, _, n in passages)


def test_split_passages_caps_long_passages():
    text = " ".join(["word"] * 130) + "."
    passages = split_passages(text, min_words=5, max_words=60)
    assert len(passages) == 3
    assert sum(n for _, _, n in passages) == 130


def test_quote_regions_run_to_close_or_paragraph_end():
    text = "He said: “We will go.” Then “another quote runs on\nNew paragraph ‘single’ and don’t."
    regions = quote_regions(text)
    quoted = [text[a:b] for a, b in regions]
    assert quoted[0] == "“We will go.”"
    assert quoted[1] == "“another quote runs on"
    assert quoted[2] == "‘single’"
    start = text.index("We will")
    assert quoted_share(regions, start, start + 10) == 1.0
    assert quoted_share(regions, 0, 7) == 0.0


def test_clause_cuts_equal_the_reference_regex_on_real_text():
    from pathlib import Path

    from pipeline.text import _CLAUSE_RE, _clause_cuts

    root = Path(__file__).resolve().parent.parent
    files = sorted(root.glob("seeds/*.txt")) + sorted(root.glob("tests/fixtures/**/*.txt"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    texts.append('He said: “Go” — then ‘fine,’ she said, “ok”; and "more" quotes, “x”')
    assert len(texts) > 20
    for text in texts:
        assert sorted(set(_clause_cuts(text))) == sorted(
            {m.start() for m in _CLAUSE_RE.finditer(text)}
        )


def test_passages_and_words_in_one_pass_and_from_offsets_equal_the_two_functions():
    from pathlib import Path

    from pipeline.text import passages_and_words, passages_of, words_only

    root = Path(__file__).resolve().parent.parent
    files = sorted(root.glob("seeds/*.txt")) + sorted(root.glob("tests/fixtures/**/*.txt"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    texts += [
        "Die Straße in İstanbul: „Grüße“ — don’t rock’n’roll, snake_case and ’quoted’ words.",
        "It’s the U.S. Army’s letter.\n\n“We respect your decision,” he said; then: 'ok'.",
        "",
        "   \n  ",
    ]
    assert len(texts) > 20
    for text in texts:
        for lo, hi in ((5, 60), (1, 3)):
            assert passages_and_words(text, lo, hi) == (
                split_passages(text, lo, hi),
                words_only(text),
            )
            assert passages_of(tokenize(text), lo, hi) == split_passages(text, lo, hi)


def test_word_bounds_from_arrays_equal_the_word_pattern():
    from pathlib import Path

    import numpy as np

    from pipeline.text import WORD_RE, _fold, _word_mask, normalise_word, words_only

    root = Path(__file__).resolve().parent.parent
    files = sorted(root.glob("seeds/*.txt")) + sorted(root.glob("tests/fixtures/**/*.*"))
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    texts += [
        "Die Straße in İstanbul: „Grüße“ — don’t rock’n’roll, snake_case’s a’’b 'x' ’q’ x'",
        "ǅx ⅷ ²3 ٣ 中文字 x_y _z_",
        "tabs\tand\u2028line\x1cseparators\u3000ideographic space",
        "'",
        "a'",
        "",
    ]
    for text in texts:
        spans = [m.span() for m in WORD_RE.finditer(text)]
        tok = tokenize(text)
        assert np.array_equal(
            np.stack([tok.starts, tok.ends], axis=1), np.array(spans).reshape(-1, 2)
        )
        if len(_fold(text)) == len(text):  # else words go span by span (casefolding moved)
            assert tok.words == words_only(text) == [_fold(text)[a:b] for a, b in spans], text[:80]
        else:
            assert len(tok.words) == len(spans)
            assert tok.words in (words_only(text), [normalise_word(text[a:b]) for a, b in spans])
    assert _word_mask("lone \ud800 surrogate") is None
    lone = tokenize("lone \ud800 surrogate")
    assert lone.words == ["lone", "surrogate"] and lone.starts.tolist() == [0, 7]


def test_next_opener_finds_what_the_look_behind_pattern_finds():
    from pathlib import Path

    from pipeline.text import _OPENER_RE, _next_opener

    root = Path(__file__).resolve().parent.parent
    files = sorted(root.glob("seeds/*.txt")) + sorted(root.glob("tests/fixtures/**/*.*"))
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    texts += ['‘quoted’ rock‘n’roll, x ‘y’ „z“ «w» "v" _‘u’ 3‘t', "‘", "a‘", ""]
    for text in texts:
        for i in range(0, len(text), max(1, len(text) // 50)):
            ours, ref = _next_opener(text, i), _OPENER_RE.search(text, i)
            assert (ours and ours.span()) == (ref and ref.span()), (text[:60], i)
