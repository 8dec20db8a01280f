"""News-like text with real news' phrase statistics: a word-level Markov model (order 2,
backing off to order 1) trained on real news available offline.

Unlike words drawn independently (bench_scale's `--text zipf`), text from this model
repeats the phrases of its training news: stock attributions ("the prime minister said
on", "said in a statement"), names with titles, dates, common clauses. So unrelated
generated articles share short runs, as real articles do, and a detector pays for every
common phrase it cannot tell from reuse.

Training text: the Lee corpus in the gensim wheel (the 300-story background file and the
50 stories of lee.cor: ABC news), and, when the file named by NEWSDEDUP_REAL_PAGES
(newspaper4k's source archive, as .ci/run downloads it) is there, its English article
texts. Tokens are the training text's whitespace-separated words, with their case and
punctuation; a word ending in '.', '!' or '?' ends a sentence.

Generation runs many articles at once with numpy (a step advances every article's
chain), so 100,000 articles of 600 words take seconds, not minutes.
"""

from __future__ import annotations

import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from gen_corpus import lee_path

_END = re.compile(r"[.!?][\"'”’)]*$")
# newspaper4k's English article texts (the others are in other languages or not articles)
_N4K_SKIP = re.compile(
    r"(arabic|bengali|burmese|chinese|japanese|korean|thai|hindi|"
    r"spanish|german|french|russian|greek|polish|turkish|hebrew|persian|"
    r"nepali|tamil|urdu|vietnamese|article_with)",
    re.I,
)


def training_texts() -> Iterator[str]:
    """Real news texts: Lee (background and test stories), then newspaper4k's English ones."""
    for name in ("lee_background.cor", "lee.cor"):
        path = lee_path().with_name(name)
        if path.is_file():
            yield from path.read_text(encoding="utf-8", errors="replace").splitlines()
    archive = os.environ.get("NEWSDEDUP_REAL_PAGES", "")
    if archive.endswith(".tar.gz") and Path(archive).is_file():
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = member.name
                if "/tests/data/txt/" in name and name.endswith(".txt"):
                    if _N4K_SKIP.search(name.rsplit("/", 1)[-1]):
                        continue
                    f = tar.extractfile(member)
                    if f is not None:
                        yield f.read().decode("utf-8", errors="replace")


class MarkovNews:
    """Order-2 word chains with a back-off to order 1 (`backoff`: the chance a step uses
    only the previous word), so long runs of the training text break up while its phrases
    stay."""

    START = 0  # the word id that opens (and, after a sentence end, reopens) a chain

    def __init__(self, texts: Iterator[str], backoff: float = 0.8) -> None:
        self.backoff = backoff
        vocab: dict[str, int] = {"": self.START}
        seqs: list[list[int]] = []
        for text in texts:
            words = text.split()
            letters = [c for c in text if c.isalpha()]
            # English news only: a text in another script or language would mix in
            if len(words) < 20 or sum(c.isascii() for c in letters) < 0.98 * len(letters):
                continue
            ids = [vocab.setdefault(w, len(vocab)) for w in words]
            seqs.append(ids)
        self.words = np.array(sorted(vocab, key=vocab.get), dtype=object)
        self.ends = np.array([bool(_END.search(w)) for w in self.words], dtype=bool)
        self.ends[self.START] = False
        v = len(self.words)
        # transitions (prev2, prev1) -> next and prev1 -> next, with sentence starts as START
        p2, p1, nx = [], [], []
        for ids in seqs:
            a, b = self.START, self.START
            for w in ids:
                p2.append(a)
                p1.append(b)
                nx.append(w)
                a, b = (self.START, self.START) if self.ends[w] else (b, w)
        prev2, prev1, nxt = (np.array(x, dtype=np.int64) for x in (p2, p1, nx))
        self.v = v
        self._order2 = self._table(prev2 * v + prev1, nxt)
        self._order1 = self._table(prev1, nxt)
        self.n_tokens = len(nxt)

    @staticmethod
    def _table(keys: np.ndarray, nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sorted distinct keys, start of each key's successors, the successors)."""
        order = np.argsort(keys, kind="stable")
        keys, nxt = keys[order], nxt[order]
        distinct, starts = np.unique(keys, return_index=True)
        return distinct, np.append(starts, len(keys)), nxt

    def _draw(self, table: tuple, keys: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A successor of each key (uniform over its observed continuations, so by
        frequency); found marks the keys the table holds."""
        distinct, starts, nxt = table
        at = np.searchsorted(distinct, keys)
        at = np.minimum(at, len(distinct) - 1)
        found = distinct[at] == keys
        lo, hi = starts[at], starts[at + 1]
        pick = lo + (u * (hi - lo)).astype(np.int64)
        return np.where(found, nxt[np.minimum(pick, len(nxt) - 1)], self.START), found

    def generate(self, n: int, n_words: int, rng: np.random.Generator) -> list[str]:
        """n articles of about n_words words each: sentences in paragraphs of three."""
        a = np.full(n, self.START, dtype=np.int64)
        b = np.full(n, self.START, dtype=np.int64)
        out = np.zeros((n, n_words), dtype=np.int64)
        for step in range(n_words):
            u = rng.random(n)
            w2, found2 = self._draw(self._order2, a * self.v + b, u)
            w1, _ = self._draw(self._order1, b, u)
            use1 = ~found2 | ((rng.random(n) < self.backoff) & (b != self.START))
            w = np.where(use1, w1, w2)
            out[:, step] = w
            end = self.ends[w]
            a = np.where(end, self.START, b)
            b = np.where(end, self.START, w)
        texts = []
        for row in out:
            words = self.words[row]
            ends = self.ends[row]
            sents, cur = [], []
            for word, is_end in zip(words, ends, strict=True):
                cur.append(word)
                if is_end:
                    sents.append(" ".join(cur))
                    cur = []
            if cur:  # an unfinished last sentence: closed where it stops
                sents.append(" ".join(cur).rstrip(",;:") + ".")
            paras = [" ".join(sents[k : k + 3]) for k in range(0, len(sents), 3)]
            texts.append("\n\n".join(paras))
        return texts
