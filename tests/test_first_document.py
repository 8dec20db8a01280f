"""One rule for "who was first": every view and `explain` name the same first document and
basis when dated and undated articles mix (pipeline view document_order)."""

import json

from pipeline import explain
from pipeline.config import Config

from .conftest import FIXTURES, cli

INTROS = {
    "Alpha Daily": "From our correspondents.",
    "Beta Times": "Reporting by the Beta desk.",
    "Gamma Post": "A Gamma Post report.",
}


def _store(tmp_path, dates):
    wire = (FIXTURES / "syndication" / "wire.txt").read_text(encoding="utf-8")
    lines = [
        json.dumps({"outlet": outlet, "text": f"{intro}\n\n{wire}", "published_at": date})
        for (outlet, intro), date in zip(INTROS.items(), dates, strict=True)
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db_path = tmp_path / "news.duckdb"
    code, _, err = cli("run", src, "--db", db_path)
    assert code == 0, err
    return db_path


def test_views_and_explain_agree_on_the_first_document(tmp_path):
    import duckdb

    # ingested in this order; Alpha is undated (its time is when it was ingested: today),
    # so the dated Beta (2020) came first, then Gamma (2021), then Alpha
    db_path = _store(tmp_path, [None, "2020-03-01T10:00:00Z", "2021-05-01T10:00:00Z"])
    con = duckdb.connect(str(db_path), read_only=True)
    ids = dict(con.sql("select outlet, doc_id from articles").fetchall())
    order = [
        r[0] for r in con.sql("select doc_id from document_order order by order_rank").fetchall()
    ]
    assert order == [ids["Beta Times"], ids["Gamma Post"], ids["Alpha Daily"]]

    expected = {
        frozenset({"Alpha Daily", "Beta Times"}): ("Beta Times", "published_at+ingest_order"),
        frozenset({"Alpha Daily", "Gamma Post"}): ("Gamma Post", "published_at+ingest_order"),
        frozenset({"Beta Times", "Gamma Post"}): ("Beta Times", "published_at"),
    }
    outlet_of = {v: k for k, v in ids.items()}
    for view in ("syndication", "passage_pairs"):
        rows = con.sql(
            f"select distinct outlet_a, outlet_b, earlier_doc, earlier_basis from {view}"
        ).fetchall()
        assert {frozenset(r[:2]) for r in rows} == set(expected), view
        for a, b, earlier, basis in rows:
            assert (outlet_of[earlier], basis) == expected[frozenset({a, b})], view
    for pair, (first, basis) in expected.items():
        a, b = sorted(pair)
        ex = explain.explain(con, ids[a], ids[b], Config().detect)
        assert (outlet_of[ex.earlier_doc], ex.earlier_basis) == (first, basis)

    # the shared text's clusters: the first occurrence is Beta's, everywhere
    firsts = con.sql("select distinct outlet from shared_passages where is_first").fetchall()
    assert firsts == [("Beta Times",)]
    clusters = con.sql(
        "select distinct first_outlet, first_seen_basis from reuse_clusters"
    ).fetchall()
    assert clusters == [("Beta Times", "published_at+ingest_order")]
    sources = con.sql("select distinct source_outlet from copying").fetchall()
    assert sources == [("Beta Times",)]


def test_undated_articles_go_by_ingest_order(tmp_path):
    import duckdb

    db_path = _store(tmp_path, [None, None, None])
    con = duckdb.connect(str(db_path), read_only=True)
    alpha = con.sql("select doc_id from articles where outlet = 'Alpha Daily'").fetchall()[0][0]
    rows = con.sql("select distinct earlier_doc, earlier_basis from syndication").fetchall()
    assert (alpha, "ingest_order") in rows
    assert con.sql(
        "select distinct first_outlet, first_seen_basis from reuse_clusters"
    ).fetchall() == [("Alpha Daily", "ingest_order")]
