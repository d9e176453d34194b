/**
 * The web side of the platform (issue 12): accounts and sessions, the account holder's API and view, the emergency
 * contact's capability-link view, and Enigm Command's API and view. Every request goes through the same gate:
 *
 *   1. Host check: the Host header must name this server (`localhost`, `127.0.0.1` or `[::1]` with its port), else
 *      421 (RFC 9110 15.5.20): a DNS-rebinding page cannot talk to the platform.
 *   2. CSRF: a state-changing method (anything but GET/HEAD) needs `Origin` equal to this server's origin (RFC 6454;
 *      Fetch standard: browsers send it on every cross-origin and every non-GET request), or, without Origin,
 *      `Sec-Fetch-Site: same-origin`; and a JSON body (`content-type: application/json`, which a cross-site form
 *      cannot send without a CORS preflight this server never grants). Session cookies are also `SameSite=Strict`.
 *   3. Strict query parameters (unknown or malformed ones: 400 with a reason) and a body limit (413 after the body
 *      was read, never a reset).
 *   4. Role check from the route table (ROUTES), then ownership inside the handler; each decision is one audit row.
 *
 * Every response carries a CSP with `frame-ancestors 'none'` (and X-Frame-Options DENY), `Referrer-Policy:
 * no-referrer` (a contact link must not leak to a tile server), `nosniff` and `no-store`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Platform, { type Actor, actorName, type LifecycleAction, PlatformError } from "./platform";
import type { EventRow } from "./store";
import { readBody, TooLarge } from "./routes";
import { DEVICE_ID } from "./keys";
import { EVENT_ID } from "./messages";
import { ASSETS, page } from "./views";

export const WEB_BODY_LIMIT = 64 * 1024;
/** A client still sending after this much is cut off (it has had its 413 budget). */
const DRAIN_LIMIT = 64 * 1024 * 1024;
export const SESSION_COOKIE = "__Host-enigm-session";

export type Role = "public" | "holder" | "command" | "contact";

export interface RouteSpec {
	readonly method: string;
	/** Template with :params, for the docs and the role x route matrix test. */
	readonly path: string;
	readonly role: Role;
	/** Query parameters the route accepts. */
	readonly query?: readonly string[];
	/** HTML page (redirects to login without a session) rather than JSON. */
	readonly page?: boolean;
}

type Params = Record<string, string>;
interface Ctx {
	readonly req: IncomingMessage;
	readonly actor: Actor | undefined;
	readonly params: Params;
	readonly query: URLSearchParams;
	readonly body: Record<string, unknown>;
	readonly raw: Buffer;
	readonly address: string;
	readonly token: string | undefined;
}
type Result = { status?: number; body: unknown; headers?: Record<string, string> };
type Handler = (c: Ctx) => Result | Promise<Result>;

const HOLDER_DEVICE_ACTIONS = ["suspend", "reactivate", "revoke", "retire"] as const satisfies readonly LifecycleAction[];
const COMMAND_DEVICE_ACTIONS = ["activate", "review", "suspend", "reactivate", "revoke", "retire"] as const satisfies readonly LifecycleAction[];

/** Every web route: method, path, who may call it. The matrix test walks this list. */
export const ROUTES: readonly RouteSpec[] = Object.freeze([
	{ method: "GET", path: "/", role: "public", page: true },
	{ method: "GET", path: "/dashboard", role: "public", page: true },
	{ method: "GET", path: "/login", role: "public", page: true },
	{ method: "GET", path: "/command/login", role: "public", page: true },
	{ method: "GET", path: "/assets/:name", role: "public" },
	{ method: "POST", path: "/api/register", role: "public" },
	{ method: "POST", path: "/api/login", role: "public" },
	{ method: "POST", path: "/api/recover", role: "public" },
	{ method: "POST", path: "/api/command/login", role: "public" },
	{ method: "POST", path: "/api/logout", role: "public" },
	{ method: "GET", path: "/app", role: "holder", page: true },
	{ method: "GET", path: "/api/me", role: "holder" },
	{ method: "POST", path: "/api/password", role: "holder" },
	{ method: "GET", path: "/api/devices", role: "holder" },
	{ method: "POST", path: "/api/devices/claim", role: "holder" },
	...HOLDER_DEVICE_ACTIONS.map((a) => ({ method: "POST", path: `/api/devices/:device/${a}`, role: "holder" as const })),
	{ method: "POST", path: "/api/devices/:device/replace", role: "holder" },
	{ method: "GET", path: "/api/contacts", role: "holder" },
	{ method: "POST", path: "/api/contacts", role: "holder" },
	{ method: "PATCH", path: "/api/contacts/:contact", role: "holder" },
	{ method: "PUT", path: "/api/contacts/:contact", role: "holder" },
	{ method: "DELETE", path: "/api/contacts/:contact", role: "holder" },
	{ method: "POST", path: "/api/contacts/:contact/retire", role: "holder" },
	{ method: "GET", path: "/api/events", role: "holder", query: ["limit", "device"] },
	{ method: "GET", path: "/api/events/:device/:event", role: "holder" },
	{ method: "POST", path: "/api/events/:device/:event/close", role: "holder" },
	{ method: "GET", path: "/c/:token", role: "contact", page: true },
	{ method: "GET", path: "/c/:token/data", role: "contact" },
	{ method: "GET", path: "/command", role: "command", page: true },
	{ method: "GET", path: "/command/api/status", role: "command" },
	{ method: "GET", path: "/command/api/devices", role: "command" },
	{ method: "GET", path: "/command/api/accounts", role: "command" },
	...COMMAND_DEVICE_ACTIONS.map((a) => ({ method: "POST", path: `/command/api/devices/:device/${a}`, role: "command" as const })),
	{ method: "POST", path: "/command/api/devices/:device/replace", role: "command" },
	{ method: "POST", path: "/command/api/devices/:device/claim-code", role: "command" },
	{ method: "POST", path: "/command/api/devices/:device/window", role: "command" },
	{ method: "POST", path: "/command/api/import", role: "command" },
	{ method: "GET", path: "/command/api/security", role: "command", query: ["limit"] },
	{ method: "GET", path: "/command/api/audit", role: "command", query: ["limit"] },
] satisfies RouteSpec[]);

const SAFE = new Set(["GET", "HEAD"]);

function parseCookies(header: string | undefined): Map<string, string> {
	const out = new Map<string, string>();
	for (const part of (header ?? "").slice(0, 8192).split(";")) {
		const eq = part.indexOf("=");
		if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
	}
	return out;
}

function cookie(token: string, maxAgeS: number): string {
	// RFC 6265bis 4.1.3.2: __Host- needs Secure, Path=/ and no Domain.
	return `${SESSION_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;
}

function limitParam(q: URLSearchParams, dflt: number): number {
	const v = q.get("limit");
	if (v === null) return dflt;
	if (!/^[1-9][0-9]{0,3}$/.test(v) || Number(v) > 500) throw new PlatformError(400, "bad-query", "limit must be an integer from 1 to 500");
	return Number(v);
}

function str(body: Record<string, unknown>, k: string, max = 200): string {
	const v = body[k];
	if (typeof v !== "string" || v.length === 0 || v.length > max) throw new PlatformError(400, "bad-request", `${k} must be a string of 1..${max} characters`);
	return v;
}

function optReason(body: Record<string, unknown>): string | undefined {
	const v = body.reason;
	if (v === undefined) return undefined;
	if (typeof v !== "string" || v.length > 200) throw new PlatformError(400, "bad-request", "reason must be a string of at most 200 characters");
	return v;
}

/** MapLibre GL JS's CSP build (no blob: workers, no eval), served from node_modules at run time (never committed). */
function maplibreFile(name: string): Buffer | undefined {
	try {
		const dir = join(dirname(createRequire(import.meta.url).resolve("maplibre-gl/package.json")), "dist");
		return readFileSync(join(dir, name));
	} catch {
		return undefined;
	}
}
const MAPLIBRE: Record<string, [string, string]> = {
	"maplibre-gl.js": ["maplibre-gl-csp.js", "text/javascript; charset=utf-8"],
	"maplibre-gl-worker.js": ["maplibre-gl-csp-worker.js", "text/javascript; charset=utf-8"],
	"maplibre-gl.css": ["maplibre-gl.css", "text/css; charset=utf-8"],
};

export default class Web {
	readonly #p: Platform;
	readonly #hosts: () => ReadonlySet<string>;
	readonly #tileUrl: string | undefined;
	readonly #csp: string;
	readonly #handlers = new Map<string, Handler>();
	readonly #compiled: { spec: RouteSpec; re: RegExp; names: string[] }[];
	readonly #assetCache = new Map<string, Buffer>();

	constructor(platform: Platform, options: { hosts: () => ReadonlySet<string>; tileUrl?: string }) {
		this.#p = platform;
		this.#hosts = options.hosts;
		this.#tileUrl = options.tileUrl;
		let tileOrigin = "";
		if (options.tileUrl) {
			const u = new URL(options.tileUrl.replace(/\{[xyz]\}/g, "0"));
			if (u.protocol !== "https:" && u.protocol !== "http:") throw new RangeError("tile URL must be http(s)");
			tileOrigin = ` ${u.origin}`;
		}
		// CSP Level 3: no inline script or style; the map's worker comes from this server (MapLibre's CSP build).
		this.#csp = [
			"default-src 'none'",
			"script-src 'self'",
			"style-src 'self'",
			`img-src 'self' data:${tileOrigin}`,
			`connect-src 'self'${tileOrigin}`,
			"worker-src 'self'",
			"font-src 'self'",
			"base-uri 'none'",
			"form-action 'self'",
			"frame-ancestors 'none'",
		].join("; ");
		this.#compiled = ROUTES.map((spec) => {
			const names: string[] = [];
			const re = new RegExp(`^${spec.path.replace(/:([a-z]+)/g, (_, n: string) => (names.push(n), "([^/]+)"))}$`);
			return { spec, re, names };
		});
		this.#register();
	}

	#headers(extra: Record<string, string> = {}): Record<string, string> {
		return {
			"content-security-policy": this.#csp,
			"x-frame-options": "DENY",
			"x-content-type-options": "nosniff",
			"referrer-policy": "no-referrer",
			"cross-origin-opener-policy": "same-origin",
			"cross-origin-resource-policy": "same-origin",
			"cache-control": "no-store",
			...extra,
		};
	}

	#send(res: ServerResponse, status: number, body: Buffer, type: string, extra: Record<string, string> = {}, head = false): void {
		res.writeHead(status, this.#headers({ "content-type": type, "content-length": String(body.length), ...extra }));
		res.end(head ? undefined : body);
	}

	#json(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
		this.#send(res, status, Buffer.from(JSON.stringify(value), "utf8"), "application/json", extra);
	}

	#redirect(res: ServerResponse, to: string): void {
		this.#send(res, 303, Buffer.alloc(0), "text/plain", { location: to });
	}

	#audit(action: string, actor: Actor | undefined, outcome: "allow" | "deny", detail: string | null, address: string): void {
		this.#p.store.audit(action, this.#p.now, null, actor?.role === "holder" ? actor.id : null, detail, actor ? actorName(actor) : `anonymous:${address}`, outcome);
	}

	async handle(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
		const method = req.method ?? "GET";
		const address = req.socket.remoteAddress ?? "unknown";
		const host = req.headers.host ?? "";
		const fail = (status: number, error: string, reason: string, extra: Record<string, string> = {}) => {
			req.resume();
			this.#json(res, status, { error, reason }, extra);
		};
		// 1. Host.
		if (!this.#hosts().has(host.toLowerCase())) return fail(421, "bad-host", "the Host header does not name this server");
		const origin = `https://${host.toLowerCase()}`;
		// 2. CSRF, before anything is read or decided.
		if (!SAFE.has(method)) {
			const o = req.headers.origin;
			const site = req.headers["sec-fetch-site"];
			if (o !== undefined ? o.toLowerCase() !== origin : site !== "same-origin") {
				this.#audit(`${method} ${path.slice(0, 100)}`, undefined, "deny", `csrf: origin ${String(o ?? "-").slice(0, 100)}`, address);
				return fail(403, "csrf", "cross-origin request refused: Origin must be this server");
			}
		}
		// Route.
		let match: { spec: RouteSpec; params: Params } | undefined;
		let pathKnown = false;
		for (const r of this.#compiled) {
			const m = r.re.exec(path);
			if (!m) continue;
			pathKnown = true;
			if (r.spec.method !== method && !(method === "HEAD" && r.spec.method === "GET")) continue;
			const params: Params = {};
			r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
			match = { spec: r.spec, params };
			break;
		}
		if (!match) return fail(pathKnown ? 405 : 404, pathKnown ? "method" : "not-found", pathKnown ? "method not allowed on this route" : "no such route");
		const { spec, params } = match;
		// 3. Query parameters: only the route's own, each well formed (checked again where used).
		const query = new URLSearchParams(rawQuery);
		for (const k of new Set(query.keys())) {
			if (!(spec.query ?? []).includes(k)) return fail(400, "bad-query", `unknown query parameter ${k.slice(0, 40)}`);
			if (query.getAll(k).length > 1) return fail(400, "bad-query", `query parameter ${k.slice(0, 40)} given twice`);
		}
		// Session.
		const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
		const actor = this.#p.session(token);
		// 4. Role.
		if (spec.role === "holder" || spec.role === "command") {
			if (actor?.role !== spec.role) {
				this.#audit(`${spec.method} ${spec.path}`, actor, "deny", actor ? `role ${actor.role}` : "no session", address);
				req.resume();
				if (spec.page && !actor) return this.#redirect(res, spec.role === "command" ? "/command/login" : "/login");
				if (spec.page) return this.#send(res, 403, Buffer.from(page("forbidden", "Not allowed", ""), "utf8"), "text/html; charset=utf-8");
				return actor ? fail(403, "forbidden", `this route is for ${spec.role === "command" ? "Enigm Command" : "account holders"}`) : fail(401, "unauthenticated", "log in first");
			}
		}
		// Body.
		let raw: Buffer = Buffer.alloc(0);
		let body: Record<string, unknown> = {};
		if (!SAFE.has(method)) {
			const declared = Number(req.headers["content-length"] ?? 0);
			try {
				if (declared > DRAIN_LIMIT) throw new TooLarge();
				raw = await readBody(req, WEB_BODY_LIMIT);
			} catch (e) {
				if (!(e instanceof TooLarge)) throw e;
				// Read (and drop) the rest so the client gets its 413 instead of a reset; give up past DRAIN_LIMIT.
				if (declared > DRAIN_LIMIT || !(await drain(req, DRAIN_LIMIT))) {
					res.setHeader("connection", "close");
				}
				this.#audit(`${spec.method} ${spec.path}`, actor, "deny", "body too large", address);
				return this.#json(res, 413, { error: "too-large", reason: `body over ${WEB_BODY_LIMIT} bytes` }, { connection: "close" });
			}
			const type = (req.headers["content-type"] ?? "").toLowerCase();
			const isImport = spec.path === "/command/api/import" && type.startsWith("text/plain");
			if (raw.length && !type.startsWith("application/json") && !isImport) return fail(415, "content-type", "send the body as application/json");
			if (raw.length && !isImport) {
				try {
					const v: unknown = JSON.parse(raw.toString("utf8"));
					if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error();
					body = v as Record<string, unknown>;
				} catch {
					return fail(400, "bad-json", "body is not a JSON object");
				}
			}
		} else req.resume();
		for (const [k, v] of Object.entries(params)) {
			if ((k === "device" && !DEVICE_ID.test(v)) || (k === "event" && !EVENT_ID.test(v)) || (k === "contact" && !/^[0-9a-f]{32}$/.test(v)))
				return fail(404, "not-found", `no such ${k}`);
		}
		const handler = this.#handlers.get(`${spec.method} ${spec.path}`)!;
		try {
			const r = await handler({ req, actor, params, query, body, raw, address, token });
			if (spec.role === "holder" || spec.role === "command") this.#audit(`${spec.method} ${spec.path}`, actor, "allow", params.device ?? params.contact ?? params.event ?? null, address);
			if (r.headers?.["content-type"]?.startsWith("text/") || r.headers?.["content-type"]?.includes("javascript")) {
				return this.#send(res, r.status ?? 200, r.body as Buffer, r.headers["content-type"]!, Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== "content-type")), method === "HEAD");
			}
			if (r.status === 303) return this.#redirect(res, String(r.body));
			this.#json(res, r.status ?? 200, r.body, r.headers ?? {});
		} catch (e) {
			if (!(e instanceof PlatformError)) throw e;
			if (spec.role === "holder" || spec.role === "command") this.#audit(`${spec.method} ${spec.path}`, actor, "deny", `${e.code}`, address);
			this.#json(res, e.status, { error: e.code, reason: e.message }, e.headers);
		}
	}

	// --- handlers ---

	#html(name: Parameters<typeof page>[0], title: string, data = ""): Result {
		return { body: Buffer.from(page(name, title, data), "utf8"), headers: { "content-type": "text/html; charset=utf-8" } };
	}

	#holderOwnsEvent(accountId: string, device: string, event: string): EventRow {
		const e = this.#p.store.event(device, event);
		if (!e || e.account_id !== accountId) throw new PlatformError(404, "unknown-event", "no such event");
		return e;
	}

	#register(): void {
		const p = this.#p;
		const s = p.store;
		const on = (method: string, path: string, h: Handler) => this.#handlers.set(`${method} ${path}`, h);
		const sessionHeaders = (token: string) => ({ "set-cookie": cookie(token, Math.floor(p.sessionMaxMs / 1000)) });
		const holder = (c: Ctx) => c.actor!.id;

		on("GET", "/", () => ({ status: 303, body: "/app" }));
		on("GET", "/dashboard", () => ({ status: 303, body: "/app" }));
		on("GET", "/login", () => this.#html("login", "Enigm — log in"));
		on("GET", "/command/login", () => this.#html("command-login", "Enigm Command — log in"));
		on("GET", "/assets/:name", (c) => {
			const name = c.params.name!;
			const own = ASSETS[name];
			if (own) return { body: Buffer.from(own[0], "utf8"), headers: { "content-type": own[1] } };
			const ml = MAPLIBRE[name];
			if (ml) {
				let b = this.#assetCache.get(name);
				if (!b) {
					b = maplibreFile(ml[0]);
					if (b) this.#assetCache.set(name, b);
				}
				if (b) return { body: b, headers: { "content-type": ml[1] } };
			}
			throw new PlatformError(404, "not-found", "no such asset");
		});
		on("POST", "/api/register", async (c) => {
			const r = await p.register(c.body);
			const token = await p.login("holder", { username: c.body.username, password: c.body.password }, c.address);
			return { status: 201, body: { account_id: r.account_id, recovery_phrase: r.recovery_phrase }, headers: sessionHeaders(token) };
		});
		on("POST", "/api/login", async (c) => ({ body: { ok: true }, headers: sessionHeaders(await p.login("holder", c.body, c.address)) }));
		on("POST", "/api/command/login", async (c) => ({ body: { ok: true }, headers: sessionHeaders(await p.login("command", c.body, c.address)) }));
		on("POST", "/api/recover", async (c) => ({ body: { ok: true }, headers: sessionHeaders(await p.recover(c.body, c.address)) }));
		on("POST", "/api/logout", (c) => {
			p.logout(c.token);
			return { body: { ok: true }, headers: { "set-cookie": cookie("", 0) } };
		});

		// Account holder.
		on("GET", "/app", (c) => this.#html("app", "Enigm — my key", JSON.stringify({ account: holder(c) })));
		on("GET", "/api/me", (c) => {
			const a = s.account(holder(c))!;
			return { body: { account_id: a.account_id, username: a.username, name: a.display_name } };
		});
		on("POST", "/api/password", async (c) => ({ body: { ok: true }, headers: sessionHeaders(await p.changePassword(holder(c), c.body)) }));
		const holderDevices = (accountId: string) =>
			s.deviceViews()
				.filter((d) => d.account_id === accountId)
				.map((d) => ({ device_id: d.device_id, serial: d.serial, board: d.board, lifecycle: d.lifecycle, replaces: d.replaces, replaced_by: d.replaced_by, open_event: d.open_event }));
		on("GET", "/api/devices", (c) => ({ body: holderDevices(holder(c)) }));
		on("POST", "/api/devices/claim", (c) => {
			const id = p.claimAs(holder(c), c.body.code, c.address);
			return { body: { device_id: id, lifecycle: "review", next: "send a test event from the device to finish the association" } };
		});
		for (const a of HOLDER_DEVICE_ACTIONS)
			on("POST", `/api/devices/:device/${a}`, (c) => {
				const reason = optReason(c.body);
				return { body: { device_id: c.params.device, lifecycle: p.transition(c.params.device!, a, c.actor!, reason ? { reason } : {}) } };
			});
		on("POST", "/api/devices/:device/replace", (c) => {
			const replacement = p.deviceForCode(c.body.code);
			p.replace(c.params.device!, replacement, optReason(c.body) ?? "replaced by the account holder", c.actor!);
			return { body: { replaced: c.params.device, by: replacement, lifecycle: "review" } };
		});
		const contactView = (x: ReturnType<typeof s.contact>) => x && { contact_id: x.contact_id, name: x.name, channel: x.channel, address: x.address, selected: x.selected === 1, retired: Boolean(x.retired_at) };
		on("GET", "/api/contacts", (c) => ({ body: p.contacts(holder(c)).map(contactView) }));
		on("POST", "/api/contacts", (c) => ({ status: 201, body: contactView(p.addContact(holder(c), c.body)) }));
		on("PATCH", "/api/contacts/:contact", (c) => {
			if (typeof c.body.selected !== "boolean") throw new PlatformError(400, "bad-request", "selected must be a boolean");
			p.selectContact(holder(c), c.params.contact!, c.body.selected);
			return { body: contactView(s.contact(c.params.contact!)) };
		});
		on("PUT", "/api/contacts/:contact", (c) => ({ body: contactView(p.replaceContact(holder(c), c.params.contact!, c.body)) }));
		on("DELETE", "/api/contacts/:contact", (c) => {
			p.removeContact(holder(c), c.params.contact!);
			return { body: { removed: c.params.contact } };
		});
		on("POST", "/api/contacts/:contact/retire", (c) => ({ body: contactView(p.retireContact(holder(c), c.params.contact!)) }));
		on("GET", "/api/events", (c) => {
			const limit = limitParam(c.query, 50);
			const device = c.query.get("device");
			if (device !== null && !DEVICE_ID.test(device)) throw new PlatformError(400, "bad-query", "device must be 32 lowercase hex");
			const rows = s.db
				.prepare(`SELECT * FROM events WHERE account_id = ? ${device ? "AND device_id = ?" : ""} ORDER BY opened_at DESC, id DESC LIMIT ?`)
				.all(...(device ? [holder(c), device, limit] : [holder(c), limit])) as EventRow[];
			return { body: rows.map((e) => this.#eventView(e)) };
		});
		on("GET", "/api/events/:device/:event", (c) => {
			const e = this.#holderOwnsEvent(holder(c), c.params.device!, c.params.event!);
			const notifications = s.notifications(e.id).map((n) => ({ kind: n.kind, at: n.at, status: n.status, detail: n.detail, contact_name: n.contact_id ? (s.contact(n.contact_id)?.name ?? "(removed)") : null }));
			return { body: { ...this.#eventView(e), points: s.points(e.id).map((pt) => ({ s: pt.s, t: pt.t, la: pt.la, lo: pt.lo, a: pt.a, q: pt.q })), notifications } };
		});
		on("POST", "/api/events/:device/:event/close", (c) => {
			const e = this.#holderOwnsEvent(holder(c), c.params.device!, c.params.event!);
			const closed = p.closeByUser(e.device_id, e.event_id, optReason(c.body) ?? "closed by the account holder");
			return { body: this.#eventView(closed) };
		});

		// Emergency contact: the capability link is the only credential.
		on("GET", "/c/:token", (c) => {
			const r = p.resolveLink(c.params.token!);
			if (!r.ok) return { status: r.status, ...this.#html("contact-gone", "Enigm — emergency", JSON.stringify({ reason: r.message })) };
			return this.#html("contact", "Enigm — emergency", JSON.stringify({ tiles: this.#tileUrl ?? null }));
		});
		on("GET", "/c/:token/data", (c) => {
			const r = p.resolveLink(c.params.token!);
			if (!r.ok) throw new PlatformError(r.status, r.code, r.message);
			const e = r.event;
			const ctx = p.emergencyContext(e, "opened");
			const track = s.points(e.id).map((pt) => ({ t: pt.t, lat: pt.la / 1e7, lon: pt.lo / 1e7, accuracy: pt.a }));
			const latest = ctx.position ? { time: ctx.position.time, lat: ctx.position.lat, lon: ctx.position.lon, accuracy: ctx.position.accuracy, age: Math.max(0, p.nowSeconds - ctx.position.time) } : null;
			return { body: { person: ctx.person, reason: ctx.reason, state: e.state, opened_at: ctx.openedAt, now: p.nowSeconds, latest, track } };
		});

		// Enigm Command: lifecycle, security events, audit. No locations, contacts or event contents.
		on("GET", "/command", () => this.#html("command", "Enigm Command"));
		on("GET", "/command/api/status", () => ({ body: { time: p.nowSeconds, schema: s.schemaVersion, devices: s.deviceViews().length } }));
		on("GET", "/command/api/devices", () => ({
			body: s.deviceViews().map((d) => ({
				device_id: d.device_id, serial: d.serial, board: d.board, lifecycle: d.lifecycle, account_id: d.account_id, claim_pending: d.claim_pending,
				replaces: d.replaces, replaced_by: d.replaced_by, revoked_at: d.revoked_at, highest_counter: d.highest_counter,
			})),
		}));
		on("GET", "/command/api/accounts", () => ({
			body: s.accounts().map((a) => ({ account_id: a.account_id, created_at: a.created_at, devices: s.devicesOf(a.account_id).length })),
		}));
		for (const a of COMMAND_DEVICE_ACTIONS)
			on("POST", `/command/api/devices/:device/${a}`, (c) => {
				const reason = optReason(c.body);
				return { body: { device_id: c.params.device, lifecycle: p.transition(c.params.device!, a, c.actor!, reason ? { reason } : {}) } };
			});
		on("POST", "/command/api/devices/:device/replace", (c) => {
			const replacement = str(c.body, "replacement", 32);
			p.replace(c.params.device!, replacement, optReason(c.body) ?? "replaced by Command", c.actor!);
			return { body: { replaced: c.params.device, by: replacement } };
		});
		on("POST", "/command/api/devices/:device/claim-code", (c) => ({ status: 201, body: p.issueClaimCode(c.params.device!) }));
		on("POST", "/command/api/devices/:device/window", (c) => {
			p.setNonceWindow(c.params.device!, c.body.window === null ? null : Number(c.body.window));
			return { body: { device: c.params.device, window: p.windowOf(c.params.device!) } };
		});
		on("POST", "/command/api/import", (c) => ({ body: p.importRecords(typeof c.body.records === "string" ? c.body.records : c.raw.toString("utf8")) }));
		on("GET", "/command/api/security", (c) => ({ body: s.refusals(limitParam(c.query, 200)) }));
		on("GET", "/command/api/audit", (c) => ({ body: s.auditLog(limitParam(c.query, 200)) }));
	}

	#eventView(e: EventRow): Record<string, unknown> {
		return {
			device_id: e.device_id,
			event_id: e.event_id,
			state: e.state,
			reason: e.reason,
			test: e.test === 1,
			stages: e.stages ? (JSON.parse(e.stages) as unknown) : null,
			fix: e.fix ? (JSON.parse(e.fix) as unknown) : null,
			cell: e.cell ? (JSON.parse(e.cell) as unknown) : null,
			bat: e.bat ? (JSON.parse(e.bat) as unknown) : null,
			opened_at: e.opened_at,
			resumed_count: e.resumed_count,
			last_seen_at: e.last_seen_at,
			closed_at: e.closed_at,
			closed_by: e.closed_by,
			close_reason: e.close_reason,
			points: this.#p.store.pointCount(e.id),
		};
	}
}

/** Reads and drops what is left of a request body; false when it is still coming past `limit` bytes. */
function drain(req: IncomingMessage, limit: number): Promise<boolean> {
	return new Promise((resolve) => {
		let n = 0;
		const done = (ok: boolean) => {
			req.removeAllListeners("data");
			resolve(ok);
		};
		if (req.readableEnded) return resolve(true);
		req.on("data", (c: Buffer) => {
			n += c.length;
			if (n > limit) done(false);
		});
		req.once("end", () => done(true));
		req.once("close", () => done(true));
		req.once("error", () => done(false));
		req.resume();
	});
}
