import pytest

from pipeline import db

KEYS = {
    "articles": ["doc_id"],
    "document_order": ["doc_id"],
    "passage_pairs": ["doc_a", "doc_b", "lane", "start_a", "start_b"],
    "shared_passages": ["cluster_id", "doc_id", "start_char"],
    "reuse_clusters": ["cluster_id"],
    "syndication": ["doc_a", "doc_b"],
    "copying": ["source_outlet", "target_outlet"],
    "outlet_originality": ["outlet"],
    "removed_boilerplate": ["doc_id", "span_no"],
    "stage_counts": ["ingested"],
    "recent_runs": ["run_id"],
    "sources": ["source", "doc_id"],
    "duplicates": ["doc_id"],
    "unique_articles": ["doc_id"],
}

COLUMNS = {
    "articles": [
        "doc_id",
        "source",
        "outlet",
        "url",
        "title",
        "published_at",
        "clean_text",
        "n_words",
    ],
    "document_order": [
        "doc_id",
        "doc_seq",
        "published_at",
        "ingested_at",
        "first_seen",
        "dated",
        "order_rank",
    ],
    "passage_pairs": [
        "doc_a",
        "doc_b",
        "outlet_a",
        "outlet_b",
        "start_a",
        "end_a",
        "start_b",
        "end_b",
        "n_words",
        "similarity",
        "kind",
        "is_quote",
        "earlier_doc",
        "earlier_basis",
    ],
    "shared_passages": [
        "cluster_id",
        "doc_id",
        "outlet",
        "published_at",
        "start_char",
        "end_char",
        "text",
        "is_quote",
        "is_first",
    ],
    "reuse_clusters": [
        "cluster_id",
        "n_docs",
        "n_outlets",
        "outlets",
        "first_doc_id",
        "first_outlet",
        "first_seen",
        "first_seen_basis",
        "kind",
        "text",
    ],
    "syndication": [
        "doc_a",
        "doc_b",
        "outlet_a",
        "outlet_b",
        "jaccard",
        "containment",
        "coverage",
        "relation",
        "earlier_doc",
    ],
    "copying": [
        "source_outlet",
        "target_outlet",
        "n_docs",
        "n_passages",
        "shared_words",
        "quote_words",
        "prose_words",
    ],
    "outlet_originality": ["outlet", "n_docs", "n_words", "shared_words", "original_share"],
    "removed_boilerplate": ["doc_id", "outlet", "kind", "text"],
    "stage_counts": [
        "ingested",
        "cleaned",
        "detected",
        "rejected",
        "awaiting_clean",
        "awaiting_detect",
        "clusters",
        "syndicated_pairs",
    ],
    "recent_runs": ["run_id", "command", "status", "started_at", "finished_at", "counts", "error"],
    "sources": ["source", "doc_id", "outlet", "run_id", "ingested_at", "is_repeat"],
    "duplicates": ["doc_id", "duplicate_of", "relation", "similarity"],
    "unique_articles": [
        "doc_id",
        "outlet",
        "title",
        "url",
        "published_at",
        "n_words",
        "n_copies",
        "outlets",
    ],
}


def test_every_view_is_tested():
    assert set(KEYS) == set(db.VIEWS) == set(COLUMNS)


@pytest.mark.parametrize("view", db.VIEWS)
def test_view_columns_and_unique_not_null_key(seeds_con, view):
    cols = [d[0] for d in seeds_con.execute(f"select * from {view} limit 0").description]
    assert cols[: len(COLUMNS[view])] == COLUMNS[view]
    key = ", ".join(KEYS[view])
    total, distinct, nulls = seeds_con.sql(
        f"""
        select count(*), count(distinct ({key})),
               count(*) filter (where {" or ".join(f"{k} is null" for k in KEYS[view])})
        from {view}
        """
    ).fetchall()[0]
    assert total == distinct and nulls == 0


@pytest.mark.parametrize(
    "view",
    [
        "articles",
        "document_order",
        "shared_passages",
        "reuse_clusters",
        "copying",
        "outlet_originality",
        "removed_boilerplate",
        "stage_counts",
        "recent_runs",
    ],
)
def test_views_have_rows_on_the_seeds(seeds_con, view):
    assert seeds_con.sql(f"select count(*) from {view}").fetchall()[0][0] > 0


def test_copying_and_originality_add_up(seeds_con):
    shared = seeds_con.sql("select sum(shared_words) from outlet_originality").fetchall()[0][0]
    passages = seeds_con.sql(
        "select sum(n_words) from shared_passages where not is_first"
    ).fetchall()[0][0]
    assert shared == passages
    bad = seeds_con.sql(
        "select count(*) from copying where quote_words + prose_words <> shared_words"
    ).fetchall()[0][0]
    assert bad == 0
    firsts = seeds_con.sql(
        "select count(*) from (select cluster_id from shared_passages where is_first group by 1 having count(*) <> 1)"
    ).fetchall()[0][0]
    assert firsts == 0
