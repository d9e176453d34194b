/**
 * The three views of issue 12 (account holder, emergency contact, Enigm Command) and the log-in page: HTML shells
 * plus script and style files served from /assets/ (no inline script or style: the CSP allows 'self' only). Data
 * reach a page as a JSON block (`<script type="application/json">`, never executed) or from the JSON API; every
 * value from the server is written with textContent. Elements carry `data-testid` for the browser tests.
 */
const CSS = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 16px;display:flex;gap:14px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header span{opacity:.75}header button{margin-left:auto}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px;padding:14px;align-items:start}
section{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px #0002;overflow:auto}
h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #e4e6ea;white-space:nowrap}
th{font-weight:600;color:#555}tr.click{cursor:pointer}tr.sel{background:#e8f0ff}
.st{padding:1px 6px;border-radius:9px;font-size:12px;background:#eee}.open,.active{background:#ffe1e1;color:#a00}.active{background:#e2f3e5;color:#185}
.closed{background:#e2f3e5;color:#185}.review{background:#fff3c4;color:#750}.suspended{background:#ffe6c8;color:#a50}
.revoked,.replaced,.retired{background:#eee;color:#666}
svg{background:#eef3f8;border-radius:6px;display:block;max-width:100%;height:auto}p.cap{color:#556;font-size:13px;margin:4px 0 8px}
form{display:flex;gap:6px;flex-wrap:wrap;margin:6px 0}input,select,button{font:inherit;padding:4px 8px}
.err{color:#a00}.ok{color:#185}code{font-size:12px}.phrase{font:16px/1.6 monospace;background:#fffbe6;padding:8px;border-radius:6px}
body.phone main{display:block;padding:8px}body.phone section{margin-bottom:10px}
#map{width:100%;height:60vh;min-height:280px;border-radius:6px;background:#eef3f8}
.big{font-size:20px;font-weight:600}
`;

const COMMON = `
const $ = (s) => document.querySelector(s);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
const when = (ms) => ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z" : "–";
const short = (id) => id ? id.slice(0, 8) + "…" : "–";
const pageData = () => { const d = document.getElementById("data"); return d ? JSON.parse(d.textContent || "{}") : {}; };
async function api(method, path, body) {
  const r = await fetch(path, { method, cache: "no-store", credentials: "same-origin", headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  let j = null; try { j = await r.json(); } catch (e) { j = null; }
  if (r.status === 401) { location.href = location.pathname.startsWith("/command") ? "/command/login" : "/login"; throw new Error("logged out"); }
  if (!r.ok) throw new Error((j && (j.reason || j.error)) || ("HTTP " + r.status));
  return j;
}
function table(target, headers, rows) { const t = el("table"); const h = el("tr"); for (const x of headers) h.append(el("th", x)); t.append(h); for (const r of rows) t.append(r); target.replaceChildren(t); }
function row(cells, opts) { opts = opts || {}; const tr = el("tr"); if (opts.testid) tr.dataset.testid = opts.testid; if (opts.cls) tr.className = opts.cls;
  for (const c of cells) { const td = el("td"); if (c instanceof Node) td.append(c); else td.textContent = c === null || c === undefined ? "–" : String(c); tr.append(td); }
  if (opts.onclick) { tr.classList.add("click"); tr.onclick = opts.onclick; } return tr; }
function badge(s) { return el("span", s, "st " + s); }
function button(text, testid, fn) { const b = el("button", text); if (testid) b.dataset.testid = testid; b.onclick = async (ev) => { ev.preventDefault(); try { await fn(); } catch (e) { showError(e); } }; return b; }
function showError(e) { const x = $("#error"); if (x) x.textContent = String(e && e.message || e); }
function formValues(form) { const o = {}; for (const i of form.querySelectorAll("input,select")) if (i.name) o[i.name] = i.value; return o; }
/** Track as an SVG: equirectangular around the mean latitude, north up, with a scale bar in metres. */
function plot(points) {
  const W = 520, H = 300, P = 24, NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + W + " " + H); svg.setAttribute("width", W); svg.setAttribute("height", H); svg.dataset.testid = "track";
  const add = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
  if (!points.length) { add("text", { x: 20, y: 30, fill: "#667" }, "no position yet"); return svg; }
  const la = points.map((p) => p.lat), lo = points.map((p) => p.lon);
  const k = Math.cos((Math.min(...la) + Math.max(...la)) / 2 * Math.PI / 180);
  const x0 = Math.min(...lo), x1 = Math.max(...lo), y0 = Math.min(...la), y1 = Math.max(...la);
  const s = Math.min((W - 2 * P) / Math.max((x1 - x0) * k, 2e-4), (H - 2 * P) / Math.max(y1 - y0, 2e-4));
  const ox = (W - (x1 - x0) * k * s) / 2, oy = (H - (y1 - y0) * s) / 2;
  const X = (v) => ox + (v - x0) * k * s, Y = (v) => H - oy - (v - y0) * s;
  const mPerPx = 111320 / s, target = mPerPx * W / 5, mag = Math.pow(10, Math.floor(Math.log10(target)));
  const metres = [1, 2, 5, 10].map((f) => f * mag).filter((m) => m <= target).pop() || mag, px = metres / mPerPx;
  add("line", { x1: P, y1: H - 10, x2: P + px, y2: H - 10, stroke: "#445", "stroke-width": 2 });
  const sc = add("text", { x: P + px + 6, y: H - 6, fill: "#445", "font-size": 11 }, metres >= 1000 ? metres / 1000 + " km" : metres + " m"); sc.dataset.testid = "scale";
  add("text", { x: W - 14, y: 16, fill: "#445", "font-size": 11, "text-anchor": "middle" }, "N");
  const line = add("polyline", { points: points.map((p) => X(p.lon).toFixed(1) + "," + Y(p.lat).toFixed(1)).join(" "), fill: "none", stroke: "#2a62c9", "stroke-width": 2, "stroke-linejoin": "round" });
  line.dataset.testid = "track-line";
  points.forEach((p, i) => { const last = i === points.length - 1; add("circle", { cx: X(p.lon).toFixed(1), cy: Y(p.lat).toFixed(1), r: last || i === 0 ? 6 : 3.5, fill: last ? "#c22" : i === 0 ? "#1a8a3a" : "#2a62c9", stroke: "#fff", "stroke-width": 1 }); });
  return svg;
}
`;

const LOGIN_JS = `${COMMON}
const command = location.pathname.startsWith("/command");
async function submit(path, form, after) { try { showError(""); const r = await api("POST", path, formValues(form)); after(r); } catch (e) { showError(e); } }
$("#login").onsubmit = (ev) => { ev.preventDefault(); submit(command ? "/api/command/login" : "/api/login", ev.target, () => { location.href = command ? "/command" : "/app"; }); };
if (!command) {
  $("#register").onsubmit = (ev) => { ev.preventDefault(); submit("/api/register", ev.target, (r) => {
    const box = $("#phrase-box"); box.replaceChildren(el("p", "Your recovery phrase. Write it down now: it is shown only once and restores access to this account (and nothing else)."));
    const p = el("p", r.recovery_phrase, "phrase"); p.dataset.testid = "recovery-phrase"; box.append(p, button("I wrote it down — continue", "continue", () => { location.href = "/app"; }));
  }); };
  $("#recover").onsubmit = (ev) => { ev.preventDefault(); submit("/api/recover", ev.target, () => { location.href = "/app"; }); };
}
`;

const APP_JS = `${COMMON}
let selected = null;
async function refresh() {
  try {
    const [me, devices, contacts, events] = await Promise.all([api("GET", "/api/me"), api("GET", "/api/devices"), api("GET", "/api/contacts"), api("GET", "/api/events?limit=50")]);
    $("#status").textContent = me.name + " (" + me.username + ") · " + devices.length + " devices · " + events.filter((e) => e.state === "open").length + " open events";
    table($("#devices"), ["device", "serial", "state", ""], devices.map((d) => {
      const act = el("span");
      const lc = (a, label) => act.append(button(label, a + "-" + d.device_id, async () => { if (a !== "suspend" && a !== "reactivate" && !confirm(label + " " + d.serial + "? This is final.")) return; await api("POST", "/api/devices/" + d.device_id + "/" + a, {}); refresh(); }));
      if (d.lifecycle === "active" || d.lifecycle === "review") lc("suspend", "suspend");
      if (d.lifecycle === "suspended") lc("reactivate", "reactivate");
      if (["review", "active", "suspended"].includes(d.lifecycle)) { lc("revoke", "revoke (lost/stolen)"); lc("retire", "retire"); }
      const note = d.lifecycle === "review" ? " — send a test event from the key to finish" : "";
      return row([el("code", short(d.device_id)), d.serial, badge(d.lifecycle), note ? el("span", note) : "", act], { testid: "device-" + d.device_id });
    }));
    table($("#contacts"), ["name", "channel", "address", "", ""], contacts.map((c) => {
      const act = el("span");
      if (!c.retired) act.append(button("retire", "retire-" + c.contact_id, async () => { await api("POST", "/api/contacts/" + c.contact_id + "/retire", {}); refresh(); }));
      act.append(button("remove", "remove-" + c.contact_id, async () => { await api("DELETE", "/api/contacts/" + c.contact_id); refresh(); }));
      return row([c.name, c.channel, c.address, c.retired ? badge("retired") : c.selected ? "selected" : "not selected", act], { testid: "contact-" + c.contact_id });
    }));
    table($("#events"), ["opened", "device", "state", "reason", "points"], events.map((e) => row([when(e.opened_at), short(e.device_id), badge(e.state), e.test ? "test" : e.reason, e.points],
      { testid: "event-" + e.event_id, cls: selected && selected.event_id === e.event_id ? "sel" : "", onclick: () => { selected = e; refresh(); } })));
    if (!selected && events.length) selected = events[0];
    if (selected) await showEvent(selected);
  } catch (e) { showError(e); }
}
async function showEvent(ev) {
  const d = await api("GET", "/api/events/" + ev.device_id + "/" + ev.event_id);
  const box = $("#event"); box.replaceChildren(el("h2", "Event " + short(d.event_id)));
  const meta = el("p"); meta.append(badge(d.state), " reason " + (d.test ? "test" : d.reason) + " · " + d.points.length + " points"); box.append(meta);
  const tl = el("ol"); tl.dataset.testid = "timeline"; const st = d.stages || {};
  for (const k of ["press", "wake", "modem", "attach", "tls", "fix"]) if (st[k] !== undefined) tl.append(el("li", k + ": +" + (st[k] / 1000).toFixed(2) + " s (device clock)"));
  tl.append(el("li", "opened at platform: " + when(d.opened_at))); tl.append(el("li", "last seen: " + when(d.last_seen_at)));
  if (d.closed_at) tl.append(el("li", "closed: " + when(d.closed_at) + " by " + d.closed_by + (d.close_reason ? " (" + d.close_reason + ")" : "")));
  box.append(tl);
  if (d.state === "open") box.append(button("I am safe — close the event", "close-event", async () => { await api("POST", "/api/events/" + d.device_id + "/" + d.event_id + "/close", { reason: "closed by the account holder" }); refresh(); }));
  box.append(plot(d.points.map((p) => ({ lat: p.la / 1e7, lon: p.lo / 1e7 }))));
  const nt = el("div"); nt.dataset.testid = "notifications";
  table(nt, ["time", "kind", "contact", "status", "detail"], d.notifications.map((n) => row([when(n.at), n.kind, n.contact_name, badge(n.status), n.detail])));
  box.append(el("h2", "Contacts notified"), nt);
}
$("#claim").onsubmit = async (ev) => { ev.preventDefault(); try { showError(""); const r = await api("POST", "/api/devices/claim", formValues(ev.target)); $("#claim-result").textContent = "Key " + short(r.device_id) + " added: " + r.next + "."; refresh(); } catch (e) { showError(e); } };
$("#add-contact").onsubmit = async (ev) => { ev.preventDefault(); try { showError(""); await api("POST", "/api/contacts", formValues(ev.target)); ev.target.reset(); refresh(); } catch (e) { showError(e); } };
$("#password").onsubmit = async (ev) => { ev.preventDefault(); try { showError(""); await api("POST", "/api/password", formValues(ev.target)); ev.target.reset(); $("#password-result").textContent = "Password changed; other sessions ended."; } catch (e) { showError(e); } };
$("#logout").onclick = async () => { await api("POST", "/api/logout", {}); location.href = "/login"; };
refresh(); setInterval(refresh, 3000);
`;

const CONTACT_JS = `${COMMON}
document.body.classList.add("phone");
const cfg = pageData();
const dataUrl = location.pathname.replace(/\\/$/, "") + "/data";
let map = null, mapFailed = false;
function ago(s) { return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min"; }
function geo(track) { return { type: "FeatureCollection", features: [
  { type: "Feature", properties: { kind: "line" }, geometry: { type: "LineString", coordinates: track.map((p) => [p.lon, p.lat]) } },
  ...track.map((p, i) => ({ type: "Feature", properties: { kind: i === track.length - 1 ? "latest" : "point" }, geometry: { type: "Point", coordinates: [p.lon, p.lat] } })) ] }; }
function drawMap(track) {
  if (mapFailed || typeof maplibregl === "undefined" || !track.length) return false;
  try {
    if (!map) {
      maplibregl.setWorkerUrl("/assets/maplibre-gl-worker.js");
      const sources = { track: { type: "geojson", data: geo(track) } };
      const layers = [{ id: "bg", type: "background", paint: { "background-color": "#eef3f8" } }];
      if (cfg.tiles) { sources.tiles = { type: "raster", tiles: [cfg.tiles], tileSize: 256, attribution: "map tiles: " + new URL(cfg.tiles.replace(/\\{[xyz]\\}/g, "0")).host }; layers.push({ id: "tiles", type: "raster", source: "tiles" }); }
      layers.push({ id: "line", type: "line", source: "track", filter: ["==", ["get", "kind"], "line"], paint: { "line-color": "#2a62c9", "line-width": 3 } });
      layers.push({ id: "pts", type: "circle", source: "track", filter: ["!=", ["get", "kind"], "line"], paint: { "circle-radius": ["match", ["get", "kind"], "latest", 7, 4], "circle-color": ["match", ["get", "kind"], "latest", "#c22", "#2a62c9"], "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
      map = new maplibregl.Map({ container: "map", style: { version: 8, sources, layers }, attributionControl: cfg.tiles ? {} : false, interactive: true });
      map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-left");
      map.on("error", (e) => console.warn("map:", e && e.error && e.error.message));
    } else if (map.getSource("track")) map.getSource("track").setData(geo(track));
    const b = new maplibregl.LngLatBounds(); for (const p of track) b.extend([p.lon, p.lat]);
    map.fitBounds(b, { padding: 40, maxZoom: 17, duration: 0 });
    $("#map").dataset.drawn = String(track.length);
    return true;
  } catch (e) { mapFailed = true; console.warn("map unavailable:", e.message); $("#map").remove(); return false; }
}
async function refresh() {
  const r = await fetch(dataUrl, { cache: "no-store" });
  const d = await r.json().catch(() => ({}));
  if (!r.ok) { $("#state").replaceChildren(badge("closed")); $("#state").dataset.state = "closed"; $("#summary").textContent = d.reason || "This link no longer works."; const m = $("#map"); if (m) m.remove(); $("#fallback").replaceChildren(); $("#latest").textContent = ""; clearInterval(timer); return; }
  $("#person").textContent = d.person + " raised an emergency alert";
  $("#state").replaceChildren(badge(d.state)); $("#state").dataset.state = d.state;
  $("#summary").textContent = "Since " + when(d.opened_at * 1000) + (d.reason === "test" ? " (test)" : "");
  const l = d.latest;
  $("#latest").textContent = l ? "Latest position " + ago(l.age) + " ago, accurate to ±" + l.accuracy + " m (" + l.lat.toFixed(5) + ", " + l.lon.toFixed(5) + ")" : "No position yet";
  $("#latest").dataset.age = l ? String(l.age) : "";
  $("#latest").dataset.accuracy = l ? String(l.accuracy) : "";
  const onMap = drawMap(d.track);
  // Without a map (no WebGL) the track is still drawn, with a scale.
  if (!onMap) $("#fallback").replaceChildren(plot(d.track)); else $("#fallback").replaceChildren();
  $("#count").textContent = d.track.length + " positions";
}
const timer = setInterval(() => refresh().catch(showError), 5000);
refresh().catch(showError);
`;

const COMMAND_JS = `${COMMON}
async function act(id, action, body) { await api("POST", "/command/api/devices/" + id + "/" + action, body || {}); refresh(); }
async function refresh() {
  try {
    const [status, devices, security, audit] = await Promise.all([api("GET", "/command/api/status"), api("GET", "/command/api/devices"), api("GET", "/command/api/security?limit=50"), api("GET", "/command/api/audit?limit=50")]);
    $("#status").textContent = status.devices + " devices · platform time " + new Date(status.time * 1000).toISOString();
    table($("#devices"), ["device", "serial", "board", "lifecycle", "account", "counter", ""], devices.map((d) => {
      const a = el("span");
      const b = (action, label) => a.append(button(label, action + "-" + d.device_id, () => (action === "revoke" || action === "retire") && !confirm(label + " " + d.device_id + "? This is final.") ? null : act(d.device_id, action)));
      if (d.lifecycle === "review") b("activate", "approve");
      if (d.lifecycle === "active") b("review", "review");
      if (d.lifecycle === "active" || d.lifecycle === "review") b("suspend", "suspend");
      if (d.lifecycle === "suspended") b("reactivate", "reactivate");
      if (!["revoked", "replaced", "retired"].includes(d.lifecycle)) { b("revoke", "revoke"); b("retire", "retire"); }
      if (d.lifecycle === "provisioned" && !d.claim_pending) a.append(button("claim code", "code-" + d.device_id, async () => { const r = await api("POST", "/command/api/devices/" + d.device_id + "/claim-code", {}); alert("Claim code: " + r.code); refresh(); }));
      return row([el("code", d.device_id), d.serial, d.board, badge(d.lifecycle), d.account_id ? short(d.account_id) : "–", d.highest_counter, a], { testid: "device-" + d.device_id });
    }));
    table($("#security"), ["time", "status", "cause", "device", "request", "detail"], security.map((r) => row([when(r.at), r.status, r.code, r.device_id ? short(r.device_id) : "–", r.method + " " + r.path, r.detail], { testid: "refusal" })));
    table($("#audit"), ["time", "actor", "action", "outcome", "device", "detail"], audit.map((r) => row([when(r.at), r.actor, r.action, r.outcome, r.device_id ? short(r.device_id) : "–", r.detail], { testid: "audit" })));
  } catch (e) { showError(e); }
}
$("#logout").onclick = async () => { await api("POST", "/api/logout", {}); location.href = "/command/login"; };
refresh(); setInterval(refresh, 3000);
`;

/** name -> [content, content-type] */
export const ASSETS: Readonly<Record<string, readonly [string, string]>> = Object.freeze({
	"site.css": [CSS, "text/css; charset=utf-8"],
	"login.js": [LOGIN_JS, "text/javascript; charset=utf-8"],
	"app.js": [APP_JS, "text/javascript; charset=utf-8"],
	"contact.js": [CONTACT_JS, "text/javascript; charset=utf-8"],
	"command.js": [COMMAND_JS, "text/javascript; charset=utf-8"],
});

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type PageName = "login" | "command-login" | "app" | "contact" | "contact-gone" | "command" | "forbidden";

/** `data` is JSON; `<` is escaped so it cannot close the block. */
export function page(name: PageName, title: string, data: string): string {
	const json = `<script type="application/json" id="data">${(data || "{}").replace(/</g, "\\u003c")}</script>`;
	const head = (extra = "") =>
		`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="stylesheet" href="/assets/site.css">${extra}</head>`;
	switch (name) {
		case "login":
			return `${head()}<body><header><h1>Enigm</h1><span>account holder</span><span id="error" class="err" data-testid="error"></span></header><main>
<section><h2>Log in</h2><form id="login" data-testid="login"><input name="username" placeholder="user name" autocomplete="username"><input name="password" type="password" placeholder="password" autocomplete="current-password"><button>Log in</button></form></section>
<section><h2>Create an account</h2><p class="cap">A user name and a password; no e-mail or phone number.</p><form id="register" data-testid="register"><input name="username" placeholder="user name"><input name="name" placeholder="name shown to your contacts"><input name="password" type="password" placeholder="password (10+ characters)" autocomplete="new-password"><button>Create</button></form><div id="phrase-box"></div></section>
<section><h2>Recover with your recovery phrase</h2><form id="recover" data-testid="recover"><input name="username" placeholder="user name"><input name="phrase" placeholder="12-word recovery phrase"><input name="password" type="password" placeholder="new password" autocomplete="new-password"><button>Recover</button></form></section>
</main>${json}<script src="/assets/login.js"></script></body></html>`;
		case "command-login":
			return `${head()}<body><header><h1>Enigm Command</h1><span id="error" class="err" data-testid="error"></span></header><main>
<section><h2>Operator log in</h2><form id="login" data-testid="login"><input name="username" placeholder="operator" autocomplete="username"><input name="password" type="password" placeholder="password" autocomplete="current-password"><button>Log in</button></form></section>
</main>${json}<script src="/assets/login.js"></script></body></html>`;
		case "app":
			return `${head()}<body><header><h1>Enigm — my key</h1><span id="status" data-testid="status">loading…</span><span id="error" class="err" data-testid="error"></span><button id="logout" data-testid="logout">Log out</button></header><main>
<section><h2>My keys</h2><div id="devices" data-testid="devices"></div><form id="claim" data-testid="claim"><input name="code" placeholder="claim code from the box"><button>Add key</button></form><p id="claim-result" class="cap ok" data-testid="claim-result"></p></section>
<section><h2>Emergency contacts</h2><div id="contacts" data-testid="contacts"></div><form id="add-contact" data-testid="add-contact"><input name="name" placeholder="name"><select name="channel"><option>sms</option><option>email</option><option>voice</option><option>webhook</option></select><input name="address" placeholder="number or address"><button>Add</button></form></section>
<section><h2>Events</h2><div id="events" data-testid="events"></div></section>
<section id="event" data-testid="event"><h2>Event</h2><p>No event yet.</p></section>
<section><h2>Password</h2><form id="password" data-testid="password"><input name="current" type="password" placeholder="current password"><input name="password" type="password" placeholder="new password"><button>Change</button></form><p id="password-result" class="cap ok"></p></section>
</main>${json}<script src="/assets/app.js"></script></body></html>`;
		case "contact":
			return `${head('<link rel="stylesheet" href="/assets/maplibre-gl.css">')}<body class="phone"><header><h1>Enigm emergency</h1><span id="state" data-testid="state"></span></header><main>
<section><p id="person" class="big" data-testid="person"></p><p id="summary" data-testid="summary"></p><p id="latest" data-testid="latest"></p><p id="count" class="cap" data-testid="count"></p><span id="error" class="err"></span></section>
<section><div id="map" data-testid="map"></div><div id="fallback" data-testid="fallback"></div></section>
</main>${json}<script src="/assets/maplibre-gl.js"></script><script src="/assets/contact.js"></script></body></html>`;
		case "contact-gone":
			return `${head()}<body class="phone"><header><h1>Enigm emergency</h1><span class="st closed" data-testid="state" data-state="closed">closed</span></header><main><section><p class="big" data-testid="gone">${escapeHtml((JSON.parse(data || "{}") as { reason?: string }).reason ?? "This link no longer works.")}</p></section></main></body></html>`;
		case "command":
			return `${head()}<body><header><h1>Enigm Command</h1><span id="status" data-testid="status">loading…</span><span id="error" class="err" data-testid="error"></span><button id="logout" data-testid="logout">Log out</button></header><main>
<section><h2>Devices (lifecycle)</h2><div id="devices" data-testid="devices"></div></section>
<section><h2>Security events (refused device requests)</h2><div id="security" data-testid="security"></div></section>
<section><h2>Audit</h2><div id="audit" data-testid="audit-log"></div></section>
</main>${json}<script src="/assets/command.js"></script></body></html>`;
		case "forbidden":
			return `${head()}<body><header><h1>Enigm</h1></header><main><section><p class="big" data-testid="forbidden">Not allowed: this page belongs to another role.</p></section></main></body></html>`;
	}
}
