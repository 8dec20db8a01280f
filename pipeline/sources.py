"""Input readers: plain text, HTML, JSONL and WARC files, gzipped or not, to source records.

Every file is read with a hard cap on its size, decompressed or not, so a decompression bomb
costs at most the limit. A reader yields one `SourceRecord` per article and records every
part it cannot use as a `Rejection` in the stage result: nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.records import Rejection, SourceRecord, StageResult

log = logging.getLogger(__name__)

# name ending -> format; longest endings first so ".jsonl.gz" wins over ".gz"
_ENDINGS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",  # an array of articles (or one); <file>.json beside a file is its sidecar
    ".warc": "warc",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
FORMATS: dict[str, str] = {
    **{f"{ending}.gz": fmt for ending, fmt in _ENDINGS.items()},
    **_ENDINGS,
}
FORMAT_HELP = (
    ".txt, .html, .htm, .jsonl, .ndjson, .json (an array of articles), .warc, each also "
    "gzipped (.gz); any other file is read as HTML when its content is HTML"
)
READERS = ("txt", "html", "jsonl", "json", "warc")  # what --type may force
_HTML_SNIFF = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.I | re.S,
)
HTML_TYPES = ("text/html", "application/xhtml+xml")
_READ_CHUNK = 1 << 16
_WARC_START_RE = re.compile(rb"(?:\A|\n)(WARC/1\.[01]\r?\n)")
_CONTENT_LENGTH_RE = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r?$", re.I | re.M)


class TooLarge(ValueError):
    """An input (as read, or once decompressed) passes the size limit."""


def format_of(path: Path) -> str | None:
    """txt, html, jsonl or warc from the file name; None for anything else."""
    name = path.name.lower()
    for ending, fmt in FORMATS.items():
        if name.endswith(ending) and len(name) > len(ending):
            return fmt
    return None


def sniff(path: Path) -> str | None:
    """'html' when the file's first bytes (decompressed if gzipped) are HTML, else None:
    a page saved as .php, .aspx or with no extension is still a page."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    if head.startswith(b"\x1f\x8b"):
        with contextlib.suppress(zlib.error):
            head = zlib.decompressobj(wbits=31).decompress(head, 8192)
    return "html" if _HTML_SNIFF.match(head) else None


def is_gzip_name(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def read_capped(path: Path, limit: int, size: int | None = None) -> tuple[bytes, str | None]:
    """The file's bytes (decompressed for .gz) and a problem found on the way, if any.

    Raises TooLarge past `limit` bytes, on disk or decompressed; never holds more than that.
    `size` is the file's size if the caller has just stat'ed it.
    """
    if size is None:
        size = path.stat().st_size
    if size > limit:
        raise TooLarge(f"file is {size} bytes, over the limit of {limit}")
    with open(path, "rb") as fh:
        raw = fh.read(size + 1)  # not read(limit + 1): that allocates `limit` bytes per file
        if len(raw) > size:  # grew since stat: read on, up to the limit
            raw += fh.read(limit - size)
    if len(raw) > limit:  # grew since stat
        raise TooLarge(f"file is over the limit of {limit} bytes")
    if not is_gzip_name(path):
        return raw, None
    return gunzip_capped(raw, limit)


def gunzip_capped(raw: bytes, limit: int) -> tuple[bytes, str | None]:
    """Decompress every gzip member, at most `limit` bytes out; a corrupt or truncated
    member is reported and decompression resumes at the next member (WARC files are one
    member per record, so the other records survive)."""
    if not raw.startswith(b"\x1f\x8b"):
        return b"", "not gzip data (no gzip header) despite the .gz name"
    out = bytearray()
    problems: list[str] = []
    pos = 0
    while pos < len(raw):
        d = zlib.decompressobj(wbits=31)
        buf: bytes | memoryview = memoryview(raw)[pos:]
        try:
            while True:
                chunk = d.decompress(buf, limit + 1 - len(out))
                out += chunk
                if len(out) > limit:
                    raise TooLarge(f"decompresses to more than the limit of {limit} bytes")
                if d.eof or not d.unconsumed_tail:
                    break
                buf = d.unconsumed_tail
        except zlib.error as exc:
            problems.append(f"corrupt gzip data at byte {pos}: {exc}")
            nxt = raw.find(b"\x1f\x8b\x08", pos + 1)
            if nxt < 0:
                break
            pos = nxt
            continue
        if not d.eof:
            problems.append(f"truncated gzip: the stream ends early ({len(raw)} bytes read)")
            break
        rest = d.unused_data
        pos = len(raw) - len(rest)
        if not rest.strip(b"\x00"):
            break
        if not rest.startswith(b"\x1f\x8b"):
            problems.append(f"trailing garbage after the gzip data at byte {pos}")
            break
    problem = "; ".join(problems) if problems else None
    if problem and out:
        problem += "; the complete records before it were loaded"
    return bytes(out), problem


def records(
    path: Path, fmt: str, data: bytes, result: StageResult, limit: int, name: str | None = None
) -> Iterator[SourceRecord]:
    """The articles in one file's bytes; unusable parts go to result.rejected. `name`: what
    the placeholder outlets are made of (default the file's name without its ending)."""
    name = name or stem(path.name)
    if fmt == "jsonl":
        yield from read_jsonl(path, data, result, name)
    elif fmt == "json":
        yield from read_json(path, data, result, name)
    elif fmt == "warc":
        yield from read_warc(path, data, result, limit, name)
    else:
        yield SourceRecord(str(path), fmt, data, {}, f"unknown:{name}")


# --- JSONL ------------------------------------------------------------------------------


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from pipeline.decode import decode_bytes  # mislabelled encodings: decode what we can

    return decode_bytes(line)


def stem(name: str) -> str:
    """A file name without its format ending ("feed.jsonl.gz" -> "feed")."""
    for ending in FORMATS:
        if name.lower().endswith(ending):
            return name[: -len(ending)]
    return Path(name).stem


def _no_surrogates(value: object) -> object:
    """JSON may escape lone surrogates ("\\ud800"); no UTF-8 string can hold them."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace").decode("utf-8")
    return value


def _record(
    obj: object, where: str, path: Path, name: str, raw: bytes, what: str, result: StageResult
) -> SourceRecord | None:
    """One JSON object as an article: `text` or `html`, optional id, url, outlet, title,
    published_at; anything else is a rejection of `raw` at `where`."""
    if not isinstance(obj, dict):
        reason = f"{what} is a {type(obj).__name__}, not an object"
        result.rejected.append(Rejection(where, "ingest", reason, raw, len(raw)))
        return None
    rid = obj.get("id")
    if isinstance(rid, str | int) and str(rid).strip():
        where = f"{path}#{_no_surrogates(str(rid))}"
    body, fmt = obj.get("text"), "txt"
    if body is None:
        body, fmt = obj.get("html"), "html"
    if not isinstance(body, str):
        reason = f"{what} has no text or html string"
        result.rejected.append(Rejection(where, "ingest", reason, raw, len(raw)))
        return None
    fields = {
        k: _no_surrogates(obj[k]) for k in ("url", "outlet", "title", "published_at") if k in obj
    }
    result.add("records")
    return SourceRecord(
        where,
        fmt,
        body.encode("utf-8", errors="replace"),
        fields,
        f"unknown:{name}#{where.split('#')[-1]}",
    )


def read_jsonl(
    path: Path, data: bytes, result: StageResult, name: str | None = None
) -> Iterator[SourceRecord]:
    """One article per line (see _record)."""
    name = name or stem(path.name)
    for n, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        where = f"{path}#L{n}"
        try:
            obj = json.loads(_decode_line(line))
        except (ValueError, UnicodeDecodeError) as exc:
            reason = f"malformed JSON line: {str(exc).splitlines()[0][:200]}"
            result.rejected.append(Rejection(where, "ingest", reason, line, len(line)))
            continue
        rec = _record(obj, where, path, name, line, "JSON line", result)
        if rec is not None:
            yield rec


def read_json(
    path: Path, data: bytes, result: StageResult, name: str | None = None
) -> Iterator[SourceRecord]:
    """A JSON array of articles (each as a JSONL line would be), or one article object."""
    name = name or stem(path.name)
    try:
        doc = json.loads(_decode_line(data))
    except (ValueError, UnicodeDecodeError) as exc:
        reason = f"malformed JSON: {str(exc).splitlines()[0][:200]}"
        result.rejected.append(Rejection(str(path), "ingest", reason, data, len(data)))
        return
    items = doc if isinstance(doc, list) else [doc]
    for n, obj in enumerate(items):
        raw = json.dumps(obj, ensure_ascii=False).encode("utf-8", "replace")
        where = f"{path}#{n}" if isinstance(doc, list) else str(path)
        rec = _record(obj, where, path, name, raw, "JSON item", result)
        if rec is not None:
            yield rec


# --- WARC -------------------------------------------------------------------------------


def _next_warc_start(data: bytes, pos: int) -> int:
    match = _WARC_START_RE.search(data, pos)
    return match.start(1) if match else len(data)


def read_warc(
    path: Path, data: bytes, result: StageResult, limit: int, name: str | None = None
) -> Iterator[SourceRecord]:
    """HTML response (and resource) records become articles with target URI and WARC-Date.

    Records are framed here by their Content-Length and parsed with warcio; a corrupt record
    is rejected with its bytes and reading resumes at the next record.
    """
    name = name or stem(path.name)
    from warcio.bufferedreaders import BufferedReader
    from warcio.recordloader import ArcWarcRecordLoader

    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    pos = _next_warc_start(data, 0)
    if data[:pos].strip():
        bad = data[:pos]
        result.rejected.append(
            Rejection(
                f"{path}#@0", "ingest", "not a WARC record (no WARC/1.x header)", bad, len(bad)
            )
        )
    n = 0
    while pos < len(data):
        n += 1
        try:
            end, record = _frame_record(data, pos, loader, BufferedReader)
            doc = _warc_document(path, name, n, record, result, limit)
        except Exception as exc:  # warcio raises several types; any is one bad record
            nxt = _next_warc_start(data, pos + 1)
            bad = data[pos:nxt]
            reason = f"corrupt WARC record: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            result.rejected.append(Rejection(f"{path}#@{pos}", "ingest", reason, bad, len(bad)))
            pos = nxt
            continue
        if doc is not None:
            yield doc
        pos = end
        while pos < len(data) and data[pos : pos + 1] in (b"\r", b"\n"):
            pos += 1


def _read_at_most(stream: Any, limit: int) -> bytes:
    """A payload (content-encoding undone by warcio) of at most `limit` bytes."""
    out = bytearray()
    while len(out) <= limit:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            return bytes(out)
        out += chunk
    raise TooLarge(f"payload decompresses to more than the limit of {limit} bytes")


def _frame_record(data: bytes, pos: int, loader: Any, reader_class: Any) -> tuple[int, Any]:
    header_end = data.find(b"\r\n\r\n", pos)
    if header_end < 0:
        raise ValueError("record header never ends (truncated)")
    header_end += 4
    match = _CONTENT_LENGTH_RE.search(data, pos, header_end)
    if not match:
        raise ValueError("record has no Content-Length")
    end = header_end + int(match.group(1))
    if end > len(data):
        raise ValueError(
            f"record is truncated ({len(data) - header_end} of {end - header_end} bytes)"
        )
    if data[end : end + 4] != b"\r\n\r\n" and end + 4 <= len(data):
        raise ValueError("Content-Length does not match the record (no blank line after it)")
    record = loader.parse_record_stream(reader_class(io.BytesIO(data[pos:end])))
    return end, record


def _warc_document(
    path: Path,
    name: str,
    n: int,
    record: Any,
    result: StageResult,
    limit: int,
) -> SourceRecord | None:
    rtype = record.rec_type
    if rtype not in ("response", "resource"):
        result.add(f"warc_{rtype}_skipped")
        return None
    headers = record.http_headers if rtype == "response" else record.rec_headers
    if rtype == "response":
        if headers is None:
            result.add("warc_response_skipped")
            return None
        status = headers.get_statuscode() or ""
        if not status.startswith("2"):
            result.add("warc_non_2xx_skipped")
            return None
    ctype = (headers.get_header("Content-Type") or "").lower() if headers else ""
    if not ctype.startswith(HTML_TYPES):
        result.add("warc_non_html_skipped")
        return None
    body = _read_at_most(record.content_stream(), limit)
    rid = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ")
    source = f"{path}#{rid}" if rid else f"{path}#record{n}"
    fields = {
        "url": record.rec_headers.get_header("WARC-Target-URI"),
        # the crawl's date: the page's own date, when its markup has one, comes first
        "crawled_at": record.rec_headers.get_header("WARC-Date"),
    }
    result.add("records")
    return SourceRecord(source, "html", body, fields, f"unknown:{name}#{rid or n}")
