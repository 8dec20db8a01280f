"""Small immutable records passed between stages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class InputMeta:
    """Metadata known about one input before its text is read."""

    outlet: str | None = None
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RawDocument:
    source: str
    outlet: str
    outlet_basis: str
    url: str | None
    title: str | None
    published_at: datetime | None
    format: str
    raw: bytes
    published_basis: str | None = None  # metadata | markup | crawl


@dataclass(frozen=True, slots=True)
class Rejection:
    source: str
    stage: str
    reason: str
    raw: bytes | None = None
    size_bytes: int | None = None
    doc_id: str | None = None


@dataclass(frozen=True, slots=True)
class Removal:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class CleanResult:
    text: str
    removed: tuple[Removal, ...] = ()
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    line_keys: tuple[str, ...] = ()  # hashes of the lines the rules kept (outlet learning)
    n_words: int = -1  # words of text, counted where the text was made; -1 when unknown


@dataclass(frozen=True, slots=True)
class Span:
    """A shared span between documents a and b, character offsets into each clean text."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_words: int
    b_words: int
    matched_words: int
    # verbatim: every word matched | edited: exact runs across edits | paraphrase: found on
    # sentence word sets (few exact runs: reworded, translated, summarised)
    kind: str = "edited"
    lane: str = "exact"  # exact: word runs | sentence: sentences sharing their content words
    nested: bool = False  # an exact span inside a sentence-lane span of the same pair


@dataclass(slots=True)
class StageResult:
    stage: str
    counts: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step
    started: float = field(default_factory=time.perf_counter)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - t


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One article read from an input file (a whole file, a JSONL line, a WARC record)."""

    source: str  # path, path#L<line>, path#<id> or path#<WARC-Record-ID>
    format: str  # txt | html: how the raw bytes are cleaned
    raw: bytes
    fields: dict  # metadata carried by the record itself: url, outlet, title, published_at
    placeholder: str  # the outlet when nothing else names one; unique per record


# --- detection's rows between its steps (tuples with names: cheap to pickle and sort) ------


class PassageEdge(NamedTuple):
    """A passage candidate: a new document's passage and an earlier one's sharing bands."""

    doc_new: int
    p_new: int
    doc_old: int
    p_old: int
    exact_lane: bool  # found by the exact lane's bands (else by the word lane's)
    # distinct shingles the passages share when the exact lane's containment test passes
    # (exact-lane candidates only), else 0
    shared: int = 0
    # content-word stems they share when the word lane's Jaccard test passes, else 0
    word_shared: int = 0


class PairEvidence(NamedTuple):
    """What the passage candidates of one (earlier, new) document pair showed, counted in
    the band join (PassageEdge's tests, pair by pair)."""

    doc_old: int
    doc_new: int
    long: int = 0  # exact-lane passage pairs sharing passage_min_shared shingles or more
    short: int = 0  # exact-lane passage pairs sharing fewer (a short shared run)
    words: int = 0  # word-lane passage pairs verified, besides the long ones
    word_best: int = 0  # the most stems one of those shares


class PairRow(NamedTuple):
    """A verified document pair (a doc_pairs row), doc_a earlier than doc_b by doc_seq."""

    doc_a: int
    doc_b: int
    jaccard: float
    containment: float
    shared_words: int
    n_spans: int
    via: str  # how it was found: doc, passage, words, joined by '+'
    is_syndication: bool
    coverage: float
    relation: str | None  # duplicate | republished | partial, for syndication pairs


class SpanRow(NamedTuple):
    """An aligned span of a pair (an alignments row) with the quoted share of each side."""

    doc_a: int
    doc_b: int
    span: Span
    a_quote_share: float
    b_quote_share: float
