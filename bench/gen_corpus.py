"""Labelled evaluation corpus: real news text with planted reuse and known truth.

Base text is real: the 300 ABC news stories of the Lee corpus that gensim ships as a test
file (``gensim/test/test_data/lee_background.cor``, read from the installed package, never
fetched), plus a quotation from the seed letter. From them the generator plants, recording
every planted occurrence with its character offsets:

- syndication: a story republished whole by 1-4 other outlets, each copy with its own
  outlet boilerplate and some of: a local intro or outro, truncation, light edits
  (spelling variants, changed words, punctuation), reordered paragraphs;
- passages of 8 to 200 words copied into otherwise different stories, quoted or not,
  with at most 10% token edits;
- the same quotation used by several outlets;
- hard negatives: same-outlet articles sharing only template text (every outlet adds its
  own header and footer);
- reworded copies: a story whose sentences are paraphrased (a quarter or more of the words
  changed), planted as reuse with heavy edits (passage_pairs should hold it as 'edited' or
  'paraphrase'; passage recall does not ask for it as the same text);
- what real text has (planted after the rest, from a random stream of their own): a story
  and its later update ('partial' syndication), 8-12 word quotations cut by an attribution
  in one outlet and whole in another, and a passage its source repeats (standfirst and
  body) copied with the body's next sentence.

Every document has an outlet and a published_at; copies are always later than their
source, so direction is testable. ``generate`` is pure (seeded); ``write`` lays the corpus
out as .txt files plus a manifest.jsonl that ``newsdedup ingest`` reads.

Run ``python bench/gen_corpus.py OUT_DIR [--stories N]`` to write a corpus.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENT_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”]))\s+(?=[\"“A-Z0-9])")
_QUOTE_RE = re.compile(r"\"([^\"]{40,400}?)\"")
SEED_QUOTE = "We respect your sovereign decision to order our departure."

OUTLETS = (
    "Harbour Post",
    "Valley Courier",
    "Northern Ledger",
    "Capital Wire",
    "Coastal Times",
    "Ridge Herald",
    "Plains Gazette",
    "Metro Daily",
    "Island Observer",
    "Border Mail Example",
    "Southern Star Example",
    "Lakeside Chronicle",
)

# spelling variants an edited copy may switch between (both directions)
_SPELLING = {
    "organisation": "organization",
    "defence": "defense",
    "labour": "labor",
    "centre": "center",
    "colour": "color",
    "program": "programme",
    "recognised": "recognized",
    "criticised": "criticized",
    "authorised": "authorized",
    "apologised": "apologized",
    "realised": "realized",
    "favour": "favor",
    "honour": "honor",
    "neighbouring": "neighboring",
}
_SPELLING.update({v: k for k, v in list(_SPELLING.items())})
_SWAPS = {
    "said": "says",
    "says": "said",
    "people": "residents",
    "government": "administration",
    "today": "on Tuesday",
    "police": "officers",
    "killed": "slain",
    "about": "around",
    "more": "over",
    "expected": "likely",
    "announced": "revealed",
    "officials": "authorities",
}


def lee_path() -> Path:
    """The Lee corpus file inside the installed gensim package (gensim is not imported)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the evaluation corpus needs gensim installed: pip install '.[bench]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "test/test_data/lee_background.cor"
    if not path.is_file():
        raise RuntimeError(f"{path}: missing from the installed gensim")
    return path


def lee_stories() -> list[list[str]]:
    """The Lee stories as lists of sentences, without the later of two stories sharing text.

    The corpus holds updates of the same story; a story sharing any 8-word run with an
    earlier one is dropped, so the only reuse in a generated corpus is the planted reuse.
    """
    out, seen = [], set()
    for line in lee_path().read_text(encoding="utf-8", errors="replace").splitlines():
        line = " ".join(line.split())
        words = [w.lower() for w in _WORD_RE.findall(line)]
        grams = {tuple(words[i : i + 8]) for i in range(len(words) - 7)}
        if len(words) < 60 or grams & seen:
            continue
        seen |= grams
        out.append([s for s in _SENT_RE.split(line) if _WORD_RE.search(s)])
    return out


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Planted reused text in one document: [start, end) into its text."""

    unit: str  # the same for every occurrence of the same text
    start: int
    end: int
    n_words: int
    edits: int  # token edits against the source text
    quoted: bool


@dataclass(slots=True)
class GenDoc:
    key: str
    outlet: str
    published_at: datetime
    text: str = ""
    story: str = ""  # syndication group: the original's key for copies, else its own key
    kind: str = "story"
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass(slots=True)
class Corpus:
    docs: list[GenDoc]
    syndication: set[frozenset[str]]  # unordered pairs of doc keys, different outlets
    # what real text has beside that (planted after the rest, from their own random stream)
    updates: set[frozenset[str]] = field(default_factory=set)  # syndication rows: 'partial'
    paraphrases: set[frozenset[str]] = field(default_factory=set)  # reworded copies
    # (source key, host key, start, end): a passage the source carries twice, once in a
    # standfirst and once in the body; the host copies the body's, with its next sentence
    repeats: list[tuple[str, str, int, int]] = field(default_factory=list)

    def by_key(self) -> dict[str, GenDoc]:
        return {d.key: d for d in self.docs}


class _Builder:
    """Assembles a document paragraph by paragraph, recording where each sentence lands."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.sentences: dict[tuple[int, int], tuple[int, int]] = {}

    def paragraph(self, sentences: list[str], ids: list[tuple[int, int]] | None = None) -> None:
        if self.parts:
            self.parts.append("\n\n")
            self.pos += 2
        for n, s in enumerate(sentences):
            if n:
                self.parts.append(" ")
                self.pos += 1
            if ids is not None:
                self.sentences[ids[n]] = (self.pos, self.pos + len(s))
            self.parts.append(s)
            self.pos += len(s)

    def text(self) -> str:
        return "".join(self.parts)


def _paragraphs(sentences: list[str], rng: random.Random) -> list[list[int]]:
    out, i = [], 0
    while i < len(sentences):
        n = rng.choice((1, 2, 2, 3))
        out.append(list(range(i, min(i + n, len(sentences)))))
        i += n
    return out


def _template(outlet: str, vocab: list[str]) -> tuple[str, str]:
    """An outlet's header and footer: the same in all its articles, unlike any other outlet's."""
    rng = random.Random(outlet)
    header = f"{outlet} | " + " ".join(rng.choice(vocab) for _ in range(4))
    footer = " ".join(rng.choice(vocab) for _ in range(rng.randint(16, 24))).capitalize()
    return header, f"{footer}, {outlet} said."


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def light_edit(sentence: str, budget: int, vocab: list[str], rng: random.Random) -> tuple[str, int]:
    """At most ``budget`` token edits (spelling variant, changed word) plus punctuation noise."""
    tokens = re.split(r"(\s+)", sentence)
    edits = 0
    word_idx = [i for i, t in enumerate(tokens) if _WORD_RE.fullmatch(t.strip(',.;:"“”'))]
    rng.shuffle(word_idx)
    last = set()
    for i in word_idx:
        if edits >= budget:
            break
        if i - 2 in last or i + 2 in last:  # edits spread out, never adjacent
            continue
        tok = tokens[i]
        core = tok.strip(',.;:"“”')
        if not core or core[0].isupper() and i == 0:
            continue
        low = core.lower()
        if low in _SPELLING:
            new = _SPELLING[low]
        elif low in _SWAPS and rng.random() < 0.7:
            new = _SWAPS[low]
        elif rng.random() < 0.3:
            new = rng.choice(vocab)
        else:
            continue
        if core[0].isupper():
            new = new[0].upper() + new[1:]
        tokens[i] = tok.replace(core, new, 1)
        last.add(i)
        edits += 1
    out = "".join(tokens)
    if rng.random() < 0.3:  # punctuation: dropped commas are not token edits
        out = out.replace(",", "", 1)
    return out, edits


def paraphrase(sentence: str, vocab: list[str], rng: random.Random) -> str:
    """Rewrite with a quarter to a third of the words changed: same event, not a copy."""
    tokens = _words(sentence)
    out, since = [], 0
    for n, tok in enumerate(tokens):
        keep = tok[0].isupper() or tok.isdigit() or since < rng.choice((1, 2, 3))
        if keep and since < 3:
            out.append(tok)
            since += 1
            continue
        low = tok.lower()
        out.append(_SWAPS.get(low) or _SPELLING.get(low) or rng.choice(vocab))
        since = 0
        if n and rng.random() < 0.15:
            out.append(rng.choice(vocab))
    return " ".join(out) + "."


def _local_sentences(n: int, vocab: list[str], rng: random.Random) -> list[str]:
    """Unique local copy: random words from the corpus vocabulary, never shared by chance."""
    out = []
    for _ in range(n):
        words = [rng.choice(vocab) for _ in range(rng.randint(12, 22))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def _occurrence(text: str, start: int, end: int, unit: str, edits: int, quoted: bool) -> Occurrence:
    return Occurrence(unit, start, end, len(_WORD_RE.findall(text, start, end)), edits, quoted)


def generate(n_stories: int | None = None, seed: int = 0) -> Corpus:
    """A labelled corpus from the first n_stories Lee stories (all of them by default)."""
    rng = random.Random(seed)
    stories = lee_stories()
    if n_stories is not None:
        stories = stories[:n_stories]
    vocab = sorted({w.lower() for s in stories for sent in s for w in _words(sent) if len(w) > 3})
    base = datetime(2024, 3, 1, 6, 0)
    docs: list[GenDoc] = []
    syndication: set[frozenset[str]] = set()
    builders: dict[str, _Builder] = {}
    paras_of: dict[str, list[list[int]]] = {}
    sentences_of: dict[str, list[str]] = {}

    def new_doc(key: str, outlet: str, when: datetime, kind: str, story: str = "") -> GenDoc:
        doc = GenDoc(key, outlet, when, story=story or key, kind=kind)
        docs.append(doc)
        return doc

    def build(doc: GenDoc, body: list[tuple[list[str], list[tuple[int, int]] | None]]) -> _Builder:
        header, footer = _template(doc.outlet, vocab)
        b = _Builder()
        b.paragraph([header])
        for sents, ids in body:
            b.paragraph(sents, ids)
        b.paragraph([footer])
        doc.text = b.text()
        builders[doc.key] = b
        return b

    # every Lee story is published once as an original, in order, by a random outlet
    originals: list[GenDoc] = []
    for i, sents in enumerate(stories):
        doc = new_doc(f"s{i:03d}", rng.choice(OUTLETS), base + timedelta(hours=6 * i), "original")
        paras = _paragraphs(sents, rng)
        build(doc, [([sents[j] for j in p], [(0, j) for j in p]) for p in paras])
        paras_of[doc.key], sentences_of[doc.key] = paras, sents
        originals.append(doc)

    roles = ["syndicated", "passage", "quote", "paraphrase", "plain"]
    weights = [0.3, 0.25, 0.1, 0.1, 0.25]
    hosts = list(originals)  # stories that can host a copied passage (plain text in them)
    rng.shuffle(hosts)
    host_i = 0

    def next_host(exclude: set[str]) -> GenDoc | None:
        nonlocal host_i
        for _ in range(len(hosts)):
            h = hosts[host_i % len(hosts)]
            host_i += 1
            if h.key not in exclude and h.kind == "original":
                return h
        return None

    passage_jobs: list[tuple[GenDoc, str, int, int, bool, int]] = []
    for src in originals:
        role = rng.choices(roles, weights)[0]
        sents, paras = sentences_of[src.key], paras_of[src.key]
        sb = builders[src.key]
        if role == "syndicated":
            src.kind = "syndicated"
            outlets = rng.sample([o for o in OUTLETS if o != src.outlet], rng.randint(1, 4))
            copies = [src]
            for c, outlet in enumerate(outlets):
                when = src.published_at + timedelta(minutes=30 + 45 * c + rng.randint(0, 30))
                doc = new_doc(f"{src.key}_c{c}", outlet, when, "copy", story=src.key)
                order = list(range(len(paras)))
                if len(paras) > 2 and rng.random() < 0.5:  # truncated: keeps 60% or more
                    keep = max(2, -(-len(paras) * rng.randint(60, 90) // 100))
                    order = order[:keep]
                if len(order) > 2 and rng.random() < 0.35:  # reordered paragraphs
                    head, rest = order[:1], order[1:]
                    rng.shuffle(rest)
                    order = head + rest
                edit = rng.random() < 0.5
                body, edits_of = [], {}
                if rng.random() < 0.4:
                    body.append((_local_sentences(rng.randint(1, 2), vocab, rng), None))
                for p in order:
                    out = []
                    for j in paras[p]:
                        s, e = sents[j], 0
                        if edit:
                            s, e = light_edit(s, max(len(_words(s)) // 20, 0), vocab, rng)
                        out.append(s)
                        edits_of[j] = e
                    body.append((out, [(0, j) for j in paras[p]]))
                if rng.random() < 0.4:
                    body.append((_local_sentences(rng.randint(1, 2), vocab, rng), None))
                b = build(doc, body)
                for p in order:
                    for j in paras[p]:
                        unit = f"{src.key}:{j}"
                        a0, a1 = b.sentences[(0, j)]
                        doc.occurrences.append(
                            _occurrence(doc.text, a0, a1, unit, edits_of[j], False)
                        )
                copies.append(doc)
            # the original's occurrences: every sentence some copy kept
            kept = {o.unit for d in copies[1:] for o in d.occurrences}
            for j in range(len(sents)):
                if f"{src.key}:{j}" in kept:
                    a0, a1 = sb.sentences[(0, j)]
                    src.occurrences.append(
                        _occurrence(src.text, a0, a1, f"{src.key}:{j}", 0, False)
                    )
            for x in copies:
                for y in copies:
                    if x.key < y.key and x.outlet != y.outlet:
                        syndication.add(frozenset((x.key, y.key)))
        elif role in ("passage", "quote"):
            src.kind = role
            j = rng.randrange(len(sents))
            # at most 40% of the source: more would be the whole article (syndication)
            n_src = len(_words(" ".join(sents)))
            target = min(rng.choice((8, 10, 12, 15, 20, 30, 45, 60, 90, 140, 200)), n_src * 2 // 5)
            k = j
            while k + 1 < len(sents) and len(_words(" ".join(sents[j : k + 1]))) < target:
                k += 1
            n_hosts = rng.randint(2, 4) if role == "quote" else rng.randint(1, 2)
            quoted = role == "quote" or rng.random() < 0.4
            for _ in range(n_hosts):
                passage_jobs.append((src, f"{src.key}:p", j, k, quoted, max(target, 8)))
        elif role == "paraphrase":
            outlet = rng.choice([o for o in OUTLETS if o != src.outlet])
            doc = new_doc(
                f"{src.key}_para", outlet, src.published_at + timedelta(hours=2), "paraphrase"
            )
            body = [
                ([paraphrase(sents[j], vocab, rng) for j in p], [(0, j) for j in p]) for p in paras
            ]
            b = build(doc, body)
            # reworded copies are reuse with heavy edits: planted, but past the edit share
            # that passage recall asks to be found as the same text
            for j in range(len(sents)):
                a0, a1 = b.sentences[(0, j)]
                n = len(_words(doc.text[a0:a1]))
                unit, edits = f"{src.key}:{j}", n // 3 + 1
                doc.occurrences.append(_occurrence(doc.text, a0, a1, unit, edits, False))
                s0, s1 = sb.sentences[(0, j)]  # its only copy is the reworded one
                src.occurrences.append(_occurrence(src.text, s0, s1, unit, edits, False))

    # copied passages and quotations go into other stories as an extra paragraph
    hosted: dict[str, list[tuple[str, str, int, bool, GenDoc]]] = {}
    for src, unit, j, k, quoted, target in passage_jobs:
        host = next_host({src.key})
        if host is None:
            continue
        text = " ".join(sentences_of[src.key][j : k + 1])
        text = _cut(text, target)
        budget = len(_words(text)) // 10
        edited, edits = light_edit(text, rng.randint(0, budget), vocab, rng)
        hosted.setdefault(host.key, []).append((unit, edited, edits, quoted, src))
    # the seed letter's sentence, quoted by several outlets
    for _ in range(4):
        host = next_host(set())
        if host is not None:
            hosted.setdefault(host.key, []).append(("seed:letter", SEED_QUOTE, 0, True, host))

    by_key = {d.key: d for d in docs}
    source_occ: dict[str, Occurrence] = {}
    for host_key, items in hosted.items():
        host = by_key[host_key]
        sents, paras = sentences_of[host_key], paras_of[host_key]
        body: list[tuple[list[str], list[tuple[int, int]] | None]] = [
            ([sents[j] for j in p], [(0, j) for j in p]) for p in paras
        ]
        inserts = []
        for unit, text, edits, quoted, src in items:
            who = rng.choice(("the report said", "officials told reporters", "a spokesman said"))
            body_text = f"“{text.rstrip('.')},” {who}." if quoted else text
            pos = rng.randint(1, len(body))
            body.insert(pos, ([body_text], [(1, len(inserts))]))
            inserts.append((unit, text, edits, quoted, src))
        # copies of a passage come after their source
        latest = max(
            (by_key[s.key].published_at for *_, s in inserts if s.key != host_key), default=None
        )
        if latest is not None and host.published_at <= latest:
            host.published_at = latest + timedelta(hours=1 + rng.randint(0, 12))
        b = build(host, body)
        # a host is never a source, so it has no occurrences yet: offsets come from this build
        for n, (unit, text, edits, quoted, src) in enumerate(inserts):
            a0, _ = b.sentences[(1, n)]
            a0 += 1 if quoted else 0
            a1 = a0 + len(text.rstrip(".")) if quoted else a0 + len(text)
            host.occurrences.append(_occurrence(host.text, a0, a1, unit, edits, quoted))
            if src.key != host_key and unit not in source_occ:
                sb = builders[src.key]
                j, k, target = _unit_range(unit, passage_jobs)
                s0 = sb.sentences[(0, j)][0]
                s1 = s0 + len(_cut(" ".join(sentences_of[src.key][j : k + 1]), target).rstrip("."))
                occ = _occurrence(src.text, s0, s1, unit, 0, False)
                source_occ[unit] = occ
                src.occurrences.append(occ)
    # sources are never hosts (next_host takes plain stories only): their offsets stay valid
    corpus = Corpus(docs, syndication)
    corpus.paraphrases = {
        frozenset((d.key[: -len("_para")], d.key)) for d in docs if d.kind == "paraphrase"
    }
    _plant_real_text_cases(
        corpus, originals, sentences_of, paras_of, vocab, random.Random(seed + 1)
    )
    docs.sort(key=lambda d: (d.published_at, d.key))
    _drop_lonely(docs)
    return corpus


_ATTRIBUTIONS = ("{who} said", "{who} told reporters", "said {who}", "{who} added")
_SPEAKERS = ("the minister", "a spokeswoman", "the police chief", "the mayor", "the senator")


def _plant_real_text_cases(
    corpus: Corpus,
    originals: list[GenDoc],
    sentences_of: dict[str, list[str]],
    paras_of: dict[str, list[list[int]]],
    vocab: list[str],
    rng: random.Random,
) -> None:
    """New documents with what real text has and the rest lacks: story updates, short
    quotes cut by attributions, and a phrase a source repeats. Existing documents stay."""
    plain = [d for d in originals if d.kind == "original" and len(paras_of[d.key]) >= 4]
    rng.shuffle(plain)
    n = max(2, len(plain) // 12)
    updates, quotes, repeats = plain[:n], plain[n : 2 * n], plain[2 * n : 3 * n]

    def add(key: str, outlet: str, when: datetime, kind: str, paragraphs: list[str]) -> GenDoc:
        header, footer = _template(outlet, vocab)
        doc = GenDoc(key, outlet, when, "\n\n".join([header, *paragraphs, footer]), key, kind)
        corpus.docs.append(doc)
        return doc

    def mark(doc: GenDoc, text: str, unit: str, quoted: bool, after: int = 0) -> None:
        start = doc.text.index(text, after)
        doc.occurrences.append(_occurrence(doc.text, start, start + len(text), unit, 0, quoted))

    # a story and its later update from another outlet: the first 60% of its paragraphs,
    # then 80% as much new text (not a republication: 'partial')
    for src in updates:
        sents, paras = sentences_of[src.key], paras_of[src.key]
        kept = paras[: max(2, len(paras) * 3 // 5)]
        old = [" ".join(sents[j] for j in p) for p in kept]
        n_new = max(1, sum(len(_words(t)) for t in old) // 45)  # ~35 words each: 80% more
        new = [" ".join(_local_sentences(2, vocab, rng)) for _ in range(n_new)]
        outlet = rng.choice([o for o in OUTLETS if o != src.outlet])
        doc = add(
            f"{src.key}_upd", outlet, src.published_at + timedelta(hours=5), "update", old + new
        )
        for p, text in zip(kept, old, strict=True):
            unit = f"{src.key}:u{p[0]}"
            mark(doc, text, unit, False)
            mark(src, text, unit, False)
        corpus.updates.add(frozenset((src.key, doc.key)))
        corpus.syndication.add(frozenset((src.key, doc.key)))

    # an 8-12 word quotation, cut by an attribution in one outlet, whole in another (made
    # of unique words, as every planted text here: it shares nothing by chance)
    for i, src in enumerate(quotes):
        words = [rng.choice(vocab) for _ in range(rng.randint(8, 12))]
        q = " ".join(words).capitalize()
        who = rng.choice(_SPEAKERS)
        cut = rng.randint(3, len(words) - 3)
        head, tail = " ".join(q.split()[:cut]), " ".join(q.split()[cut:])
        when = src.published_at + timedelta(hours=1)
        local = " ".join(_local_sentences(3, vocab, rng))
        a = add(
            f"q{i:03d}a", rng.choice(OUTLETS), when, "short_quote", [local, f"“{q},” {who} said."]
        )
        b_text = f"{who.capitalize()} said: “{head}” {rng.choice(_ATTRIBUTIONS).format(who=who)}, “{tail}.”"
        b = add(
            f"q{i:03d}b",
            rng.choice([o for o in OUTLETS if o != a.outlet]),
            when + timedelta(hours=2),
            "short_quote",
            [" ".join(_local_sentences(3, vocab, rng)), b_text],
        )
        mark(a, q, f"quote:{i}", True)
        mark(b, head, f"quote:{i}", True)  # the whole quotation, as its two pieces
        mark(b, tail, f"quote:{i}", True)

    # a source that repeats a passage (standfirst and body); the host copies the body's
    # with the sentence after it: the occurrence consistent with its neighbours
    for i, src in enumerate(repeats):
        passage, after = _local_sentences(2, vocab, rng)
        when = src.published_at + timedelta(hours=3)
        before = " ".join(_local_sentences(3, vocab, rng))
        rest = " ".join(_local_sentences(3, vocab, rng))
        s = add(
            f"r{i:03d}s",
            rng.choice(OUTLETS),
            when,
            "repeat_source",
            [passage, before, f"{passage} {after}", rest],
        )
        h = add(
            f"r{i:03d}h",
            rng.choice([o for o in OUTLETS if o != s.outlet]),
            when + timedelta(hours=2),
            "repeat_host",
            [" ".join(_local_sentences(3, vocab, rng)), f"{passage} {after}"],
        )
        start = s.text.index(f"{passage} {after}")
        mark(s, f"{passage} {after}", f"repeat:{i}", False, start)
        mark(h, f"{passage} {after}", f"repeat:{i}", False)
        corpus.repeats.append((s.key, h.key, start, start + len(passage) + 1 + len(after)))


def _unit_range(unit: str, jobs: list) -> tuple[int, int, int]:
    for _src, u, j, k, _q, target in jobs:
        if u == unit:
            return j, k, target
    raise KeyError(unit)


def _cut(text: str, max_words: int) -> str:
    spans = [m.span() for m in _WORD_RE.finditer(text)]
    if len(spans) <= max_words:
        return text
    return text[: spans[max_words - 1][1]] + "."


def _drop_lonely(docs: list[GenDoc]) -> None:
    """An occurrence only counts when its unit is in two or more outlets."""
    outlets: dict[str, set[str]] = {}
    for d in docs:
        for o in d.occurrences:
            outlets.setdefault(o.unit, set()).add(d.outlet)
    for d in docs:
        d.occurrences = [o for o in d.occurrences if len(outlets[o.unit]) > 1]


def write(corpus: Corpus, out: Path) -> Path:
    """Lay the corpus out as <key>.txt files and a manifest.jsonl; returns the folder."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for d in corpus.docs:
            (out / f"{d.key}.txt").write_text(d.text, encoding="utf-8")
            row = {"file": f"{d.key}.txt", "outlet": d.outlet}
            row["published_at"] = d.published_at.isoformat()
            manifest.write(json.dumps(row) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--stories", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corpus = generate(args.stories, args.seed)
    write(corpus, args.out)
    n_occ = sum(len(d.occurrences) for d in corpus.docs)
    print(
        f"{len(corpus.docs)} documents, {len(corpus.syndication)} syndicated pairs, {n_occ} occurrences"
    )


if __name__ == "__main__":
    main()
