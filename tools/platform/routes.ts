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
import Web from "./web";

const DEVICE_BODY_LIMIT = 16 * 1024;
const CREATED_SKEW = 300;

export class TooLarge extends Error {}
export class ClientGone extends Error {}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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

function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
	const body = Buffer.from(JSON.stringify(value), "utf8");
	res.writeHead(status, { "content-type": "application/json", "content-length": String(body.length), "cache-control": "no-store", ...extra });
	res.end(body);
}

export default class Routes {
	readonly #p: Platform;
	readonly #web: Web;

	constructor(platform: Platform, options: { hosts: () => ReadonlySet<string>; tileUrl?: string }) {
		this.#p = platform;
		this.#web = new Web(platform, options);
	}

	/** The request listener. Never throws; an unexpected failure answers 500 without detail. */
	handle = (req: IncomingMessage, res: ServerResponse): void => {
		this.#dispatch(req, res).catch((e: unknown) => {
			if (e instanceof ClientGone) return void res.destroy();
			this.#p.log(`internal error: ${e instanceof Error ? e.message : "unknown"}`);
			if (!res.headersSent) sendJson(res, 500, { error: "internal", reason: "unexpected server error" });
			else res.destroy();
		});
	};

	async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const target = req.url ?? "/";
		const q = target.indexOf("?");
		const path = q < 0 ? target : target.slice(0, q);
		if (path === "/v1" || path.startsWith("/v1/")) {
			return this.#device(req, res, path, q < 0 ? undefined : target.slice(q + 1));
		}
		return this.#web.handle(req, res, path, q < 0 ? "" : target.slice(q + 1));
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
				cause === "revoked" || cause === "suspended"
					? { state: cause, ...(ctx.event ? { event: ctx.event } : {}), time: this.#p.nowSeconds }
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
			// Seed 004 suspension: a verified request from a suspended device is answered with a signed refusal
			// (state "suspended"); the nonce is used up like any processed request, nothing else happens.
			if (p.store.device(deviceId)?.lifecycle === "suspended") return { refuse: "suspended", detail: "device suspended" };
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
				// `ack` on a close too (protocol §5): a device whose last batch's answer was lost learns what was stored.
				return { ok: { ...this.#stateBody(p.closeByDevice(e, close)), ack: p.store.highestPoint(e.id) } };
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

}
