"""The HTML report: its data from the views, the caps that bound it, and the page in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from pipeline import html_report
from pipeline.html_report import Caps, build, highlight

from .conftest import LETTER_SENTENCE, cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _letter(clusters: list[dict]) -> dict:
    return next(c for c in clusters if LETTER_SENTENCE in c["text"])


def test_highlight_marks_the_shared_run_and_keeps_the_text() -> None:
    text = "Officials said: we respect your sovereign decision, in a note on Monday."
    other = "The letter read: We respect your sovereign decision to order our departure."
    runs = highlight(text, other)
    assert "".join(t for t, _ in runs) == text
    assert [t.strip() for t, shared in runs if shared] == ["we respect your sovereign decision,"]
    # a single common word is chance, not shared text
    assert not any(shared for _, shared in highlight("on the river", "the sea"))
    # shared with any of several others
    runs = highlight("alpha beta gamma delta epsilon", "alpha beta x", "y delta epsilon")
    assert [t.strip() for t, shared in runs if shared] == ["alpha beta", "delta epsilon"]


def test_seeds_letter_travels_through_all_five(seeds_con: duckdb.DuckDBPyConnection) -> None:
    data = build(seeds_con)
    figures = dict(data["figures"])
    assert figures["articles"] == 5 and figures["outlets"] == 5
    assert figures["syndicated pairs"] == 0 and figures["rejected inputs"] == 0
    letter = _letter(data["clusters"])
    assert letter["first_seen_basis"] == "ingest_order"
    assert len({o["outlet"] for o in letter["occurrences"]}) == 5
    assert [o["rank_in_cluster"] for o in letter["occurrences"]] == [1, 2, 3, 4, 5]
    # every occurrence side by side, the letter's sentence highlighted in each
    assert len(letter["passages"]) == 5
    for p in letter["passages"]:
        marked = " ".join(t for t, kind in p["segments"] if kind == 2)
        assert "sovereign decision to order our departure" in " ".join(marked.split())
    copying = seeds_con.execute("select count(*) from copying").fetchall()[0][0]
    assert len(data["network"]["nodes"]) == 5
    assert len(data["network"]["edges"]) == data["network"]["total_edges"] == copying


def test_caps_bound_every_list(seeds_con: duckdb.DuckDBPyConnection) -> None:
    caps = Caps(outlets=3, edges=2, clusters=2, occurrences=3, passages=2, pairs=1, rows=2, words=4)
    data = build(seeds_con, caps)
    net = data["network"]
    assert len(net["nodes"]) == 3 and net["total_outlets"] == 5
    copying = seeds_con.execute("select count(*) from copying").fetchall()[0][0]
    assert len(net["edges"]) == 2 and net["total_edges"] == copying > 2
    kept = {n["outlet"] for n in net["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in net["edges"])
    assert len(data["clusters"]) == 2
    for c in data["clusters"]:
        assert len(c["occurrences"]) == 3 and len(c["passages"]) == 2
        assert len(c["text"].split()) <= 5  # four words and the ellipsis
        for p in c["passages"]:
            span = "".join(t for t, kind in p["segments"] if kind)
            assert len(span.split()) <= 5
    for t in data["tables"]:
        assert len(t["rows"]) <= 2
    n_clusters = seeds_con.execute("select count(*) from reuse_clusters").fetchall()[0][0]
    assert {t["name"]: t["total"] for t in data["tables"]}["reuse_clusters"] == n_clusters > 2
    small = len(html_report.render(data))
    assert small < len(html_report.render(build(seeds_con)))


def test_cli_writes_one_self_contained_file(seeds_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, err = cli("report", "--html", out, "--db", seeds_db)
    assert code == 0, err
    assert str(out) in stdout
    html = out.read_text(encoding="utf-8")
    # nothing fetched: no external scripts, styles, images or fonts
    assert not re.search(r"""(src|href)\s*=|@import|url\(\s*['"]?(https?:|//)""", html)
    # the data block parses and holds the letter
    block = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert _letter(json.loads(block.group(1))["clusters"])["n_outlets"] == 5
    assert len(html.encode()) < 1_000_000

    code, _, err = cli("report", "copying", "--html", out, "--db", seeds_db)
    assert code == 2
    code, _, err = cli("report", "--html", tmp_path / "missing" / "r.html", "--db", seeds_db)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
def test_page_draws_in_chromium(seeds_db: Path, seeds_con, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    assert cli("report", "--html", out, "--db", seeds_db)[0] == 0
    letter_id = _letter(build(seeds_con)["clusters"])["cluster_id"]
    copying = seeds_con.execute(
        "select count(*) filter (where quote_words > 0) + count(*) filter (where prose_words > 0)"
        " from copying"
    ).fetchall()[0][0]

    errors: list[str] = []
    fetched: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            tmp_path / "profile",  # a fresh profile for every run
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(out.as_uri(), wait_until="load")

            assert errors == []
            assert fetched == [out.as_uri()]  # the page itself, nothing else
            assert page.locator(".fig").count() == 7
            # the network: one node per outlet, one arrow per kind of reuse per outlet pair
            assert page.locator("#network g.node").count() == 5
            assert page.locator("#network path.edge").count() == copying
            assert page.locator("#network path.edge.quote").count() > 0
            assert page.locator("#network path.edge.prose").count() > 0
            # the letter's timeline: five outlets, in ingest order, the first ringed
            timeline = page.locator(f'svg.timeline[data-cluster="{letter_id}"]')
            assert timeline.locator("circle.occ").count() == 5
            assert timeline.locator("circle.occ.first").count() == 1
            assert timeline.locator(".lane-label").count() == 5
            assert "ingest order" in timeline.locator(".basis").text_content()
            card = page.locator(f'article.cluster[data-cluster="{letter_id}"]')
            assert "sovereign decision" in " ".join(card.locator("mark").all_text_contents())
            # a sortable table: a click on shared_words sorts ascending, a second descending
            table = page.locator('table[data-view="copying"]')
            header = table.locator("th", has_text="shared_words")
            col = [t.lower() for t in table.locator("th").all_text_contents()].index("shared_words")
            cells = f"tbody tr td:nth-child({col + 1})"
            header.click()
            up = [int(x) for x in table.locator(cells).all_text_contents()]
            header.click()
            down = [int(x) for x in table.locator(cells).all_text_contents()]
            assert up == sorted(up) and down == sorted(up, reverse=True) and up != down
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert errors == []
        finally:
            browser.close()


# --- the report on a store of thousands of articles and hundreds of outlets ---------------


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,400 articles from 240 outlets (some with 64-character placeholder-like names): words
    drawn at random (unrelated articles share no run), a third carrying one of 150 real
    sentences from the seeds (so text travels between hundreds of outlet pairs)."""
    import random

    from pipeline import api

    from .corpus import seed_sentences

    rng = random.Random(5)
    sentences = seed_sentences()[:150]
    vocab = sorted({w for s in seed_sentences() for w in s.lower().split() if w.isalpha()})
    outlets = [f"outlet-{k:03d}.example" for k in range(200)]
    outlets += [
        f"unknown:{k:02d}_" + "".join(rng.choices("0123456789abcdef", k=53)) for k in range(40)
    ]
    rows = []
    for i in range(2400):
        words = " ".join(rng.choices(vocab, k=120))
        text = f"{words.capitalize()}."
        if rng.random() < 0.34:
            text += " " + rng.choice(sentences)
        rows.append(
            {
                "id": f"a{i}",
                "outlet": outlets[i % len(outlets)],
                "text": text,
                "published_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00",
            }
        )
    folder = tmp_path_factory.mktemp("big")
    (folder / "in").mkdir()
    (folder / "in" / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    db_path = folder / "news.duckdb"
    api.run([folder / "in"], db=db_path)
    return db_path


def _rect(label: dict) -> list[tuple[float, float]]:
    """The corners of a label's rotated box (text-anchor start or end, centred vertically)."""
    import math

    t = math.radians(label["deg"])
    d, n = (math.cos(t), math.sin(t)), (-math.sin(t), math.cos(t))
    x, y, ln, h = label["x"], label["y"], label["len"], label["h"] / 2
    x0, y0 = (x, y) if label["anchor"] == "start" else (x - d[0] * ln, y - d[1] * ln)
    ends = [(x0, y0), (x0 + d[0] * ln, y0 + d[1] * ln)]
    return [(ex + n[0] * s * h, ey + n[1] * s * h) for (ex, ey) in ends for s in (-1, 1)]


def _overlap(p: list[tuple[float, float]], q: list[tuple[float, float]]) -> bool:
    """Separating-axis test of two convex quadrilaterals."""

    def axes(poly):
        a, b, c = poly[0], poly[1], poly[2]
        return [(b[0] - a[0], b[1] - a[1]), (c[0] - a[0], c[1] - a[1])]

    for ax in axes(p) + axes(q):
        pp = [ax[0] * x + ax[1] * y for x, y in p]
        qq = [ax[0] * x + ax[1] * y for x, y in q]
        if max(pp) <= min(qq) or max(qq) <= min(pp):
            return False
    return True


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
def test_report_on_thousands_of_articles_and_hundreds_of_outlets_is_legible(big_store, tmp_path):
    import math

    from playwright.sync_api import sync_playwright

    con = duckdb.connect(str(big_store), read_only=True)
    n_docs, n_outlets = con.sql("select count(*), count(distinct outlet) from articles").fetchall()[
        0
    ]
    copying_outlets = con.sql(
        "select count(*) from (select source_outlet from copying union select target_outlet from copying)"
    ).fetchall()[0][0]
    con.close()
    assert n_docs >= 2000 and n_outlets >= 200 and copying_outlets >= 150
    out = tmp_path / "report.html"
    assert cli("report", "--html", out, "--db", big_store)[0] == 0
    assert out.stat().st_size < 1_000_000
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(out.as_uri(), wait_until="load")
            geo = page.evaluate(
                """() => {
                  const nodes = [...document.querySelectorAll('#network g.node')];
                  return nodes.map(g => {
                    const c = g.querySelector('circle'), t = g.querySelector('text.label');
                    const m = /rotate\\(([-\\d.]+)/.exec(t.getAttribute('transform'));
                    return {cx: +c.getAttribute('cx'), cy: +c.getAttribute('cy'),
                      r: +c.getAttribute('r'), x: +t.getAttribute('x'), y: +t.getAttribute('y'),
                      deg: +m[1], len: t.getComputedTextLength(), h: t.getBBox().height,
                      anchor: t.getAttribute('text-anchor'), text: t.textContent,
                      title: g.querySelector('title').textContent};
                  });
                }"""
            )
            assert 30 <= len(geo) <= 40 and errors == []
            assert any(g["text"].startswith("other outlets (") for g in geo)
            for i, a in enumerate(geo):  # no two circles overlap
                for b in geo[i + 1 :]:
                    assert math.dist((a["cx"], a["cy"]), (b["cx"], b["cy"])) >= a["r"] + b["r"]
            rects = [_rect(g) for g in geo]
            for i in range(len(rects)):  # no two labels overlap, nor a label and a circle
                for j in range(i + 1, len(rects)):
                    assert not _overlap(rects[i], rects[j]), (geo[i]["text"], geo[j]["text"])
                for g in geo:
                    xs, ys = [p[0] for p in rects[i]], [p[1] for p in rects[i]]
                    inside = min(xs) < g["cx"] < max(xs) and min(ys) < g["cy"] < max(ys)
                    assert not (
                        inside
                        and _overlap(
                            rects[i],
                            _rect(
                                {
                                    **g,
                                    "x": g["cx"] - g["r"],
                                    "y": g["cy"],
                                    "deg": 0,
                                    "len": 2 * g["r"],
                                    "h": 2 * g["r"],
                                    "anchor": "start",
                                }
                            ),
                        )
                    ), geo[i]["text"]
            # long names are cut in the label, whole on hover
            long = [g for g in geo if g["title"].startswith("unknown:")]
            assert all(len(g["text"]) <= 24 and g["title"].startswith(g["text"][:-1]) for g in long)
            page.screenshot(path=str(tmp_path / "big.png"), full_page=True)
            # a 400-pixel-wide screen: the network scrolls at full size, the page does not
            # spill sideways, and table cells keep long names from pushing the figures away
            page.set_viewport_size({"width": 400, "height": 800})
            sizes = page.evaluate(
                """() => { const s = document.querySelector('#network svg');
                  return {drawn: s.getBoundingClientRect().width, own: s.width.baseVal.value,
                    body: document.documentElement.scrollWidth}; }"""
            )
            assert sizes["drawn"] >= sizes["own"] - 1 and sizes["body"] <= 420, sizes
            page.screenshot(path=str(tmp_path / "narrow.png"))
            import shutil

            for name in ("big.png", "narrow.png"):  # to look at (BENCHMARKS.md names them)
                shutil.copy(tmp_path / name, Path("/tmp") / f"newsdedup-report-{name}")
            assert errors == []
        finally:
            browser.close()
