"""Ingest stage: store every input untouched, with its metadata and outlet."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline import db, markup, progress, sources
from pipeline.config import Config
from pipeline.errors import stopping
from pipeline.records import InputMeta, RawDocument, Rejection, SourceRecord, StageResult

log = logging.getLogger(__name__)

METADATA_NAMES = {"manifest.jsonl"}
_TRAILER_RE = re.compile(
    r"^\s*(?:source|sources|via)\s*:\s*(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)\s*/?\s*$",
    re.I | re.M,
)
BATCH_BYTES = 64_000_000  # raw bytes held before a batch is committed, whatever its count


def format_of(path: Path) -> str | None:
    """txt, html, jsonl or warc from the file name (see sources.FORMATS)."""
    return sources.format_of(path)


def is_metadata_file(path: Path) -> bool:
    """Sidecars (<file>.json next to an article) and manifests describe inputs; never articles."""
    if path.name in METADATA_NAMES:
        return True
    return path.suffix.lower() == ".json" and format_of(path.with_suffix("")) is not None


def _reject(result: StageResult, source: object, reason: str) -> None:
    result.rejected.append(Rejection(str(source), "ingest", reason))


def _walk(folder: Path, result: StageResult) -> Iterator[Path]:
    """Files under a folder in a stable order; unreadable folders are rejected, not skipped."""

    def onerror(exc: OSError) -> None:
        _reject(result, exc.filename or folder, f"cannot list folder: {exc.strerror or exc}")

    for root, dirs, files in os.walk(folder, onerror=onerror):
        dirs.sort()
        base = Path(root)
        for name in dirs:
            if (base / name).is_symlink():
                result.add("skipped_linked_folders")  # not followed: links can loop
        for name in sorted(files):
            yield base / name


STDIN = "-"  # the path that reads JSONL (or --type) from standard input


def store_files(con: duckdb.DuckDBPyConnection) -> Callable[[Path], bool]:
    """Whether a file is one of the store's own (news.duckdb, news.work.duckdb, their WAL,
    lock and publication files): a store kept inside an input folder is not an input."""
    rows = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    if not rows or not rows[0][0]:
        return lambda _: False
    work = Path(rows[0][0]).resolve()
    stem = work.name.split(".")[0]

    def own(path: Path) -> bool:
        name = path.name
        return path.parent.resolve() == work.parent and (
            name.startswith(f"{stem}.") and ".duckdb" in name or name.startswith(f".{stem}.")
        )

    return own


def discover(
    paths: Sequence[Path],
    result: StageResult,
    force: str | None = None,
    own: Callable[[Path], bool] = lambda _: False,
) -> Iterator[tuple[Path, str]]:
    """(file, reader) for every input under the given paths, in a stable order; unusable
    paths are rejected. The reader is --type's, else the name's, else 'html' for a file
    whose content is HTML; any other file is rejected as of an unsupported type."""
    for path in paths:
        if str(path) == STDIN:
            yield path, force or "jsonl"
            continue
        try:
            st = path.stat()
        except OSError as exc:
            reason = "no such file or directory" if isinstance(exc, FileNotFoundError) else None
            _reject(result, path, reason or f"cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            for file in _walk(path, result):
                if is_metadata_file(file) or file.name.startswith(".") or own(file):
                    continue
                fmt = _reader(file, result, force)
                if fmt is not None:
                    yield file, fmt
        elif is_metadata_file(path) and force is None:
            result.add("skipped_metadata")
        else:
            fmt = _reader(path, result, force)
            if fmt is not None:
                yield path, fmt


def _reader(path: Path, result: StageResult, force: str | None) -> str | None:
    fmt = force or format_of(path) or sources.sniff(path)
    if fmt is None:
        kind = path.suffix or "no extension"
        _reject(result, path, f"unsupported type ({kind}): not {sources.FORMAT_HELP}")
        return None
    if fmt == "html" and format_of(path) is None and force is None:
        result.add("sniffed_html")
    return fmt


def registered_domain(url: str | None) -> str | None:
    """The registrable domain of a URL (bbc.co.uk for www.bbc.co.uk/news/...)."""
    if not url:
        return None
    from tld import get_fld

    fld = get_fld(url.strip(), fail_silently=True, fix_protocol=True)
    return fld.lower() if fld else None


def parse_datetime(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"published_at {value!r} is not ISO 8601") from exc
    if parsed.tzinfo is not None:  # stored as naive UTC
        from datetime import UTC

        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _meta_from(record: dict) -> InputMeta:
    return InputMeta(
        outlet=(str(record["outlet"]).strip() or None) if record.get("outlet") else None,
        url=str(record["url"]).strip() if record.get("url") else None,
        title=str(record["title"]).strip() if record.get("title") else None,
        published_at=parse_datetime(record.get("published_at")),
    )


_Folder = tuple[str, frozenset[str]]  # a resolved folder and the names of its symlinks
_Listing = tuple[frozenset[str], frozenset[str]]  # a folder's .json names, its symlinks' names
_Stamps = dict[str, tuple[int, int, int, int, int]]
# Kept per process, while unchanged: every ingest run starts a MetadataIndex and would
# otherwise list the folder and parse the manifest again.
_MANIFESTS: dict[str, tuple[_Stamps, dict[str, dict]]] = {}
_MANIFESTS_MAX = 8
_LISTINGS: dict[str, tuple[_Stamps, _Listing]] = {}
_LISTINGS_MAX = 256


def _stamps(paths: Iterable[str]) -> _Stamps | None:
    """What tells that a file or folder changed; None if one of them cannot be stat'ed."""
    stamps = {}
    try:
        for p in paths:
            st = os.stat(p)
            stamps[p] = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        return None
    return stamps


def _real_folder(folder: str) -> _Folder | None:
    """The folder resolved, with its symlinks' names; None if those cannot be listed."""
    real = os.path.realpath(folder)
    try:
        with os.scandir(real) as entries:
            return real, frozenset(e.name for e in entries if e.is_symlink())
    except (FileNotFoundError, NotADirectoryError):
        return real, frozenset()
    except OSError:  # a symlink loop or an unlistable folder: resolve its rows one by one
        return None


def _plain_key(folder: str, file: object, dirs: dict[str, _Folder | None]) -> str | None:
    """(folder / file).resolve() without a stat per row: each folder a row names is resolved
    once, and the file itself is no symlink. None when that shortcut does not apply."""
    if not isinstance(file, str) or "\0" in file or file.startswith("/"):
        return None
    parts = [p for p in file.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    try:
        os.fsencode(file)
    except UnicodeEncodeError:  # lone surrogates: lstat raises, as resolve() would
        return None
    head = "/".join(parts[:-1])
    if head not in dirs:
        dirs[head] = _real_folder(os.path.join(folder, head) if head else folder)
    entry = dirs[head]
    if entry is None or parts[-1] in entry[1]:
        return None
    return os.path.join(entry[0], parts[-1])


def _load_manifest(folder: str, path: str) -> tuple[dict[str, dict], set[str] | None]:
    """A manifest's rows by their file's resolved path, and the folders on the way to those
    files (None if a row goes through a symlink: its key may change without them)."""
    rows: dict[str, dict] = {}
    dirs: dict[str, _Folder | None] = {}  # a row's folder, relative to the manifest's
    cacheable = True
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = _plain_key(folder, row["file"], dirs)
            if key is None:
                key = str((Path(folder) / row["file"]).resolve())
                cacheable = False
            rows[key] = row
        except (json.JSONDecodeError, KeyError, TypeError):
            log.warning("%s:%d: bad manifest line ignored", path, n)
    folders = {folder}
    for head, entry in dirs.items():
        sub = folder
        for part in head.split("/") if head else ():
            sub = os.path.join(sub, part)
            folders.add(sub)
        cacheable = cacheable and entry is not None and entry[0] == sub
    return rows, folders if cacheable else None


def _folder_listing(folder: str) -> _Listing | None:
    """(names ending .json, names of symlinks) in a folder; None if it cannot be listed."""
    stamps = _stamps([folder])  # before listing: a change while listing shows next time
    cached = _LISTINGS.pop(folder, None)
    if cached is not None and cached[0] == stamps:
        _LISTINGS[folder] = cached
        return cached[1]
    try:
        with os.scandir(folder) as entries:
            names, links = [], []
            for e in entries:
                if e.name.endswith(".json"):
                    names.append(e.name)
                if e.is_symlink():
                    links.append(e.name)
    except OSError:
        return None
    listing = frozenset(names), frozenset(links)
    if stamps is not None:
        while len(_LISTINGS) >= _LISTINGS_MAX:
            del _LISTINGS[next(iter(_LISTINGS))]
        _LISTINGS[folder] = (stamps, listing)
    return listing


def _manifest_rows(folder: str) -> dict[str, dict]:
    """Rows of folder/manifest.jsonl by resolved file path; folder must be resolved."""
    path = os.path.join(folder, "manifest.jsonl")
    if not Path(path).is_file():
        return {}
    cached = _MANIFESTS.pop(path, None)
    if cached is not None and _stamps(cached[0]) == cached[0]:
        _MANIFESTS[path] = cached
        return cached[1]
    before = _stamps([path])  # before reading: a change while reading shows next time
    rows, folders = _load_manifest(folder, path)
    after = _stamps(folders) if folders is not None else None
    if before is not None and after is not None:
        while len(_MANIFESTS) >= _MANIFESTS_MAX:
            del _MANIFESTS[next(iter(_MANIFESTS))]
        _MANIFESTS[path] = ({**before, **after}, rows)
    return rows


class MetadataIndex:
    """Sidecar <file>.json and manifest.jsonl rows, loaded once per folder.

    Runs once per input file, so paths are plain strings here, not Path objects.
    """

    def __init__(self) -> None:
        self._resolved: dict[str, str] = {}  # folder -> resolved folder
        self._manifests: dict[str, dict[str, dict]] = {}  # resolved folder -> its manifest
        self._listings: dict[str, _Listing | None] = {}
        self._chains: dict[str, list[dict[str, dict]]] = {}  # resolved folder -> manifests

    def _listing(self, folder: str) -> _Listing | None:
        if folder not in self._listings:
            self._listings[folder] = _folder_listing(folder)
        return self._listings[folder]

    def _chain(self, folder: str) -> list[dict[str, dict]]:
        """The manifests that may describe a file in a resolved folder: the folder's and
        those of the two folders above it, outermost first."""
        if folder not in self._chains:
            parent = os.path.dirname(folder)
            folders = dict.fromkeys((os.path.dirname(parent), parent, folder))  # "/" may repeat
            self._chains[folder] = [rows for f in folders if (rows := self._manifest(f))]
        return self._chains[folder]

    def _manifest(self, folder: str) -> dict[str, dict]:
        if folder not in self._manifests:
            self._manifests[folder] = _manifest_rows(folder)
        return self._manifests[folder]

    def lookup(self, file: Path) -> dict:
        record: dict = {}
        folder, name = os.path.split(os.fspath(file))
        folder = folder or "."
        listing = self._listing(folder)
        if folder not in self._resolved:
            self._resolved[folder] = os.path.realpath(folder)
        resolved = os.path.join(self._resolved[folder], name)
        is_link = file.is_symlink() if listing is None else name in listing[1]
        if is_link:
            resolved = str(Path(resolved).resolve())
        for rows in self._chain(os.path.dirname(resolved)):
            record.update(rows.get(resolved, ()))
        if listing is not None and name + ".json" in listing[0]:
            sidecar = file.with_name(file.name + ".json")
            if sidecar.is_file():
                loaded = json.loads(sidecar.read_text(encoding="utf-8"))
                if not isinstance(loaded, dict):
                    raise ValueError(f"sidecar {sidecar.name} is not a JSON object")
                record.update(loaded)
        return record


def resolve_outlet(
    option: str | None,
    meta: InputMeta,
    raw: bytes,
    fmt: str,
    placeholder: str,
    page: markup.PageMeta | None = None,
) -> tuple[str, str, str | None]:
    """(outlet, basis, url): option > metadata > URL's domain (the record's, else the
    page's canonical / og:url / JSON-LD url) > text trailer > og:site_name or JSON-LD
    publisher > placeholder."""
    if page is None:
        page = markup.page_meta(raw) if fmt == "html" else markup.PageMeta()
    url = meta.url or page.url
    if option:
        return option, "option", url
    if meta.outlet:
        return meta.outlet, "metadata", url
    domain = registered_domain(url)
    if domain:
        return domain, "url", url
    tail = raw[-2000:].decode("utf-8", "replace")
    trailer = _TRAILER_RE.findall(tail)
    if trailer:
        return trailer[-1].lower(), "trailer", url
    if page.site_name:
        return page.site_name[:80], "sitename", url
    return placeholder, "placeholder", url


def published(
    meta: InputMeta, page: markup.PageMeta, crawled: object
) -> tuple[datetime | None, str | None]:
    """(published_at, basis): the input's metadata, else the page's own date, else the
    date it was crawled (a WARC record's)."""
    if meta.published_at is not None:
        return meta.published_at, "metadata"
    with contextlib.suppress(ValueError):
        own = parse_datetime(page.published)
        if own is not None:
            return own, "markup"
    with contextlib.suppress(ValueError):
        crawl = parse_datetime(crawled)
        if crawl is not None:
            return crawl, "crawl"
    return None, None


def doc_id_for(outlet: str, raw: bytes) -> str:
    return hashlib.sha256(outlet.encode() + b"\0" + raw).hexdigest()[:16]


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(db.RAW_KEEP_BYTES)
    except OSError:
        return None


def read_inputs(
    path: Path,
    cfg: Config,
    outlet: str | None,
    meta_index: MetadataIndex,
    result: StageResult,
    fmt: str | None = None,
) -> Iterator[RawDocument]:
    """The documents in one file (read as `fmt`: default by its name); every part that
    cannot be one is recorded in result."""
    source = str(path)
    fmt = fmt or format_of(path) or "txt"
    limit = cfg.clean.max_bytes
    if source == STDIN:
        yield from _read_stdin(cfg, outlet, fmt, result)
        return
    try:
        st = os.stat(source)
        if not stat.S_ISREG(st.st_mode):
            _reject(result, path, "not a regular file")
            return
        data, problem = sources.read_capped(path, limit, st.st_size)
    except sources.TooLarge as exc:
        head = _head(path)
        size = path.stat().st_size
        result.rejected.append(Rejection(source, "ingest", str(exc), head, size))
        return
    except OSError as exc:
        _reject(result, path, f"cannot read: {exc.strerror or exc}")
        return
    if problem:
        head = _head(path)
        result.rejected.append(Rejection(source, "ingest", problem, head, path.stat().st_size))
    if not data.strip():
        if not problem:
            result.rejected.append(Rejection(source, "ingest", "empty file", data, len(data)))
        return
    try:
        file_meta = meta_index.lookup(path)
    except (ValueError, json.JSONDecodeError, OSError) as exc:
        result.rejected.append(Rejection(source, "ingest", f"bad metadata: {exc}", data, len(data)))
        return
    yield from _documents(
        sources.records(path, fmt, data, result, limit), file_meta, outlet, result
    )


def _read_stdin(
    cfg: Config, outlet: str | None, fmt: str, result: StageResult
) -> Iterator[RawDocument]:
    """`newsdedup ingest -`: records from standard input (JSONL unless --type says)."""
    limit = cfg.clean.max_bytes
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        _reject(result, "stdin", f"standard input is over the limit of {limit} bytes")
        return
    if not data.strip():
        result.rejected.append(Rejection("stdin", "ingest", "empty input", data, len(data)))
        return
    records = sources.records(Path("stdin"), fmt, data, result, limit)
    yield from _documents(records, {}, outlet, result)


def _documents(
    records: Iterable[SourceRecord],
    file_meta: dict,
    outlet: str | None,
    result: StageResult,
    source: str = "",
) -> Iterator[RawDocument]:
    """Each record as a document, with its outlet and date resolved (`source`: the file's
    own name, for a record that is the whole file)."""
    for rec in records:
        if not rec.raw.strip():
            reason = "empty file" if rec.source == source else "empty article text"
            result.rejected.append(Rejection(rec.source, "ingest", reason, rec.raw, len(rec.raw)))
            continue
        fields = dict(rec.fields)
        crawled = fields.pop("crawled_at", None)
        try:
            meta = _meta_from({**file_meta, **fields})
        except ValueError as exc:
            reason = f"bad metadata: {exc}"
            result.rejected.append(Rejection(rec.source, "ingest", reason, rec.raw, len(rec.raw)))
            continue
        page = markup.page_meta(rec.raw) if rec.format == "html" else markup.PageMeta()
        name, basis, url = resolve_outlet(outlet, meta, rec.raw, rec.format, rec.placeholder, page)
        when, when_basis = published(meta, page, crawled)
        yield RawDocument(
            rec.source, name, basis, url, meta.title, when, rec.format, rec.raw, when_basis
        )


def _unique_placeholders(
    con: duckdb.DuckDBPyConnection, docs: list[RawDocument]
) -> list[RawDocument]:
    """Placeholder outlets (`unknown:<file name>`) never merge two files: a name already
    held by another source (a file of the same name in another folder, in this batch or
    stored) gets a suffix made from the source's own path (`unknown:article~3f2a1b`)."""
    names = sorted({d.outlet for d in docs if d.outlet_basis == "placeholder"})
    if not names:
        return docs
    owner = dict(
        con.execute(
            "select outlet, min(source) from documents where outlet in (select unnest(?)) "
            "group by outlet",
            [names],
        ).fetchall()
    )
    out = []
    for doc in docs:
        if doc.outlet_basis == "placeholder":
            first = owner.setdefault(doc.outlet, doc.source)
            if first != doc.source:
                tag = hashlib.sha256(doc.source.encode()).hexdigest()[:6]
                doc = dataclasses.replace(doc, outlet=f"{doc.outlet}~{tag}")
        out.append(doc)
    return out


def store(
    con: duckdb.DuckDBPyConnection, docs: Iterable[RawDocument], run_id: str | None
) -> tuple[int, int]:
    """Insert documents not stored yet and a `sources` row for every input; returns (new
    documents, repeats: inputs whose bytes an earlier input of this or another run holds)."""
    docs = _unique_placeholders(con, list(docs))
    if not docs:
        return 0, 0
    keyed = [(doc_id_for(d.outlet, d.raw), d) for d in docs]
    batch: dict[str, RawDocument] = {}
    for doc_id, doc in keyed:
        batch.setdefault(doc_id, doc)
    ids = list(batch)
    existing = {
        r[0]
        for r in con.execute(
            "select doc_id from documents where doc_id in (select unnest(?))", [ids]
        ).fetchall()
    }
    new = [(i, d) for i, d in batch.items() if i not in existing]
    if new:
        next_seq = con.execute("select coalesce(max(doc_seq), 0) + 1 from documents").fetchall()[0][
            0
        ]
        table = pa.table(
            {
                "doc_id": [i for i, _ in new],
                "doc_seq": pa.array(range(next_seq, next_seq + len(new)), pa.int64()),
                "source": [d.source for _, d in new],
                "outlet": [d.outlet for _, d in new],
                "outlet_basis": [d.outlet_basis for _, d in new],
                "url": [d.url for _, d in new],
                "title": [d.title for _, d in new],
                "published_at": pa.array([d.published_at for _, d in new], pa.timestamp("us")),
                "published_basis": [d.published_basis for _, d in new],
                "format": [d.format for _, d in new],
                "size_bytes": pa.array([len(d.raw) for _, d in new], pa.int64()),
                "raw": pa.array([d.raw for _, d in new], pa.binary()),
                "run_id": [run_id] * len(new),
            }
        )
        _insert_documents(con, table)
    pairs = sorted({(d.source, i) for i, d in keyed})
    seen = con.execute(
        """
        select count(*)
        from input_sources as s
        inner join (select unnest(?) as src, unnest(?) as did) as t
            on s.source = t.src and s.doc_id = t.did
        """,
        [[p[0] for p in pairs], [p[1] for p in pairs]],
    ).fetchall()[0][0]
    con.execute(
        """
        insert into input_sources (source, doc_id, first_run_id, last_run_id)
        select s, d, $run, $run from (select unnest($sources) as s, unnest($docs) as d)
        on conflict (source, doc_id) do update
        set last_run_id = excluded.last_run_id, last_seen_at = now()
        """,
        {"run": run_id, "sources": [p[0] for p in pairs], "docs": [p[1] for p in pairs]},
    )
    return len(new), len(pairs) - seen - len(new)


def _insert_documents(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    con.register("_docs_batch", table)
    try:
        con.execute(
            """
            insert into documents
                (doc_id, doc_seq, source, outlet, outlet_basis, url, title, published_at,
                 published_basis, format, size_bytes, raw, run_id)
            select * from _docs_batch
            """
        )
    finally:
        con.unregister("_docs_batch")


def run(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    paths: Sequence[Path],
    outlet: str | None = None,
    run_id: str | None = None,
    batch_size: int = 2000,
    force: str | None = None,
) -> StageResult:
    """Ingest files and folders; bad inputs are recorded in rejected_inputs, the rest go on.

    Commits every `batch_size` documents, so a killed run keeps what it had committed and
    the next run (documents are keyed by content) picks up the rest.
    """
    result = StageResult("ingest")
    meta_index = MetadataIndex()
    pending: list[RawDocument] = []
    seen = 0

    def flush() -> None:
        with db.transaction(con):
            new, repeats = store(con, pending, run_id)
            result.add("ingested", new)
            result.add("repeats", repeats)
            db.record_rejections(con, result.rejected[flushed[0] :], run_id)
        flushed[0] = len(result.rejected)
        pending.clear()

    flushed = [0]
    held = 0
    meter = progress.meter("ingest", None, "inputs")
    for path, fmt in discover(paths, result, force, store_files(con)):
        seen += 1
        meter.advance()
        try:
            for doc in read_inputs(path, cfg, outlet, meta_index, result, fmt):
                pending.append(doc)
                held += len(doc.raw)
                if len(pending) >= batch_size or held >= BATCH_BYTES:
                    flush()
                    held = 0
        except (duckdb.Error, MemoryError):
            raise
        except Exception as exc:  # a reader bug on one input must not stop the batch
            if stopping():  # the stop signal, turned into another error inside a query
                raise
            log.info("%s: unexpected error while reading", path, exc_info=True)  # -v only
            _reject(result, path, f"cannot read: unexpected {type(exc).__name__}: {exc}")
    flush()
    meter.close()
    result.add("inputs", seen)
    result.add("rejected", len(result.rejected))
    return result
