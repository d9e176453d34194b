/**
 * Request and response bodies of docs/protocol.md §5-6: compact JSON, integers only, fixed key order, and the
 * per-point MAC computed at capture.
 */
import type { Fix, ServingCell } from "drivers/gnss/fix";
import type { Keystore } from "hal/keystore";
import { decodeUtf8, encodeAscii, encodeUtf8, toBase64Url } from "modules/protocol/bytes";

const idPattern = /^[0-9a-f]{32}$/;

export function isEventId(value: unknown): value is string {
	return typeof value === "string" && idPattern.test(value);
}

/** Stage names of docs/protocol.md §6.1, in the order they are reached. */
export type Stage = "press" | "wake" | "modem" | "attach" | "tls" | "fix";
const stageNames: readonly Stage[] = Object.freeze(["press", "wake", "modem", "attach", "tls", "fix"] as Stage[]);

export interface Battery {
	readonly millivolts?: number;
	readonly percent?: number;
}

export interface OpenEvent {
	readonly event: string;
	readonly reason: "button" | "test";
	readonly resumed: boolean;
	/** Milliseconds since the trigger (monotonic clock) for each stage reached. */
	readonly stages: Partial<Record<Stage, number>>;
	readonly fix?: Fix;
	readonly cell?: ServingCell;
	readonly battery?: Battery;
}

export type CloseReason = "cancel" | "done" | "timeout";

/** A location point as sent (docs/protocol.md §6.2). */
export interface Point {
	readonly s: number;
	readonly t: number;
	readonly la: number;
	readonly lo: number;
	readonly a: number;
	readonly al?: number;
	readonly n: number;
	readonly q: Fix["quality"];
	readonly m: string;
}

export type PointFields = Omit<Point, "m">;

export type EventState = "open" | "closed" | "revoked" | "error";

export interface ResponseBody {
	readonly state: EventState;
	readonly event?: string;
	readonly interval?: number;
	readonly time?: number;
	readonly ack?: number;
	readonly error?: string;
	readonly nonce?: number;
}

export const maxPointsPerBatch = 32;
export const pointMacLength = 16;

function int(value: number, what: string): number {
	if (!Number.isFinite(value)) throw new RangeError(`invalid ${what}`);
	return Math.round(value);
}

/** The integer wire fields of a fix (no MAC yet). Throws RangeError on a fix that cannot be encoded. */
export function pointFields(seq: number, fix: Fix): PointFields {
	if (!Number.isInteger(seq) || seq < 1 || seq > 0x7fffffff) throw new RangeError("invalid point sequence");
	if (!fix || !Number.isFinite(fix.time) || fix.time < 0) throw new RangeError("invalid fix time");
	if (!(fix.lat >= -90 && fix.lat <= 90) || !(fix.lon >= -180 && fix.lon <= 180)) throw new RangeError("invalid fix position");
	const q = fix.quality;
	if (q !== "3d" && q !== "2d" && q !== "cell" && q !== "none") throw new RangeError("invalid fix quality");
	const base = {
		s: seq,
		t: Math.floor(fix.time / 1000),
		la: Math.round(fix.lat * 1e7),
		lo: Math.round(fix.lon * 1e7),
		a: Math.max(0, int(fix.accuracy, "accuracy")),
	};
	const n = Math.max(0, int(fix.satellites, "satellites"));
	return fix.altitude === undefined || !Number.isFinite(fix.altitude)
		? { ...base, n, q }
		: { ...base, al: Math.round(fix.altitude), n, q };
}

/** docs/protocol.md §6.2: the exact MAC input of one point. */
export function pointMacInput(eventId: string, p: PointFields): string {
	if (!isEventId(eventId)) throw new RangeError("invalid event id");
	return `enigm-point-v1\n${eventId}\n${p.s},${p.t},${p.la},${p.lo},${p.a},${p.al ?? ""},${p.n},${p.q}`;
}

/** Captures one point: wire fields plus its MAC, computed now so the point stays verifiable in store-and-forward. */
export function capturePoint(keystore: Keystore, eventId: string, seq: number, fix: Fix): Point {
	const fields = pointFields(seq, fix);
	const mac = keystore.hmacSha256(encodeAscii(pointMacInput(eventId, fields)));
	return { ...fields, m: toBase64Url(mac.subarray(0, pointMacLength)) };
}

function fixObject(fix: Fix): Record<string, unknown> {
	const p = pointFields(1, fix);
	const out: Record<string, unknown> = { t: p.t, la: p.la, lo: p.lo, a: p.a };
	if (p.al !== undefined) out.al = p.al;
	out.n = p.n;
	out.q = p.q;
	return out;
}

function cellObject(cell: ServingCell): Record<string, unknown> {
	for (const k of ["mcc", "mnc", "tac", "cellId"] as const)
		if (!Number.isInteger(cell[k]) || cell[k] < 0) throw new RangeError(`invalid cell ${k}`);
	const out: Record<string, unknown> = { mcc: cell.mcc, mnc: cell.mnc, tac: cell.tac, ci: cell.cellId };
	if (cell.rsrp !== undefined && Number.isFinite(cell.rsrp)) out.rsrp = Math.round(cell.rsrp);
	out.rat = cell.accessTechnology;
	return out;
}

function batteryObject(b: Battery): Record<string, unknown> | undefined {
	const out: Record<string, unknown> = {};
	if (b.millivolts !== undefined && Number.isFinite(b.millivolts)) out.mv = Math.round(b.millivolts);
	if (b.percent !== undefined && Number.isFinite(b.percent)) out.pct = Math.max(0, Math.min(100, Math.round(b.percent)));
	return Object.keys(out).length ? out : undefined;
}

/** docs/protocol.md §6.1 body. Throws RangeError on invalid input (a programming error, not a runtime condition). */
export function encodeOpen(open: OpenEvent): Uint8Array {
	if (!isEventId(open.event)) throw new RangeError("invalid event id");
	if (open.reason !== "button" && open.reason !== "test") throw new RangeError("invalid reason");
	const stages: Record<string, number> = {};
	for (const name of stageNames) {
		const v = open.stages?.[name];
		if (v !== undefined) stages[name] = Math.max(0, int(v, "stage time"));
	}
	const body: Record<string, unknown> = { event: open.event, reason: open.reason, resumed: !!open.resumed, stages };
	if (open.fix) body.fix = fixObject(open.fix);
	if (open.cell) body.cell = cellObject(open.cell);
	const bat = open.battery && batteryObject(open.battery);
	if (bat) body.bat = bat;
	return encodeUtf8(JSON.stringify(body));
}

/**
 * docs/protocol.md §6.2 body: up to 32 points, strictly increasing `s`, and the serving cell when the GNSS window
 * timed out (a cell report). At least one of the two.
 */
export function encodeLocationBatch(points: readonly Point[], cell?: ServingCell): Uint8Array {
	if (points.length > maxPointsPerBatch || (points.length < 1 && !cell)) throw new RangeError("batch must hold 1..32 points or a cell");
	for (let i = 1; i < points.length; i++) if (points[i].s <= points[i - 1].s) throw new RangeError("point sequence must increase");
	const list = points.map((p) => {
		const o: Record<string, unknown> = { s: p.s, t: p.t, la: p.la, lo: p.lo, a: p.a };
		if (p.al !== undefined) o.al = p.al;
		o.n = p.n;
		o.q = p.q;
		o.m = p.m;
		return o;
	});
	return encodeUtf8(JSON.stringify(cell ? { points: list, cell: cellObject(cell) } : { points: list }));
}

/** docs/protocol.md §6.3 body. */
export function encodeClose(reason: CloseReason, battery?: Battery): Uint8Array {
	if (reason !== "cancel" && reason !== "done" && reason !== "timeout") throw new RangeError("invalid close reason");
	const body: Record<string, unknown> = { reason };
	const bat = battery && batteryObject(battery);
	if (bat) body.bat = bat;
	return encodeUtf8(JSON.stringify(body));
}

const states: readonly string[] = Object.freeze(["open", "closed", "revoked", "error"]);

function optionalInt(o: Record<string, unknown>, key: string): boolean {
	return o[key] === undefined || (typeof o[key] === "number" && Number.isInteger(o[key]) && (o[key] as number) >= 0);
}

/** Deepest nesting of arrays/objects a response body may have; docs/protocol.md §5 bodies are flat objects. */
export const maxResponseDepth = 4;

/**
 * Nesting depth of a JSON text (RFC 8259 §2), one linear pass skipping strings; -1 once it passes `limit`. XS's
 * JSON.parse recurses once per level and aborts the whole machine, uncatchably, on a native stack overflow
 * (xsnap: `[` x 8000 in a 16 KB body), so a body is measured before it is parsed.
 */
export function jsonDepth(text: string, limit: number): number {
	let depth = 0;
	let max = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 0x5c) i++;
			else if (c === 0x22) inString = false;
		} else if (c === 0x22) inString = true;
		else if (c === 0x5b || c === 0x7b) {
			if (++depth > limit) return -1;
			if (depth > max) max = depth;
		} else if (c === 0x5d || c === 0x7d) depth--;
	}
	return max;
}

/** Parses a (verified) response body; undefined if it is not valid per docs/protocol.md §5. */
export function parseResponseBody(bytes: Uint8Array): ResponseBody | undefined {
	let o: unknown;
	try {
		const text = decodeUtf8(bytes);
		if (jsonDepth(text, maxResponseDepth) < 0) return undefined;
		o = JSON.parse(text);
	} catch {
		return undefined;
	}
	if (!o || typeof o !== "object" || Array.isArray(o)) return undefined;
	const r = o as Record<string, unknown>;
	if (typeof r.state !== "string" || !states.includes(r.state)) return undefined;
	if (r.event !== undefined && !isEventId(r.event)) return undefined;
	if (r.error !== undefined && typeof r.error !== "string") return undefined;
	for (const k of ["interval", "time", "ack", "nonce"]) if (!optionalInt(r, k)) return undefined;
	const out: { -readonly [K in keyof ResponseBody]: ResponseBody[K] } = { state: r.state as EventState };
	if (r.event !== undefined) out.event = r.event as string;
	if (r.interval !== undefined) out.interval = r.interval as number;
	if (r.time !== undefined) out.time = r.time as number;
	if (r.ack !== undefined) out.ack = r.ack as number;
	if (r.error !== undefined) out.error = r.error as string;
	if (r.nonce !== undefined) out.nonce = r.nonce as number;
	return out;
}
