"""Parameters with defaults that validate themselves.

Precedence: CLI option > NEWSDEDUP_* environment variable > [tool.newsdedup] in
./pyproject.toml or ./newsdedup.toml > default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.paraphrase import SentenceParams


@dataclass(frozen=True, slots=True)
class CleanConfig:
    max_bytes: int = 20_000_000  # per input; larger inputs are rejected, not truncated
    # fewer words than this after cleaning is no article (a menu-only page leaves "Home")
    min_words: int = 5
    learn_min_docs: int = 3  # an outlet's line in this many of its documents is boilerplate
    learn_max_share: float = 0.5  # learned lines never take more of a document than this
    # documents per transaction (and fewer when their pages pass batch_bytes): each batch
    # re-examines the stored outlet lines it shares, so fewer batches cost less
    batch_docs: int = 5000
    batch_bytes: int = 64_000_000
    workers: int = 0  # cleaning processes; 0 = all cores
    pool_min_docs: int = (
        48  # HTML pages (or 40x as many texts) below which cleaning stays in-process
    )


@dataclass(frozen=True, slots=True)
class DetectConfig:
    num_perm: int = 64
    seed: int = 1
    scheme: str = "affine32"  # datasketch>=2.0 permutation scheme, stored with the bands
    # words per shingle: on Markov news text 4-word shingles give 44% fewer chance passage
    # candidates than 3-word ones at the same PAN and bench_quality figures (BENCHMARKS.md)
    shingle_size: int = 4
    passage_bands: int = 16
    passage_rows: int = 2
    doc_bands: int = 16
    doc_rows: int = 4
    min_passage_words: int = 5
    max_passage_words: int = 60
    min_band_hits: int = 2  # bands two passages must share before they are compared
    # the word lane: passages as sets of content-word stems, so copies with words
    # substituted, shuffled or translated back still meet (pipeline.paraphrase aligns them)
    word_perm: int = 48
    word_bands: int = 24
    word_rows: int = 2
    word_min_words: int = 4  # content words a passage needs to take part
    word_min_hits: int = 2  # word-lane bands two passages must share
    word_overlap: float = 0.3  # Jaccard of their stem sets that verifies them
    word_min_shared: int = 4  # and stems they share
    word_min_pairs: int = 1  # verified passage pairs that link two documents
    # one passage pair links two documents when it shares word_single_shared stems or the
    # documents share word_single_share of the shorter's stems: else it is chance
    word_single_shared: int = 6
    word_single_share: float = 0.3
    word_max_bucket: int = 4  # earlier documents past which a word-lane bucket is common
    # earlier documents past which an exact-lane bucket is a stock phrase (passim's maxDF,
    # learned from the store: a bucket's rank order is fixed once its members are stored):
    # a passage pair met in such buckets needs exact_common_hits shared bands (most of two
    # passages alike, as a widely quoted statement), not min_band_hits
    exact_max_bucket: int = 8
    exact_common_hits: int = 10
    max_partners: int = 16  # earliest members a new item is linked to per LSH bucket
    passage_overlap: float = 0.5  # shingle containment that verifies a passage candidate
    passage_min_shared: int = 4  # and shingles its passages share (a 7-word run): two
    # short passages sharing "said in a statement on" are chance, however contained,
    short_min_share: float = 0.05  # unless the documents share this much of the shorter
    # one's distinct shingles (chance in news: under 0.04), or another short passage pair
    seed_words: int = 3  # exact word run that anchors an alignment
    max_gap: int = 12  # words of edits bridged inside one shared span (never more than
    # the matched words on either side of the gap)
    min_span_words: int = 8
    # the sentence lane of alignment (pipeline.paraphrase.SentenceParams says what each is)
    sentence_seed_sim: float = 0.33
    sentence_max_gap: int = 4
    sentence_max_gap_words: int = 80
    sentence_min_sim: float = 0.34
    sentence_min_words: int = 20
    sentence_min_seeds: int = 2
    sentence_merge_gap: int = 80
    sentence_merge_long: int = 6
    syndication_jaccard: float = 0.5
    syndication_containment: float = 0.7
    # share of the shorter article inside aligned spans (edits tolerated, unlike shingles)
    syndication_coverage: float = 0.5
    batch_docs: int = 5000  # documents per transaction
    # documents whose candidates one band join finds: each join probes every stored band key
    join_docs: int = 25_000
    workers: int = 0  # sketching processes; 0 = all cores
    pool_min_docs: int = 1500  # smaller batches are sketched in-process (pool start-up ~1 s)

    def sentence_params(self) -> SentenceParams:
        """The sentence lane's parameters (fields sentence_*)."""
        return SentenceParams(
            **{
                f.name: getattr(self, f"sentence_{f.name}")
                for f in dataclasses.fields(SentenceParams)
            }
        )

    def __post_init__(self) -> None:
        if self.passage_bands * self.passage_rows > self.num_perm:
            raise InputError("passage_bands x passage_rows exceeds num_perm")
        if self.doc_bands * self.doc_rows > self.num_perm:
            raise InputError("doc_bands x doc_rows exceeds num_perm")
        if self.word_bands * self.word_rows > self.word_perm:
            raise InputError("word_bands x word_rows exceeds word_perm")
        if self.scheme not in ("affine32",):
            raise InputError(f"unsupported MinHash scheme {self.scheme!r} (use affine32)")
        if not 0 < self.syndication_jaccard <= 1 or not 0 < self.syndication_containment <= 1:
            raise InputError("syndication thresholds must be in (0, 1]")
        if self.min_span_words < self.seed_words:
            raise InputError("min_span_words must be >= seed_words")


@dataclass(frozen=True, slots=True)
class Config:
    clean: CleanConfig = field(default_factory=CleanConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)

    @classmethod
    def load(cls, cwd: Path | None = None, env: dict[str, str] | None = None) -> Config:
        """Defaults, overridden by a config file, overridden by NEWSDEDUP_<SECTION>_<NAME>."""
        cwd = cwd or Path.cwd()
        env = dict(os.environ) if env is None else env
        values: dict[str, dict[str, Any]] = {"clean": {}, "detect": {}}
        for name in ("newsdedup.toml", "pyproject.toml"):
            path = cwd / name
            if not path.is_file():
                continue
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise InputError(f"{path}: cannot read config: {exc}") from exc
            if name == "pyproject.toml":
                data = data.get("tool", {}).get("newsdedup", {})
            for section in values:
                values[section].update(data.get(section, {}))
            break
        for section, klass in (("clean", CleanConfig), ("detect", DetectConfig)):
            for f in dataclasses.fields(klass):
                key = f"NEWSDEDUP_{section.upper()}_{f.name.upper()}"
                if key in env:
                    values[section][f.name] = env[key]
        return cls(
            clean=_build(CleanConfig, values["clean"]),
            detect=_build(DetectConfig, values["detect"]),
        )


def _build(klass: type, raw: dict[str, Any]) -> Any:
    known = {f.name: f for f in dataclasses.fields(klass)}
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            raise InputError(f"unknown setting {name!r} for {klass.__name__}")
        kind: Callable[[Any], Any] = type(known[name].default)  # every default is plain
        try:
            kwargs[name] = kind(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"setting {name}={value!r}: {exc}") from exc
    return klass(**kwargs)
