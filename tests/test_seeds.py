"""The seeds' acceptance: every text two seed articles share is one cluster holding all of
the seeds that carry it, and no story line of a seed is lost to the cleaner."""

from __future__ import annotations

import duckdb
import pytest

from .conftest import SEEDS

# text each shared passage holds -> the seed files (by prefix) that carry it
SHARED = {
    "sovereign decision to order our departure": {"000", "001", "002", "003", "004"},
    "no decision whatsoever to leave iraq": {"001", "003", "004"},
    "pay us back for it": {"000", "002"},
    "targeting certain usa assets": {"000", "004"},
}


def _clusters(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, set[str]]]:
    rows = con.sql(
        """
        select p.cluster_id, lower(string_agg(p.text, ' ')), list(a.source)
        from shared_passages as p inner join articles as a using (doc_id)
        group by p.cluster_id
        """
    ).fetchall()
    return {cid: (text, {s.rsplit("/", 1)[-1][:3] for s in sources}) for cid, text, sources in rows}


@pytest.mark.parametrize("phrase", list(SHARED))
def test_each_shared_text_is_one_cluster_with_all_its_seeds(seeds_con, phrase):
    clusters = _clusters(seeds_con)
    holding = [seeds for text, seeds in clusters.values() if phrase in " ".join(text.split())]
    assert SHARED[phrase] in holding, holding


def test_passage_pairs_pair_the_quote_cut_by_its_attribution(seeds_con):
    rows = seeds_con.sql(
        """
        select a.source, b.source, p.kind, p.is_quote
        from passage_pairs as p
        inner join articles as a on a.doc_id = p.doc_a
        inner join articles as b on b.doc_id = p.doc_b
        where p.lane = 'exact'
            and lower(substr(a.clean_text, p.start_a + 1, p.end_a - p.start_a))
                like '%no decision whatsoever to leave iraq%'
        """
    ).fetchall()
    pairs = {frozenset(s.rsplit("/", 1)[-1][:3] for s in (x, y)) for x, y, *_ in rows}
    assert pairs == {frozenset(p) for p in (("001", "003"), ("001", "004"), ("003", "004"))}
    assert all(is_quote for *_, is_quote in rows)


def test_the_article_quoted_under_a_forum_bullet_is_kept(seeds_con):
    (text,) = seeds_con.sql(
        "select clean_text from articles where source like '%001_f9c06b719d721d5a.txt'"
    ).fetchall()[0]
    raw = (SEEDS / "001_f9c06b719d721d5a.txt").read_text(encoding="utf-8")
    story = [ln.strip() for ln in raw.splitlines() if ln.startswith("    ") and ln.strip()]
    assert len(story) >= 8
    missing = [ln for ln in story if ln not in text]
    assert not missing, missing
    # the replies under it are still a comment thread
    assert "Fake news. The Pentagon just ordered" not in text
