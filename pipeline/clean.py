"""Clean stage: decode (pipeline.decode), extract (trafilatura for HTML), strip boilerplate,
record every removal."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import functools
import importlib.metadata
import logging
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from pipeline import boilerplate, db, rules
from pipeline.config import CleanConfig, Config
from pipeline.decode import DecodeError, decode_bytes, looks_binary
from pipeline.errors import InputError
from pipeline.executor import Executor, Sized
from pipeline.records import CleanResult, Rejection, Removal, StageResult

log = logging.getLogger(__name__)

# The rules' version, bumped when they change what they remove. Each cleaned row stores it
# with the extractor's version (cleaner_version()); the clean stage and `status` count the
# documents cleaned otherwise, and `clean --redo` re-cleans them.
CLEANER_VERSION = "3"


@functools.cache
def cleaner_version() -> str:
    """The rules' version and trafilatura's: either changes what a page cleans to."""
    return f"{CLEANER_VERSION}+trafilatura-{importlib.metadata.version('trafilatura')}"


def older_rules(con: duckdb.DuckDBPyConnection) -> int:
    """Documents cleaned by other rules or another extractor than this code's."""
    return con.execute(
        "select count(*) from cleaned where cleaner_version <> ?", [cleaner_version()]
    ).fetchall()[0][0]


_TERMINAL = ".!?:;\"”’'…)]。！？」』）"
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


# --- rule application -------------------------------------------------------------------
# The patterns live in pipeline/rules.py (tables per family and language); this section only
# applies them, plus the few decisions that need context (headline, captions above credits,
# comment threads, labels left after the last sentence).


@functools.lru_cache(maxsize=16)
def _compiled(language: str | None) -> tuple[tuple, tuple, _Alternation]:
    line_rules, blocks = rules.rules_for(language)
    flags = lambda fam: 0 if fam in rules.CASE_SENSITIVE else re.I  # noqa: E731
    compiled = tuple(
        (r.family, re.compile(r.pattern, flags(r.family)), r.max_words) for r in line_rules
    )
    return (
        compiled,
        tuple((b.family, re.compile(b.pattern, flags(b.family)), b.to_end) for b in blocks),
        _Alternation(
            tuple(rx for _, rx, _ in compiled),
            tuple(r.needs for r in line_rules),
            tuple(r.max_chars for r in line_rules),
        ),
    )


class _Alternation:
    """Every line rule in one alternation, in table order: one C-level match per line finds
    the first rule that matches (group ``r<i>`` is rule i).

    A rule that ends in ``$`` cannot match a line longer than its widest match (the rule's
    max_chars), so each line is tried only against the rules that could match a line of its length: a long
    story paragraph meets a handful of rules instead of all of them. Rules with a `needs`
    text stay out of the alternation: they are tried alone, on lines that contain it.
    """

    # line lengths where the set of rules tried changes (each set compiles once per process)
    EDGES = (0, 100, 200, 400, 800)

    def __init__(
        self,
        patterns: tuple[re.Pattern, ...],
        needs: tuple[str, ...],
        widest: tuple[int | None, ...],
    ) -> None:
        self.patterns = patterns
        self.widest = list(widest)
        self.gated = [(i, n, patterns[i]) for i, n in enumerate(needs) if n]
        self._ungated = [not n for n in needs]
        self._by_edge: dict[int, re.Pattern | None] = {}

    @property
    def bounds(self) -> list[int]:
        return sorted({w for w in self.widest if w is not None})

    def first(self, line: str) -> int | None:
        """Index of the first rule (table order) whose pattern matches the line."""
        # lines longer than EDGES[k] meet the rules that can match something that long
        k = bisect.bisect_left(self.EDGES, len(line)) - 1
        if k not in self._by_edge:
            shortest = self.EDGES[max(k, 0)]
            parts = [
                f"(?P<r{i}>{'(?i:' if rx.flags & re.I else '(?:'}{rx.pattern}))"
                for i, (rx, w, alone) in enumerate(
                    zip(self.patterns, self.widest, self._ungated, strict=True)
                )
                if alone and (w is None or w > shortest or k < 0)
            ]
            self._by_edge[k] = re.compile("|".join(parts)) if parts else None
        combined = self._by_edge[k]
        m = combined.match(line) if combined is not None else None
        found = int(m.lastgroup[1:]) if m is not None and m.lastgroup else None
        folded = None
        for i, needs, rx in self.gated:
            if found is not None and i > found:
                break
            folded = line.casefold() if folded is None else folded
            if needs in folded and rx.match(line):
                return i
        return found


def _first_rule(s: str, line_rules: tuple, combined: _Alternation) -> str | None:
    """Family of the first rule (table order) that matches line s within its word bound."""
    first = combined.first(s)
    if first is None:
        return None
    n_words = None
    for fam, rx, max_words in line_rules[first:]:
        if rx.match(s):
            if max_words is not None:
                n_words = _words(s) if n_words is None else n_words
                if n_words > max_words:
                    continue
            return fam
    return None


_CREDIT_RE = re.compile(rules.RULES["*"][0].pattern)
_IMAGE_TAG_RE = re.compile(
    r"^.{0,300}\((?:Image|Images|Picture|Pictures|Photo|Photos|Pic|Credit)s?:\s*[^)]{1,60}\)\s*$"
)
_BULLET_RE = re.compile(r"^\s*[•●▪◦]\s+")
_QUOTED_ARTICLE_LINES = 3  # indented paragraphs under a bullet that are a quoted article
_SITE_SUFFIX_RE = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")


@dataclass(slots=True)
class _Line:
    text: str
    kind: str | None = None  # family that removes it, None to keep
    split: list[str] | None = None  # casefolded words, split once (see `words`)

    @property
    def words(self) -> list[str]:
        """The line's casefolded words (boilerplate.line_words): its key and its norm."""
        if self.split is None:
            self.split = boilerplate.line_words(self.text)
        return self.split

    @property
    def norm(self) -> str:
        return " ".join(self.words)

    def n_words(self) -> int:
        # casefolding keeps ASCII word boundaries; other scripts are counted as written
        return len(self.words) if self.text.isascii() else _words(self.text)


def _words(s: str) -> int:
    return len(_WORD_RE.findall(s))


def _is_label(s: str, max_words: int) -> bool:
    """A short line with no sentence punctuation: a heading, label or caption title."""
    s = s.strip()
    return bool(s) and _words(s) <= max_words and s[-1] not in _TERMINAL


def _prev_nonblank(lines: list[_Line], i: int) -> int | None:
    j = i - 1
    while j >= 0 and not lines[j].text.strip():
        j -= 1
    return j if j >= 0 else None


_ZERO_WIDTH = "\u200b\u200c\u200d\ufeff"
_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, _ZERO_WIDTH))


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    if any(c in text for c in _ZERO_WIDTH):  # a substring scan each beats a regex pass
        text = text.translate(_DROP_ZERO_WIDTH)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _norm_words(s: str) -> str:
    return " ".join(_WORD_RE.findall(s.casefold()))


def _same_text(a: str, b: str) -> bool:
    return bool(a.strip()) and _norm_words(a) == _norm_words(b)


def _is_headline(line: str, title: str) -> bool:
    """The line repeats the title, with or without the " | Site name" suffix."""
    return _same_text(line, title) or _same_text(line, _SITE_SUFFIX_RE.sub("", title))


def strip_boilerplate(
    text: str, title: str | None = None, language: str | None = None
) -> CleanResult:
    """Apply the rule families to plain article text; return kept text and removals."""
    line_rules, blocks, combined = _compiled(language)
    lines = [_Line(t) for t in _normalise(text).split("\n")]
    found_title = title
    _mark_top(lines, title)
    if not title:
        first = next((ln for ln in lines if ln.text.strip()), None)
        if first is not None and first.kind == "headline":
            found_title = first.text.strip()

    for i, ln in enumerate(lines):
        s = ln.text.strip()
        if not s or ln.kind:
            continue
        for fam, rx, to_end in blocks:
            if rx.match(s):
                ln.kind = fam
                j = i + 1
                tagged = j < len(lines) and bool(_TAG_RE.search(lines[j].text))
                while j < len(lines) and (
                    to_end
                    or (
                        _is_block_item(lines[j].text)
                        and (not tagged or _TAG_RE.search(lines[j].text))
                    )
                ):
                    lines[j].kind = lines[j].kind or fam
                    j += 1
                break
        if ln.kind:
            continue
        ln.kind = _first_rule(s, line_rules, combined)

    # context: the heading above an "(Image: ...)" caption, the caption above a credit line
    for i, ln in enumerate(lines):
        if ln.kind != "caption":
            continue
        s = ln.text.strip()
        above_at = _prev_nonblank(lines, i)
        if above_at is None or lines[above_at].kind:
            continue
        j = above_at
        above = lines[j].text.strip()
        if _IMAGE_TAG_RE.match(s) and _is_label(above, 8):
            lines[j].kind = "caption"
        elif _CREDIT_RE.match(s) and _is_label(above, 40):
            lines[j].kind = "caption"

    _mark_comment_threads(lines)
    _mark_trailing_labels(lines)
    return _assemble(lines, found_title)


# "... [INSIGHT]": a list whose first item is tagged ends at the first untagged line
_TAG_RE = re.compile(r"\[[A-Z ]{2,20}\]\s*$")
_SENTENCE_END_RE = re.compile(r"[.!][\"”’')]*$")


def _is_block_item(line: str) -> bool:
    """A teaser-list item: a short headline-like line, not a sentence of the story."""
    s = line.strip()
    return bool(s) and _words(s) <= 30 and not _SENTENCE_END_RE.search(s)


def _mark_top(lines: list[_Line], title: str | None) -> None:
    """Headline (and a standfirst printed twice) at the top: kept as title, not in the text."""
    top = [i for i, ln in enumerate(lines) if ln.text.strip()][:4]
    if not top:
        return
    head = lines[top[0]].text.strip()
    if title:
        for i in top[:2]:  # the headline, sometimes printed twice (kicker + h1)
            if _is_headline(lines[i].text, title):
                lines[i].kind = "headline"
    elif _is_label(head, 25) and _words(head) >= 3:
        lines[top[0]].kind = "headline"
    # a standfirst repeated verbatim further down (teaser text + first paragraph)
    firsts = [lines[i] for i in top[:3] if lines[i].kind is None and lines[i].n_words() >= 8]
    if not firsts:
        return
    later = {ln.norm for ln in lines[top[-1] + 1 :] if ln.text.strip()}
    for ln in firsts:
        if ln.norm in later:
            ln.kind = "headline"


def _assemble(lines: list[_Line], title: str | None) -> CleanResult:
    kept: list[str] = []
    keys: dict[str, None] = {}  # ordered set
    removed: list[Removal] = []
    n_words = 0
    for ln in lines:
        if ln.kind is None:
            kept.append(ln.text)
            key = boilerplate.key_of_words(ln.words)
            if key is not None:
                keys[key] = None
                n_words += ln.n_words()
        elif removed and removed[-1].kind == ln.kind and _was_previous_removed(kept):
            removed[-1] = Removal(ln.kind, removed[-1].text + "\n" + ln.text.strip())
        else:
            removed.append(Removal(ln.kind, ln.text.strip()))
            kept.append("\x00")  # marks where a removal happened, for merging runs
    clean = "\n".join(k for k in kept if k != "\x00")
    clean = re.sub(r"\n{3,}", "\n\n", clean).strip()
    return CleanResult(
        text=clean,
        removed=tuple(removed),
        title=title,
        line_keys=tuple(keys),
        n_words=n_words,  # = _words(clean): a word never spans lines
    )


def _was_previous_removed(kept: list[str]) -> bool:
    """True when nothing but blank lines was kept since the last removal (one run)."""
    for k in reversed(kept):
        if k == "\x00":
            return True
        if k.strip():
            return False
    return False


def _mark_comment_threads(lines: list[_Line]) -> None:
    """Bullet comments and their indented replies that run into a comment prompt."""
    for i, ln in enumerate(lines):
        if ln.kind != "comments":
            continue
        j = _prev_nonblank(lines, i)
        block: list[int] = []
        seen_bullet = False
        while j is not None:
            raw = lines[j].text
            if _BULLET_RE.match(raw):
                seen_bullet = True
                block.append(j)
            elif raw.startswith(("  ", "\t")) and lines[j].kind is None:
                block.append(j)
            else:
                break
            j = _prev_nonblank(lines, j)
        if not seen_bullet:
            continue
        # a run of indented paragraphs under a bullet is the article the poster quoted:
        # story text (replies are bullets, with a line or two of indented text at most)
        run: list[int] = []
        for k in [*sorted(block), None]:
            if k is not None and not _BULLET_RE.match(lines[k].text):
                run.append(k)
                continue
            if len(run) < _QUOTED_ARTICLE_LINES:
                for r in run:
                    lines[r].kind = "comments"
            run = []
            if k is not None:
                lines[k].kind = "comments"


def _mark_trailing_labels(lines: list[_Line]) -> None:
    """Section labels and navigation left after the story's last sentence."""
    for i in range(len(lines) - 1, -1, -1):
        s = lines[i].text.strip()
        if not s or lines[i].kind:
            continue
        if _is_label(s, 5):
            prev = _prev_nonblank(lines, i)
            # only when something above was chrome too, or it sits after the last sentence
            if prev is not None:
                lines[i].kind = "nav"
                continue
        break


def apply_learned(result: CleanResult, learned: frozenset[str], max_share: float) -> CleanResult:
    """Remove the outlet's learned boilerplate lines from a rule-cleaned result.

    When learned lines would take more than `max_share` of the words, the document is a
    repeat of another story of the outlet rather than a page with chrome: nothing goes.
    """
    if not learned or not result.text:
        return result
    lines = [_Line(t) for t in result.text.split("\n")]
    hits = [ln for ln in lines if boilerplate.key_of_words(ln.words) in learned]
    if not hits:
        return result
    if sum(ln.n_words() for ln in hits) > max_share * word_count(result):
        return result
    for ln in hits:
        ln.kind = "learned"
    extra = _assemble(lines, result.title)
    return dataclasses.replace(
        result, text=extra.text, removed=result.removed + extra.removed, n_words=extra.n_words
    )


# --- HTML ---------------------------------------------------------------------------------

_HTML_LANG_RE = re.compile(r"""<html[^>]*\blang\s*=\s*["']?([A-Za-z]{2,3})""", re.I)


def clean_html(html: str, url: str | None = None, title: str | None = None) -> CleanResult:
    """trafilatura extraction with metadata, then the same line rules as plain text."""
    import trafilatura
    from trafilatura.settings import Document
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return CleanResult(text="")
    meta = _metadata(tree, url)
    # trafilatura's defaults but comments. Not favor_precision, though it scores higher on the
    # newspaper4k pages (it drops their non-English comment and newsletter blocks): it also
    # deletes the text that follows an empty inline element ("said <span></span>the plan...")
    # and a standfirst outside the article container; the rules handle the chrome instead.
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        with_metadata=False,
        include_tables=True,
        deduplicate=False,
        favor_precision=False,
    )
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        return CleanResult(text="")
    meta_title = title or meta.title
    match = _HTML_LANG_RE.search(html[:5000])
    result = strip_boilerplate(
        doc.text or "", title=meta_title, language=match.group(1) if match else None
    )
    return dataclasses.replace(
        result,
        title=meta_title or result.title,
        author=meta.author,
        sitename=meta.sitename,
        url=meta.url or url,
        published_at=_parse_date(meta.date),
    )


def _metadata(tree: Any, url: str | None) -> Any:
    """trafilatura's metadata steps that we store (title, author, site, URL, date).

    Its full `extract_metadata` also searches the page body for authors, categories, tags
    and a licence, and runs htmldate's free-text date search: about a fifth of the whole
    extraction time for fields we do not use. Bylines in the text are removed by the rules.
    """
    from htmldate import find_date
    from trafilatura.metadata import (
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a handle or a site name, not a person
    with contextlib.suppress(Exception):  # JSON-LD on real pages is often broken
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.sitename = meta.sitename or extract_sitename(tree)
    meta.date = find_date(tree, extensive_search=False, original_date=True, url=meta.url)
    return meta


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def clean_document(
    raw: bytes, fmt: str, url: str | None, title: str | None, max_bytes: int | None = None
) -> CleanResult:
    """Pure: bytes of one input to rule-cleaned text. Raises DecodeError for unusable input."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise DecodeError(f"input is {len(raw)} bytes, over the limit of {max_bytes}")
    text = decode_bytes(raw, is_html=fmt == "html")
    if looks_binary(text):
        raise DecodeError("binary content, not text")
    if fmt == "html":
        return clean_html(text, url=url, title=title)
    return strip_boilerplate(text, title=title)


def _clean_many(items: list[tuple[bytes, str, str | None, str | None, int]]) -> list:
    return [_clean_one(it) for it in items]


def _clean_one(item: tuple[bytes, str, str | None, str | None, int]) -> CleanResult | str:
    """Worker: one document, a DecodeError turned into its message (picklable)."""
    try:
        return clean_document(*item)
    except DecodeError as exc:
        return str(exc)


_TEXT_PER_PAGE = 40  # plain-text documents cleaned in the time of one HTML page


class Cleaner:
    """clean_document over many documents through an executor (pipeline.executor): inline
    for small batches, the executor's workers otherwise."""

    def __init__(self, cfg: CleanConfig, executor: Executor | None = None) -> None:
        self.cfg = cfg
        self._sized = Sized(executor, cfg.workers, cfg.pool_min_docs)
        self.workers = self._sized.workers

    def map(self, items: list[tuple[bytes, str, str | None, str | None, int]]) -> list:
        return self.submit(items)()

    def submit(
        self, items: list[tuple[bytes, str, str | None, str | None, int]]
    ) -> Callable[[], list]:
        """Start cleaning items; the returned function waits for and returns the outcomes.

        With workers, the caller stores the previous batch while this one is cleaned.
        """
        # workers pay off past pool_min_docs HTML pages; plain text is ~40x cheaper to clean
        weight = sum(1.0 if it[1] == "html" else 1 / _TEXT_PER_PAGE for it in items)
        executor = self._sized.over(weight)
        size = max(1, min(16, len(items) // (executor.workers * 4)))
        wait = executor.map(_clean_many, [items[i : i + size] for i in range(0, len(items), size)])
        return lambda: [outcome for part in wait() for outcome in part]

    def close(self) -> None:
        self._sized.close()

    def __enter__(self) -> Cleaner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- stage ------------------------------------------------------------------------------


def invalidate(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]) -> int:
    """Forget the cleaning of these documents so the stage redoes them (detection sees
    their new clean text by itself: pipeline.detect.stale)."""
    if not doc_ids:
        return 0
    ids = {"ids": list(doc_ids)}
    con.execute("delete from cleaned where doc_id in (select unnest($ids))", ids)
    con.execute("delete from removed_spans where doc_id in (select unnest($ids))", ids)
    con.execute(
        "delete from rejected_inputs where stage = 'clean' and doc_id in (select unnest($ids))",
        ids,
    )
    return len(doc_ids)


def reset(con: duckdb.DuckDBPyConnection) -> int:
    """Forget all cleaning and learned boilerplate (for `clean --redo`)."""
    n = con.execute("select count(*) from cleaned").fetchall()[0][0]
    for table in ("cleaned", "removed_spans", "outlet_lines", "learned_boilerplate"):
        con.execute(f"delete from {table}")
    con.execute("delete from rejected_inputs where stage = 'clean'")
    return n


def run(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    run_id: str | None = None,
    redo: bool = False,
    executor: Executor | None = None,
) -> StageResult:
    """Clean every ingested document not yet cleaned; with redo, everything again."""
    result = StageResult("clean")
    if redo:
        with db.transaction(con):
            result.add("reset", reset(con))
    elif older := older_rules(con):
        result.add("older_rules", older)
        log.warning(
            "%d documents were cleaned by other rules (not %s); 'newsdedup clean --redo' "
            "re-cleans them",
            older,
            cleaner_version(),
        )
    attempts: dict[str, int] = {}
    with Cleaner(cfg.clean, executor) as cleaner:
        # one pass over what is pending; documents that a pass re-queued (learning changed a
        # line they carry) make the next pass, and each is cleaned at most twice a run
        while True:
            pending = [
                row
                for row in con.execute(
                    """
                    select doc_id, source, format, url, title, outlet, doc_seq, size_bytes
                    from documents
                    where doc_id not in (select doc_id from cleaned)
                      and doc_id not in (
                          select doc_id from rejected_inputs where doc_id is not null)
                    order by doc_seq
                    """
                ).fetchall()
                if attempts.get(row[0], 0) < 2
            ]
            if not pending:
                break
            queued: deque = deque()
            for chunk in _batches(pending, cfg.clean.batch_docs, cfg.clean.batch_bytes):
                for row in chunk:
                    attempts[row[0]] = attempts.get(row[0], 0) + 1
                # the doc_seq range lets DuckDB skip the row groups of other documents
                # instead of reading every stored page
                raws = dict(
                    con.execute(
                        """
                        select doc_id, raw from documents
                        where doc_seq between $lo and $hi and doc_id in (select unnest($ids))
                        """,
                        {
                            "ids": [row[0] for row in chunk],
                            "lo": min(row[6] for row in chunk),
                            "hi": max(row[6] for row in chunk),
                        },
                    ).fetchall()
                )
                items = [
                    (raws[doc_id], fmt, url, title, cfg.clean.max_bytes)
                    for doc_id, _, fmt, url, title, _, _, _ in chunk
                ]
                # cleaned while earlier batches are stored: two queued on the pool, so the
                # workers never wait for the parent's bookkeeping
                queued.append((chunk, cleaner.submit(items), raws))
                if len(queued) > 2:
                    done, outcomes, held = queued.popleft()
                    _store(con, done, outcomes(), held, cfg, result, run_id)
            while queued:
                done, outcomes, held = queued.popleft()
                _store(con, done, outcomes(), held, cfg, result, run_id)
    return result


def _batches(rows: list[tuple], max_docs: int, max_bytes: int) -> Iterator[list[tuple]]:
    """Runs of pending rows (size in bytes last) of at most max_docs and max_bytes
    (a single larger document is a batch of its own)."""
    batch: list[tuple] = []
    held = 0
    for row in rows:
        if batch and (len(batch) >= max_docs or held + row[-1] > max_bytes):
            yield batch
            batch, held = [], 0
        batch.append(row)
        held += row[-1]
    if batch:
        yield batch


def _store(
    con: duckdb.DuckDBPyConnection,
    pending: list[tuple],
    outcomes: list[CleanResult | str],
    raws: dict[str, bytes],
    cfg: Config,
    result: StageResult,
    run_id: str | None,
) -> None:
    """One transaction: record lines, relearn, re-queue affected documents, store the batch."""
    rejected: list[Rejection] = []
    good: list[tuple[str, str, CleanResult]] = []
    formats: dict[str, tuple[str, str]] = {}
    for (doc_id, source, fmt, _, _, outlet, *_), outcome in zip(pending, outcomes, strict=True):
        formats[doc_id] = (source, fmt)
        if isinstance(outcome, str):
            rejected.append(Rejection(source, "clean", outcome, None, len(raws[doc_id]), doc_id))
        else:
            good.append((doc_id, outlet, outcome))
    with db.transaction(con):
        learned = learn(con, good, cfg.clean, result)
        rows: list[tuple[str, CleanResult]] = []
        for doc_id, outlet, cleaned in good:
            source, fmt = formats[doc_id]
            done = finish_document(cleaned, learned[outlet], cfg.clean, fmt)
            if isinstance(done, str):
                rejected.append(Rejection(source, "clean", done, None, len(raws[doc_id]), doc_id))
                continue
            rows.append((doc_id, done))
        insert_cleaned(con, rows)
        db.record_rejections(con, rejected, run_id)
    result.rejected.extend(rejected)
    result.add("cleaned", len(rows))
    result.add("removed_spans", sum(len(c.removed) for _, c in rows))


def learn(
    con: duckdb.DuckDBPyConnection,
    good: Sequence[tuple[str, str, CleanResult]],
    cfg: CleanConfig,
    result: StageResult,
) -> dict[str, frozenset[str]]:
    """Record the (doc_id, outlet, rule-cleaned) lines, relearn, re-queue stale documents;
    returns the learned line hashes of the outlets in `good`."""
    boilerplate.record_lines(con, ((d, o, c.line_keys) for d, o, c in good))

    def text_of(keys: set[str]) -> dict[str, str]:
        # line texts only for the few hashes being learned (hashing every line is costly)
        found: dict[str, str] = {}
        for _, _, c in good:
            if keys.isdisjoint(c.line_keys):
                continue
            for line in c.text.split("\n"):
                key = boilerplate.line_key(line)
                if key in keys:
                    found.setdefault(key, line.strip())
        return found

    keys = {k for _, _, c in good for k in c.line_keys}
    changed = boilerplate.relearn(con, keys, text_of, cfg.learn_min_docs)
    batch_ids = {d for d, _, _ in good}
    stale = [d for d in boilerplate.docs_with(con, changed) if d not in batch_ids]
    if stale:
        invalidate(con, stale)
        result.add("recleaned", len(stale))
        log.info("learned boilerplate changed: %d documents re-queued", len(stale))
    return boilerplate.learned_for(con, (o for _, o, _ in good))


def word_count(cleaned: CleanResult) -> int:
    return cleaned.n_words if cleaned.n_words >= 0 else _words(cleaned.text)


def finish_document(
    cleaned: CleanResult, learned: frozenset[str], cfg: CleanConfig, fmt: str
) -> CleanResult | str:
    """Pure: the outlet's learned lines removed; the rejection reason when too little is left."""
    cleaned = apply_learned(cleaned, learned, cfg.learn_max_share)
    if word_count(cleaned) < max(cfg.min_words, 1):
        return "no article text found" if fmt == "html" else "no text left after cleaning"
    return cleaned


def insert_cleaned_sql(source: str, where: str = "") -> str:
    """insert into cleaned from a relation with the cleaned columns (a batch, Parquet rows)."""
    return f"""
        insert into cleaned
        select doc_id, clean_text, n_words, title, author, sitename, url, published_at,
               '{cleaner_version()}', current_timestamp
        from {source} {where}
    """


def insert_cleaned(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, CleanResult]]) -> None:
    """Store finished clean results (cleaned and removed_spans); idempotent."""
    cleaned = pa.table(
        {
            "doc_id": [d for d, _ in rows],
            "clean_text": [c.text for _, c in rows],
            "n_words": pa.array([word_count(c) for _, c in rows], pa.int32()),
            "title": [c.title for _, c in rows],
            "author": [c.author for _, c in rows],
            "sitename": [c.sitename for _, c in rows],
            "url": [c.url for _, c in rows],
            "published_at": pa.array([c.published_at for _, c in rows], pa.timestamp("us")),
        }
    )
    removed = pa.table(
        {
            "doc_id": [d for d, c in rows for _ in c.removed],
            "span_no": pa.array([i for _, c in rows for i in range(len(c.removed))], pa.int32()),
            "kind": [r.kind for _, c in rows for r in c.removed],
            "text": [r.text for _, c in rows for r in c.removed],
        }
    )
    con.register("cleaned_batch", cleaned)
    con.register("removed_batch", removed)
    try:
        con.execute(
            insert_cleaned_sql("cleaned_batch", "where doc_id not in (select doc_id from cleaned)")
        )
        con.execute(
            """
            insert into removed_spans
            select * from removed_batch
            where doc_id not in (select doc_id from removed_spans)
            """
        )
    finally:
        con.unregister("cleaned_batch")
        con.unregister("removed_batch")


# --- show -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentView:
    """One document as `newsdedup show` prints it."""

    meta: dict[str, object]
    clean_text: str | None
    removed: list[tuple[str, str]]  # (family, text) in document order


def describe(con: duckdb.DuckDBPyConnection, doc_id: str) -> DocumentView:
    """Metadata, clean text and removed spans of one document (a unique id prefix will do)."""
    cur = con.execute(
        """
        select d.doc_id, d.doc_seq, d.source, d.outlet, d.outlet_basis, d.format,
               coalesce(d.url, c.url) as url, coalesce(d.title, c.title) as title,
               coalesce(d.published_at, c.published_at) as published_at,
               c.author, c.sitename, c.n_words, c.cleaner_version, c.cleaned_at,
               (select string_agg(reason, '; ') from rejected_inputs as r
                where r.doc_id = d.doc_id) as rejected,
               c.clean_text
        from documents as d
        left join cleaned as c on c.doc_id = d.doc_id
        where d.doc_id like ? || '%'
        order by d.doc_seq
        limit 2
        """,
        [doc_id.strip().lower()],
    )
    cols = [c[0] for c in cur.description]
    rows = cur.fetchall()
    if not rows:
        raise InputError(f"no document {doc_id!r} (see 'newsdedup report articles')")
    if len(rows) > 1:
        raise InputError(f"document id prefix {doc_id!r} is ambiguous; give more characters")
    meta = dict(zip(cols, rows[0], strict=True))
    text = meta.pop("clean_text")
    removed = con.execute(
        "select kind, text from removed_spans where doc_id = ? order by span_no",
        [meta["doc_id"]],
    ).fetchall()
    return DocumentView(meta=meta, clean_text=text, removed=[(k, t) for k, t in removed])


# --- evaluation ---------------------------------------------------------------------------


def token_prf(gold: str, pred: str) -> tuple[int, int, int]:
    """(matched, predicted, gold) token counts: multiset overlap of casefolded words."""
    g = Counter(_WORD_RE.findall(gold.casefold()))
    p = Counter(_WORD_RE.findall(pred.casefold()))
    return sum((g & p).values()), sum(p.values()), sum(g.values())


def line_prf(source: str, gold: str, pred: str) -> tuple[int, int, int]:
    """(matched, predicted, gold) counts of removed lines: lines of `source` absent from the text."""
    src = {n for n in (_norm_words(x) for x in source.split("\n")) if n}
    gold_kept = {_norm_words(x) for x in gold.split("\n")}
    pred_kept = {_norm_words(x) for x in pred.split("\n")}
    g = src - gold_kept
    p = src - pred_kept
    return len(g & p), len(p), len(g)
