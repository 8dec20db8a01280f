"""Text-alignment measures of PAN (Potthast et al., COLING 2010; PAN 2013 overview).

A case (a reused passage from the truth) and a detection (an aligned pair the pipeline
found) are both a ``Passage``: a character range in the suspicious document and one in the
source document of one (suspicious, source) document pair. A detection *detects* a case when
both belong to the same document pair and overlap on the suspicious side and on the source
side. Characters are counted on both sides.

- recall (macro): mean over cases of the share of the case's characters covered by the
  detections that detect it;
- precision (macro): the same with cases and detections swapped;
- granularity: mean number of detections per detected case (1 when none is detected);
- plagdet: F1(precision, recall) / log2(1 + granularity).

Empty inputs follow the PAN reference script (perfmeasures.py): no cases and no detections
give recall = precision = 1; cases without detections, or detections without cases, give 0
for both. So a run that finds nothing scores 0, and so does one that finds anything in a
corpus without reuse (for that, count the pairs with a detection instead).

Cleaning is scored with `token_prf` (kept words against a gold text) and `line_prf`
(removed lines against the lines the gold text removes).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.linerules import _WORD_RE, _norm_words

Range = tuple[int, int]  # [start, end) in characters


@dataclass(frozen=True, slots=True)
class Passage:
    """A char range in a suspicious document and one in its source document."""

    susp_doc: str
    src_doc: str
    susp: Range
    src: Range

    @property
    def n_chars(self) -> int:
        """Characters on both sides."""
        return _len(self.susp) + _len(self.src)


@dataclass(frozen=True, slots=True)
class Scores:
    """The PAN figures of a set of detections against a set of cases."""

    precision: float
    recall: float
    granularity: float
    plagdet: float
    n_cases: int
    n_detections: int
    n_detected_cases: int


def _len(r: Range) -> int:
    return max(0, r[1] - r[0])


def overlap(a: Range, b: Range) -> int:
    """Characters two ranges share."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def covered(target: Range, ranges: Iterable[Range]) -> int:
    """Characters of target covered by the union of ranges (overlaps counted once)."""
    clipped = sorted(
        (max(s, target[0]), min(e, target[1])) for s, e in ranges if overlap(target, (s, e))
    )
    total, reach = 0, target[0]
    for s, e in clipped:
        s = max(s, reach)
        if e > s:
            total += e - s
            reach = e
    return total


def detects(case: Passage, detection: Passage) -> bool:
    """True when both are in the same document pair and overlap on both sides."""
    return (
        case.susp_doc == detection.susp_doc
        and case.src_doc == detection.src_doc
        and overlap(case.susp, detection.susp) > 0
        and overlap(case.src, detection.src) > 0
    )


def _by_pair(passages: Iterable[Passage]) -> dict[tuple[str, str], list[Passage]]:
    index: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for p in passages:
        index[(p.susp_doc, p.src_doc)].append(p)
    return index


def passage_recall(target: Passage, others: Iterable[Passage]) -> float:
    """Share of target's characters (both sides) covered by the others that overlap it."""
    hits = [o for o in others if detects(target, o)]
    if not hits or target.n_chars == 0:
        return 0.0
    got = covered(target.susp, (o.susp for o in hits)) + covered(target.src, (o.src for o in hits))
    return got / target.n_chars


def _macro(targets: Sequence[Passage], others: Sequence[Passage]) -> float:
    if not targets and not others:
        return 1.0
    if not targets or not others:
        return 0.0
    index = _by_pair(others)
    total = sum(passage_recall(t, index.get((t.susp_doc, t.src_doc), ())) for t in targets)
    return total / len(targets)


def macro_recall(cases: Sequence[Passage], detections: Sequence[Passage]) -> float:
    """Mean over cases of the share of each case's characters that its detections cover."""
    return _macro(cases, detections)


def macro_precision(cases: Sequence[Passage], detections: Sequence[Passage]) -> float:
    """Mean over detections of the share of each detection's characters its cases cover."""
    return _macro(detections, cases)


def detections_per_case(cases: Sequence[Passage], detections: Sequence[Passage]) -> list[int]:
    """How many detections detect each case, in the order of cases."""
    index = _by_pair(detections)
    return [sum(detects(c, d) for d in index.get((c.susp_doc, c.src_doc), ())) for c in cases]


def granularity(cases: Sequence[Passage], detections: Sequence[Passage]) -> float:
    """Mean number of detections per detected case; 1 when no case is detected."""
    detected = [n for n in detections_per_case(cases, detections) if n > 0]
    return sum(detected) / len(detected) if detected else 1.0


def f1(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall; 0 when both are 0."""
    if precision <= 0 or recall <= 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def plagdet(precision: float, recall: float, gran: float) -> float:
    """F1 discounted by granularity: F1 / log2(1 + granularity); 0 if gran < 1."""
    if gran < 1:
        return 0.0
    return f1(precision, recall) / math.log2(1 + gran)


def score(cases: Sequence[Passage], detections: Sequence[Passage]) -> Scores:
    """Precision, recall, granularity and plagdet of detections against cases."""
    p = macro_precision(cases, detections)
    r = macro_recall(cases, detections)
    g = granularity(cases, detections)
    detected = [n for n in detections_per_case(cases, detections) if n > 0]
    return Scores(
        precision=p,
        recall=r,
        granularity=g,
        plagdet=plagdet(p, r, g),
        n_cases=len(cases),
        n_detections=len(detections),
        n_detected_cases=len(detected),
    )


# --- cleaning: token and removed-line overlap -------------------------------------------


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


# --- boilerplate removal: trafilatura's snippet metric ------------------------------------


def snippet_counts(output: str, keep: list[str], drop: list[str]) -> tuple[int, int, int, int]:
    """(TP, FN, FP, TN) of one page: each `keep` snippet found in the output is a TP
    (missing: FN), each `drop` snippet found is a FP (absent: TN); whitespace-normalised
    substring match, as trafilatura's evaluation scores it."""
    text = " ".join(output.split())

    def found(snippet: str) -> bool:
        return " ".join(snippet.split()) in text

    tp = sum(found(s) for s in keep)
    fp = sum(found(s) for s in drop)
    return tp, len(keep) - tp, fp, len(drop) - fp


def snippet_prf(counts: list[tuple[int, int, int, int]]) -> tuple[float, float, float]:
    """Precision, recall and F1 over the summed counts of every page."""
    tp, fn, fp, _ = (sum(c[i] for c in counts) for i in range(4))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0
