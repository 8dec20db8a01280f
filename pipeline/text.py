"""Text units: word tokens with offsets, passages, quotation regions. Pure functions."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import xxhash

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# Where a passage may end: after a sentence end, at a quotation boundary, at ; or :
_SENTENCE_END_RE = re.compile(r"""[.!?…]+["”’)\]]*(?=\s+["“‘(\[]?[^\s\w]?\w)""")
_CLAUSE_RE = re.compile(r"""(?<=\w[,;:])\s+(?=["“‘])|(?<=[;:])\s+|(?<=["”])\s+|\s+(?=“)""")
_PARA_RE = re.compile(r"\n\s*")


@dataclass(frozen=True, slots=True)
class Tokens:
    """Normalised words of a text and where each one sits in it."""

    words: list[str]
    starts: np.ndarray  # int32 char offset of each word
    ends: np.ndarray
    text: str = ""

    def __len__(self) -> int:
        return len(self.words)


# function words of the languages the cleaner knows: they say nothing about reuse
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves said says say mr mrs ms one two would could may might must shall
    de la le les el los las del des du en et y un une una der die das und ein eine im zu von
    il lo di da che e o os as do da em um uma per con non""".split()
)
_STEM = 5  # characters of a word kept as its stem: inflections of one word meet


def content_stem(word: str) -> str | None:
    """A word's stem, or None for function words, numbers and words of 1-2 letters."""
    return None if len(word) <= 2 or word in STOPWORDS or word.isdigit() else word[:_STEM]


def hash_stem(stem: str) -> int:
    """The 32-bit hash of a stem (xxh32, as word hashes)."""
    return xxhash.xxh32_intdigest(stem.encode())


def content_stems(words: list[str]) -> list[str | None]:
    """content_stem of each word."""
    return [content_stem(w) for w in words]


def normalise_word(word: str) -> str:
    return word.casefold().replace("’", "'")


def tokenize(text: str) -> Tokens:
    found = _word_mask(text)
    if found is None:
        spans = [m.span() for m in WORD_RE.finditer(text)]
        bounds = np.array(spans, dtype=np.int32).reshape(-1, 2)
        starts, ends = bounds[:, 0].copy(), bounds[:, 1].copy()
    else:
        # (np.diff with prepend and append costs twice this on an article's characters)
        padded = np.zeros(len(found) + 2, dtype=np.int8)
        padded[1:-1] = found
        edges = padded[1:] - padded[:-1]
        starts = np.flatnonzero(edges == 1).astype(np.int32)
        ends = np.flatnonzero(edges == -1).astype(np.int32)
    folded = _fold(text)
    if len(folded) != len(text):  # casefolding moved the offsets
        words = words_only(text)
        if len(words) != len(starts):  # and changed a word boundary: word by word
            words = [
                normalise_word(text[a:b])
                for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            ]
    elif found is not None:
        # the folded text's characters outside words made spaces, split: the words at
        # the same offsets, without a slice per word (no word holds a space)
        chars = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
        words = np.where(found, chars, np.uint32(32)).tobytes().decode("utf-32-le").split()
    else:
        words = [folded[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return Tokens(words, starts, ends, text)


_ASCII_WORD = np.array([chr(c).isalnum() for c in range(128)], dtype=bool)


def _word_mask(text: str) -> np.ndarray | None:
    """Which characters belong to WORD_RE's matches, found with array operations on the
    characters (letters and digits make words; an apostrophe between two of them joins
    them); None when the text cannot be read as code points (lone surrogates)."""
    try:
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:
        return None
    wide = cps > 127
    is_word = _ASCII_WORD[np.where(wide, 0, cps)]
    if wide.any():
        chars, where = np.unique(cps[wide], return_inverse=True)
        is_word[wide] = np.array([chr(c).isalnum() for c in chars.tolist()], dtype=bool)[where]
    inside = is_word.copy()
    apostrophe = (cps[1:-1] == 39) | (cps[1:-1] == 0x2019)
    inside[1:-1] |= apostrophe & is_word[:-2] & is_word[2:]
    return inside


def words_only(text: str) -> list[str]:
    """Normalised words without offsets: the fast path for signatures."""
    return WORD_RE.findall(_fold(text))


def _fold(text: str) -> str:
    return text.casefold().replace("’", "'")


_CLAUSE_CHAR_RE = re.compile(r"""[,;:"”“]""")


def _clause_cuts(text: str) -> list[int]:
    """Where _CLAUSE_RE would cut, found from its few trigger characters (many times faster
    than trying its look-behind alternatives at every position)."""
    n = len(text)
    cuts = []
    for m in _CLAUSE_CHAR_RE.finditer(text):
        i = m.start()
        ch = text[i]
        if ch == "“":  # whitespace before an opening quote
            j = i
            while j > 0 and text[j - 1].isspace():
                j -= 1
            if j < i:
                cuts.append(j)
            continue
        k = i + 1
        if k >= n or not text[k].isspace():
            continue
        if ch in ';:"”':  # after a semicolon, a colon or a quotation mark
            cuts.append(k)
            continue
        e = k  # "word, “..." : a comma before a quotation
        while e < n and text[e].isspace():
            e += 1
        prev = text[i - 1] if i else ""
        if e < n and text[e] in '"“‘' and (prev.isalnum() or prev == "_"):
            cuts.append(k)
    return cuts


def _segments(text: str) -> list[tuple[int, int]]:
    """Paragraphs split at sentence ends, quotation boundaries, semicolons and colons."""
    return _cut(text, clauses=True)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text's sentences: cut at sentence ends and paragraph breaks."""
    return _cut(text, clauses=False)


def _cut(text: str, clauses: bool) -> list[tuple[int, int]]:
    """The text's non-blank pieces between paragraph breaks and sentence ends (and clause
    boundaries), each without its surrounding whitespace."""
    cuts = {0, len(text)}
    for rx in (_PARA_RE, _SENTENCE_END_RE):
        for m in rx.finditer(text):
            cuts.add(m.end())
    if clauses:
        cuts.update(_clause_cuts(text))
    points = sorted(cuts)
    out = []
    for a, b in zip(points, points[1:], strict=False):
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail > lead:
            out.append((a + lead, a + trail))
    return out


def split_passages(
    text: str, min_words: int = 5, max_words: int = 60
) -> list[tuple[int, int, int]]:
    """(start_char, end_char, n_words) passages: clauses merged up to min_words, split at max_words."""
    counted = ((a, b, len(WORD_RE.findall(text, a, b))) for a, b in _segments(text))
    return _passages(text, counted, min_words, max_words)


def passages_and_words(
    text: str, min_words: int = 5, max_words: int = 60
) -> tuple[list[tuple[int, int, int]], list[str]]:
    """split_passages(text) and words_only(text) from one pass of the word pattern.

    Segments only cut at whitespace or after punctuation, so no word spans two of them:
    the words found segment by segment (in the casefolded text, same offsets) are all of
    the text's.
    """
    folded = _fold(text)
    if len(folded) != len(text):  # casefolding moved the offsets: two passes
        return split_passages(text, min_words, max_words), words_only(text)
    words: list[str] = []

    def counted() -> Iterator[tuple[int, int, int]]:
        for a, b in _segments(text):
            found = WORD_RE.findall(folded, a, b)
            words.extend(found)
            yield a, b, len(found)

    return _passages(text, counted(), min_words, max_words), words


def passages_of(
    tokens: Tokens, min_words: int = 5, max_words: int = 60
) -> list[tuple[int, int, int]]:
    """split_passages(tokens.text), the words of each segment counted from their offsets."""
    segments = _segments(tokens.text)
    if not segments:
        return []
    bounds = np.array(segments, dtype=np.int64)
    n = np.searchsorted(tokens.starts, bounds[:, 1]) - np.searchsorted(tokens.starts, bounds[:, 0])
    counted = ((a, b, c) for (a, b), c in zip(segments, n.tolist(), strict=True))
    return _passages(tokens.text, counted, min_words, max_words)


def _passages(
    text: str, counted: Iterable[tuple[int, int, int]], min_words: int, max_words: int
) -> list[tuple[int, int, int]]:
    """Segments with their word counts merged up to min_words and split at max_words."""
    merged: list[list[int]] = []  # [start, end, n_words]
    for a, b, n in counted:
        if n == 0:
            continue
        if merged and merged[-1][2] < min_words:
            merged[-1][1] = b
            merged[-1][2] += n
        else:
            merged.append([a, b, n])
    if len(merged) > 1 and merged[-1][2] < min_words:
        tail = merged.pop()
        merged[-1][1] = tail[1]
        merged[-1][2] += tail[2]
    out: list[tuple[int, int, int]] = []
    for a, b, n in merged:
        if n <= max_words:
            out.append((a, b, n))
            continue
        spans = [m.span() for m in WORD_RE.finditer(text, a, b)]
        pieces = -(-n // max_words)
        size = -(-n // pieces)
        for i in range(0, n, size):
            chunk = spans[i : i + size]
            out.append((chunk[0][0], chunk[-1][1], len(chunk)))
    return out


# --- quotation marks --------------------------------------------------------------------

_CLOSE = {"“": "”", "„": "“", "«": "»", '"': '"'}
# an opening mark; ‘ opens only where no letter or digit stands before it (not in "rock‘n")
_OPENER_RE = re.compile(r'[“„«"]|(?<![^\W_])‘')
_MARK_RE = re.compile(r'[“„«"‘]')  # a plain character set: scanned many times faster


def _next_opener(text: str, i: int) -> re.Match | None:
    """_OPENER_RE.search(text, i), its look-behind checked by hand."""
    while (m := _MARK_RE.search(text, i)) is not None:
        j = m.start()
        if text[j] != "‘" or j == 0 or not text[j - 1].isalnum():
            return m
        i = j + 1
    return None


# ’ closes a quotation only where no letter follows it: "don’t" is an apostrophe
_CLOSE_SINGLE_RE = re.compile(r"’(?![^\W\d_])")


def quote_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks.

    A quotation runs to its closing mark or, as in news copy where a quote goes on over
    several paragraphs, to the end of the paragraph.
    """
    regions: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while (m := _next_opener(text, i)) is not None:
        start = m.start()
        p_end = text.find("\n", start)
        p_end = n if p_end < 0 else p_end
        if m.group() == "‘":
            close = _CLOSE_SINGLE_RE.search(text, start + 1, p_end)
            end = close.end() if close else p_end
        else:
            k = text.find(_CLOSE[m.group()], start + 1, p_end)
            end = k + 1 if k >= 0 else p_end
        regions.append((start, end))
        i = max(end, start + 1)
    return regions


def quoted_share(regions: list[tuple[int, int]], start: int, end: int) -> float:
    """Share of [start, end) that lies inside the quotation regions."""
    if end <= start:
        return 0.0
    covered = 0
    idx = max(bisect_right([r[0] for r in regions], start) - 1, 0)
    for a, b in regions[idx:]:
        if a >= end:
            break
        covered += max(0, min(b, end) - max(a, start))
    return covered / (end - start)
