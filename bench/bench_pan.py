"""PAN 2013 text alignment: the ``passage_pairs`` view scored with the PAN measures.

Lays out the documents of the chosen (suspicious, source) pairs of ../shared/data/pan13-train
in a temporary folder (symlinks to the files and their manifest rows), runs the real CLI
(``newsdedup run DIR --db DB``) on it, maps every row of ``passage_pairs`` from
``articles.clean_text`` offsets back to offsets in the raw files, and scores each sub-corpus
with pipeline.evaluate: precision, recall, granularity and plagdet (Potthast et al. 2010).

Only rows between a suspicious document and a source it is paired with in the chosen
sub-corpus are detections (PAN hands a detector only those pairs); rows between other
documents are counted, not scored, and so are nested rows (an exact span inside a
sentence-lane row of the same pair, which would count the same text twice). For
01-no-plagiarism (no cases, so plagdet is 0 by the PAN convention as soon as anything is
found) the figure is the share of pairs with any detection. "entire" pools every chosen
sub-corpus, 01-no-plagiarism included, as PAN does.

clean_text is not the raw file (the cleaner drops lines and rewrites characters): both are
split into words, the word sequences aligned (difflib), and a clean range maps to the raw
range from its first mapped word to its last. NEWSDEDUP_* variables reach the run (handy
for trying a setting); the run's working folder is the temporary one, so no config file
in the caller's folder is read.

``python bench/bench_pan.py [--sample N] [--subsets ...] [--db FILE] [--json] [--misses N]``
"""

from __future__ import annotations

import argparse
import bisect
import difflib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.evaluate import Passage, Range, detects, overlap, passage_recall, score  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pan13-train"
SUBSETS = (
    "01-no-plagiarism",
    "02-no-obfuscation",
    "03-random-obfuscation",
    "04-translation-obfuscation",
    "05-summary-obfuscation",
)
NO_PLAGIARISM = "01-no-plagiarism"
SEED = 13
OK_EXIT_CODES = (0, 3)  # 3: some inputs rejected, the rest went through

# Published plagdet on the PAN 2013 test corpus 2 (../shared/data/README.md).
PEER_COLUMNS = {
    "02-no-obfuscation": "none",
    "03-random-obfuscation": "random",
    "04-translation-obfuscation": "translation",
    "05-summary-obfuscation": "summary",
    "entire": "entire",
}
PEERS = {
    "Sanchez-Perez 2014": (0.900, 0.884, 0.887, 0.561, 0.878),
    "Torrejon & Ramos 2013": (0.926, 0.747, 0.851, 0.341, 0.822),
    "Kong 2013": (0.827, 0.823, 0.852, 0.434, 0.819),
}

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


# --- offsets: clean_text -> raw file ----------------------------------------------------


def _key(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().replace("’", "'")


def tokens(text: str) -> tuple[list[int], list[int], list[str]]:
    """Word starts, ends and comparison keys (NFKC, casefolded) of a text."""
    starts, ends, keys = [], [], []
    for m in WORD.finditer(text):
        starts.append(m.start())
        ends.append(m.end())
        keys.append(_key(m.group()))
    return starts, ends, keys


def align_words(clean: Sequence[str], raw: Sequence[str]) -> list[int]:
    """For each clean word, the index of the same word in raw (-1 if none), monotonic.

    difflib's longest-matching-blocks alignment, not a greedy walk: the cleaner drops lines
    that repeat elsewhere (a headline that opens the body again, a repeated price line), and
    a greedy walk would map the kept copy onto the dropped one.
    """
    out = [-1] * len(clean)
    matcher = difflib.SequenceMatcher(None, clean, raw, autojunk=False)
    for i, j, n in matcher.get_matching_blocks():
        out[i : i + n] = range(j, j + n)
    return out


def _carry(fragment: str, raw: str, at: int, step: int) -> int:
    """Move a raw boundary at `at` over the non-space characters of fragment, while raw has
    the same ones (step 1: forward from an end, -1: backward from a start)."""
    chars = [c for c in fragment if not c.isspace()]
    if step < 0:
        chars.reverse()
    bound, k = at, at
    for c in chars:
        while 0 <= k + min(step, 0) < len(raw) and raw[k + min(step, 0)].isspace():
            k += step
        if not 0 <= k + min(step, 0) < len(raw) or raw[k + min(step, 0)] != c:
            break
        k += step
        bound = k
    return bound


class OffsetMap:
    """Maps character ranges of a document's clean_text to ranges of its raw file."""

    def __init__(self, clean_text: str, raw_text: str) -> None:
        self.clean, self.raw = clean_text, raw_text
        self.c_starts, self.c_ends, c_keys = tokens(clean_text)
        self.r_starts, self.r_ends, r_keys = tokens(raw_text)
        self.to = align_words(c_keys, r_keys)
        self.kept = {j for j in self.to if j >= 0}  # raw words that survived cleaning

    def to_raw(self, start: int, end: int) -> Range | None:
        """[first mapped word's start, last mapped word's end) in raw; None if none maps.

        Punctuation the clean range holds before its first word or after its last (a final
        full stop, an opening quote) is carried over where raw has the same characters.
        """
        lo = bisect.bisect_right(self.c_ends, start)  # first word ending after start
        hi = bisect.bisect_left(self.c_starts, end)  # words starting before end
        mapped = [i for i in range(lo, hi) if self.to[i] >= 0]
        if not mapped:
            return None
        first, last = mapped[0], mapped[-1]
        r_start, r_end = self.r_starts[self.to[first]], self.r_ends[self.to[last]]
        if first == lo:
            r_start = _carry(self.clean[start : self.c_starts[first]], self.raw, r_start, -1)
        if last == hi - 1:
            r_end = _carry(self.clean[self.c_ends[last] : end], self.raw, r_end, 1)
        return r_start, r_end

    def kept_share(self, start: int, end: int) -> float:
        """Share of the raw words in [start, end) that are in clean_text."""
        lo = bisect.bisect_right(self.r_ends, start)
        hi = bisect.bisect_left(self.r_starts, end)
        n = hi - lo
        return sum(j in self.kept for j in range(lo, hi)) / n if n else 0.0


# --- data ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen pairs per sub-corpus and the cases in them."""

    pairs: dict[str, list[tuple[str, str]]]
    cases: dict[str, list[Passage]]

    @property
    def files(self) -> list[str]:
        """Every document of the chosen pairs, sorted."""
        return sorted({f for pairs in self.pairs.values() for pair in pairs for f in pair})


def select(
    truth: dict, sample: int | None = None, subsets: Sequence[str] | None = None
) -> Selection:
    """The pairs of each sub-corpus (a seeded sample of `sample` if given) and their cases."""
    names = list(subsets or SUBSETS)
    unknown = set(names) - set(truth["subsets"])
    if unknown:
        raise ValueError(f"unknown sub-corpora: {', '.join(sorted(unknown))}")
    pairs: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        every = sorted((s, r) for s, r in truth["subsets"][name]["pairs"])
        if sample is not None and sample < len(every):
            every = sorted(random.Random(f"{SEED}:{name}").sample(every, sample))
        pairs[name] = every
    cases: dict[str, list[Passage]] = {name: [] for name in names}
    chosen = {pair: name for name, ps in pairs.items() for pair in ps}
    for c in truth["cases"]:
        name = chosen.get((c["susp"], c["src"]))
        if name == c["subset"]:
            susp = (c["this_offset"], c["this_offset"] + c["this_length"])
            src = (c["source_offset"], c["source_offset"] + c["source_length"])
            cases[name].append(Passage(c["susp"], c["src"], susp, src))
    return Selection(pairs, cases)


def read_raw(path: Path) -> str:
    """The file as decoded UTF-8 text, newlines untouched (truth offsets index into this)."""
    return path.read_bytes().decode("utf-8", errors="replace")


@contextmanager
def layout(corpus: Path, files: Sequence[str]) -> Iterator[Path]:
    """A temporary folder of symlinks to files plus their rows of the corpus manifest."""
    wanted = set(files)
    with tempfile.TemporaryDirectory(prefix="pan13-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        for f in files:
            os.symlink(corpus / f, folder / f)
        lines = (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [line for line in lines if line.strip() and json.loads(line)["file"] in wanted]
        (folder / "manifest.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
        yield folder


def newsdedup_command() -> list[str]:
    """The CLI of this interpreter's environment: bin/newsdedup, else python -m pipeline."""
    exe = Path(sys.executable).parent / "newsdedup"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pipeline"]


def settings() -> dict[str, str]:
    """The NEWSDEDUP_* variables the run inherits (they override the defaults)."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("NEWSDEDUP_")}


def run_cli(folder: Path, db: Path) -> float:
    """Run `newsdedup run folder --db db`; the wall time in seconds."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*newsdedup_command(), "run", str(folder), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
        # not the caller's folder: a newsdedup.toml or pyproject.toml there would be read
        cwd=folder.parent,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode not in OK_EXIT_CODES:
        tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
        raise RuntimeError(f"newsdedup run exited {proc.returncode}:\n{tail}")
    return seconds


# --- scoring -------------------------------------------------------------------------------


def _role(name: str) -> str | None:
    if name.startswith("suspicious-"):
        return "susp"
    if name.startswith("source-"):
        return "src"
    return None


class Offsets:
    """OffsetMap of each document in articles, built on first use."""

    def __init__(self, corpus: Path, clean_of: dict[str, str]) -> None:
        self.corpus = corpus
        self.clean_of = clean_of
        self.maps: dict[str, OffsetMap] = {}

    def get(self, name: str) -> OffsetMap | None:
        """The map of a file name; None if the document is not in articles."""
        if name not in self.maps:
            if name not in self.clean_of:
                return None
            self.maps[name] = OffsetMap(self.clean_of[name], read_raw(self.corpus / name))
        return self.maps[name]


def load_detections(db: Path, corpus: Path) -> tuple[list[Passage], Offsets, Counter[str]]:
    """Every passage_pairs row between a suspicious and a source document, in raw offsets."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        docs = con.sql("select doc_id, source, clean_text from articles").fetchall()
        columns = {c[0] for c in con.sql("describe passage_pairs").fetchall()}
        # a nested row is an exact span inside a sentence-lane row of the same pair: the
        # outer row is the detection, the inner one would count the same text twice
        nested = "nested" if "nested" in columns else "false"
        rows = con.sql(
            f"select doc_a, doc_b, start_a, end_a, start_b, end_b, {nested} from passage_pairs"
        ).fetchall()
    finally:
        con.close()
    name_of = {doc_id: os.path.basename(source) for doc_id, source, _ in docs}
    offsets = Offsets(corpus, {os.path.basename(src): text or "" for _, src, text in docs})
    counts: Counter[str] = Counter(rows=len(rows), docs_in_articles=len(docs))
    out = []
    for doc_a, doc_b, sa, ea, sb, eb, is_nested in rows:
        if is_nested:
            counts["nested_rows"] += 1
            continue
        a, b = name_of[doc_a], name_of[doc_b]
        if (_role(a), _role(b)) == ("src", "susp"):
            a, b, sa, ea, sb, eb = b, a, sb, eb, sa, ea
        elif (_role(a), _role(b)) != ("susp", "src"):
            counts["same_role_rows"] += 1
            continue
        map_a, map_b = offsets.get(a), offsets.get(b)
        susp = map_a.to_raw(sa, ea) if map_a else None
        src = map_b.to_raw(sb, eb) if map_b else None
        if susp is None or src is None:
            counts["unmapped_rows"] += 1
            continue
        out.append(Passage(a, b, susp, src))
    return out, offsets, counts


def _figures(cases: list[Passage], dets: list[Passage]) -> dict:
    s = score(cases, dets)
    return {
        "precision": s.precision,
        "recall": s.recall,
        "granularity": s.granularity,
        "plagdet": s.plagdet,
        "cases": s.n_cases,
        "detections": s.n_detections,
        "detected_cases": s.n_detected_cases,
    }


def kept_share(offsets: Offsets, case: Passage) -> float:
    """Share of the case's raw words in clean_text, on its side that kept fewer."""
    shares = []
    for doc, r in ((case.susp_doc, case.susp), (case.src_doc, case.src)):
        m = offsets.get(doc)
        shares.append(m.kept_share(*r) if m else 0.0)
    return min(shares)


def why_missed(case: Passage, pair_dets: list[Passage], offsets: Offsets) -> str:
    """Why no detection detects a case: a coarse label for the summary."""
    if offsets.get(case.susp_doc) is None or offsets.get(case.src_doc) is None:
        return "doc_rejected"  # not in articles (see rejected_inputs)
    if kept_share(offsets, case) < 0.5:
        return "cleaner_dropped"  # half the words of one side are not in clean_text
    if not pair_dets:
        return "pair_not_aligned"  # no passage_pairs row for this document pair
    if any(overlap(d.susp, case.susp) for d in pair_dets):
        return "src_side_off"  # a row overlaps the case in susp but not in src
    return "rows_elsewhere"  # the pair has rows, none on this case


def _subset_figures(
    name: str,
    pairs: list[tuple[str, str]],
    cases: list[Passage],
    dets: dict[tuple[str, str], list[Passage]],
    offsets: Offsets,
) -> dict:
    """The PAN figures of one sub-corpus plus where its misses and false detections lie."""
    fig = _figures(cases, [d for ds in dets.values() for d in ds])
    fig["pairs"] = len(pairs)
    fig["pairs_with_detection"] = len(dets)
    if name == NO_PLAGIARISM:
        fig["false_pair_rate"] = len(dets) / len(pairs) if pairs else 0.0
    cases_of: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    for c in cases:
        cases_of[(c.susp_doc, c.src_doc)].append(c)
        pair_dets = dets.get((c.susp_doc, c.src_doc), [])
        if not any(detects(c, d) for d in pair_dets):
            reasons[why_missed(c, pair_dets, offsets)] += 1
    fig["missed"] = dict(reasons)
    fig["false_detections"] = sum(
        not any(detects(c, d) for c in cases_of[pair]) for pair, ds in dets.items() for d in ds
    )
    # a rough ceiling on recall: how much of the cases the cleaner left in clean_text
    kept = [kept_share(offsets, c) for c in cases]
    fig["kept_in_clean"] = sum(kept) / len(kept) if kept else 1.0
    return fig


def evaluate_pan(
    data_dir: Path | str = DEFAULT_DATA,
    sample: int | None = None,
    subsets: Sequence[str] | None = None,
    db: Path | str | None = None,
    misses: int = 0,
) -> dict:
    """Run the pipeline on the chosen PAN pairs and score passage_pairs per sub-corpus."""
    data = Path(data_dir).resolve()  # the symlinks and the run's own folder need it absolute
    corpus = data / "corpus"
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
    sel = select(truth, sample, subsets)
    with tempfile.TemporaryDirectory(prefix="pan13-db-") as tmp:
        db_path = Path(db).resolve() if db is not None else Path(tmp) / "pan.duckdb"
        if db_path.exists():
            raise FileExistsError(f"{db_path} exists; pass a new path to --db")
        with layout(corpus, sel.files) as folder:
            seconds = run_cli(folder, db_path)
        t0 = time.perf_counter()
        found, offsets, counts = load_detections(db_path, corpus)
    by_pair: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for d in found:
        by_pair[(d.susp_doc, d.src_doc)].append(d)
    subset_of = {pair: name for name, ps in sel.pairs.items() for pair in ps}
    scored = {pair for pair in by_pair if pair in subset_of}
    result: dict = {
        "docs": len(sel.files),
        "docs_in_articles": counts["docs_in_articles"],
        "passage_pairs_rows": counts["rows"],
        "nested_rows": counts["nested_rows"],
        "same_role_rows": counts["same_role_rows"],
        "unmapped_rows": counts["unmapped_rows"],
        "unpaired_rows": sum(len(v) for k, v in by_pair.items() if k not in scored),
        "run_seconds": round(seconds, 2),
        "settings": settings(),
        "subsets": {},
    }
    all_cases: list[Passage] = []
    all_dets: list[Passage] = []
    for name, pairs in sel.pairs.items():
        dets = {pair: by_pair[pair] for pair in pairs if by_pair.get(pair)}
        fig = _subset_figures(name, pairs, sel.cases[name], dets, offsets)
        if misses:
            fig["examples"] = _examples(corpus, offsets, sel.cases[name], dets, misses)
        result["subsets"][name] = fig
        all_cases += sel.cases[name]
        all_dets += [d for ds in dets.values() for d in ds]
    result["entire"] = _figures(all_cases, all_dets)
    result["score_seconds"] = round(time.perf_counter() - t0, 2)
    return result


def _snippet(corpus: Path, name: str, r: Range, width: int = 160) -> str:
    text = read_raw(corpus / name)[r[0] : r[1]]
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _examples(
    corpus: Path,
    offsets: Offsets,
    cases: list[Passage],
    dets: dict[tuple[str, str], list[Passage]],
    n: int,
) -> dict:
    """A few missed cases (fewest covered first) and false detections, with their text."""
    cases_of: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for c in cases:
        cases_of[(c.susp_doc, c.src_doc)].append(c)
    partial = sorted(
        ((passage_recall(c, dets.get((c.susp_doc, c.src_doc), [])), c) for c in cases),
        key=lambda x: x[0],
    )
    out: dict = {"missed": [], "false": []}
    for rec, c in [(r, c) for r, c in partial if r < 1.0][:n]:
        maps = [offsets.get(c.susp_doc), offsets.get(c.src_doc)]
        kept = [
            round(m.kept_share(*r), 2) if m else None
            for m, r in zip(maps, (c.susp, c.src), strict=True)
        ]
        out["missed"].append(
            {
                "susp": c.susp_doc,
                "src": c.src_doc,
                "susp_range": list(c.susp),
                "src_range": list(c.src),
                "recall": round(rec, 3),
                "kept_in_clean": kept,
                "pair_rows": [
                    [list(d.susp), list(d.src)] for d in dets.get((c.susp_doc, c.src_doc), [])
                ],
                "susp_text": _snippet(corpus, c.susp_doc, c.susp),
                "src_text": _snippet(corpus, c.src_doc, c.src),
            }
        )
    false = [
        d for pair, ds in dets.items() for d in ds if not any(detects(c, d) for c in cases_of[pair])
    ]
    for d in false[:n]:
        out["false"].append(
            {
                "susp": d.susp_doc,
                "src": d.src_doc,
                "susp_range": list(d.susp),
                "src_range": list(d.src),
                "susp_text": _snippet(corpus, d.susp_doc, d.susp),
                "src_text": _snippet(corpus, d.src_doc, d.src),
            }
        )
    return out


# --- output --------------------------------------------------------------------------------


def table(result: dict) -> str:
    """The figures per sub-corpus beside the published peers' plagdet."""
    peers = list(PEERS)
    head = (
        f"{'sub-corpus':<28}{'prec':>7}{'rec':>7}{'gran':>7}{'plagdet':>9}{'cases':>7}{'dets':>7}"
    )
    head += "".join(f"{p.split()[0][:10]:>12}" for p in peers)
    lines = [head, "-" * len(head)]
    rows = [*result["subsets"].items(), ("entire", result["entire"])]
    for name, fig in rows:
        if fig["cases"]:
            line = (
                f"{name:<28}{fig['precision']:>7.3f}{fig['recall']:>7.3f}"
                f"{fig['granularity']:>7.3f}{fig['plagdet']:>9.3f}"
            )
        else:  # no cases: P, R and plagdet are 0 by convention once anything is found
            line = f"{name:<28}{'-':>7}{'-':>7}{'-':>7}{'-':>9}"
        line += f"{fig['cases']:>7}{fig['detections']:>7}"
        if name in PEER_COLUMNS:
            i = list(PEER_COLUMNS).index(name)
            line += "".join(f"{PEERS[p][i]:>12.3f}" for p in peers)
        lines.append(line)
    lines.append("")
    peers_note = "; ".join(f"{p.split()[0][:10]} = {p}" for p in peers)
    lines.append(f"peers (PAN 2013 test corpus 2, plagdet): {peers_note}")
    for name, fig in result["subsets"].items():
        extra = f"  missed: {fig['missed']}" if fig["missed"] else ""
        lines.append(
            f"{name}: {fig['pairs_with_detection']}/{fig['pairs']} pairs with a detection, "
            f"{fig['false_detections']} detections hit no case{extra}"
        )
    if NO_PLAGIARISM in result["subsets"]:
        rate = result["subsets"][NO_PLAGIARISM]["false_pair_rate"]
        lines.append(f"{NO_PLAGIARISM}: false-pair rate {rate:.2%} (must be <= 1%)")
    lines.append(
        f"{result['docs']} docs ({result['docs_in_articles']} in articles), "
        f"{result['passage_pairs_rows']} passage_pairs rows: {result['nested_rows']} nested "
        f"(not scored), {result['unpaired_rows']} between "
        f"unpaired susp/src docs, {result['same_role_rows']} susp-susp or src-src, "
        f"{result['unmapped_rows']} unmappable"
    )
    if result["settings"]:
        lines.append(f"settings from the environment: {result['settings']}")
    lines.append(
        f"pipeline run (newsdedup run): {result['run_seconds']:.1f} s wall; "
        f"scoring {result['score_seconds']:.1f} s"
    )
    return "\n".join(lines)


def examples_text(result: dict) -> str:
    """The --misses examples as readable lines."""
    lines = []
    for name, fig in result["subsets"].items():
        ex = fig.get("examples")
        if not ex:
            continue
        lines.append(f"\n== {name}")
        for m in ex["missed"]:
            lines.append(
                f"MISSED recall={m['recall']} {m['susp']}{m['susp_range']} <- "
                f"{m['src']}{m['src_range']} kept_in_clean={m['kept_in_clean']} "
                f"pair_rows={m['pair_rows']}"
            )
            lines.append(f"   susp: {m['susp_text']}")
            lines.append(f"   src:  {m['src_text']}")
        for d in ex["false"]:
            lines.append(f"FALSE {d['susp']}{d['susp_range']} <- {d['src']}{d['src_range']}")
            lines.append(f"   susp: {d['susp_text']}")
            lines.append(f"   src:  {d['src_text']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the benchmark, print the table (or JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="pan13-train folder")
    ap.add_argument(
        "--sample", type=int, default=None, help="pairs per sub-corpus (seeded); default all"
    )
    ap.add_argument(
        "--subsets",
        nargs="+",
        choices=SUBSETS,
        default=list(SUBSETS),
        metavar="SUBSET",
        help=f"sub-corpora to score (default all: {' '.join(SUBSETS)})",
    )
    ap.add_argument("--db", type=Path, default=None, help="keep the DuckDB file here")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument(
        "--misses", type=int, default=0, help="print N missed cases and false detections"
    )
    args = ap.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        ap.error("--sample must be >= 1")
    if not (args.data / "truth.json").is_file():
        ap.error(f"no truth.json in {args.data}")
    if args.db is not None and args.db.exists():
        ap.error(f"{args.db} exists; --db wants a new file")
    result = evaluate_pan(args.data, args.sample, args.subsets, args.db, misses=args.misses)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
        if args.misses:
            print(examples_text(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
