/**
 * The QA dashboard (issue 5, part 4): one self-contained page (no external resources) that polls the admin API
 * and shows devices and their lifecycle state, events with their stage timeline, the location track drawn as an
 * SVG plot, the contacts notified and the refused requests with their reasons. Everything from the server is
 * written with textContent (contact names and reasons are user input). Elements carry `data-testid` for the
 * browser test.
 */
const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 18px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}header span{opacity:.7}
main{display:grid;grid-template-columns:1fr 1fr;gap:14px;padding:14px;align-items:start}
section{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px #0002;overflow:auto}
section.wide{grid-column:1/3}
h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #e4e6ea;white-space:nowrap}
th{font-weight:600;color:#555}tr.sel{background:#e8f0ff}tr.click{cursor:pointer}
.st{padding:1px 6px;border-radius:9px;font-size:12px}.open{background:#ffe1e1;color:#a00}.closed{background:#e2f3e5;color:#185}
.active{background:#e2f3e5;color:#185}.revoked{background:#eee;color:#666}.sent{color:#185}.failed{color:#a00}.skipped{color:#777}
svg{background:#eef3f8;border-radius:6px;display:block;max-width:100%;height:auto}p.cap{color:#556;font-size:12px;margin:4px 0 8px}ol.tl{margin:0;padding-left:18px}code{font-size:12px}
button{font:inherit;padding:2px 8px}
`;

const SCRIPT = `
const $ = (s) => document.querySelector(s);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
const short = (id) => id ? id.slice(0, 8) + "…" : "–";
const when = (ms) => ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z" : "–";
let selected = null;
async function get(path) { const r = await fetch(path, { cache: "no-store" }); if (!r.ok) throw new Error(path + " " + r.status); return r.json(); }
async function post(path, body) { const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body || {}) }); return r.json(); }
function table(target, headers, rows) {
  const t = el("table"); const h = el("tr"); for (const x of headers) h.append(el("th", x)); t.append(h);
  for (const r of rows) t.append(r); target.replaceChildren(t);
}
function row(cells, opts = {}) {
  const tr = el("tr"); if (opts.cls) tr.className = opts.cls; if (opts.testid) tr.dataset.testid = opts.testid;
  for (const c of cells) { const td = el("td"); if (c instanceof Node) td.append(c); else td.textContent = c === null || c === undefined ? "–" : String(c); tr.append(td); }
  if (opts.onclick) { tr.classList.add("click"); tr.onclick = opts.onclick; }
  return tr;
}
function badge(s) { return el("span", s, "st " + s); }
function plot(points) {
  // Equirectangular around the track's mean latitude, centred in the box, north up; a scale bar in metres.
  const W = 520, H = 300, P = 24, NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + W + " " + H); svg.setAttribute("width", W); svg.setAttribute("height", H); svg.dataset.testid = "track";
  const add = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
  if (!points.length) { add("text", { x: 20, y: 30, fill: "#667" }, "no GNSS points (yet)"); return svg; }
  const la = points.map((p) => p.la / 1e7), lo = points.map((p) => p.lo / 1e7);
  const k = Math.cos((Math.min(...la) + Math.max(...la)) / 2 * Math.PI / 180);
  const x0 = Math.min(...lo), x1 = Math.max(...lo), y0 = Math.min(...la), y1 = Math.max(...la);
  // Fit the longer side; at least ~22 m (2e-4 degrees) across, so one point or a standstill does not zoom to noise.
  const s = Math.min((W - 2 * P) / Math.max((x1 - x0) * k, 2e-4), (H - 2 * P) / Math.max(y1 - y0, 2e-4));
  const ox = (W - (x1 - x0) * k * s) / 2, oy = (H - (y1 - y0) * s) / 2;
  const X = (v) => ox + (v - x0) * k * s, Y = (v) => H - oy - (v - y0) * s;
  // Scale bar: a round number of metres near a fifth of the width (1 degree of latitude is about 111.32 km).
  const mPerPx = 111320 / s, target = mPerPx * W / 5, mag = Math.pow(10, Math.floor(Math.log10(target)));
  const metres = [1, 2, 5, 10].map((f) => f * mag).filter((m) => m <= target).pop() || mag, px = metres / mPerPx;
  add("line", { x1: P, y1: H - 10, x2: P + px, y2: H - 10, stroke: "#445", "stroke-width": 2 });
  add("text", { x: P + px + 6, y: H - 6, fill: "#445", "font-size": 11 }, metres >= 1000 ? metres / 1000 + " km" : metres + " m");
  add("text", { x: W - 14, y: 16, fill: "#445", "font-size": 11, "text-anchor": "middle" }, "N");
  const line = add("polyline", { points: points.map((p) => X(p.lo / 1e7).toFixed(1) + "," + Y(p.la / 1e7).toFixed(1)).join(" "), fill: "none", stroke: "#2a62c9", "stroke-width": 2, "stroke-linejoin": "round" });
  line.dataset.testid = "track-line";
  points.forEach((p, i) => {
    const first = i === 0, last = i === points.length - 1;
    const c = add("circle", { cx: X(p.lo / 1e7).toFixed(1), cy: Y(p.la / 1e7).toFixed(1), r: first || last ? 6 : 3.5, fill: last ? "#c22" : first ? "#1a8a3a" : "#2a62c9", stroke: "#fff", "stroke-width": 1 });
    c.dataset.s = p.s;
    const t = document.createElementNS(NS, "title"); t.textContent = "#" + p.s + " " + when(p.t * 1000) + " ±" + p.a + " m"; c.append(t);
  });
  return svg;
}
function trackCaption(points) {
  if (!points.length) return "";
  const la = points.map((p) => p.la / 1e7), lo = points.map((p) => p.lo / 1e7), k = Math.cos(la[0] * Math.PI / 180);
  const ew = Math.round((Math.max(...lo) - Math.min(...lo)) * k * 111320), ns = Math.round((Math.max(...la) - Math.min(...la)) * 111320);
  return points.length + " points · start (green) " + when(points[0].t * 1000) + " · latest (red) " + when(points[points.length - 1].t * 1000) + " · extent " + ew + " m E–W × " + ns + " m N–S";
}
async function showEvent(ev) {
  const d = await get("/admin/events/" + ev.device_id + "/" + ev.event_id);
  const box = $("#event"); box.replaceChildren();
  box.append(el("h2", "Event " + d.event_id));
  const meta = el("p"); meta.append(badge(d.state), " device ", el("code", d.device_id), " reason " + (d.reason || "–") + (d.test ? " (test)" : ""),
    " · resumed " + d.resumed_count + "× · " + d.points.length + " points"); box.append(meta);
  const tl = el("ol", null, "tl"); tl.dataset.testid = "timeline";
  const stages = d.stages || {};
  for (const k of ["press", "wake", "modem", "attach", "tls", "fix"]) if (stages[k] !== undefined) tl.append(el("li", k + ": +" + (stages[k] / 1000).toFixed(2) + " s (device clock)"));
  tl.append(el("li", "opened at platform: " + when(d.opened_at)));
  tl.append(el("li", "last seen: " + when(d.last_seen_at)));
  if (d.closed_at) tl.append(el("li", "closed: " + when(d.closed_at) + " by " + d.closed_by + (d.close_reason ? " (" + d.close_reason + ")" : "")));
  box.append(tl);
  if (d.state === "open") { const b = el("button", "Close event (user)"); b.dataset.testid = "close-event"; b.onclick = async () => { await post("/admin/events/" + d.device_id + "/" + d.event_id + "/close", { reason: "closed from dashboard" }); refresh(); }; box.append(b); }
  box.append(plot(d.points));
  const cap = el("p", trackCaption(d.points), "cap"); cap.dataset.testid = "track-caption"; box.append(cap);
  if (d.cell) { try { const c = typeof d.cell === "string" ? JSON.parse(d.cell) : d.cell; box.append(el("p", "serving cell: " + String(c.mcc).padStart(3, "0") + "-" + String(c.mnc).padStart(2, "0") + " TAC " + c.tac + " CI " + c.ci + (c.rsrp !== undefined ? " · RSRP " + c.rsrp + " dBm" : ""), "cap")); } catch (e) { /* not JSON: leave it out */ } }
  const pts = el("div"); table(pts, ["s", "fix time", "lat", "lon", "±m", "q"], d.points.slice(-10).reverse().map((p) => row([p.s, when(p.t * 1000), (p.la / 1e7).toFixed(6), (p.lo / 1e7).toFixed(6), p.a, p.q]))); box.append(pts);
  box.append(el("h2", "Contacts notified"));
  const nt = el("div"); nt.dataset.testid = "notifications";
  table(nt, ["time", "kind", "contact", "status", "detail"], d.notifications.map((n) => row([when(n.at), n.kind, n.contact_name || (n.contact_id ? short(n.contact_id) : "–"), badge(n.status), n.detail])));
  box.append(nt);
}
async function refresh() {
  try {
    const [status, devices, events, refusals] = await Promise.all([get("/admin/status"), get("/admin/devices"), get("/admin/events?limit=50"), get("/admin/refusals?limit=50")]);
    $("#status").textContent = status.devices + " devices · " + status.openEvents + " open events · platform time " + new Date(status.time * 1000).toISOString();
    table($("#devices"), ["device", "serial", "board", "state", "account", "counter", "open event", ""], devices.map((d) => {
      const act = el("span"); if (d.state === "active") { const b = el("button", "revoke"); b.onclick = async () => { if (confirm("Revoke " + d.device_id + " for ever?")) { await post("/admin/devices/" + d.device_id + "/revoke", { reason: "revoked from dashboard" }); refresh(); } }; act.append(b); }
      return row([el("code", d.device_id), d.serial, d.board, badge(d.state), d.account_id ? short(d.account_id) : "unclaimed", d.highest_counter, d.open_event ? short(d.open_event) : "–", act], { testid: "device-" + d.device_id });
    }));
    table($("#events"), ["opened", "device", "event", "state", "closed by", "points"], events.map((e) => row([when(e.opened_at), short(e.device_id), short(e.event_id), badge(e.state), e.closed_by, e.points],
      { cls: selected && selected.event_id === e.event_id && selected.device_id === e.device_id ? "sel" : "", testid: "event-" + e.event_id, onclick: () => { selected = e; refresh(); } })));
    table($("#refusals"), ["time", "status", "cause", "device", "request", "detail"], refusals.map((r) => row([when(r.at), r.status, r.code, r.device_id ? short(r.device_id) : "–", r.method + " " + r.path, r.detail], { testid: "refusal" })));
    if (!selected && events.length) selected = events[0];
    if (selected) await showEvent(selected);
    $("#error").textContent = "";
  } catch (e) { $("#error").textContent = String(e); }
}
refresh(); setInterval(refresh, 2000);
`;

export function dashboardHtml(): string {
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Enigm platform — QA dashboard</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>Enigm platform</h1><span id="status" data-testid="status">loading…</span><span id="error" style="color:#f88"></span></header>
<main>
<section class="wide"><h2>Devices</h2><div id="devices" data-testid="devices"></div></section>
<section><h2>Events</h2><div id="events" data-testid="events"></div></section>
<section id="event" data-testid="event"><h2>Event</h2><p>No event yet.</p></section>
<section class="wide"><h2>Refused requests</h2><div id="refusals" data-testid="refusals"></div></section>
</main>
<script>${SCRIPT}</script></body></html>`;
}
