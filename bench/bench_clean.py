"""Cleaning quality (token P/R/F1 against expected text) and throughput against trafilatura.

Usage:
    python bench/bench_clean.py [PATH ...] [--chrome FILE] [--per-page] [--pages N] [--no-throughput]

Each PATH is one set of (page, expected text) pairs:
- a folder holding `NAME.html` (or `.htm`, `.txt`) next to `NAME.expected.txt`
  (tests/fixtures/clean is such a folder, and the default);
- a folder laid out as `html/NAME.html` + `txt/NAME.txt` (newspaper4k's test data);
- trafilatura's evaluation pages (`../shared/data/cleaning-dev/trafilatura-eval-400.tar.gz`,
  read in place), scored with trafilatura's own snippet metric (bench/cleaning_dev.py);
- a newspaper4k source archive (`newspaper4k-*.tar.gz`), read in place. It holds real
  news pages (CNN, Time, Wired, Fox, cleveland.com, ...) with their article text; get it
  once with `pip download --no-deps --no-binary :all: newspaper4k==0.9.6 -d /tmp/nk`.

Quality: micro-averaged token precision/recall/F1 (casefolded words, multiset overlap) of our
clean text, and for HTML pages of bare `trafilatura.extract` on the same page. Throughput:
the HTML pages (repeated up to --pages) cleaned by `clean.Cleaner` (a process pool over all
cores) and extracted by `trafilatura.extract` in the same kind of pool, in this one process.
With `--chrome FILE` (family<TAB>fragment lines, e.g. bench/newspaper4k_chrome.tsv) the
quality figures are printed again against the reference less those hand-labelled fragments:
newspaper4k's texts keep some "Read more:" teasers, bylines and prompts that this cleaner
removes on purpose. `--per-page` adds one line per HTML page (ours and trafilatura's F1,
marked `<` where ours is lower). Nothing is fetched from the network.

trafilatura's own source distribution holds no such pairs: its evaluation pages and expected
snippets (tests/cache, tests/eval) are left out of the sdist, and of its test resources only
`webpage.html.gz` is a news page, checked by two snippets in its unit tests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tarfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import clean, evaluate, extract  # noqa: E402
from pipeline.config import CleanConfig  # noqa: E402

Pair = tuple[str, str, bytes, str]  # name, format, page bytes, expected text


def load_pairs(path: Path) -> list[Pair]:
    """(name, format, page, expected) for every pair under path (see the module docstring)."""
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        return _from_tarball(path)
    pairs: list[Pair] = []
    for exp in sorted(path.glob("*.expected.txt")):
        name = exp.name[: -len(".expected.txt")]
        for suffix, fmt in ((".html", "html"), (".htm", "html"), (".txt", "txt")):
            page = path / f"{name}{suffix}"
            if page.is_file():
                pairs.append((name, fmt, page.read_bytes(), exp.read_text(encoding="utf-8")))
                break
    if (path / "html").is_dir() and (path / "txt").is_dir():
        for page in sorted((path / "html").glob("*.html")):
            exp = path / "txt" / f"{page.stem}.txt"
            if exp.is_file():
                pairs.append((page.stem, "html", page.read_bytes(), exp.read_text("utf-8")))
    return pairs


def _from_tarball(path: Path) -> list[Pair]:
    pages: dict[str, bytes] = {}
    texts: dict[str, str] = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if not member.isfile() or "tests" not in parts or "data" not in parts:
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            if parts[-2] == "html" and member.name.endswith(".html"):
                pages[parts[-1][:-5]] = f.read()
            elif parts[-2] == "txt" and member.name.endswith(".txt"):
                texts[parts[-1][:-4]] = f.read().decode("utf-8")
    return [(n, "html", pages[n], texts[n]) for n in sorted(pages) if n in texts]


def _prf(m: int, p: int, g: int) -> tuple[float, float, float]:
    prec = m / p if p else 1.0
    rec = m / g if g else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def _extract(raw: bytes) -> str:
    import trafilatura

    return trafilatura.extract(raw) or ""


def load_chrome(path: Path) -> list[str]:
    """Fragments (second column) of a family<TAB>fragment file; # starts a comment."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.split("\t", 1)[1].strip())
    return out


def strip_chrome(pairs: list[Pair], fragments: list[str]) -> tuple[list[Pair], int]:
    """The pairs with every labelled fragment cut from the reference; and how many were cut."""
    out: list[Pair] = []
    cut = 0
    for name, fmt, raw, expected in pairs:
        for frag in fragments:
            cut += expected.count(frag)
            expected = expected.replace(frag, "")
        out.append((name, fmt, raw, expected))
    return out, cut


def quality(
    pairs: list[Pair], per_page: list[str] | None = None
) -> dict[str, tuple[float, float, float]]:
    """Micro-averaged token P/R/F1 of ours and of bare trafilatura; with `per_page`, a line
    per HTML page is appended to that list."""
    ours = [0, 0, 0]
    base = [0, 0, 0]
    ours_html = [0, 0, 0]
    for name, fmt, raw, expected in pairs:
        try:
            text = extract.clean_document(raw, fmt, None, None).text
        except clean.DecodeError:
            text = ""
        counts = evaluate.token_prf(expected, text)
        ours = [a + b for a, b in zip(ours, counts, strict=True)]
        if fmt == "html":
            ours_html = [a + b for a, b in zip(ours_html, counts, strict=True)]
            base_counts = evaluate.token_prf(expected, _extract(raw))
            base = [a + b for a, b in zip(base, base_counts, strict=True)]
            if per_page is not None:
                f_ours, f_base = _prf(*counts)[2], _prf(*base_counts)[2]
                mark = "<" if f_ours < f_base else " "
                per_page.append(f"    {name:<26} {f_ours:7.4f} {mark} {f_base:7.4f}")
    out = {"newsdedup (all pages)": _prf(*ours)}
    if base[2]:
        out["newsdedup (html)"] = _prf(*ours_html)
        out["trafilatura.extract (html)"] = _prf(*base)
    return out


def throughput(pages: list[bytes], n: int, rounds: int = 3) -> tuple[float, float, int]:
    """Seconds for our pooled cleaning and for pooled trafilatura.extract on the same pages.

    Both pools stay up and the two are timed in alternation, `rounds` times, keeping each
    one's best: on a shared machine other load then hits both alike.
    """
    batch = (pages * (n // max(len(pages), 1) + 1))[:n]
    workers = os.cpu_count() or 1
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pipeline.clean", "trafilatura"])
    chunk = max(1, min(16, len(batch) // (workers * 4)))
    cfg = CleanConfig(pool_min_docs=1)
    items = [(p, "html", None, None, cfg.max_bytes) for p in batch]
    bare = ours = float("inf")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool, clean.Cleaner(cfg) as cleaner:
        list(pool.map(_extract, pages, chunksize=1))  # start and warm the workers
        cleaner.map([(p, "html", None, None, cfg.max_bytes) for p in pages])
        for _ in range(rounds):
            t0 = time.perf_counter()
            list(pool.map(_extract, batch, chunksize=chunk))
            bare = min(bare, time.perf_counter() - t0)
            t0 = time.perf_counter()
            cleaner.map(items)
            ours = min(ours, time.perf_counter() - t0)
    return ours, bare, workers


def _report(pairs: list[Pair], per_page: bool) -> None:
    lines: list[str] | None = [] if per_page else None
    for label, (p, r, f) in quality(pairs, lines).items():
        print(f"  {label:<28} {p:7.4f} {r:7.4f} {f:7.4f}")
    if lines:
        print(f"    {'page':<26} {'F1 ours':>7}   {'trafil.':>7}")
        print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "tests/fixtures/clean"])
    ap.add_argument("--pages", type=int, default=400, help="HTML pages in the throughput run")
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--chrome", type=Path, help="family<TAB>fragment file cut from references")
    ap.add_argument("--per-page", action="store_true", help="F1 of each HTML page, both tools")
    args = ap.parse_args(argv)
    html_pages: list[bytes] = []
    for path in args.paths:
        if path.name.startswith("trafilatura-eval"):  # snippets, not texts: its own metric
            import cleaning_dev

            cleaning_dev.main([str(path)] + (["--per-page"] if args.per_page else []))
            continue
        pairs = load_pairs(path)
        if not pairs:
            print(f"{path}: no (page, expected text) pairs found", file=sys.stderr)
            return 2
        html_pages += [raw for _, fmt, raw, _ in pairs if fmt == "html"]
        print(f"\n{path} ({len(pairs)} pairs)")
        print(f"  {'extractor':<28} {'P':>7} {'R':>7} {'F1':>7}")
        _report(pairs, args.per_page)
        if args.chrome:
            body, cut = strip_chrome(pairs, load_chrome(args.chrome))
            if cut:
                print(
                    f"  reference less {cut} hand-labelled chrome fragments ({args.chrome.name}):"
                )
                _report(body, args.per_page)
    if html_pages and not args.no_throughput:
        ours, bare, workers = throughput(html_pages, args.pages)
        n = args.pages
        print(f"\nthroughput, {n} HTML pages, process pool of {workers}, best of 3 alternating:")
        print(f"  trafilatura.extract  {bare:7.2f} s  {n / bare:7.1f} pages/s")
        print(f"  newsdedup cleaning   {ours:7.2f} s  {n / ours:7.1f} pages/s")
        print(f"  ratio (ours / bare)  {ours / bare:7.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
