"""Builders for test inputs: JSONL and WARC files written by the tests, and a bad-input corpus."""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import zlib
from pathlib import Path

import duckdb
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .conftest import SEEDS


def seed_sentences() -> list[str]:
    """Real sentences from the seed articles, for realistic reuse between test documents."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [s for s in sentences if 8 <= len(s.split()) <= 40]


def article_html(title: str, paragraphs: list[str], url: str | None = None) -> str:
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{canonical}"
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}"
        f"</article><footer>Copyright 2020</footer></body></html>"
    )


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    """Rows as JSON lines (a str row is written as is, to make malformed lines)."""
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def warc_response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    date: str = "2020-01-05T10:00:00Z",
    status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8",
    record_id: str | None = None,
):
    http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    headers = {"WARC-Date": date}
    if record_id:
        headers["WARC-Record-ID"] = f"<urn:uuid:{record_id}>"
    return writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=headers
    )


def write_warc(path: Path, pages: list[dict], extras: bool = True) -> Path:
    """A WARC (gzipped per record if the name ends .gz) with one response per page, plus a
    warcinfo, a request, a 404 page and an image when `extras` (records to skip)."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        if extras:
            writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for i, page in enumerate(pages):
            writer.write_record(
                warc_response(
                    writer,
                    page["url"],
                    page["html"].encode("utf-8"),
                    page.get("date", "2020-01-05T10:00:00Z"),
                    record_id=f"00000000-0000-0000-0000-{i:012d}",
                )
            )
        if extras:
            req = writer.create_warc_record(
                "https://example.org/",
                "request",
                payload=io.BytesIO(b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"),
            )
            writer.write_record(req)
            writer.write_record(
                warc_response(writer, "https://example.org/missing", b"<p>gone</p>", status="404")
            )
            writer.write_record(
                warc_response(
                    writer,
                    "https://example.org/a.jpg",
                    b"\xff\xd8\xff" * 50,
                    content_type="image/jpeg",
                )
            )
    return path


def mixed_corpus(dest: Path, n_jsonl: int = 24, n_warc: int = 12, seed: int = 7) -> Path:
    """Seeds, a JSONL file and a WARC of articles that reuse the seeds' sentences across
    outlets: enough work for every stage to take several batches."""
    rng = random.Random(seed)
    sentences = seed_sentences()
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(SEEDS.glob("*.txt")):
        (dest / p.name).write_bytes(p.read_bytes())
    outlets = ["thetimes.co.uk", "lemonde.fr", "abc.net.au", "nytimes.com", "dw.com"]

    def story() -> list[str]:
        picked = rng.sample(sentences, 12)
        return [" ".join(picked[i : i + 3]) for i in range(0, 12, 3)]

    rows = []
    for i in range(n_jsonl):
        outlet = outlets[i % len(outlets)]
        rows.append(
            {
                "id": f"j{i}",
                "text": "\n\n".join(story()),
                "url": f"https://www.{outlet}/world/{i}",
                "title": f"Story {i}",
                "published_at": f"2020-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            }
        )
    write_jsonl(dest / "feed.jsonl.gz", rows)
    pages = [
        {
            "url": f"https://www.{outlets[(i + 2) % len(outlets)]}/news/{i}",
            "html": article_html(f"Page {i}", story()),
            "date": f"2020-01-{1 + i % 28:02d}T12:00:00Z",
        }
        for i in range(n_warc)
    ]
    write_warc(dest / "crawl.warc.gz", pages)
    return dest


# --- the state of a database, for "same contents as an uninterrupted run" --------------

# columns that legitimately differ between runs: timestamps and run ids
# (a cluster's first_seen falls back to ingested_at when no dates are known)
VOLATILE = {
    "ingested_at",
    "rejected_at",
    "cleaned_at",
    "detected_at",
    "sketched_at",
    "created_at",
    "run_id",
    "first_seen",
    "first_run_id",
    "first_seen_at",
    "last_run_id",
    "last_seen_at",
}
COMPARED_TABLES = (
    "documents",
    "input_sources",
    "rejected_inputs",
    "cleaned",
    "removed_spans",
    "detect_params",
    "passages",
    "passage_bands",
    "doc_bands",
    "doc_signatures",
    "detected",
    "doc_pairs",
    "alignments",
    "occurrences",
)


def working(path: Path) -> Path:
    """The file that holds every table of the store `--db path` names: its working store
    (pipeline.publish), or path itself for a store made without the CLI."""
    from pipeline.publish import work_path

    work = work_path(path)
    return work if work.exists() else path


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every table and view, row for row (sorted), without timestamps and run ids: of the
    working store beside `path` when there is one (it holds every table), else of `path`."""
    con = duckdb.connect(str(working(path)), read_only=True)
    try:
        from pipeline.db import VIEWS

        out = {}
        # recent_runs is the history of commands: it differs between any two stores
        for name in (*COMPARED_TABLES, *(v for v in VIEWS if v != "recent_runs")):
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_name = ? order by ordinal_position",
                    [name],
                ).fetchall()
                if r[0] not in VOLATILE
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            out[name] = sorted(con.execute(f"select {select} from {name}").fetchall(), key=repr)
        return out
    finally:
        con.close()


# --- a corpus of every kind of bad input -----------------------------------------------


def _bomb(limit: int) -> bytes:
    """A small gzip that decompresses to well past `limit` (streamed, never held whole)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    parts = [comp.compress(zeros) for _ in range(max(4, 4 * limit // len(zeros)))]
    return b"".join(parts) + comp.flush()


def bad_corpus(dest: Path, limit: int) -> dict[str, str]:
    """Write every kind of bad input under dest; returns {source: expected reason fragment}.

    Sources are as stored: a path, or path#L<n> / path#@<offset> inside a file. Inputs that
    are fine except for one part also yield documents (checked by the caller).
    """
    dest.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}
    good = "The council approved the harbour wall repairs after a long debate on Tuesday."

    expect[str(dest / "missing.txt")] = "no such file or directory"
    loop = dest / "loop.txt"
    loop.symlink_to(loop)  # open() fails for every user, root too
    expect[str(loop)] = "cannot read: Too many levels of symbolic links"
    (dest / "junk.txt").write_bytes(random.Random(1).randbytes(4000))
    expect[str(dest / "junk.txt")] = "binary content"
    (dest / "empty.txt").write_bytes(b"")
    expect[str(dest / "empty.txt")] = "empty file"
    (dest / "blank.html").write_bytes(b" \n\t\n")
    expect[str(dest / "blank.html")] = "empty file"
    (dest / "big.txt").write_bytes((good + "\n").encode() * (limit // len(good) + 10))
    expect[str(dest / "big.txt")] = f"over the limit of {limit}"
    (dest / "bomb.jsonl.gz").write_bytes(_bomb(limit))
    expect[str(dest / "bomb.jsonl.gz")] = f"decompresses to more than the limit of {limit}"
    whole = gzip.compress(
        "".join(json.dumps({"text": f"{good} Item {i}."}) + "\n" for i in range(200)).encode(),
        mtime=0,
    )
    (dest / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    expect[str(dest / "truncated.jsonl.gz")] = "truncated gzip"
    (dest / "notgzip.jsonl.gz").write_bytes(b'{"text": "plain, not gzipped"}\n')
    expect[str(dest / "notgzip.jsonl.gz")] = "not gzip data"
    write_jsonl(
        dest / "mixed.jsonl",
        [
            {"id": "ok1", "text": good},
            '{"text": "unterminated',
            "[1, 2, 3]",
            {"id": "nobody", "title": "no text or html"},
            {"id": "baddate", "text": good + " Dated.", "published_at": "last Tuesday"},
            {"id": "ok2", "text": good + " Second."},
        ],
    )
    expect[f"{dest / 'mixed.jsonl'}#L2"] = "malformed JSON line"
    expect[f"{dest / 'mixed.jsonl'}#L3"] = "not an object"
    expect[f"{dest / 'mixed.jsonl'}#nobody"] = "no text or html"
    expect[f"{dest / 'mixed.jsonl'}#baddate"] = "not ISO 8601"
    # Latin-1 bytes in a file that says nothing, and HTML that declares the wrong charset:
    # both decodable, so both must become documents (checked by the caller)
    (dest / "latin1.txt").write_bytes(
        "Le conseil a approuvé les réparations du mur du port après un long débat.".encode(
            "latin-1"
        )
    )
    french = "Le conseil a approuvé les réparations du mur du port après un débat. " * 3
    (dest / "badutf8.txt").write_bytes(french.encode()[:50] + b"\xff\xfe" + french.encode()[50:])
    (dest / "mislabelled.html").write_bytes(
        article_html(
            "Café society", ["Le café où les élèves se réunissaient a fermé après trente ans."]
        ).encode("cp1252")
    )
    (dest / "nocontent.html").write_bytes(
        b"<html><head><title>Gallery</title><script>var x = 1;</script></head>"
        b"<body><div><img src='a.jpg'><img src='b.jpg'></div></body></html>"
    )
    expect[str(dest / "nocontent.html")] = "no article text found"
    pages = [
        {
            "url": f"https://www.bbc.co.uk/news/w{i}",
            "html": article_html(f"W {i}", [good, f"{good} {i}"]),
        }
        for i in range(3)
    ]
    warc = write_warc(dest / "corrupt.warc", pages, extras=False).read_bytes()
    second = warc.index(b"WARC/1.", 10)
    bad = re.sub(rb"Content-Length: \d+", b"Content-Length: 12", warc[second:], count=1)
    (dest / "corrupt.warc").write_bytes(warc[:second] + bad)
    expect[f"{dest / 'corrupt.warc'}#@{second}"] = "corrupt WARC record"
    return expect
