"""JSONL and WARC inputs (built here with json and warcio), mixed folders, outlets per record."""

import json
from pathlib import Path

from pipeline import ingest, sources
from pipeline.config import Config
from pipeline.records import StageResult

from .conftest import cli
from .corpus import article_html, mixed_corpus, write_jsonl, write_warc

STORY = "The harbour wall was rebuilt after the winter storms, the council said on Tuesday."


def _docs(con):
    return con.sql(
        "select source, outlet, outlet_basis, url, title, published_at, format, raw "
        "from documents order by doc_seq"
    ).fetchall()


def test_format_of_knows_compound_endings():
    cases = {
        "a.jsonl.gz": "jsonl",
        "a.JSONL": "jsonl",
        "b.warc.gz": "warc",
        "c.warc": "warc",
        "d.htm": "html",
        "e.txt": "txt",
        "f.gz": None,
        "g.json": "json",  # an array of articles (a sidecar is told apart by its name)
        "h.ndjson.gz": "jsonl",
        "i.html.gz": "html",
        "j.txt.gz": "txt",
        "k.php": None,
        ".jsonl": None,
    }
    assert {n: sources.format_of(Path(n)) for n in cases} == cases


def test_jsonl_records_fields_sources_and_outlets(con, tmp_path):
    feed = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {
                "id": "a1",
                "text": STORY,
                "outlet": "Gazette",
                "title": "Wall",
                "published_at": "2020-02-09T08:00:00+01:00",
            },
            {"html": article_html("Wall", [STORY]), "url": "https://www.bbc.co.uk/news/wall"},
            "",
            {"text": STORY + " Second telling.\n\nsource: express.co.uk"},
            {"text": STORY + " Third telling."},
            {"text": STORY + " Fourth telling.", "title": "\ud800 lone surrogate"},
        ],
    )
    result = ingest.run(con, Config(), [feed])
    assert result.counts["ingested"] == 5 and not result.rejected
    rows = {r[0].split("#")[1]: r for r in _docs(con)}
    assert set(rows) == {"a1", "L2", "L4", "L5", "L6"}  # blank line 3 is not a record
    a1 = rows["a1"]
    assert a1[1:3] == ("Gazette", "metadata") and a1[4] == "Wall"
    assert str(a1[5]) == "2020-02-09 07:00:00" and a1[6] == "txt"
    assert a1[7] == STORY.encode()  # the article text, byte for byte
    assert rows["L2"][1:4] == ("bbc.co.uk", "url", "https://www.bbc.co.uk/news/wall")
    assert rows["L2"][6] == "html"
    assert rows["L4"][1:3] == ("express.co.uk", "trailer")
    # no outlet anywhere: a placeholder unique to each record, never merged
    assert rows["L5"][1:3] == ("unknown:feed#L5", "placeholder")
    assert rows["L6"][1] == "unknown:feed#L6"


def test_option_beats_record_field_and_file_metadata_is_a_default(con, tmp_path):
    feed = write_jsonl(
        tmp_path / "feed.jsonl.gz",
        [{"id": "x", "text": STORY, "outlet": "Record Outlet"}, {"id": "y", "text": STORY + " Y."}],
    )
    (tmp_path / "feed.jsonl.gz.json").write_text(json.dumps({"outlet": "File Outlet"}))
    ingest.run(con, Config(), [tmp_path])
    assert [r[1:3] for r in _docs(con)] == [
        ("Record Outlet", "metadata"),
        ("File Outlet", "metadata"),
    ]
    ingest.run(con, Config(), [feed], outlet="Forced")
    assert [r[1:3] for r in _docs(con)][2:] == [("Forced", "option"), ("Forced", "option")]


def test_warc_html_responses_become_documents_others_are_counted(con, tmp_path):
    pages = [
        {
            "url": "https://www.lemonde.fr/a",
            "html": article_html("A", [STORY]),
            "date": "2020-01-03T10:00:00Z",
        },
        {"url": "https://news.example.com/b", "html": article_html("B", [STORY + " B."])},
    ]
    for name in ("crawl.warc", "crawl2.warc.gz"):
        write_warc(tmp_path / name, pages)
    result = ingest.run(con, Config(), [tmp_path / "crawl.warc"])
    assert result.counts["ingested"] == 2 and not result.rejected
    for key in (
        "warc_warcinfo_skipped",
        "warc_request_skipped",
        "warc_non_2xx_skipped",
        "warc_non_html_skipped",
    ):
        assert result.counts[key] == 1, key
    docs = _docs(con)
    assert docs[0][0].endswith("crawl.warc#urn:uuid:00000000-0000-0000-0000-000000000000")
    assert docs[0][1:4] == ("lemonde.fr", "url", "https://www.lemonde.fr/a")
    assert str(docs[0][5]) == "2020-01-03 10:00:00" and docs[0][6] == "html"
    assert docs[0][7] == pages[0]["html"].encode()  # the HTTP payload, untouched
    # the same records gzipped: same documents (keyed by outlet + bytes), nothing new
    again = ingest.run(con, Config(), [tmp_path / "crawl2.warc.gz"])
    assert again.counts["records"] == 2 and again.counts["ingested"] == 0


def test_mixed_folder_runs_end_to_end_and_again_adds_nothing(tmp_path):
    corpus = mixed_corpus(tmp_path / "in", n_jsonl=6, n_warc=4)
    db = tmp_path / "news.duckdb"
    code, out, err = cli("run", corpus, "--db", db)
    assert code == 0, err
    assert "ingested 15" in out  # 5 seeds + 6 JSONL lines + 4 WARC pages
    assert "detect: documents 15" in out
    code, out, _ = cli("run", corpus, "--db", db)
    assert code == 0 and "ingested 0" in out and "clean: nothing to do" in out
    code, out, _ = cli("report", "articles", "--format", "json", "--db", db)
    formats = {Path(a["source"].split("#")[0]).name for a in json.loads(out)}
    assert {"feed.jsonl.gz", "crawl.warc.gz", "000_4a8cc2ebcedaeaab.txt"} <= formats


def test_help_lists_the_formats():
    for command in ("ingest", "run"):
        code, out, _ = cli(command, "--help")
        flat = " ".join(out.split())
        assert code == 0
        for ending in (".txt", ".html", ".jsonl", ".ndjson", ".json", ".warc", "gzipped (.gz)"):
            assert ending in flat, (command, ending)
        assert "'-' reads JSONL from standard input" in flat and "--type" in flat


def test_gunzip_is_capped_and_survives_a_bad_member():
    import gzip

    members = gzip.compress(b"one\n", mtime=0) + b"\x1f\x8b\x08garbage" + gzip.compress(b"two\n")
    data, problem = sources.gunzip_capped(members, 1000)
    assert data == b"one\ntwo\n" and "corrupt gzip data" in problem
    bomb = gzip.compress(b"\0" * 5_000_000)
    try:
        sources.gunzip_capped(bomb, 100_000)
    except sources.TooLarge as exc:
        assert "limit of 100000" in str(exc)
    else:
        raise AssertionError("a bomb must hit the cap")


def test_reader_yields_nothing_for_a_file_of_only_skipped_records(tmp_path):
    path = write_warc(tmp_path / "only.warc", [], extras=True)
    result = StageResult("ingest")
    assert list(sources.read_warc(path, path.read_bytes(), result, 10**6)) == []
    assert not result.rejected and sum(result.counts.values()) == 4
