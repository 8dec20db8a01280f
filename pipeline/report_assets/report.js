
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
  // a ring where each node takes the arc its circle needs (nodes never overlap) and each
  // label runs outward along its node's ray (labels never collide: a label is as thick as
  // the text, and neighbouring rays are further apart than that where the labels start)
  const maxNode = Math.max(1, ...net.nodes.map(n => n.words));
  const radius = n => 5 + 13 * Math.sqrt(n.words / maxNode);
  const GAP = 8, FONT = 11, LABEL = 24;  // px between circles, label font, label characters
  const arcs = net.nodes.map(n => 2 * radius(n) + GAP);
  const total = arcs.reduce((a, b) => a + b, 0);
  // radius: the arcs fit, and the narrowest label slot is at least a text line high
  const minArc = Math.min(...arcs);
  const R = Math.max(110, total / (2 * Math.PI), (FONT + 3) * total / minArc / (2 * Math.PI));
  const reach = R + 18 + 8 + LABEL * FONT * 0.62;
  const W = Math.ceil(2 * reach + 20), H = W, cx = W / 2, cy = H / 2;
  const svg = sv("svg", {viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": "outlet copying network", width: W, height: H}, host);
  const defs = sv("defs", {}, svg);
  for (const kind of ["prose", "quote"]) {
    const m = sv("marker", {id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto"}, defs);
    sv("path", {d: "M0,0 L10,5 L0,10 z", fill: kind === "prose" ? "#2763a8" : "#d9480f"}, m);
  }
  const pos = {};
  let along = 0;
  net.nodes.forEach((n, i) => {
    const a = -Math.PI / 2 + 2 * Math.PI * (along + arcs[i] / 2) / total;
    along += arcs[i];
    pos[n.outlet] = {x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a: a, r: radius(n), n: n};
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
    // outward along the ray; on the left half turned over so it reads left to right
    const right = Math.cos(p.a) >= 0;
    const deg = p.a * 180 / Math.PI + (right ? 0 : 180);
    const lx = cx + Math.cos(p.a) * (R + 18 + 8), ly = cy + Math.sin(p.a) * (R + 18 + 8);
    sv("text", {class: "label", x: lx.toFixed(1), y: ly.toFixed(1), "dominant-baseline":
      "central", "text-anchor": right ? "start" : "end",
      transform: "rotate(" + deg.toFixed(2) + " " + lx.toFixed(1) + " " + ly.toFixed(1) + ")"},
      g, short(p.n.outlet, LABEL));
    sv("title", {}, g, p.n.outlet + (p.n.members ? " (the " + p.n.members +
      " outlets past the first " + (net.nodes.length - 1) + ", together)" : "") + ": " +
      num(p.n.out_words) + " words carried first and taken by others, " +
      num(p.n.in_words) + " words taken from others");
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
          el("td", typeof v === "number" ? {class: "num"} : {title: v === null ? "" : String(v)}, row,
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
