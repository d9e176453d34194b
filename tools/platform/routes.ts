/**
 * HTTP handling: the device routes of docs/protocol.md (verified before anything is processed, responses signed),
 * the admin/QA JSON API (loopback clients only), the contact view and the dashboard.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import Platform, { PlatformError } from "./platform";
import { type Cause, Refusals } from "./refusals";
import { type RequestView, verifyRequest } from "./verify";
import { type ResponseBody, encodeResponseBody, signResponse } from "./sign";
import { BodyError, EVENT_ID, parseClose, parseJson, parseLocations, parseOpen } from "./messages";
import type { EventRow } from "./store";
import { dashboardHtml } from "./dashboard";

const DEVICE_BODY_LIMIT = 16 * 1024;
const ADMIN_BODY_LIMIT = 16 * 1024 * 1024;
const CREATED_SKEW = 300;

class TooLarge extends Error {}
class ClientGone extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let failed = false;
		req.on("data", (c: Buffer) => {
			if (failed) return;
			size += c.length;
			if (size > limit) {
				failed = true;
				reject(new TooLarge());
				return;
			}
			chunks.push(c);
		});
		let ended = false;
		req.on("end", () => {
			ended = true;
			if (!failed) resolve(Buffer.concat(chunks));
		});
		req.on("close", () => {
			if (!ended && !failed) {
				failed = true;
				reject(new ClientGone());
			}
		});
		// A client that goes away mid-body ("aborted", reset): nothing to answer, nothing to log as a fault.
		req.on("error", () => {
			if (!failed) {
				failed = true;
				reject(new ClientGone());
			}
		});
	});
}

function isLoopback(address: string | undefined): boolean {
	if (!address) return false;
	return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
	const body = Buffer.from(JSON.stringify(value), "utf8");
	res.writeHead(status, { "content-type": "application/json", "content-length": String(body.length), "cache-control": "no-store", ...extra });
	res.end(body);
}

export default class Routes {
	readonly #p: Platform;

	constructor(platform: Platform) {
		this.#p = platform;
	}

	/** The request listener. Never throws; an unexpected failure answers 500 without detail. */
	handle = (req: IncomingMessage, res: ServerResponse): void => {
		this.#dispatch(req, res).catch((e: unknown) => {
			if (e instanceof ClientGone) return void res.destroy();
			this.#p.log(`internal error: ${e instanceof Error ? e.message : "unknown"}`);
			if (!res.headersSent) sendJson(res, 500, { error: "internal" });
			else res.destroy();
		});
	};

	async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const target = req.url ?? "/";
		const q = target.indexOf("?");
		const path = q < 0 ? target : target.slice(0, q);
		if (path === "/v1" || path.startsWith("/v1/")) {
			if (path.startsWith("/v1/share/")) return this.#share(req, res, path.slice("/v1/share/".length));
			return this.#device(req, res, path, q < 0 ? undefined : target.slice(q + 1));
		}
		if (path === "/admin" || path.startsWith("/admin/") || path === "/dashboard" || path === "/") {
			if (!isLoopback(req.socket.remoteAddress)) return sendJson(res, 403, { error: "loopback-only" });
			if (path === "/dashboard" || path === "/") {
				const html = Buffer.from(dashboardHtml(), "utf8");
				res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": String(html.length), "cache-control": "no-store" });
				res.end(html);
				return;
			}
			return this.#admin(req, res, path, new URLSearchParams(q < 0 ? "" : target.slice(q + 1)));
		}
		sendJson(res, 404, { error: "not-found" });
	}

	// --- device routes (protocol §2, §4, §5) ---

	#refuse(
		res: ServerResponse,
		cause: Cause,
		ctx: { method: string; path: string; deviceId?: string; detail: string; key?: Buffer; request?: RequestView; event?: string; nonce?: number },
	): void {
		const kind = Refusals[cause];
		// The path is the client's: bounded and printable only in the log line.
		const shownPath = ctx.path.slice(0, 200).replace(/[^\x21-\x7e]/g, "?");
		this.#p.log(`refused ${kind.status} ${kind.error} (${cause}) device=${ctx.deviceId ?? "-"} ${ctx.method.slice(0, 16)} ${shownPath}: ${ctx.detail}`);
		this.#p.recordRefusal({ deviceId: ctx.deviceId, status: kind.status, code: cause, method: ctx.method, path: ctx.path, detail: ctx.detail });
		if (kind.signed && ctx.key && ctx.request && ctx.deviceId) {
			const body: ResponseBody =
				cause === "revoked"
					? { state: "revoked", ...(ctx.event ? { event: ctx.event } : {}), time: this.#p.nowSeconds }
					: { state: "error", ...(ctx.event ? { event: ctx.event } : {}), time: this.#p.nowSeconds, error: kind.error, ...(ctx.nonce !== undefined ? { nonce: ctx.nonce } : {}) };
			return this.#sendSigned(res, ctx.key, ctx.deviceId, kind.status, body, ctx.request);
		}
		sendJson(res, kind.status, { error: kind.error, reason: cause });
	}

	#sendSigned(res: ServerResponse, key: Buffer, deviceId: string, status: number, body: ResponseBody, request: RequestView): void {
		const signed = signResponse(key, deviceId, status, encodeResponseBody(body), request, this.#p.nowSeconds);
		// Every byte to the device crosses LTE-M: no `Date` (RFC 9110 §6.6.1 lets an origin without a reliable clock
		// omit it, and the device takes its time from the signed body's `time`, docs/protocol.md §5).
		res.sendDate = false;
		res.writeHead(status, { ...signed.headers, "content-length": String(signed.body.length) });
		res.end(signed.body);
	}

	async #device(req: IncomingMessage, res: ServerResponse, path: string, query: string | undefined): Promise<void> {
		const method = req.method ?? "";
		const m = /^\/v1\/events(?:\/([^/]+)\/(locations|close))?$/.exec(path);
		if (!m) {
			req.resume();
			return this.#refuse(res, "not-found", { method, path, detail: "no such route" });
		}
		if (method !== "POST") {
			req.resume();
			return this.#refuse(res, "method", { method, path, detail: "method not allowed" });
		}
		let body: Buffer;
		try {
			body = await readBody(req, DEVICE_BODY_LIMIT);
		} catch (e) {
			if (!(e instanceof TooLarge)) throw e;
			this.#refuse(res, "too-large", { method, path, detail: `body over ${DEVICE_BODY_LIMIT} bytes` });
			req.destroy();
			return;
		}
		const fields = new Map<string, string[]>(Object.entries(req.headersDistinct).map(([k, v]) => [k, v ?? []]));
		const request: RequestView = { method, authority: req.headers.host ?? "", scheme: "https", path, ...(query !== undefined ? { query } : {}), fields };
		const p = this.#p;
		const v = verifyRequest(request, body, { lookup: (id) => p.deviceKey(id), nowSeconds: p.nowSeconds, createdSkew: CREATED_SKEW });
		const eventId = m[1];
		if (!v.ok) {
			return this.#refuse(res, v.cause, { method, path, detail: v.detail, request, ...(v.deviceId ? { deviceId: v.deviceId } : {}), ...(v.key ? { key: v.key } : {}), ...(eventId ? { event: eventId } : {}) });
		}
		const deviceId = v.deviceId;
		const base = { method, path, deviceId, key: v.key, request, ...(eventId ? { event: eventId } : {}) };

		// Step 6 onwards in one transaction: the nonce is consumed exactly when its request is processed.
		type Outcome = { refuse: Cause; detail: string; nonce?: number; event?: string } | { ok: ResponseBody };
		const outcome = p.store.transaction((): Outcome => {
			const highest = p.store.highestCounter(deviceId) ?? 0;
			if (v.nonce <= highest) return { refuse: "nonce-replayed", detail: `nonce ${v.nonce} not above ${highest}`, nonce: highest };
			const window = p.windowOf(deviceId);
			if (window > 0 && v.nonce - highest > window) return { refuse: "nonce-window", detail: `nonce ${v.nonce} more than ${window} above ${highest}`, nonce: highest };
			p.store.setHighestCounter(deviceId, v.nonce, p.now);
			let parsed: unknown;
			try {
				parsed = parseJson(body);
				if (!eventId) {
					const open = parseOpen(parsed);
					const e = p.openEvent(deviceId, open);
					return { ok: this.#stateBody(e) };
				}
				const e = EVENT_ID.test(eventId) ? p.event(deviceId, eventId) : undefined;
				if (m[2] === "locations") {
					const batch = parseLocations(parsed);
					if (!e) return { refuse: "unknown-event", detail: "no such event" };
					const ack = p.addPoints(e, v.key, batch);
					if (ack === undefined) return { refuse: "point-mac", detail: "a point MAC does not verify" };
					return { ok: { ...this.#stateBody(p.store.eventById(e.id)!), ack } };
				}
				const close = parseClose(parsed);
				if (!e) return { refuse: "unknown-event", detail: "no such event" };
				return { ok: this.#stateBody(p.closeByDevice(e, close)) };
			} catch (err) {
				if (err instanceof BodyError) return { refuse: "body", detail: err.message };
				throw err;
			}
		});
		if ("refuse" in outcome) return this.#refuse(res, outcome.refuse, { ...base, detail: outcome.detail, ...(outcome.nonce !== undefined ? { nonce: outcome.nonce } : {}) });
		this.#sendSigned(res, v.key, deviceId, 200, outcome.ok, request);
	}

	#stateBody(e: EventRow): ResponseBody {
		return e.state === "open"
			? { state: "open", event: e.event_id, interval: this.#p.interval, time: this.#p.nowSeconds }
			: { state: "closed", event: e.event_id, time: this.#p.nowSeconds };
	}

	// --- contact view: the emergency context and the event's track, by the random reference only ---

	#share(req: IncomingMessage, res: ServerResponse, ref: string): void {
		req.resume();
		const e = /^[A-Za-z0-9_-]{16}$/.test(ref) ? this.#p.store.eventByShare(ref) : undefined;
		if (!e || req.method !== "GET") return sendJson(res, 404, { error: "not-found" });
		const context = this.#p.emergencyContext(e, e.state === "open" ? "opened" : "closed");
		const track = this.#p.store.points(e.id).map((pt) => ({ time: pt.t, lat: pt.la / 1e7, lon: pt.lo / 1e7, accuracy: pt.a }));
		sendJson(res, 200, { emergency: context, track });
	}

	// --- admin / QA API (loopback only) ---

	async #admin(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
		const method = req.method ?? "GET";
		let input: Record<string, unknown> = {};
		let raw: Buffer = Buffer.alloc(0);
		if (method !== "GET" && method !== "DELETE") {
			try {
				raw = await readBody(req, ADMIN_BODY_LIMIT);
			} catch (e) {
				if (e instanceof TooLarge) {
					req.destroy();
					return sendJson(res, 413, { error: "too-large" });
				}
				throw e;
			}
			const type = req.headers["content-type"] ?? "";
			if (raw.length && type.startsWith("application/json")) {
				try {
					const v: unknown = JSON.parse(raw.toString("utf8"));
					if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error();
					input = v as Record<string, unknown>;
				} catch {
					return sendJson(res, 400, { error: "bad-json", message: "body is not a JSON object" });
				}
			}
		} else req.resume();
		try {
			const result = this.#adminRoute(method, path.split("/").slice(2), input, raw, query);
			if (result === undefined) return sendJson(res, 404, { error: "not-found", message: "no such admin route" });
			sendJson(res, result.status ?? 200, result.body);
		} catch (e) {
			if (e instanceof PlatformError) return sendJson(res, e.status, { error: e.code, message: e.message });
			throw e;
		}
	}

	#adminRoute(method: string, seg: string[], input: Record<string, unknown>, raw: Buffer, query: URLSearchParams): { status?: number; body: unknown } | undefined {
		const p = this.#p;
		const s = p.store;
		const str = (k: string): string => {
			const v = input[k];
			if (typeof v !== "string") throw new PlatformError(400, "bad-request", `${k} must be a string`);
			return v;
		};
		const [a, b, c, d, e] = seg;
		const key = `${method} ${a ?? ""}${b !== undefined ? "/:" : ""}${c !== undefined ? `/${c}` : ""}${d !== undefined ? "/:" : ""}${e !== undefined ? `/${e}` : ""}`;
		switch (key) {
			case "GET status":
				return { body: { time: p.nowSeconds, schema: s.schemaVersion, devices: s.deviceViews().length, openEvents: s.openEvents().length } };
			case "POST import": {
				// JSON {"records":"<jsonl>"} or the JSON-lines file itself as the body.
				const text = typeof input.records === "string" ? input.records : raw.toString("utf8");
				return { body: p.importRecords(text) };
			}
			case "GET devices":
				return { body: s.deviceViews() };
			case "GET devices/:": {
				const dev = s.deviceViews().find((x) => x.device_id === b);
				if (!dev) throw new PlatformError(404, "unknown-device", "no such device");
				return { body: { ...dev, events: s.events(b) } };
			}
			case "POST devices/:/claim-code":
				return { status: 201, body: p.issueClaimCode(b!) };
			case "POST devices/:/revoke":
				p.revoke(b!, typeof input.reason === "string" ? input.reason : "revoked by admin");
				return { body: { revoked: b } };
			case "POST devices/:/replace":
				p.replace(b!, str("replacement"), typeof input.reason === "string" ? input.reason : "replaced");
				return { body: { replaced: b, by: input.replacement } };
			case "POST devices/:/window":
				p.setNonceWindow(b!, input.window === null ? null : Number(input.window));
				return { body: { device: b, window: p.windowOf(b!) } };
			case "GET accounts":
				return { body: s.accounts() };
			case "POST accounts":
				return { status: 201, body: { account_id: p.createAccount(str("name")) } };
			case "GET accounts/:": {
				const acct = s.account(b!);
				if (!acct) throw new PlatformError(404, "unknown-account", "no such account");
				return { body: { ...acct, devices: s.devicesOf(b!), contacts: s.contacts(b!) } };
			}
			case "POST accounts/:/claim":
				return { body: { device_id: p.claim(b!, str("code")) } };
			case "GET accounts/:/contacts":
				return { body: p.contacts(b!) };
			case "POST accounts/:/contacts":
				return { status: 201, body: p.addContact(b!, input) };
			case "PATCH accounts/:/contacts/:":
				if (typeof input.selected !== "boolean") throw new PlatformError(400, "bad-request", "selected must be a boolean");
				p.selectContact(b!, d!, input.selected);
				return { body: s.contact(d!) };
			case "PUT accounts/:/contacts/:":
				return { body: p.replaceContact(b!, d!, input) };
			case "DELETE accounts/:/contacts/:":
				p.removeContact(b!, d!);
				return { body: { removed: d } };
			case "GET events": {
				const device = query.get("device") ?? undefined;
				return { body: s.events(device, Number(query.get("limit") ?? 200)).map((ev) => ({ ...this.#eventView(ev) })) };
			}
			case "GET refusals":
				return { body: s.refusals(Number(query.get("limit") ?? 200)) };
			case "GET notifications":
				return { body: s.notifications() };
			case "GET audit":
				return { body: s.auditLog() };
		}
		// /admin/events/<device>/<event>[/close|/points]
		if (a === "events" && b && c && /^[0-9a-f]{32}$/.test(b) && EVENT_ID.test(c)) {
			const ev = s.event(b, c);
			if (!ev) throw new PlatformError(404, "unknown-event", "no such event");
			if (method === "GET" && d === undefined) {
				const notifications = s.notifications(ev.id).map((n) => ({ ...n, contact_name: n.contact_id ? (s.contact(n.contact_id)?.name ?? null) : null }));
				return { body: { ...this.#eventView(ev), points: s.points(ev.id), notifications } };
			}
			if (method === "GET" && d === "points") return { body: s.points(ev.id) };
			if (method === "POST" && d === "close") return { body: this.#eventView(p.closeByUser(b, c, typeof input.reason === "string" ? input.reason : "user")) };
		}
		return undefined;
	}

	#eventView(e: EventRow): Record<string, unknown> {
		return {
			device_id: e.device_id,
			event_id: e.event_id,
			account_id: e.account_id,
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
			share: e.share_id,
		};
	}
}
