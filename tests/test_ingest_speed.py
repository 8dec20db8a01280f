"""The ingest fast paths (manifest rows keyed without a stat per row, per-process caches of
manifests and folder listings, reads sized by stat) give what the Path.resolve() rules give."""

import json
import os
from pathlib import Path

import pytest

from pipeline import ingest, sources


def _reference_lookup(file: Path) -> dict:
    """The manifest rules spelled out: rows keyed by (manifest folder / file).resolve(),
    the manifests of the file's resolved folder and two above it, outermost first."""
    record: dict = {}
    resolved = file.resolve()
    for folder in reversed(resolved.parents[:3]):
        manifest = folder / "manifest.jsonl"
        if not manifest.is_file():
            continue
        for line in manifest.read_text().splitlines():
            row = json.loads(line)
            if (folder / row["file"]).resolve() == resolved:
                record.update(row)
    return record


def _write_manifest(folder: Path, rows: list[dict]) -> None:
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    top = tmp_path / "top"
    deep = top / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (top / "real").mkdir()
    (tmp_path / "elsewhere").mkdir()
    for path in (
        top / "t.txt",
        top / "target.txt",
        top / "a" / "a.txt",
        top / "a" / "b" / "b.txt",
        deep / "c.txt",
        top / "real" / "r.txt",
        tmp_path / "elsewhere" / "e.txt",
    ):
        path.write_text("A story about something that happened today.")
    (top / "link.txt").symlink_to(top / "target.txt")
    (top / "dir_link").symlink_to("real")
    (top / "a" / "e_link.txt").symlink_to(tmp_path / "elsewhere" / "e.txt")
    _write_manifest(
        top,
        [
            {"file": "t.txt", "outlet": "T"},
            {"file": "link.txt", "outlet": "Via link"},  # matches its target too
            {"file": "dir_link/r.txt", "outlet": "Via folder link"},
            {"file": "./a//a.txt", "outlet": "A from top"},
            {"file": "a/b/../b/b.txt", "title": "B from top"},
            {"file": "a/b/c/c.txt", "outlet": "three folders up: not read"},
        ],
    )
    _write_manifest(
        top / "a",
        [
            {"file": "a.txt", "title": "A's own"},
            {"file": "b/c/c.txt", "outlet": "C from a"},
            {"file": "e_link.txt", "outlet": "E via link"},
        ],
    )
    return tmp_path


def test_lookup_matches_the_resolve_rules(tree, monkeypatch):
    files = sorted(p for p in tree.rglob("*.txt")) + [tree / "top" / "dir_link" / "r.txt"]
    index = ingest.MetadataIndex()
    got = {p: index.lookup(p) for p in files}
    assert got == {p: _reference_lookup(p) for p in files}
    assert got[tree / "top" / "target.txt"]["outlet"] == "Via link"
    assert got[tree / "top" / "a" / "b" / "c" / "c.txt"]["outlet"] == "C from a"
    monkeypatch.chdir(tree / "top")  # relative paths resolve the same way
    index = ingest.MetadataIndex()
    for p in files:
        assert index.lookup(Path(os.path.relpath(p))) == got[p]


def test_manifest_cache_sees_changes(tree):
    a = tree / "top" / "a"
    (a / "x.txt").write_text("A story.")
    (a / "y.txt").write_text("Another story.")
    folder = os.path.realpath(a)
    _write_manifest(a, [{"file": "x.txt", "outlet": "X"}, {"file": "b/b.txt", "outlet": "B"}])
    assert ingest._manifest_rows(folder) is ingest._manifest_rows(folder)  # parsed once
    _write_manifest(a, [{"file": "x.txt", "outlet": "Changed"}, {"file": "b/b.txt"}])
    assert ingest.MetadataIndex().lookup(a / "x.txt")["outlet"] == "Changed"
    (a / "b" / "b.txt").rename(a / "b" / "b2.txt")
    (a / "b" / "b.txt").symlink_to("b2.txt")  # a row now names a symlink, one folder down
    assert ingest.MetadataIndex().lookup(a / "b" / "b2.txt")["file"] == "b/b.txt"
    (a / "x.txt").unlink()
    (a / "x.txt").symlink_to("y.txt")  # and one in the manifest's folder
    assert ingest.MetadataIndex().lookup(a / "y.txt")["outlet"] == "Changed"


def test_read_capped_reads_on_when_the_file_grew(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 100)
    assert sources.read_capped(path, 1000, size=10) == (b"x" * 100, None)
    with pytest.raises(sources.TooLarge):
        sources.read_capped(path, 50, size=10)
    assert sources.read_capped(path, 100) == (b"x" * 100, None)


def test_sidecar_added_later_is_seen(tmp_path):
    (tmp_path / "a.txt").write_text("A story.")
    assert ingest.MetadataIndex().lookup(tmp_path / "a.txt") == {}
    (tmp_path / "a.txt.json").write_text(json.dumps({"outlet": "Sidecar"}))
    assert ingest.MetadataIndex().lookup(tmp_path / "a.txt") == {"outlet": "Sidecar"}
