"""A deduplicated dataset out, and every input accounted for (sources, duplicates,
unique_articles; placeholders; metadata from markup), through the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from pipeline.markup import page_meta

from .conftest import cli
from .corpus import article_html, seed_sentences, write_warc

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _stories() -> list[str]:
    """Three texts of ~150 words made of the seeds' real sentences, sharing none."""
    sents = seed_sentences()
    return [" ".join(sents[i * 8 : i * 8 + 8]) for i in range(3)]


def _edit(text: str) -> str:
    """A light edit: one sentence dropped, a word changed."""
    sents = re.split(r"(?<=[.!?])\s+", text)
    return " ".join(sents[:3] + sents[4:]).replace(" the ", " a ", 1)


def _put(folder: Path, name: str, text: str, outlet: str, when: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    (folder / f"{name}.json").write_text(json.dumps({"outlet": outlet, "published_at": when}))


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, str]:
    one, two, three = _stories()
    root = tmp_path / "in"
    _put(root / "wire", "story1.txt", one, "wire.example", "2026-01-01T08:00:00")
    # the same bytes under another path, same outlet: one document, two sources
    _put(root / "mirror", "story1-copy.txt", one, "wire.example", "2026-01-01T08:00:00")
    _put(root / "daily", "story1.txt", _edit(one), "daily.example", "2026-01-01T09:00:00")
    _put(root / "daily", "story2.txt", two, "daily.example", "2026-01-01T10:00:00")
    _put(root / "herald", "story2.txt", two, "herald.example", "2026-01-01T11:00:00")
    _put(root / "daily", "story2-v2.txt", _edit(two), "daily.example", "2026-01-01T12:00:00")
    _put(root / "herald", "story3.txt", three, "herald.example", "2026-01-01T13:00:00")
    db_path = tmp_path / "news.duckdb"
    code, out, err = cli("run", root, "--db", db_path)
    assert code == 0, err
    return db_path, out


def _rows(db_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_each_story_once_and_every_input_accounted_for(dataset):
    db_path, out = dataset
    assert "ingested 6" in out and "repeats 1" in out and "inputs 7" in out, out
    sources = _rows(db_path, "select source, doc_id, is_repeat from sources order by source")
    assert len(sources) == 7 and sum(r[2] for r in sources) == 1
    repeated = [r[1] for r in sources if "story1" in r[0] and ("wire" in r[0] or "mirror" in r[0])]
    assert len(repeated) == 2 and repeated[0] == repeated[1]  # one doc, two sources
    dups = _rows(
        db_path,
        """
        select split_part(a.source, '/in/', 2), split_part(b.source, '/in/', 2), d.relation
        from duplicates d
        join articles a on a.doc_id = d.doc_id join articles b on b.doc_id = d.duplicate_of
        order by 1
        """,
    )
    assert dups == [
        # the folded copy was read first (folders in name order): it names the document
        ("daily/story1.txt", "mirror/story1-copy.txt", "republished"),
        ("daily/story2-v2.txt", "daily/story2.txt", "duplicate"),
        ("herald/story2.txt", "daily/story2.txt", "exact"),
    ], dups
    uniq = _rows(
        db_path,
        """
        select split_part(source, '/in/', 2), n_copies, outlets, n_sources
        from unique_articles u join articles a using (doc_id) order by 1
        """,
    )
    assert uniq == [
        ("daily/story2.txt", 2, ["daily.example", "herald.example"], 3),
        ("herald/story3.txt", 0, ["herald.example"], 1),
        ("mirror/story1-copy.txt", 1, ["daily.example", "wire.example"], 3),
    ], uniq
    # what detection printed is what the views hold, and status says the same
    printed = int(re.search(r"syndication (\d+)", out).group(1))
    assert printed == _rows(db_path, "select count(*) from syndication")[0][0] == 3
    code, status, _ = cli("status", "--format", "json", "--db", db_path)
    counts = json.loads(status)["counts"]
    assert (counts["duplicates"], counts["unique_articles"], counts["repeated_inputs"]) == (3, 3, 1)
    # a second run over the same folder adds no source and no repeat
    code, out, _ = cli("run", db_path.parent / "in", "--db", db_path)
    assert code == 0 and "ingested 0" in out and "repeats 0" in out, out
    assert _rows(db_path, "select count(*) from sources")[0][0] == 7


def test_placeholder_outlets_in_two_folders_are_two_outlets(tmp_path):
    for folder, text in (("a", _stories()[0]), ("b", _stories()[1])):
        (tmp_path / "in" / folder).mkdir(parents=True)
        (tmp_path / "in" / folder / "article.txt").write_text(text)
    db_path = tmp_path / "news.duckdb"
    assert cli("run", tmp_path / "in", "--db", db_path)[0] == 0
    outlets = _rows(db_path, "select outlet, outlet_basis from articles order by source")
    assert len({o for o, _ in outlets}) == 2 and {b for _, b in outlets} == {"placeholder"}
    assert outlets[0][0] == "unknown:article" and outlets[1][0].startswith("unknown:article~")
    # the same file again keeps its outlet; another run of a third folder gets a third
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "article.txt").write_text(_stories()[2])
    assert cli("run", tmp_path / "in", tmp_path / "c", "--db", db_path)[0] == 0
    assert _rows(db_path, "select count(distinct outlet) from articles")[0][0] == 3


@pytest.mark.parametrize(
    "head",
    [
        '<link href="https://www.bbc.co.uk/news/x" rel="canonical">',
        "<link rel=canonical href=https://www.bbc.co.uk/news/x>",
        '<meta content="https://www.bbc.co.uk/news/x" property="og:url">',
        "<meta property='og:url' content='https://www.bbc.co.uk/news/x' />",
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
        '[{"@type": "NewsArticle", "url": "https://www.bbc.co.uk/news/x", '
        '"datePublished": "2024-03-05T07:30:00Z", "publisher": {"name": "BBC News"}}]}</script>',
    ],
    ids=["href-first", "unquoted", "content-first", "single-quotes", "json-ld"],
)
def test_markup_url_in_any_form(head):
    page = f"<html><head>{head}</head><body><p>text</p></body></html>".encode()
    assert page_meta(page).url == "https://www.bbc.co.uk/news/x"


def test_markup_site_name_and_dates():
    page = b"""<html><head>
      <meta content="The Herald" property="og:site_name">
      <meta content="2024-03-05T07:30:00+01:00" property="article:published_time">
    </head></html>"""
    meta = page_meta(page)
    assert meta.site_name == "The Herald" and meta.published == "2024-03-05T07:30:00+01:00"
    ld = b"""<script type=application/ld+json>[{"@type": ["NewsArticle"],
      "datePublished": "2023-11-02", "publisher": [{"@type": "Organization", "name": "Wire"}]}]
      </script>"""
    meta = page_meta(ld)
    assert meta.site_name == "Wire" and meta.published == "2023-11-02"


def test_a_page_over_200_kb_keeps_its_outlet_and_a_warc_page_keeps_its_own_date(tmp_path):
    story = " ".join(seed_sentences()[:6])
    big = article_html("Big page", [story]).replace(
        "<head>", "<head><script>" + "var x = 1;\n" * 30_000 + "</script>", 1
    )
    big = big.replace(
        "</head>",
        '<meta content="2024-02-01T06:00:00Z" property="article:published_time">'
        '<link href="https://www.example-news.com/a/big" rel="canonical"></head>',
    )
    assert len(big) > 300_000
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.html").write_text(big)
    dated = article_html("Dated", [" ".join(seed_sentences()[6:12])]).replace(
        "</head>",
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2019-06-01T12:00:00Z"}</script></head>',
    )
    plain = article_html("Undated", [" ".join(seed_sentences()[12:18])])
    write_warc(
        tmp_path / "in" / "crawl.warc.gz",
        [
            {
                "url": "https://www.herald.example/a/1",
                "html": dated,
                "date": "2020-01-05T10:00:00Z",
            },
            {
                "url": "https://www.herald.example/a/2",
                "html": plain,
                "date": "2020-01-06T10:00:00Z",
            },
        ],
    )
    db_path = tmp_path / "news.duckdb"
    code, _, err = cli("run", tmp_path / "in", "--db", db_path)
    assert code == 0, err
    rows = {
        r[0]: r[1:]
        for r in _rows(
            db_path,
            "select title, outlet, outlet_basis, url, published_at::varchar, published_basis "
            "from articles",
        )
    }
    assert rows["Big page"][:3] == ("example-news.com", "url", "https://www.example-news.com/a/big")
    assert rows["Big page"][3:] == ("2024-02-01 06:00:00", "markup")
    assert rows["Dated"][3:] == ("2019-06-01 12:00:00", "markup")  # not the crawl's 2020 date
    assert rows["Undated"][3:] == ("2020-01-06 10:00:00", "crawl")


def test_every_input_type_loads_and_other_types_are_sniffed_or_rejected(tmp_path):
    import gzip
    import subprocess
    import sys

    s = seed_sentences()
    texts = [" ".join(s[i * 4 : i * 4 + 4]) for i in range(8)]
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.html.gz").write_bytes(gzip.compress(article_html("A", [texts[0]]).encode()))
    (root / "b.htm.gz").write_bytes(gzip.compress(article_html("B", [texts[1]]).encode()))
    (root / "c.txt.gz").write_bytes(gzip.compress(texts[2].encode()))
    (root / "d.ndjson").write_text(json.dumps({"id": "d1", "text": texts[3]}) + "\n")
    (root / "e.json").write_text(
        json.dumps([{"id": "e1", "text": texts[4]}, {"id": "e2", "html": f"<p>{texts[5]}</p>"}])
    )
    (root / "page.php").write_text(article_html("F", [texts[6]]))  # HTML by content
    (root / "noext").write_text(article_html("G", [texts[7]]))
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(200))  # not an article
    db_path = tmp_path / "news.duckdb"
    code, out, err = cli("ingest", root, "--db", db_path)
    assert code == 3, err  # the photo is rejected, the rest went through
    assert "ingested 8" in out and "sniffed html 2" in out, out
    rejected = _rows(db_path, "select source, reason from rejected_inputs")
    assert len(rejected) == 1 and rejected[0][0].endswith("photo.jpg")
    assert rejected[0][1].startswith("unsupported type (.jpg)")
    formats = dict(_rows(db_path, "select split_part(source, '/in/', 2), format from documents"))
    assert formats["a.html.gz"] == formats["page.php"] == formats["noext"] == "html"
    assert formats["c.txt.gz"] == "txt" and formats["e.json#e2"] == "html"
    # --type forces a reader; '-' reads JSONL from standard input
    (tmp_path / "feed.dat").write_text(json.dumps({"id": "f1", "text": texts[0] + " More."}))
    code, out, err = cli("ingest", tmp_path / "feed.dat", "--type", "jsonl", "--db", db_path)
    assert code == 0 and "ingested 1" in out, err
    line = json.dumps({"id": "s1", "outlet": "stdin.example", "text": texts[1] + " Again."})
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", "-", "--db", db_path],
        input=line + "\n",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "ingested 1" in proc.stdout, proc.stderr
    assert _rows(db_path, "select source, outlet from documents where source like 'stdin%'") == [
        ("stdin#s1", "stdin.example")
    ]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_export_round_trips_every_public_view(dataset, tmp_path, fmt):
    from pipeline import db

    db_path, _ = dataset
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for view in db.VIEWS:
            out = tmp_path / f"{view}.{fmt}"
            code, msg, err = cli("export", view, "--format", fmt, "--out", out, "--db", db_path)
            assert code == 0, err
            want = con.sql(f"select count(*) from {view}").fetchall()[0][0]
            assert f"export: {want} rows of {view}" in msg
            reader = {"parquet": "read_parquet", "jsonl": "read_json", "csv": "read_csv"}[fmt]
            got = con.sql(f"select * from {reader}('{out}')")
            if fmt != "csv" and want:  # typed formats: the rows come back as they were
                back = sorted(map(repr, got.fetchall()))
                assert len(back) == want, view
                if fmt == "parquet":  # (128-bit sums come back as 64-bit: equal values)
                    assert back == sorted(map(repr, con.sql(f"select * from {view}").fetchall()))
            elif want:
                assert len(got.fetchall()) == want, view
    finally:
        con.close()
    if fmt == "csv":
        text = (tmp_path / "unique_articles.csv").read_text()
        assert '"[""daily.example"",""herald.example""]"' in text  # a list as JSON
    code, _, err = cli("export", "no_such_view", "--out", tmp_path / "x.parquet", "--db", db_path)
    assert code == 2 and "no view named 'no_such_view'" in err
