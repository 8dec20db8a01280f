"""Cleaning against real news pages: the chrome they carry, and the gate of the issue.

The line tests use chrome written the way real pages print it (wire end marks, "Write to ...
at" trailers, contributor lists, teaser lists, gallery links, social profile links, widget
placeholders), each between story sentences. The gate runs only when NEWSDEDUP_REAL_PAGES
names one or more page sets that bench/bench_clean.py reads (e.g. the newspaper4k 0.9.6 sdist,
see BENCHMARKS.md); third-party pages are never copied into the repo.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import trafilatura

from pipeline.evaluate import token_prf
from pipeline.extract import clean_document, clean_html
from pipeline.linerules import strip_boilerplate

from .conftest import ROOT

STORY_ABOVE = "The council met on Tuesday night to discuss the plans for the harbour."
STORY_BELOW = "It will meet again in May, when the final costs are known."


@pytest.mark.parametrize(
    ("chrome", "family"),
    [
        ("(END)", "trailer"),
        ("-ends-", "trailer"),
        ("###", "trailer"),
        ("Write to Jane Doe at jane.doe@example.com", "trailer"),
        ("Contact the newsdesk: news@example.co.uk", "trailer"),
        (
            "The Gazette's Ann Lee, Bo Chan, Cy Diaz and Dee Evans contributed to this report.",
            "trailer",
        ),
        ("Staff writers Ann Lee and Bo Chan contributed to this report", "trailer"),
        ("See more photos:", "teaser"),
        ("View all pictures", "teaser"),
        ("Facebook: https://www.facebook.com/thegazette", "prompt"),
        ("https://twitter.com/thegazette", "prompt"),
        ("Loading weather data ...", "nav"),
        ("Loading comments…", "nav"),
    ],
)
def test_real_page_chrome_lines_are_removed(chrome, family):
    result = strip_boilerplate(f"{STORY_ABOVE}\n{chrome}\n{STORY_BELOW}", title="A title")
    assert [(r.kind, r.text) for r in result.removed] == [(family, chrome)]
    assert result.text == f"{STORY_ABOVE}\n{STORY_BELOW}"


def test_must_reads_list_goes_with_its_heading():
    items = [
        "More Must-Reads From The Gazette",
        "- Why the harbour wall failed",
        "- Is the tram worth the money?",
        "- Sign Up for the Weekend Briefing",
    ]
    result = strip_boilerplate("\n".join([STORY_ABOVE, *items]), title="A title")
    assert result.text == STORY_ABOVE
    assert [r.kind for r in result.removed] == ["teaser"]


@pytest.mark.parametrize(
    "line",
    [
        "The end came quickly (END), a witness said.",
        "Write to your MP, the campaign urges, before the vote on Thursday.",
        "Heavy rain and poor drainage contributed to this report's grim findings, engineers said.",
        "Officials said the photos would be released on Monday.",
        "She posted a statement on https://twitter.com/thegazette late on Monday night.",
        "Loading of the ferries resumed at noon.",
    ],
)
def test_story_lines_near_the_new_rules_are_kept(line):
    result = strip_boilerplate(f"{STORY_ABOVE}\n{line}\n{STORY_BELOW}", title="A title")
    assert line in result.text
    assert result.removed == ()


def test_story_text_after_an_empty_inline_element_is_kept():
    """The reason extraction runs in trafilatura's balanced mode: favor_precision deletes empty
    inline elements together with their tail text ("Officials said <span></span>the plan...")."""
    para = "<p>" + "The council met on Tuesday to discuss the library budget. " * 3 + "</p>"
    html = (
        "<html><head><title>Library branches to close</title></head><body><article>"
        f"<h1>Library branches to close</h1>{para}"
        '<p>Officials said <span class="dropcap"></span>the plan would close two branches '
        "and cut opening hours across the borough next year.</p>"
        '<div>Residents <i class="icon"></i>protested outside the town hall on Monday, '
        f"holding banners and chanting.</div>{para}</article></body></html>"
    )
    text = clean_html(html).text
    assert "the plan would close two branches" in text
    assert "protested outside the town hall" in text


def _real_page_sets() -> list[Path]:
    value = os.environ.get("NEWSDEDUP_REAL_PAGES", "")
    return [Path(p) for p in value.split(os.pathsep) if p]


@pytest.mark.skipif(not _real_page_sets(), reason="NEWSDEDUP_REAL_PAGES names no page set")
@pytest.mark.parametrize("path", _real_page_sets(), ids=str)
def test_real_pages_keep_the_article_as_well_as_bare_trafilatura(path):
    """The issue's gate: token F1 of the kept text not below bare trafilatura.extract's."""
    spec = importlib.util.spec_from_file_location("bench_clean", ROOT / "bench/bench_clean.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pairs = [p for p in bench.load_pairs(path) if p[1] == "html"]
    assert pairs, path
    ours = [0, 0, 0]
    bare = [0, 0, 0]
    for _, fmt, raw, expected in pairs:
        got = token_prf(expected, clean_document(raw, fmt, None, None).text)
        ours = [a + b for a, b in zip(ours, got, strict=True)]
        got = token_prf(expected, trafilatura.extract(raw) or "")
        bare = [a + b for a, b in zip(bare, got, strict=True)]
    assert bench._prf(*ours)[2] >= bench._prf(*bare)[2], (bench._prf(*ours), bench._prf(*bare))


CLEANING_DEV = (
    Path(__file__).resolve().parents[2] / "shared/data/cleaning-dev/trafilatura-eval-400.tar.gz"
)


@pytest.mark.skipif(not CLEANING_DEV.is_file(), reason=f"no cleaning-dev set at {CLEANING_DEV}")
def test_cleaning_dev_f1_is_a_point_above_trafilatura():
    """trafilatura's 400 evaluation pages, its snippet metric (bench/cleaning_dev.py): ours
    P 0.9303 R 0.9466 F1 0.9384; bare extract 0.9227, with our options 0.9279."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from cleaning_dev import score

    figures, pages = score(CLEANING_DEV, ["newsdedup clean", "extract, our options"])
    ours, theirs = figures["newsdedup clean"][2], figures["extract, our options"][2]
    assert len(pages) == 400
    assert ours >= 0.935 and ours >= theirs + 0.01, figures


@pytest.mark.parametrize(
    ("lang", "line", "story"),
    [
        (
            "es",
            "LE PUEDE INTERESAR: La ficha del expresidente en la corte de Nueva York",
            "Le puede interesar a la fiscalía que el acusado declaró ante el juez el martes.",
        ),
        (
            "de",
            "Lesen Sie auch: Diese drei Städte haben die höchsten Mieten",
            "Lesen Sie die Vereinbarung, sagte die Ministerin am Dienstag in Berlin.",
        ),
        (
            "fr",
            "À lire aussi : Les députés votent le budget",
            "Voir aussi les chiffres publiés mardi par l'Insee sur le chômage des jeunes.",
        ),
        (
            "pt",
            "Leia também: Governo anuncia novo pacote",
            "Veja que o governo anunciou nesta terça-feira um novo pacote de medidas.",
        ),
        (
            "it",
            "Leggi anche: Il governo approva la manovra",
            "Leggi e decreti sono stati approvati ieri dal consiglio dei ministri.",
        ),
    ],
)
def test_each_language_table_removes_its_teasers_and_keeps_story_lines(lang, line, story):
    from pipeline.linerules import strip_boilerplate

    text = f"{story}\n{line}\n{story.replace('.', ' hoy.')}"
    out = strip_boilerplate(text, language=lang).text
    assert line not in out and story in out, (lang, out)


def test_the_text_decides_the_language_before_the_markup():
    from pipeline.extract import guess_language

    es = "El presidente de la Asamblea exige a los periodistas que entreguen sus fuentes " * 5
    de = (
        "Die Ministerin sagte am Dienstag, dass die Regierung mit dem Plan nicht zufrieden ist " * 5
    )
    assert guess_language(es) == "es" and guess_language(de) == "de"
    assert guess_language("Too short to tell") is None
