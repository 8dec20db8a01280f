"""The HTML report: one self-contained page with the copying network and how text spread.

Everything is inline (CSS, JS, the data as JSON), so the file opens with no network. The
data is computed here from the views and capped (top outlets, top clusters, top rows, words
per passage), so the file stays small on any store; the page only draws it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline import report
from pipeline.errors import PipelineError
from pipeline.report import _plain

_WORD = re.compile(r"\S+")
_NORM = re.compile(r"[^\w]+")
# characters of article text shown either side of a shared passage
_CONTEXT_CHARS = 160
# a matching run shorter than this many words is chance ("the", "of the"), not shared text
_MIN_MATCH = 2
# longest text in a table cell
_MAX_CELL = 200


@dataclass(frozen=True, slots=True)
class Caps:
    """How much of each list the page shows; bounds the file size on any store."""

    outlets: int = 40  # network nodes: outlets with the most shared words
    edges: int = 150  # network links among them, most shared words first
    clusters: int = 8  # timelines: the largest reuse clusters
    occurrences: int = 40  # points per timeline (earliest first)
    passages: int = 6  # occurrences per cluster shown side by side
    pairs: int = 5  # syndicated pairs shown side by side
    rows: int = 200  # rows per table
    words: int = 150  # words per passage or article shown


# (title, relation, columns, order by) of each table; the order picks the top rows
_TABLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Reuse clusters",
        "reuse_clusters",
        "cluster_id, n_docs, n_outlets, first_outlet, first_seen, first_seen_basis, kind, "
        "n_occurrences, max_words, text",
        "n_docs desc, n_outlets desc, max_words desc, cluster_id",
    ),
    (
        "Copying between outlets",
        "copying",
        "source_outlet, target_outlet, n_docs, n_passages, shared_words, quote_words, prose_words",
        "shared_words desc, source_outlet, target_outlet",
    ),
    (
        "Syndication",
        "syndication",
        "outlet_a, outlet_b, doc_a, doc_b, jaccard, containment, shared_words, earlier_doc, "
        "earlier_basis",
        "jaccard desc, doc_a, doc_b",
    ),
    (
        "Outlet originality",
        "outlet_originality",
        "outlet, n_docs, n_words, shared_words, original_share",
        "shared_words desc, outlet",
    ),
    (
        "Rejected inputs",
        "rejected_inputs",
        "source, stage, reason, size_bytes, rejected_at",
        "rejected_at, source",
    ),
)


def _norm(word: str) -> str:
    return _NORM.sub("", word.lower()) or word


def _cut(text: str, max_words: int) -> str:
    words = _WORD.findall(text)
    if len(words) <= max_words:
        return text
    end = list(_WORD.finditer(text))[max_words - 1].end()
    return text[:end] + " …"


def highlight(text: str, *others: str) -> list[tuple[str, bool]]:
    """Split text into runs of words it shares with any of others (True) or not (False).

    difflib's matching blocks over normalised word tokens; runs shorter than _MIN_MATCH
    words do not count. Whitespace is kept, so the runs join back into text.
    """
    toks = list(_WORD.finditer(text))
    a = [_norm(m.group()) for m in toks]
    shared = [False] * len(a)
    # our tokens are seq2, which difflib indexes once for all the others
    matcher = difflib.SequenceMatcher(None, [], a, autojunk=False)
    for other in others:
        matcher.set_seq1([_norm(w) for w in _WORD.findall(other)])
        for block in matcher.get_matching_blocks():
            if block.size >= _MIN_MATCH:
                shared[block.b : block.b + block.size] = [True] * block.size
    runs: list[tuple[str, bool]] = []
    pos = 0
    for tok, flag in zip(toks, shared, strict=True):
        piece = text[pos : tok.end()]
        pos = tok.end()
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + piece, flag)
        else:
            runs.append((piece, flag))
    if pos < len(text):  # trailing whitespace
        last, flag = runs.pop() if runs else ("", False)
        runs.append((last + text[pos:], flag))
    return runs


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in cur.fetchall()]


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return int(con.execute(sql, params or []).fetchall()[0][0])


def _network(con: duckdb.DuckDBPyConnection, caps: Caps) -> dict[str, Any]:
    nodes = _rows(
        con,
        """
        with ends as (
            select source_outlet as outlet, shared_words as out_words, 0 as in_words from copying
            union all
            select target_outlet, 0, shared_words from copying
        )
        select outlet, sum(out_words + in_words) as words, sum(out_words) as out_words,
            sum(in_words) as in_words
        from ends group by outlet order by words desc, outlet limit ?
        """,
        [caps.outlets],
    )
    names = [n["outlet"] for n in nodes]
    edges = _rows(
        con,
        """
        select source_outlet as source, target_outlet as target, n_docs, n_passages,
            shared_words, quote_words, prose_words
        from copying
        where list_contains(?, source_outlet) and list_contains(?, target_outlet)
        order by shared_words desc, source_outlet, target_outlet
        limit ?
        """,
        [names, names, caps.edges],
    )
    return {
        "nodes": nodes,
        "edges": edges,
        "total_outlets": _count(
            con,
            "select count(*) from (select source_outlet from copying "
            "union select target_outlet from copying)",
        ),
        "total_edges": _count(con, "select count(*) from copying"),
    }


def _clusters(con: duckdb.DuckDBPyConnection, caps: Caps) -> list[dict[str, Any]]:
    clusters = _rows(
        con,
        """
        select cluster_id, n_docs, n_outlets, n_occurrences, first_outlet, first_seen,
            first_seen_basis, kind, text
        from reuse_clusters
        order by n_docs desc, n_outlets desc, max_words desc, cluster_id
        limit ?
        """,
        [caps.clusters],
    )
    if not clusters:
        return []
    occurrences = _rows(
        con,
        """
        select
            p.cluster_id, p.doc_id, p.outlet, p.published_at, p.doc_seq, p.rank_in_cluster,
            p.is_quote, p.n_words, p.text,
            substr(a.clean_text, greatest(p.start_char - ?, 0) + 1,
                p.start_char - greatest(p.start_char - ?, 0)) as before,
            substr(a.clean_text, p.end_char + 1, ?) as after,
        from shared_passages as p
        inner join articles as a on a.doc_id = p.doc_id
        where list_contains(?, p.cluster_id) and p.rank_in_cluster <= ?
        order by p.cluster_id, p.rank_in_cluster
        """,
        [
            _CONTEXT_CHARS,
            _CONTEXT_CHARS,
            _CONTEXT_CHARS,
            [c["cluster_id"] for c in clusters],
            max(caps.occurrences, caps.passages),
        ],
    )
    by_cluster: dict[str, list[dict]] = {}
    for row in occurrences:
        by_cluster.setdefault(row["cluster_id"], []).append(row)
    for c in clusters:
        occ = by_cluster.get(c["cluster_id"], [])
        c["text"] = _cut(c["text"], caps.words)
        c["occurrences"] = [
            {k: o[k] for k in ("doc_id", "outlet", "published_at", "rank_in_cluster", "is_quote")}
            | {"n_words": o["n_words"]}
            for o in occ[: caps.occurrences]
        ]
        shown = occ[: caps.passages]
        c["passages"] = []
        for i, o in enumerate(shown):
            others = [x["text"] for j, x in enumerate(shown) if j != i]
            span = _cut(o["text"], caps.words)
            before = o["before"].split(" ", 1)[-1] if o["before"] else ""
            after = o["after"].rsplit(" ", 1)[0] if o["after"] else ""
            segs: list[list] = [["…" + before if before else "", 0]]
            segs += [[t, 2 if flag else 1] for t, flag in highlight(span, *others)]
            segs.append([after + "…" if after else "", 0])
            c["passages"].append(
                {
                    "outlet": o["outlet"],
                    "doc_id": o["doc_id"],
                    "published_at": o["published_at"],
                    "rank_in_cluster": o["rank_in_cluster"],
                    "is_quote": o["is_quote"],
                    "segments": [s for s in segs if s[0]],
                }
            )
    return clusters


def _pairs(con: duckdb.DuckDBPyConnection, caps: Caps) -> list[dict[str, Any]]:
    pairs = _rows(
        con,
        """
        select s.doc_a, s.doc_b, s.outlet_a, s.outlet_b, s.jaccard, s.containment,
            s.earlier_doc, s.earlier_basis, a.clean_text as text_a, b.clean_text as text_b,
            a.title as title_a, b.title as title_b
        from syndication as s
        inner join articles as a on a.doc_id = s.doc_a
        inner join articles as b on b.doc_id = s.doc_b
        order by s.jaccard desc, s.doc_a, s.doc_b
        limit ?
        """,
        [caps.pairs],
    )
    for p in pairs:
        text_a, text_b = _cut(p.pop("text_a"), caps.words), _cut(p.pop("text_b"), caps.words)
        p["segments_a"] = [[t, 2 if f else 1] for t, f in highlight(text_a, text_b)]
        p["segments_b"] = [[t, 2 if f else 1] for t, f in highlight(text_b, text_a)]
    return pairs


def _tables(con: duckdb.DuckDBPyConnection, caps: Caps) -> list[dict[str, Any]]:
    out = []
    for title, relation, columns, order in _TABLES:
        cur = con.execute(f"select {columns} from {relation} order by {order} limit ?", [caps.rows])
        cols = [d[0] for d in cur.description]
        rows = []
        for r in cur.fetchall():
            cells = []
            for v in r:
                # seconds are enough to read and still sort as text
                v = v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else _plain(v)
                if isinstance(v, list):
                    v = ", ".join(str(x) for x in v)
                if isinstance(v, str) and len(v) > _MAX_CELL:
                    v = v[: _MAX_CELL - 1] + "…"
                cells.append(v)
            rows.append(cells)
        total = _count(con, f"select count(*) from {relation}")
        out.append(
            {"title": title, "name": relation, "columns": cols, "rows": rows, "total": total}
        )
    return out


def build(con: duckdb.DuckDBPyConnection, caps: Caps | None = None) -> dict[str, Any]:
    """The page's data: headline figures, network, timelines, side-by-side texts, tables."""
    caps = caps or Caps()
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "caps": asdict(caps),
        "figures": [[name, value] for name, value in report.headline(con).items()],
        "network": _network(con, caps),
        "clusters": _clusters(con, caps),
        "pairs": _pairs(con, caps),
        "tables": _tables(con, caps),
    }


def render(data: dict[str, Any]) -> str:
    """The page: the template with the data inlined as JSON (safe inside a script tag)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # no "</script>" or "<!--" can end the data block early
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _PAGE.replace("/*STYLE*/", _CSS).replace("/*SCRIPT*/", _JS).replace("/*DATA*/", payload)


def write(con: duckdb.DuckDBPyConnection, path: Path, caps: Caps | None = None) -> int:
    """Write the report to path (atomically: a temporary file, then a rename); returns bytes."""
    path = Path(path)
    if not path.parent.is_dir():
        raise PipelineError(f"{path}: directory {path.parent} does not exist")
    html = render(build(con, caps)).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(html)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(html)


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsdedup report</title>
<style>/*STYLE*/</style>
</head>
<body>
<header>
  <h1>newsdedup report</h1>
  <p class="sub">Who published what first, who republished whom, and which text travelled.
  <span id="generated"></span></p>
  <div id="figures" class="figures"></div>
</header>
<main>
<section>
  <h2>Copying network</h2>
  <p class="note">An arrow runs from the outlet that carried a text first to the outlet that
  carried it later; its width is the words shared.
  <span class="key"><svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" class="k prose"/></svg> prose</span>
  <span class="key"><svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" class="k quote"/></svg> quoted</span>.
  Hover an outlet to see its links, a link for its figures.</p>
  <p class="note" id="network-caption"></p>
  <div id="network" class="panel"></div>
</section>
<section>
  <h2>How the text spread</h2>
  <p class="note" id="timelines-caption"></p>
  <div id="timelines"></div>
</section>
<section>
  <h2>Syndicated articles side by side</h2>
  <div id="pairs"></div>
</section>
<section>
  <h2>Tables</h2>
  <p class="note">Click a column header to sort.</p>
  <div id="tables"></div>
</section>
</main>
<script type="application/json" id="report-data">/*DATA*/</script>
<script>/*SCRIPT*/</script>
</body>
</html>
"""

_CSS = """
:root { --prose: #2763a8; --quote: #d9480f; --ink: #1f2328; --muted: #6a737d;
  --line: #d8dee4; --bg: #f6f8fa; --mark: #ffe58a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
header { padding: 20px 32px 12px; background: var(--bg); border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { margin: 28px 0 6px; font-size: 18px; }
h3 { margin: 0 0 4px; font-size: 15px; font-weight: 600; }
main { padding: 0 32px 40px; max-width: 1280px; }
.sub, .note, .meta { color: var(--muted); margin: 4px 0; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 12px; }
.fig { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px;
  min-width: 110px; }
.fig .v { font-size: 22px; font-weight: 600; }
.fig .l { color: var(--muted); font-size: 12px; }
.panel { border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.panel svg { display: block; width: 100%; height: auto; }
.key { white-space: nowrap; margin-left: 8px; }
.key svg { vertical-align: middle; }
line.k, path.edge { fill: none; }
.k.prose, .edge.prose { stroke: var(--prose); }
.k.quote, .edge.quote { stroke: var(--quote); stroke-dasharray: 6 4; }
line.k { stroke-width: 3; }
.node circle { fill: #e8eef5; stroke: #4a5a6a; stroke-width: 1.5; }
.node text { font-size: 11px; fill: var(--ink); }
.edge-label { font-size: 10px; fill: var(--ink); paint-order: stroke; stroke: #fff;
  stroke-width: 3px; }
#network svg.focus .edge-labels { display: none; }
#network svg.focus .edge:not(.on) { opacity: .06; }
#network svg.focus .edge.on { opacity: 1; }
#network svg.focus .node:not(.on) { opacity: .35; }
.cluster { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px;
  margin: 12px 0; }
.cluster svg { display: block; width: 100%; height: auto; }
.lane { stroke: var(--line); }
.lane-label, .tick { font-size: 11px; fill: var(--muted); }
.lane-label { fill: var(--ink); }
.spread { fill: none; stroke: #9aa5b1; stroke-width: 1.5; }
.occ { stroke-width: 2; }
.occ.prose { fill: var(--prose); stroke: var(--prose); }
.occ.quote { fill: #fff; stroke: var(--quote); }
.occ.first { stroke: var(--ink); stroke-width: 3; }
.basis { font-size: 12px; fill: var(--muted); }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--prose); }
.sbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
  gap: 10px; margin-top: 8px; }
.col { border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px;
  background: var(--bg); }
.col .who { font-weight: 600; font-size: 12px; margin-bottom: 4px; overflow-wrap: anywhere; }
.col .txt { white-space: pre-wrap; font-family: Georgia, serif; font-size: 13px; }
.ctx { color: var(--muted); }
mark { background: var(--mark); padding: 0 1px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin: 10px 0 18px; }
.empty { color: var(--muted); font-style: italic; }
.tablewrap { overflow-x: auto; margin-bottom: 18px; }
table { border-collapse: collapse; font-size: 12px; min-width: 60%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
  vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: var(--bg); cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
"""

_JS = r"""
"use strict";
const DATA = JSON.parse(document.getElementById("report-data").textContent);
const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, parent, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}
function sv(tag, attrs, parent, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}
function num(n) { return Number(n).toLocaleString("en"); }
function short(s, n) { s = String(s); return s.length <= n ? s : s.slice(0, n - 1) + "…"; }
function when(o) {
  return o.published_at ? o.published_at.replace("T", " ").slice(0, 16)
    : "undated, #" + o.rank_in_cluster;
}
function utc(iso) { return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z"); }

function drawFigures() {
  document.getElementById("generated").textContent = "Generated " + DATA.generated_at + ".";
  const box = document.getElementById("figures");
  for (const [label, value] of DATA.figures) {
    const fig = el("div", {class: "fig"}, box);
    el("div", {class: "v"}, fig, num(value));
    el("div", {class: "l"}, fig, label);
  }
}

function drawNetwork() {
  const net = DATA.network, host = document.getElementById("network");
  document.getElementById("network-caption").textContent =
    "Showing " + net.nodes.length + " of " + net.total_outlets +
    " outlets (most shared words first) and " + net.edges.length + " of " + net.total_edges +
    " links.";
  if (!net.nodes.length) { el("p", {class: "empty"}, host, "No copying between outlets."); return; }
  const W = 1000, H = net.nodes.length > 12 ? 760 : 520, cx = W / 2, cy = H / 2;
  const R = Math.min(W, H) / 2 - (net.nodes.length > 12 ? 130 : 80);
  const svg = sv("svg", {viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": "outlet copying network"}, host);
  const defs = sv("defs", {}, svg);
  for (const kind of ["prose", "quote"]) {
    const m = sv("marker", {id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto"}, defs);
    sv("path", {d: "M0,0 L10,5 L0,10 z", fill: kind === "prose" ? "#2763a8" : "#d9480f"}, m);
  }
  const maxNode = Math.max(1, ...net.nodes.map(n => n.words));
  const pos = {};
  net.nodes.forEach((n, i) => {
    const a = -Math.PI / 2 + 2 * Math.PI * i / net.nodes.length;
    pos[n.outlet] = {x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a: a,
      r: 6 + 16 * Math.sqrt(n.words / maxNode), n: n};
  });
  const maxEdge = Math.max(1, ...net.edges.map(e => Math.max(e.quote_words, e.prose_words)));
  const edges = sv("g", {}, svg);
  const labels = sv("g", {class: "edge-labels"}, svg);
  for (const e of net.edges) {
    const a = pos[e.source], b = pos[e.target];
    for (const kind of ["prose", "quote"]) {
      const w = e[kind + "_words"];
      if (!w) continue;
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
      // bend to the right of the direction: a->b and b->a never overlap
      const bend = (kind === "prose" ? 0.10 : 0.22) * len;
      const mx = (a.x + b.x) / 2 - dy / len * bend, my = (a.y + b.y) / 2 + dx / len * bend;
      const l1 = Math.hypot(mx - a.x, my - a.y) || 1, l2 = Math.hypot(b.x - mx, b.y - my) || 1;
      const sx = a.x + (mx - a.x) / l1 * a.r, sy = a.y + (my - a.y) / l1 * a.r;
      const ex = b.x - (b.x - mx) / l2 * (b.r + 2), ey = b.y - (b.y - my) / l2 * (b.r + 2);
      const path = sv("path", {class: "edge " + kind, "data-s": e.source, "data-t": e.target,
        d: "M" + sx.toFixed(1) + "," + sy.toFixed(1) + " Q" + mx.toFixed(1) + "," +
          my.toFixed(1) + " " + ex.toFixed(1) + "," + ey.toFixed(1),
        "stroke-width": (1 + 7 * Math.sqrt(w / maxEdge)).toFixed(2),
        // weak links recede, so a dense network still shows its main routes
        "opacity": (0.25 + 0.75 * Math.sqrt(w / maxEdge)).toFixed(2),
        "marker-end": "url(#arrow-" + kind + ")"}, edges);
      if (net.edges.length <= 30) {
        // the curve's midpoint: halfway between the chord's midpoint and the control point
        sv("text", {class: "edge-label", x: ((sx + ex) / 4 + mx / 2).toFixed(1),
          y: ((sy + ey) / 4 + my / 2 + 4).toFixed(1), "text-anchor": "middle"}, labels, num(w));
      }
      sv("title", {}, path, e.source + " → " + e.target + ": " + num(w) + " " +
        (kind === "quote" ? "quoted" : "prose") + " words (" + e.n_docs + " articles, " +
        e.n_passages + " passages)");
    }
  }
  const nodes = sv("g", {}, svg);
  for (const p of Object.values(pos)) {
    const g = sv("g", {class: "node", "data-outlet": p.n.outlet}, nodes);
    sv("circle", {cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: p.r.toFixed(1)}, g);
    const right = Math.cos(p.a) >= -0.01;
    const lx = p.x + Math.cos(p.a) * (p.r + 6), ly = p.y + Math.sin(p.a) * (p.r + 6);
    sv("text", {x: lx.toFixed(1), y: (ly + 4).toFixed(1),
      "text-anchor": Math.abs(Math.cos(p.a)) < 0.2 ? "middle" : (right ? "start" : "end")},
      g, short(p.n.outlet, 30));
    sv("title", {}, g, p.n.outlet + ": " + num(p.n.out_words) + " words carried first and " +
      "taken by others, " + num(p.n.in_words) + " words taken from others");
    g.addEventListener("mouseenter", () => {
      svg.classList.add("focus");
      g.classList.add("on");
      for (const path of edges.children) {
        if (path.dataset.s === p.n.outlet || path.dataset.t === p.n.outlet) {
          path.classList.add("on");
        }
      }
    });
    g.addEventListener("mouseleave", () => {
      svg.classList.remove("focus");
      for (const x of svg.querySelectorAll(".on")) x.classList.remove("on");
    });
  }
}

const BASIS = {
  "published_at": "x: publication time (published_at)",
  "ingest_order": "x: ingest order (publication dates unknown)",
  "published_at+ingest_order":
    "x: order by published_at, then ingest order (some dates unknown)",
};

function drawTimeline(c, card) {
  const occ = c.occurrences;
  const lanes = [...new Set(occ.map(o => o.outlet))];
  const byTime = c.first_seen_basis === "published_at" && occ.every(o => o.published_at);
  const W = 1000, left = 230, right = 40, top = 16, laneH = 26;
  const H = top + lanes.length * laneH + 44, plotW = W - left - right;
  const svg = sv("svg", {viewBox: "0 0 " + W + " " + H, class: "timeline",
    "data-cluster": c.cluster_id, role: "img", "aria-label": "timeline"}, card);
  let xOf, ticks;
  if (byTime) {
    const ts = occ.map(o => utc(o.published_at));
    const t0 = Math.min(...ts), t1 = Math.max(...ts), span = t1 - t0 || 1;
    xOf = (o, i) => left + (ts[i] - t0) / span * plotW;
    const n = t1 > t0 ? 4 : 0;
    ticks = [];
    for (let k = 0; k <= n; k++) {
      const t = t0 + span * k / (n || 1);
      ticks.push([left + (t - t0) / span * plotW,
        new Date(t).toISOString().slice(0, 16).replace("T", " ")]);
    }
  } else {
    const step = plotW / Math.max(occ.length - 1, 1);
    xOf = (o, i) => left + i * step;
    const every = Math.ceil(occ.length / 20);
    ticks = occ.map((o, i) => [left + i * step, String(i + 1)]).filter((t, i) => i % every === 0);
  }
  const yOf = o => top + lanes.indexOf(o.outlet) * laneH + laneH / 2;
  lanes.forEach((name, i) => {
    const y = top + i * laneH + laneH / 2;
    sv("line", {class: "lane", x1: left, x2: W - right, y1: y, y2: y}, svg);
    sv("text", {class: "lane-label", x: left - 10, y: y + 4, "text-anchor": "end"}, svg,
      short(name, 34));
  });
  const axisY = top + lanes.length * laneH + 6;
  ticks.forEach(([x, label], i) => {
    sv("line", {class: "lane", x1: x, x2: x, y1: axisY - 4, y2: axisY}, svg);
    const anchor = byTime && i === ticks.length - 1 && i > 0 ? "end" : "middle";
    sv("text", {class: "tick", x: x, y: axisY + 12, "text-anchor": anchor}, svg, label);
  });
  sv("text", {class: "basis", x: left, y: H - 4}, svg, BASIS[c.first_seen_basis] ||
    c.first_seen_basis);
  const pts = occ.map((o, i) => [xOf(o, i), yOf(o)]);
  sv("path", {class: "spread",
    d: pts.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" ")},
    svg);
  occ.forEach((o, i) => {
    const circle = sv("circle", {class: "occ " + (o.is_quote ? "quote" : "prose") +
      (i === 0 ? " first" : ""), cx: pts[i][0].toFixed(1), cy: pts[i][1].toFixed(1),
      r: i === 0 ? 8 : 6}, svg);
    sv("title", {}, circle, o.outlet + " — " + when(o) + " — " +
      (o.is_quote ? "quoted" : "prose") + ", " + o.n_words + " words" +
      (i === 0 ? " (first)" : ""));
  });
}

function segments(segs, parent) {
  for (const [text, kind] of segs) {
    el(kind === 2 ? "mark" : "span", kind === 0 ? {class: "ctx"} : {}, parent, text);
  }
}

function drawClusters() {
  const host = document.getElementById("timelines");
  document.getElementById("timelines-caption").textContent =
    "The " + DATA.clusters.length + " largest reuse clusters: each outlet that carried the " +
    "text, and when (the first is ringed; filled dots are prose, hollow ones quotes).";
  if (!DATA.clusters.length) { el("p", {class: "empty"}, host, "No reused text found."); return; }
  DATA.clusters.forEach((c, ci) => {
    const card = el("article", {class: "cluster", "data-cluster": c.cluster_id}, host);
    el("h3", {}, card, "“" + short(c.text, 180) + "”");
    el("p", {class: "meta"}, card, c.n_docs + " articles, " + c.n_outlets + " outlets, " +
      c.kind + "; first carried by " + c.first_outlet + " · cluster " + c.cluster_id);
    drawTimeline(c, card);
    if (c.n_occurrences > c.occurrences.length) {
      el("p", {class: "note"}, card, "Showing the first " + c.occurrences.length + " of " +
        c.n_occurrences + " occurrences.");
    }
    const det = el("details", ci === 0 ? {open: ""} : {}, card);
    el("summary", {}, det, "Shared passage side by side (" + c.passages.length + " of " +
      c.n_occurrences + ")");
    const grid = el("div", {class: "sbs"}, det);
    for (const p of c.passages) {
      const col = el("div", {class: "col"}, grid);
      el("div", {class: "who", title: p.doc_id}, col, p.outlet + " · " + when(p) + " · " +
        (p.is_quote ? "quoted" : "prose"));
      segments(p.segments, el("div", {class: "txt"}, col));
    }
  });
}

function drawPairs() {
  const host = document.getElementById("pairs");
  if (!DATA.pairs.length) {
    el("p", {class: "empty"}, host, "No syndicated pairs (articles republished whole).");
    return;
  }
  el("p", {class: "note"}, host, "The " + DATA.pairs.length + " closest pairs; shared words " +
    "highlighted, earlier article on the left.");
  for (const p of DATA.pairs) {
    const flip = p.earlier_doc === p.doc_b;
    const sides = [["a", p.doc_a, p.outlet_a, p.title_a, p.segments_a],
      ["b", p.doc_b, p.outlet_b, p.title_b, p.segments_b]];
    if (flip) sides.reverse();
    el("p", {class: "meta"}, host, "jaccard " + p.jaccard + ", containment " + p.containment +
      "; earlier by " + p.earlier_basis);
    const grid = el("div", {class: "pair"}, host);
    for (const [, id, outlet, title, segs] of sides) {
      const col = el("div", {class: "col"}, grid);
      el("div", {class: "who", title: id}, col, outlet + (title ? " · " + title : ""));
      segments(segs, el("div", {class: "txt"}, col));
    }
  }
}

function drawTables() {
  const host = document.getElementById("tables");
  for (const t of DATA.tables) {
    el("h3", {}, host, t.title + " (" + t.name + "): showing " + t.rows.length + " of " +
      num(t.total));
    const wrap = el("div", {class: "tablewrap"}, host);
    const table = el("table", {"data-view": t.name}, wrap);
    const tr = el("tr", {}, el("thead", {}, table));
    const body = el("tbody", {}, table);
    const rows = t.rows.slice();
    const fill = () => {
      body.replaceChildren();
      for (const r of rows) {
        const row = el("tr", {}, body);
        for (const v of r) {
          el("td", typeof v === "number" ? {class: "num"} : {}, row,
            v === null ? "" : typeof v === "number" ? String(v) : String(v));
        }
      }
      if (!rows.length) el("td", {colspan: t.columns.length, class: "empty"},
        el("tr", {}, body), "(no rows)");
    };
    t.columns.forEach((name, i) => {
      const th = el("th", {scope: "col", tabindex: "0"}, tr, name);
      const sort = () => {
        const asc = th.getAttribute("aria-sort") !== "ascending";
        for (const other of tr.children) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.sort((a, b) => {
          const x = a[i], y = b[i];
          if (x === null || y === null) return (x === null) - (y === null);
          const c = typeof x === "number" && typeof y === "number" ? x - y
            : String(x).localeCompare(String(y));
          return asc ? c : -c;
        });
        fill();
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", ev => { if (ev.key === "Enter") sort(); });
    });
    fill();
  }
}

drawFigures();
drawNetwork();
drawClusters();
drawPairs();
drawTables();
"""
