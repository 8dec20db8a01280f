"""The line-rule engine: the rule tables (pipeline.rules) applied to a text line by line,
with the context rules (a caption's heading, a comment thread, a teaser block, the repeated
headline) and the outlet's learned lines; every removal recorded with its family."""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline import boilerplate, rules
from pipeline.records import CleanResult, Removal

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


# what a comment thread looks like under its heading: reply and report links, vote counts,
# "3 hours ago" stamps, sign-in prompts (in the languages with rule tables)
_THREAD_RE = re.compile(
    r"\b(?:repl(?:y|ies)|report|flag|upvote|downvote|likes?|\d+\s+(?:seconds?|minutes?|mins?|"
    r"hours?|hrs?|days?|weeks?|months?|years?)\s+ago|(?:log|sign) in to (?:comment|reply)|"
    r"antworten|melden|responder|répondre|rispondi|responda|vor \d+ (?:minuten|stunden|tagen)|"
    r"hace \d+|il y a \d+)\b",
    re.I,
)


def _thread_follows(opener: str, after: Sequence[_Line]) -> bool:
    """Whether a comment heading opens a thread: it counts its comments ("12 comments"), or
    a line under it carries a thread's marks. A lone "Comments" line is not evidence."""
    return any(ch.isdigit() for ch in opener) or any(_THREAD_RE.search(x.text) for x in after)


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
                if to_end and not _thread_follows(s, lines[j : j + 6]):
                    break  # a lone "Comments" line goes; the text after it is no thread
                tagged = j < len(lines) and bool(_TAG_RE.search(lines[j].text))
                while j < len(lines):
                    if not to_end and not lines[j].text.strip():
                        # items a blank line apart: headlines, each a whole line
                        nxt = next(
                            (k for k in range(j + 1, len(lines)) if lines[k].text.strip()), None
                        )
                        if (
                            nxt is None
                            or not _is_spaced_item(lines[nxt].text)
                            or _first_rule(lines[nxt].text.strip(), line_rules, combined)
                        ):
                            break  # (a line a rule names, a trailer say, is no headline)
                        j = nxt
                    if not (
                        to_end
                        or (
                            _is_block_item(lines[j].text)
                            and (not tagged or _TAG_RE.search(lines[j].text))
                        )
                    ):
                        break
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


def _is_spaced_item(line: str) -> bool:
    """A teaser-list item printed as its own paragraph: a headline's length."""
    return _is_block_item(line) and 4 <= _words(line.strip()) <= 20


def _heads_the_story(lines: list[_Line], top: list[int]) -> bool:
    """Evidence that a plain text's first line is its headline when no title is known: it
    stands alone (a blank line under it) or is written in headline capitals, above a
    paragraph of the story (a sentence)."""
    first = top[0]
    alone = first + 1 < len(lines) and not lines[first + 1].text.strip()
    prose = any(
        lines[i].n_words() >= 8 or _SENTENCE_END_RE.search(lines[i].text.strip()) for i in top[1:3]
    )
    return (alone or _title_cased(lines[first].text)) and prose


def _title_cased(line: str) -> bool:
    """Headline capitals: most words of four letters or more start with one."""
    long = [w for w in _WORD_RE.findall(line) if len(w) >= 4 and w[0].isalpha()]
    return len(long) >= 2 and sum(w[0].isupper() for w in long) >= 0.75 * len(long)


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
    elif _is_label(head, 25) and _words(head) >= 3 and _heads_the_story(lines, top):
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


# a short line that carries data is story, not navigation: a number (an address, "390 kcal",
# a phone number, a score) or a fixture ("Southampton v Portsmouth")
_DATA_RE = re.compile(r"\d|\S\s+(?:v|vs\.?)\s+\S")


def _mark_trailing_labels(lines: list[_Line]) -> None:
    """Section labels and navigation left after the story's last sentence."""
    for i in range(len(lines) - 1, -1, -1):
        s = lines[i].text.strip()
        if not s or lines[i].kind:
            continue
        if _is_label(s, 5) and not _DATA_RE.search(s):
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


def word_count(cleaned: CleanResult) -> int:
    return cleaned.n_words if cleaned.n_words >= 0 else _words(cleaned.text)
