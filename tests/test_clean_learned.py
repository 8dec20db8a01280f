"""Learned outlet boilerplate, incrementally across batches; clean --redo; show."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipeline import boilerplate
from pipeline.clean import Cleaner
from pipeline.config import CleanConfig
from pipeline.extract import clean_document
from pipeline.linerules import apply_learned, strip_boilerplate

from .conftest import FIXTURES, cli
from .corpus import working

BRIEF = "Subscribe to the Daily Brief for the stories that matter on the coast every morning"

STORIES = [
    "The lifeboat crew was called out twice on Saturday to rescue walkers cut off by the tide "
    "below the cliffs. Both groups were brought back to the harbour safely, the station said.",
    "The harbour trust has approved a new pontoon for visiting yachts, which will add forty "
    "berths before the summer season. Work is due to start in April and take six weeks.",
    "A pod of dolphins was seen from the pier on Sunday afternoon, drawing crowds of onlookers. "
    "Marine wardens asked boat owners to keep their distance and slow down near the animals.",
    "The fish market will open an hour earlier from next month to meet demand from "
    "restaurants. Traders said the change would help them compete with larger ports nearby.",
    "Councillors have agreed to repaint the seafront shelters in their original colours after "
    "a campaign by residents. The work will be paid for by a heritage grant of forty thousand.",
]


def _write(folder: Path, name: str, story: str, extra: str = BRIEF) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(f"{story}\n\n{extra}\n", encoding="utf-8")


def _texts(db_path: Path, outlet: str) -> list[str]:
    con = duckdb.connect(str(working(db_path)), read_only=True)
    try:
        rows = con.execute(
            "select clean_text from articles where outlet = ? order by doc_seq", [outlet]
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _query(db_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(working(db_path)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_outlet_line_is_learned_across_batches_and_older_documents_are_redone(tmp_path, db_path):
    for i in range(2):
        _write(tmp_path / "b1", f"post{i}", STORIES[i])
    code, _, err = cli("run", tmp_path / "b1", "--outlet", "harbourpost.example", "--db", db_path)
    assert code == 0, err
    # two documents are not "several": the line stays
    assert all(BRIEF in t for t in _texts(db_path, "harbourpost.example"))
    first_run = _query(db_path, "select run_id from detected order by doc_seq")

    for i in range(2, 4):
        _write(tmp_path / "b2", f"post{i}", STORIES[i])
    code, out, err = cli("run", tmp_path / "b2", "--outlet", "harbourpost.example", "--db", db_path)
    assert code == 0, err
    assert "recleaned 2" in out
    texts = _texts(db_path, "harbourpost.example")
    assert len(texts) == 4
    for text, story in zip(texts, STORIES, strict=False):
        assert BRIEF not in text
        assert story in text
    learned = _query(
        db_path, "select kind, count(distinct doc_id) from removed_boilerplate group by 1"
    )
    assert ("learned", 4) in learned
    # detection of the first batch was invalidated and redone on the new clean text
    redone = _query(db_path, "select run_id from detected order by doc_seq")
    assert len(redone) == 4 and redone[:2] != first_run and redone[0] == redone[3]
    ends = _query(db_path, "select max(end_char) from passages group by doc_seq order by doc_seq")
    assert [e for (e,) in ends] == [len(t) for t in texts]

    # another outlet prints the same line: shared text is never boilerplate, so it comes back
    _write(tmp_path / "b3", "coast", STORIES[4])
    code, _, err = cli("run", tmp_path / "b3", "--outlet", "coastnews.example", "--db", db_path)
    assert code == 0, err
    assert all(BRIEF in t for t in _texts(db_path, "harbourpost.example"))
    assert _query(db_path, "select count(*) from learned_boilerplate")[0][0] == 0
    assert (
        _query(db_path, "select count(*) from removed_boilerplate where kind = 'learned'")[0][0]
        == 0
    )
    assert (
        _query(
            db_path,
            "select count(distinct outlet) from shared_passages where text like '%Daily Brief%'",
        )[0][0]
        == 2
    )


def test_unknown_outlets_never_learn(tmp_path, db_path):
    for i in range(4):
        _write(tmp_path / "in", f"page{i}", STORIES[i])
    code, _, err = cli("run", tmp_path / "in", "--db", db_path)
    assert code == 0, err
    assert _query(db_path, "select count(*) from learned_boilerplate")[0][0] == 0
    assert _query(db_path, "select count(distinct outlet) from articles")[0][0] == 4


def test_redo_recleans_everything_and_detect_recomputes(tmp_path, db_path):
    for i in range(3):
        _write(tmp_path / "in", f"post{i}", STORIES[i])
    assert cli("run", tmp_path / "in", "--outlet", "harbourpost.example", "--db", db_path)[0] == 0
    before = _query(db_path, "select doc_id, clean_text from articles order by doc_id")
    code, out, err = cli("clean", "--redo", "--db", db_path)
    assert code == 0, err
    assert "reset 3" in out and "cleaned 3" in out
    assert _query(db_path, "select doc_id, clean_text from articles order by doc_id") == before
    # cleaning never writes detection's tables: detection sees the new clean texts itself
    first = _query(db_path, "select doc_seq, detected_at from detected order by 1")
    assert len(first) == 3
    code, out, err = cli("detect", "--db", db_path)
    assert code == 0, err
    assert "redetected 3" in out and "documents 3" in out
    again = _query(db_path, "select doc_seq, detected_at from detected order by 1")
    assert [s for s, _ in again] == [s for s, _ in first]
    assert all(b > a for (_, a), (_, b) in zip(first, again, strict=True))


def test_show_prints_metadata_text_and_removed_spans(tmp_path, db_path):
    for i in range(3):
        _write(tmp_path / "in", f"post{i}", STORIES[i])
    assert cli("run", tmp_path / "in", "--outlet", "harbourpost.example", "--db", db_path)[0] == 0
    doc_id = _query(db_path, "select doc_id from articles order by doc_seq limit 1")[0][0]
    code, out, err = cli("show", doc_id[:8], "--db", db_path)
    assert code == 0, err
    assert "outlet:         harbourpost.example" in out
    assert STORIES[0] in out
    assert f"[learned] {BRIEF}" in out
    code, out, _ = cli("show", doc_id, "--format", "json", "--db", db_path)
    data = json.loads(out)
    assert data["doc_id"] == doc_id and data["removed"] == [{"family": "learned", "text": BRIEF}]
    code, _, err = cli("show", "ffffffffffff", "--db", db_path)
    assert code == 2 and "no document" in err and "Traceback" not in err


def test_learned_lines_never_take_most_of_a_document():
    result = strip_boilerplate(f"{STORIES[0]}\n{BRIEF}", title="Lifeboat")
    keys = frozenset(boilerplate.line_key(x) for x in (STORIES[0], BRIEF))
    assert apply_learned(result, keys, 0.5) == result  # a repeat of a story, not chrome
    only_brief = apply_learned(result, frozenset({boilerplate.line_key(BRIEF)}), 0.5)
    assert only_brief.text == STORIES[0]
    assert [r.kind for r in only_brief.removed] == ["learned"]


def test_process_pool_gives_the_serial_results():
    pages = sorted((FIXTURES / "clean").glob("*.html"))[:6]
    items = [(p.read_bytes(), "html", None, None, 10_000_000) for p in pages]
    with Cleaner(CleanConfig(workers=2, pool_min_docs=1)) as pooled:
        assert pooled.map(items) == [clean_document(*it) for it in items]


def test_learning_inside_one_run_requeues_earlier_batches(tmp_path, db_path, monkeypatch):
    monkeypatch.setenv("NEWSDEDUP_CLEAN_BATCH_DOCS", "2")
    for i in range(4):
        _write(tmp_path / "in", f"post{i}", STORIES[i])
    code, out, err = cli("run", tmp_path / "in", "--outlet", "harbourpost.example", "--db", db_path)
    assert code == 0, err
    assert "cleaned 6" in out and "recleaned 2" in out  # 4 new + the first batch again
    assert all(BRIEF not in t for t in _texts(db_path, "harbourpost.example"))
    assert _query(db_path, "select count(*) from detected")[0][0] == 4


SHARED_AB = (
    "The harbour master said the new rules on mooring fees would be reviewed at the end of "
    "the season after complaints from fishermen and visiting sailors alike"
)
QUOTE_B = (
    '"We have never seen a winter like it on this stretch of coast, and the sea wall will '
    'need work before the spring tides," the county engineer told the meeting'
)


def test_reclean_of_one_outlet_touches_only_its_rows_and_clusters(tmp_path, db_path):
    """Learning a line re-cleans two of harbourpost's documents: detection redoes exactly
    those (and nothing of the other outlet, whose documents are earlier), rebuilds only the
    clusters they are in, and ends where one run over everything ends."""
    from .corpus import snapshot

    _write(tmp_path / "b", "b0", f"{STORIES[4]} {SHARED_AB}. {QUOTE_B}.", extra="")
    _write(tmp_path / "b", "b1", f"{QUOTE_B}. The shelters reopen on Monday.", extra="")
    _write(tmp_path / "a1", "post0", f"{STORIES[0]} {SHARED_AB}.")
    _write(tmp_path / "a1", "post1", STORIES[1])
    for i in (2, 3):
        _write(tmp_path / "a2", f"post{i}", STORIES[i])

    assert cli("run", tmp_path / "b", "--outlet", "coastnews.example", "--db", db_path)[0] == 0
    assert cli("run", tmp_path / "a1", "--outlet", "harbourpost.example", "--db", db_path)[0] == 0
    coast = "(select doc_seq from articles where outlet = 'coastnews.example')"
    detected = f"select doc_seq, detected_at, run_id from detected where doc_seq in {coast}"
    occurrences = f"select * from occurrences where doc_seq in {coast} order by all"
    before = (_query(db_path, detected), _query(db_path, occurrences))
    b_pair = f"select * from doc_pairs where doc_a in {coast} and doc_b in {coast}"
    b_pairs = _query(db_path, b_pair)
    assert b_pairs and before[1]
    con = duckdb.connect(str(db_path), read_only=True)
    first_ab = con.execute(
        "select count(*) from shared_passages where text like 'The harbour master said%'"
    ).fetchall()
    con.close()
    assert first_ab == [(2,)]

    code, out, err = cli("run", tmp_path / "a2", "--outlet", "harbourpost.example", "--db", db_path)
    assert code == 0, err
    assert "recleaned 2" in out and "redetected 2" in out
    # the two re-cleaned and the two new documents; the other outlet's rows stay as they were
    assert "documents 4" in out
    assert (_query(db_path, detected), _query(db_path, occurrences)) == before
    assert _query(db_path, b_pair) == b_pairs

    # the same inputs ingested in the same order, cleaned and detected once
    once = tmp_path / "once.duckdb"
    for folder, outlet in (("b", "coastnews"), ("a1", "harbourpost"), ("a2", "harbourpost")):
        code, _, err = cli(
            "ingest", tmp_path / folder, "--outlet", f"{outlet}.example", "--db", once
        )
        assert code == 0, err
    code, out, err = cli("clean", "--db", once)
    assert code == 0 and "recleaned" not in out, err
    assert cli("detect", "--db", once)[0] == 0
    got, want = snapshot(db_path), snapshot(once)
    for name in ("cleaned", "doc_pairs", "alignments", "occurrences", "passages"):
        assert got[name] == want[name], name


def test_documents_cleaned_by_other_rules_are_counted_and_redone(tmp_path, db_path, caplog):
    from pipeline.clean import cleaner_version

    for i in range(2):
        _write(tmp_path / "in", f"post{i}", STORIES[i])
    assert cli("run", tmp_path / "in", "--outlet", "harbourpost.example", "--db", db_path)[0] == 0
    versions = _query(db_path, "select distinct cleaner_version from cleaned")
    assert versions == [(cleaner_version(),)] and "trafilatura-" in versions[0][0]
    for written in {working(db_path), db_path}:  # an older newsdedup wrote both files
        con = duckdb.connect(str(written))
        con.execute(
            "update cleaned set cleaner_version = '2' "
            "where doc_id = (select min(doc_id) from cleaned)"
        )
        con.close()
    code, out, _ = cli("status", "--format", "json", "--db", db_path)
    assert code == 0 and json.loads(out)["counts"]["cleaned_by_older_rules"] == 1
    code, out, err = cli("clean", "--db", db_path)
    assert code == 0 and "older rules 1" in out, out
    assert "'newsdedup clean --redo' re-cleans them" in caplog.text, err
    assert cli("clean", "--redo", "--db", db_path)[0] == 0
    code, out, _ = cli("status", "--format", "json", "--db", db_path)
    assert json.loads(out)["counts"]["cleaned_by_older_rules"] == 0
