from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipeline import clean, db, detect, ingest
from pipeline.config import Config, DetectConfig
from pipeline.executor import Sized

from .conftest import FIXTURES, LETTER_SENTENCE, cli
from .corpus import working


def _pipeline(con, paths, cfg=None):
    cfg = cfg or Config()
    ingest.run(con, cfg, paths)
    clean.run(con, cfg)
    return detect.run(con, cfg)


def test_letter_cluster_spans_all_five_seeds(seeds_con):
    rows = seeds_con.sql(
        f"""
        select cluster_id, count(distinct doc_id)
        from shared_passages
        where text like '%{LETTER_SENTENCE}%'
        group by cluster_id
        """
    ).fetchall()
    assert any(n == 5 for _, n in rows), rows
    cluster_id = next(c for c, n in rows if n == 5)
    occ = seeds_con.sql(
        f"select doc_id, start_char, end_char, text from shared_passages where cluster_id = '{cluster_id}'"
    ).fetchall()
    texts = dict(seeds_con.sql("select doc_id, clean_text from articles").fetchall())
    for doc_id, start, end, text in occ:
        assert texts[doc_id][start:end] == text  # offsets point into clean_text
    n_docs = seeds_con.sql(
        f"select n_docs from reuse_clusters where cluster_id = '{cluster_id}'"
    ).fetchall()
    assert n_docs == [(5,)]


def test_no_seed_pair_is_syndication(seeds_con):
    assert seeds_con.sql("select count(*) from syndication").fetchall() == [(0,)]
    assert seeds_con.sql("select count(*) from doc_pairs where is_syndication").fetchall() == [(0,)]


def test_letter_quotes_are_marked_as_quotes(seeds_con):
    quoted = seeds_con.sql(
        f"""
        select outlet, is_quote from shared_passages
        where text like '{LETTER_SENTENCE}%' order by outlet
        """
    ).fetchall()
    assert sum(1 for _, q in quoted if q) >= 4  # seed 000 prints the letter as a block, unquoted


def test_syndicated_copy_with_different_boilerplate(con):
    _pipeline(con, [FIXTURES / "syndication"])
    rows = con.sql(
        "select outlet_a, outlet_b, jaccard, containment, earlier_doc, earlier_basis from syndication"
    ).fetchall()
    assert len(rows) == 1
    outlet_a, outlet_b, jac, cont, earlier, basis = rows[0]
    assert {outlet_a, outlet_b} == {"Wire Service", "Northern Echo Example"}
    assert jac > 0.85 and cont > 0.9
    wire_id = con.sql("select doc_id from articles where outlet = 'Wire Service'").fetchall()[0][0]
    assert earlier == wire_id and basis == "published_at"
    copying = con.sql("select source_outlet, target_outlet from copying").fetchall()
    assert copying == [("Wire Service", "Northern Echo Example")]


def test_wire_story_inside_longer_article_is_containment(con, tmp_path):
    wire = (FIXTURES / "syndication" / "wire.txt").read_text()
    import random

    rng = random.Random(5)
    vocab = (
        "council village hall road repairs fete crowd school bus route market square "
        "library budget mayor residents meeting plan park bridge river farm church"
    ).split()
    local = "\n\n".join(" ".join(rng.choice(vocab) for _ in range(40)) + "." for _ in range(20))
    (tmp_path / "wire.txt").write_text(wire)
    (tmp_path / "local.txt").write_text(local + "\n\n" + wire.split("\n", 2)[2])
    _pipeline(con, [tmp_path / "wire.txt"])
    _pipeline(con, [tmp_path / "local.txt"])  # a second batch, checked against the store
    rows = con.sql("select jaccard, containment from syndication").fetchall()
    assert len(rows) == 1 and rows[0][1] > 0.9 and rows[0][0] < 0.5


def test_reordered_paragraphs_are_found(con):
    _pipeline(con, [FIXTURES / "reordered"])
    n = con.sql("select count(distinct cluster_id) from shared_passages").fetchall()[0][0]
    assert n == 4  # four shared paragraphs, in a different order in each article
    words = con.sql("select min(n_words) from shared_passages").fetchall()[0][0]
    assert words >= 8


def test_incremental_batches_equal_one_batch(tmp_path, seeds):
    one = db.connect(tmp_path / "one.duckdb")
    _pipeline(one, [seeds])
    two = db.connect(tmp_path / "two.duckdb")
    files = sorted(seeds.glob("*.txt"))
    _pipeline(two, files[:2])
    _pipeline(two, files[2:])
    q = "select doc_id, start_char, end_char, is_quote from shared_passages order by all"
    assert one.sql(q).fetchall() == two.sql(q).fetchall()
    q = "select n_docs, first_doc_id, kind from reuse_clusters order by all"
    assert one.sql(q).fetchall() == two.sql(q).fetchall()


def test_rerun_changes_nothing(con, seeds):
    _pipeline(con, [seeds])
    tables = [
        "documents",
        "cleaned",
        "removed_spans",
        "passages",
        "passage_bands",
        "doc_bands",
        "doc_pairs",
        "alignments",
        "occurrences",
    ]
    before = {t: con.sql(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
    result = _pipeline(con, [seeds])
    after = {t: con.sql(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
    assert before == after
    assert result.counts == {}


def test_parameters_are_recorded_and_mixing_is_refused(con, seeds):
    _pipeline(con, [seeds])
    params = con.sql(
        "select num_perm, seed, scheme, datasketch_version from detect_params"
    ).fetchall()
    assert params == [(64, 1, "affine32", "2.0.0")]
    other = Config(detect=DetectConfig(num_perm=128))
    with pytest.raises(Exception, match="made with other parameters"):
        detect.run(con, other)
    # a threshold changes the stored pairs as much as a band layout does
    with pytest.raises(Exception, match="made with other parameters"):
        detect.run(con, Config(detect=DetectConfig(word_overlap=0.5)))
    # the operational settings do not
    detect.run(con, Config(detect=DetectConfig(batch_docs=2, workers=1)))


def test_changed_parameters_after_an_interrupted_run_are_refused(tmp_path, seeds, monkeypatch):
    """A run killed after its bands were stored (signatures, no `detected` rows) and re-run
    with other parameters is refused with one line, and `detect --redo` recomputes."""
    db_path = tmp_path / "news.duckdb"
    assert cli("ingest", seeds, "--db", db_path)[0] == 0
    assert cli("clean", "--db", db_path)[0] == 0
    con = db.connect(working(db_path))
    cfg = Config()
    seqs = [r[0] for r in con.execute("select doc_seq from documents").fetchall()]
    detect._store_sketches(  # what a run killed after step (1) leaves
        con,
        seqs,
        cfg.detect,
        detect.ensure_params(con, cfg.detect),
        Sized(None, cfg.detect.workers, cfg.detect.pool_min_docs),
        detect.StageResult("detect"),
    )
    assert con.execute("select count(*) from detected").fetchall() == [(0,)]
    con.close()
    monkeypatch.setenv("NEWSDEDUP_DETECT_PASSAGE_ROWS", "3")
    code, out, err = cli("detect", "--db", db_path)
    assert code != 0 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "made with other parameters" in lines[0], err
    assert "detect --redo" in lines[0] and "Traceback" not in err
    code, out, err = cli("detect", "--redo", "--db", db_path)
    assert code == 0, err
    assert "reset 5" in out and "documents 5" in out


def test_hot_bucket_links_each_document_to_a_bounded_number_of_partners(con, tmp_path):
    text = "The same short wire brief repeated by every outlet in the country today, word for word."
    for i in range(40):
        (tmp_path / f"copy{i:02d}.txt").write_text(text)
    cfg = Config(detect=DetectConfig(max_partners=3))
    _pipeline(con, [tmp_path], cfg)
    per_doc = con.sql(
        "select max(n) from (select doc_b, count(*) n from doc_pairs group by doc_b)"
    ).fetchall()
    assert per_doc[0][0] <= 3
    assert con.sql(
        "select count(distinct cluster_id), max(n_docs) from reuse_clusters"
    ).fetchall() == [(1, 40)]


def test_cli_run_twice_is_idempotent(seeds, db_path):
    assert cli("run", seeds, "--db", db_path)[0] == 0
    code, out, _ = cli("run", seeds, "--db", db_path)
    assert code == 0 and "ingested 0" in out
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.sql("select count(*) from documents").fetchall() == [(5,)]
    assert Path(con.sql("select source from documents limit 1").fetchall()[0][0]).exists()
    con.close()


def test_incremental_cluster_rebuild_equals_full_rebuild(con, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from gen_corpus import generate, write

    from pipeline import cluster

    corpus = generate(n_stories=40, seed=3)
    half = len(corpus.docs) // 2
    first, second = corpus.docs[:half], corpus.docs[half:]
    write(type(corpus)(first, set()), tmp_path / "one")
    write(type(corpus)(second, set()), tmp_path / "two")
    _pipeline(con, [tmp_path / "one"])
    result = _pipeline(con, [tmp_path / "two"])  # only the clusters the batch touches
    assert 0 < result.counts["clusters"]
    q = "select doc_seq, start_char, end_char, cluster_id, is_quote from occurrences order by all"
    incremental = con.sql(q).fetchall()
    cluster.rebuild(con)
    assert con.sql(q).fetchall() == incremental
    total = con.sql("select count(distinct cluster_id) from occurrences").fetchall()[0][0]
    assert result.counts["clusters"] < total
    # dropping documents' spans splits clusters: rebuilt where they met, still a full rebuild's
    busy = con.sql(
        "select doc_a from alignments group by 1 order by count(*) desc, 1 limit 2"
    ).fetchall()
    with db.transaction(con):
        detect.forget(con, [d for (d,) in busy])
    after = con.sql(q).fetchall()
    assert after != incremental
    cluster.rebuild(con)
    assert con.sql(q).fetchall() == after


def test_explain_shows_scores_and_spans_side_by_side(seeds_db, seeds_con):
    ids = [r[0] for r in seeds_con.sql("select doc_id from articles order by doc_seq").fetchall()]
    code, out, err = cli("explain", ids[0][:8], ids[1], "--db", seeds_db)
    assert code == 0, err
    assert "jaccard" in out and "containment" in out and "via" in out
    assert "departure" in out and " | " in out
    assert "quote" in out or "prose" in out
    code, out, _ = cli("explain", ids[0], ids[1], "--format", "json", "--db", seeds_db)
    import json

    data = json.loads(out)
    assert data["spans"] and not data["is_syndication"]
    texts = dict(seeds_con.sql("select doc_id, clean_text from articles").fetchall())
    for s in data["spans"]:  # offsets index clean_text; marks are quote or prose
        assert texts[data["a"]["doc_id"]][s["a_start"] : s["a_end"]] == s["a_text"]
        assert texts[data["b"]["doc_id"]][s["b_start"] : s["b_end"]] == s["b_text"]
        assert {s["a_kind"], s["b_kind"]} <= {"quote", "prose"}


def test_explain_unknown_document_is_one_line_error(seeds_db):
    code, out, err = cli("explain", "ffffffffffff", "0000", "--db", seeds_db)
    assert code == 2 and err.count("\n") == 1 and "no cleaned document" in err


def test_process_pool_sketching_equals_in_process(tmp_path, seeds):
    q = "select doc_seq, passage_no, band_id, band_hash from passage_bands order by all"
    out = []
    for workers, name in ((1, "serial"), (2, "pool")):
        con = db.connect(tmp_path / f"{name}.duckdb")
        cfg = Config(detect=DetectConfig(workers=workers, pool_min_docs=1))
        _pipeline(con, [seeds], cfg)
        out.append(
            (con.sql(q).fetchall(), con.sql("select * from occurrences order by all").fetchall())
        )
        con.close()
    assert out[0] == out[1] and out[0][0]


def test_redetecting_documents_amid_detected_ones_equals_one_run(tmp_path):
    """Documents invalidated in the middle of the store (as a newly learned boilerplate
    line does) are detected again, and so are the later documents paired with them, with
    the general band join (their doc_seq range holds detected documents too): the result
    equals a store that ran once."""
    from .corpus import mixed_corpus, snapshot

    corpus = mixed_corpus(tmp_path / "in", n_jsonl=12, n_warc=6)
    cfg = Config(detect=DetectConfig(batch_docs=7))
    once = tmp_path / "once.duckdb"
    con = db.connect(once)
    _pipeline(con, [corpus], cfg)
    con.close()
    twice = tmp_path / "twice.duckdb"
    con = db.connect(twice)
    _pipeline(con, [corpus], cfg)
    seqs = [r[0] for r in con.execute("select doc_seq from detected order by 1").fetchall()]
    middle = seqs[len(seqs) // 3 : len(seqs) // 3 + 3] + seqs[-2:]
    ids = [
        r[0]
        for r in con.execute(
            "select doc_id from documents where doc_seq in (select unnest(?))", [middle]
        ).fetchall()
    ]
    with db.transaction(con):
        assert clean.invalidate(con, ids) > 0
    clean.run(con, cfg)
    result = detect.run(con, cfg)
    con.close()
    # the invalidated documents and the later ones they were paired with
    assert result.counts["documents"] > len(middle)
    got, want = snapshot(twice), snapshot(once)
    for name in ("doc_pairs", "alignments", "occurrences", "passage_bands"):
        assert got[name] == want[name], name


def test_relation_tells_duplicates_republications_and_updates_apart():
    from pipeline.detect import relation

    assert relation(0.95, 0.97, 0.98, 0.99) == "duplicate"
    assert relation(0.6, 0.9, 0.95, 0.7) == "republished"  # a copy with a local intro
    assert relation(0.4, 0.6, 0.62, 0.55) == "partial"  # a story and its update


def _stock_phrase_corpus(folder: Path, n: int) -> None:
    """n articles of unrelated words, each carrying one shared 14-word sentence."""
    import random

    rng = random.Random(5)
    vocab = [f"w{i}x{'abcdefgh'[i % 8]}" for i in range(3000)]
    stock = "The ministry said in a statement on Monday that it would review the figures."
    for i in range(n):
        before = " ".join(rng.choice(vocab) for _ in range(60))
        after = " ".join(rng.choice(vocab) for _ in range(60))
        (folder / f"story{i:02d}.txt").write_text(f"{before}.\n\n{stock}\n\n{after}.\n")


def _paired_docs(con) -> set[int]:
    return {d for pair in con.sql("select doc_a, doc_b from doc_pairs").fetchall() for d in pair}


def test_a_stock_phrase_links_only_the_first_documents_of_its_buckets(tmp_path):
    """A bucket past exact_max_bucket (word_max_bucket) earlier documents is a stock phrase:
    later documents are not linked through it, whatever the batches."""
    _stock_phrase_corpus(tmp_path, 12)
    capped = DetectConfig(exact_max_bucket=2, exact_common_hits=17, word_max_bucket=2)
    open_ = DetectConfig(exact_max_bucket=10**6, word_max_bucket=10**6)
    seen = {}
    for name, dcfg in (("capped", capped), ("open", open_)):
        con = db.connect(tmp_path / f"{name}.duckdb")
        _pipeline(con, [tmp_path], Config(detect=dcfg))
        order = [r[0] for r in con.sql("select doc_seq from documents order by 1").fetchall()]
        seen[name] = (_paired_docs(con), order)
        con.close()
    paired, order = seen["capped"]
    assert paired and paired <= set(order[:3])  # ranks 1-3: the bucket's first members
    paired, order = seen["open"]
    assert set(order[3:]) & paired  # without the caps the later ones are linked too


def test_a_later_document_stores_no_rows_in_a_common_word_bucket(tmp_path):
    """Once a word-lane bucket holds its word_max_bucket + 1 earliest documents, a later
    document's row in it would link nothing: it is not stored, and the pairs found are the
    same as in one run over everything."""
    _stock_phrase_corpus(tmp_path, 12)
    files = sorted(tmp_path.glob("*.txt"))
    cfg = Config(detect=DetectConfig(exact_max_bucket=2, exact_common_hits=17, word_max_bucket=2))
    one = db.connect(tmp_path / "one.duckdb")
    _pipeline(one, files, cfg)
    two = db.connect(tmp_path / "two.duckdb")
    _pipeline(two, files[:6], cfg)
    common = two.sql("select count(*) from common_word_buckets").fetchall()[0][0]
    assert common >= cfg.detect.word_bands  # the stock sentence's word keys, at least
    stored = two.sql("select count(*) from passage_bands").fetchall()[0][0]
    _pipeline(two, files[6:], cfg)
    added = two.sql("select count(*) from passage_bands").fetchall()[0][0] - stored
    half = one.sql("select count(*) from passage_bands").fetchall()[0][0] - stored
    assert added <= half - 6 * cfg.detect.word_bands  # not one stock-sentence word row
    pairs = "select doc_a, doc_b, n_spans from doc_pairs order by all"
    assert two.sql(pairs).fetchall() == one.sql(pairs).fetchall()
    one.close()
    two.close()


def test_verify_asks_for_document_shares_only_where_one_small_pair_is_all_the_evidence():
    from pipeline.records import PassageEdge

    cfg = DetectConfig()
    edges = [
        PassageEdge(10, 0, 1, 0, True, shared=5),  # an 8-word run: verified as it is
        PassageEdge(11, 0, 2, 0, True, shared=2),  # one short run: needs its documents
        PassageEdge(12, 0, 3, 0, True, shared=2),  # two short runs: verified
        PassageEdge(12, 1, 3, 4, True, shared=3),
        PassageEdge(13, 0, 4, 0, False, word_shared=5),  # one small word pair: needs them
        PassageEdge(14, 0, 5, 0, False, word_shared=6),  # six stems: verified
        PassageEdge(15, 0, 6, 0, True),  # bands only, no shared set: nothing
    ]
    asked = []

    def shares(pairs, column, share):
        asked.append((column, pairs))
        return {(2, 11)} if column == "shingles" else set()

    verified = detect.verify(detect.pair_evidence(edges, cfg), [(16, 7)], cfg, shares)
    assert asked == [("stems", [(4, 13)]), ("shingles", [(2, 11)])]
    assert verified == {
        (1, 10): {"passage"},
        (2, 11): {"passage"},
        (3, 12): {"passage"},
        (5, 14): {"words"},
        (7, 16): {"doc"},
    }
    assert (4, 13) not in verified and (6, 15) not in verified


@pytest.mark.parametrize("docs_at_once", [4096, 2, 1])
def test_document_shares_count_distinct_members_whatever_order_passages_come_in(
    monkeypatch, docs_at_once
):
    # passages of one document repeat members and arrive interleaved with other
    # documents' (as a scan of a large store returns them); the documents are read a few
    # at a time
    monkeypatch.setattr(detect, "_DOCS_AT_ONCE", docs_at_once)
    con = duckdb.connect()
    con.execute("create table passages (doc_seq bigint, stems uinteger[], shingles uinteger[])")
    rows = [
        (1, [1, 2, 3], [10, 11]),
        (2, [3, 4], [11, 12]),
        (1, [3, 5, 1], None),
        (3, [7], [4_000_000_000]),
        (2, [5, 1, 4], [10]),
        (3, [8, 9], [4_000_000_000, 13]),
    ]
    con.executemany("insert into passages values (?, ?, ?)", rows)
    sets = {1: {1, 2, 3, 5}, 2: {1, 3, 4, 5}, 3: {7, 8, 9}}
    pairs = [(1, 2), (1, 3), (2, 3)]
    assert detect._doc_shares(con, [(1, 4)], "stems", 0.1) == set()  # 4 holds no passage
    for share in (0.5, 0.75, 1.0):
        expected = {
            (a, b)
            for a, b in pairs
            if len(sets[a] & sets[b]) >= share * min(len(sets[a]), len(sets[b]))
        }
        assert detect._doc_shares(con, pairs, "stems", share) == expected
    # shingles: 1 {10, 11}, 2 {10, 11, 12}, 3 {4e9, 13}
    assert detect._doc_shares(con, pairs, "shingles", 1.0) == {(1, 2)}
    assert detect._doc_shares(con, [(2, 3)], "shingles", 0.1) == set()


def test_members_in_common_of_two_sorted_sets():
    rng = np.random.default_rng(5)
    for n, m in ((0, 0), (0, 4), (1, 1), (30, 7), (300, 500)):
        x = np.unique(rng.integers(0, 400, n)).astype(np.uint32)
        y = np.unique(rng.integers(0, 400, m)).astype(np.uint32)
        assert detect._n_common(x, y) == len(np.intersect1d(x, y)) == detect._n_common(y, x)


def test_distinct_members_of_rows_in_any_order_taken_part_by_part(monkeypatch):
    rng = np.random.default_rng(2)
    monkeypatch.setattr(detect, "_MEMBERS_AT_ONCE", 7)  # many parts, owners never split
    owners = rng.integers(0, 12, 80)
    counts = rng.integers(0, 9, 80)
    flat = rng.integers(0, 60, int(counts.sum())).astype(np.uint32)
    sets = detect._distinct_members(owners, counts, flat, 14)  # owners 12, 13 hold no rows
    offsets = np.concatenate(([0], np.cumsum(counts)))
    assert len(sets) == 14
    for owner in range(14):
        rows = [flat[offsets[r] : offsets[r + 1]] for r in np.flatnonzero(owners == owner)]
        expected = np.unique(np.concatenate(rows)) if rows else np.empty(0, np.uint32)
        assert np.array_equal(sets[owner], expected), owner
