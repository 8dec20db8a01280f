"""trafilatura's evaluation pages (../shared/data/cleaning-dev, read in place) scored with its
own snippet metric: our cleaning beside bare `trafilatura.extract`, on the same bytes.

    python bench/cleaning_dev.py [TARBALL] [--per-page]

The tarball holds `pages/<file>` (the HTML as fetched) and `expected.json` (per URL: the
page's `file`, `with` snippets that must be kept, `without` snippets that must be gone).
Three extractors on each page: ours (the clean stage: decode, trafilatura with the
project's options, the line rules), bare `trafilatura.extract(html)` with its defaults, and
`trafilatura.extract` with the project's options alone (no line rules).
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.evaluate import snippet_counts, snippet_prf  # noqa: E402
from pipeline.extract import clean_document  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "cleaning-dev" / "trafilatura-eval-400.tar.gz"

Page = tuple[str, bytes, list[str], list[str]]  # url, raw bytes, keep, drop


def pages(tarball: Path) -> Iterator[Page]:
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        exp_name = next(n for n in members if n.endswith("expected.json"))
        root = (exp_name.rsplit("/", 1)[0] + "/" if "/" in exp_name else "") + "pages/"
        expected = json.load(tar.extractfile(members[exp_name]))  # type: ignore[arg-type]
        for url, e in expected.items():
            raw = tar.extractfile(members[root + e["file"]]).read()  # type: ignore[union-attr]
            yield url, raw, e.get("with", []), e.get("without", [])


def ours(url: str, raw: bytes) -> str:
    try:
        return clean_document(raw, "html", url, None).text
    except Exception:  # a page we reject scores as no output
        return ""


def _decoded(raw: bytes) -> str:
    from pipeline.decode import decode_bytes

    return decode_bytes(raw, is_html=True)


def bare(url: str, raw: bytes) -> str:
    import trafilatura

    return trafilatura.extract(_decoded(raw), url=url) or ""


def bare_options(url: str, raw: bytes) -> str:
    import trafilatura

    return (
        trafilatura.extract(
            _decoded(raw),
            url=url,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            favor_precision=False,
        )
        or ""
    )


EXTRACTORS: dict[str, Callable[[str, bytes], str]] = {
    "newsdedup clean": ours,
    "trafilatura.extract": bare,
    "extract, our options": bare_options,
}


def score(
    tarball: Path, names: list[str] | None = None
) -> tuple[dict[str, tuple[float, float, float]], list[tuple[str, dict[str, tuple]]]]:
    """(P, R, F1) per extractor, and the counts of each page."""
    names = names or list(EXTRACTORS)
    counts: dict[str, list[tuple[int, int, int, int]]] = {n: [] for n in names}
    per_page = []
    for url, raw, keep, drop in pages(tarball):
        row = {}
        for n in names:
            c = snippet_counts(EXTRACTORS[n](url, raw), keep, drop)
            counts[n].append(c)
            row[n] = c
        per_page.append((url, row))
    return {n: snippet_prf(c) for n, c in counts.items()}, per_page


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tarball", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--per-page", action="store_true", help="pages where ours loses a snippet")
    args = ap.parse_args(argv)
    if not args.tarball.is_file():
        ap.error(f"{args.tarball}: no such file")
    figures, per_page = score(args.tarball)
    print(f"{args.tarball.name}: {len(per_page)} pages, trafilatura's snippet metric")
    print(f"  {'extractor':<24} {'P':>7} {'R':>7} {'F1':>7}")
    for name, (p, r, f) in figures.items():
        print(f"  {name:<24} {p:7.4f} {r:7.4f} {f:7.4f}")
    if args.per_page:
        for url, row in per_page:
            o, b = row["newsdedup clean"], row["trafilatura.extract"]
            if o[1] > b[1] or o[2] > b[2]:
                print(f"  {url}: ours FN {o[1]} FP {o[2]}, bare FN {b[1]} FP {b[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
