import json
from pathlib import Path

from pipeline import ingest
from pipeline.config import Config

from .conftest import FIXTURES


def _docs(con):
    return con.sql(
        "select source, outlet, outlet_basis, url, title, published_at from documents order by doc_seq"
    ).fetchall()


def test_ingest_stores_raw_bytes_untouched(con, seeds):
    result = ingest.run(con, Config(), [seeds])
    assert result.counts["ingested"] == 5
    for source, raw in con.sql("select source, raw from documents").fetchall():
        assert Path(source).read_bytes() == raw


def test_outlet_from_trailer_and_placeholders_never_merge(con, seeds):
    ingest.run(con, Config(), [seeds])
    outlets = {Path(s).name: (o, b) for s, o, b, *_ in _docs(con)}
    assert outlets["004_3e3b104efa56922f.txt"] == ("express.co.uk", "trailer")
    placeholders = [o for o, b in outlets.values() if b == "placeholder"]
    assert len(placeholders) == 4 and len(set(placeholders)) == 4


def test_manifest_metadata_and_manifest_is_not_an_article(con):
    ingest.run(con, Config(), [FIXTURES / "syndication"])
    rows = {Path(r[0]).name: r for r in _docs(con)}
    assert set(rows) == {"wire.txt", "regional.txt"}
    wire = rows["wire.txt"]
    assert wire[1] == "Wire Service" and wire[2] == "metadata"
    assert wire[3] == "https://wire.example.com/storm-ciara"
    assert str(wire[5]) == "2020-02-09 08:00:00"
    assert str(rows["regional.txt"][5]) == "2020-02-09 10:30:00"  # +01:00 stored as UTC


def test_outlet_precedence_option_sidecar_url(con, tmp_path):
    (tmp_path / "a.txt").write_text("Some story text here about a thing that happened.")
    (tmp_path / "a.txt.json").write_text(json.dumps({"outlet": "Sidecar Times"}))
    (tmp_path / "b.txt").write_text("Another story text about another thing entirely.")
    (tmp_path / "b.txt.json").write_text(json.dumps({"url": "https://www.bbc.co.uk/news/x-1"}))
    ingest.run(con, Config(), [tmp_path])
    got = {Path(r[0]).name: (r[1], r[2]) for r in _docs(con)}
    assert got == {"a.txt": ("Sidecar Times", "metadata"), "b.txt": ("bbc.co.uk", "url")}
    (tmp_path / "c.txt").write_text("A third story text about yet another thing.")
    ingest.run(con, Config(), [tmp_path / "c.txt"], outlet="Forced Outlet")
    assert _docs(con)[-1][1:3] == ("Forced Outlet", "option")


def test_html_canonical_url_gives_outlet(con):
    ingest.run(con, Config(), [FIXTURES / "html" / "harbour.html"])
    assert _docs(con)[0][1:4] == (
        "example.co.uk",
        "url",
        "https://www.coastalgazette.example.co.uk/news/harbour-wall-rebuilt",
    )


def test_reingest_is_idempotent_and_missing_paths_are_rejected(con, seeds, tmp_path):
    ingest.run(con, Config(), [seeds])
    again = ingest.run(con, Config(), [seeds, tmp_path / "nope.txt"])
    assert again.counts["ingested"] == 0
    assert con.sql("select count(*) from documents").fetchall()[0][0] == 5
    assert [r.reason for r in again.rejected] == ["no such file or directory"]
    assert con.sql("select source, stage from rejected_inputs").fetchall() == [
        (str(tmp_path / "nope.txt"), "ingest")
    ]


def test_empty_and_oversized_inputs_are_rejected_and_kept(con, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    (tmp_path / "big.txt").write_bytes(b"x" * 2000)
    (tmp_path / "ok.txt").write_text("A perfectly ordinary story about the weather today.")
    from pipeline.config import CleanConfig

    cfg = Config(clean=CleanConfig(max_bytes=1000))
    result = ingest.run(con, cfg, [tmp_path])
    assert result.counts["ingested"] == 1
    reasons = dict(con.sql("select source, reason from rejected_inputs").fetchall())
    assert reasons[str(tmp_path / "empty.txt")] == "empty file"
    assert "over the limit" in reasons[str(tmp_path / "big.txt")]
    kept = con.sql(
        "select size_bytes, octet_length(raw) from rejected_inputs where reason <> 'empty file'"
    ).fetchall()
    assert kept == [(2000, 2000)]
