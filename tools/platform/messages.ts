/**
 * Request body schemas of docs/protocol.md §6, checked strictly (unknown keys refused: this is the reference the
 * firmware is tested against), and the per-point MAC of §6.2.
 */
import { createHmac } from "node:crypto";
import { macEquals } from "./httpSig";

export const EVENT_ID = /^[0-9a-f]{32}$/;
export const MAX_POINTS = 32;

export interface Point {
	s: number;
	t: number;
	la: number;
	lo: number;
	a: number;
	al?: number;
	n: number;
	q: "3d" | "2d" | "cell" | "none";
	m: string;
}

export interface OpenBody {
	event: string;
	reason: "button" | "test";
	resumed?: boolean;
	stages?: Record<string, number>;
	fix?: Omit<Point, "s" | "m">;
	cell?: { mcc: number; mnc: number; tac: number; ci: number; rsrp?: number; rat: string };
	bat?: { mv?: number; pct?: number };
}

export interface LocationsBody {
	points: Point[];
	/** The serving cell of a cell report (docs/protocol.md §6.2). */
	cell?: NonNullable<OpenBody["cell"]>;
}

export interface CloseBody {
	reason: "cancel" | "done" | "timeout";
	bat?: { mv?: number; pct?: number };
}

export class BodyError extends Error {}

type Obj = Record<string, unknown>;

function object(v: unknown, what: string, allowed: readonly string[]): Obj {
	if (typeof v !== "object" || v === null || Array.isArray(v)) throw new BodyError(`${what} is not an object`);
	for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new BodyError(`${what}: unknown key ${k}`);
	return v as Obj;
}

function int(o: Obj, k: string, what: string, min: number, max: number, optional = false): number | undefined {
	const v = o[k];
	if (v === undefined && optional) return undefined;
	if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new BodyError(`${what}.${k} is not an integer in [${min}, ${max}]`);
	return v;
}

function oneOf<T extends string>(o: Obj, k: string, what: string, values: readonly T[]): T {
	const v = o[k];
	if (typeof v !== "string" || !values.includes(v as T)) throw new BodyError(`${what}.${k} is not one of ${values.join(", ")}`);
	return v as T;
}

export function parseJson(body: Uint8Array): unknown {
	let text: string;
	try {
		text = new TextDecoder("utf-8", { fatal: true }).decode(body);
	} catch {
		throw new BodyError("body is not UTF-8");
	}
	try {
		return JSON.parse(text);
	} catch {
		throw new BodyError("body is not JSON");
	}
}

const I32 = 2147483647;
const STAGES = ["press", "wake", "modem", "attach", "tls", "fix"] as const;
const QUALITY = ["3d", "2d", "cell", "none"] as const;

function fixFields(o: Obj, what: string): Omit<Point, "s" | "m"> {
	const f: Omit<Point, "s" | "m"> = {
		t: int(o, "t", what, 0, 2 ** 40)!,
		la: int(o, "la", what, -900_000_000, 900_000_000)!,
		lo: int(o, "lo", what, -1_800_000_000, 1_800_000_000)!,
		a: int(o, "a", what, 0, I32)!,
		n: int(o, "n", what, 0, 255)!,
		q: oneOf(o, "q", what, QUALITY),
	};
	const al = int(o, "al", what, -100_000, 100_000, true);
	if (al !== undefined) f.al = al;
	return f;
}

function bat(v: unknown): { mv?: number; pct?: number } {
	const o = object(v, "bat", ["mv", "pct"]);
	const out: { mv?: number; pct?: number } = {};
	const mv = int(o, "mv", "bat", 0, 100_000, true);
	const pct = int(o, "pct", "bat", 0, 100, true);
	if (mv !== undefined) out.mv = mv;
	if (pct !== undefined) out.pct = pct;
	return out;
}

function cell(v: unknown): NonNullable<OpenBody["cell"]> {
	const c = object(v, "cell", ["mcc", "mnc", "tac", "ci", "rsrp", "rat"]);
	const out: NonNullable<OpenBody["cell"]> = {
		mcc: int(c, "mcc", "cell", 0, 999)!,
		mnc: int(c, "mnc", "cell", 0, 999)!,
		tac: int(c, "tac", "cell", 0, 0xffffff)!,
		ci: int(c, "ci", "cell", 0, 0xfffffff)!,
		rat: oneOf(c, "rat", "cell", ["lte-m", "nb-iot", "gsm", "unknown"] as const),
	};
	const rsrp = int(c, "rsrp", "cell", -200, 0, true);
	if (rsrp !== undefined) out.rsrp = rsrp;
	return out;
}

/** §6.1 */
export function parseOpen(v: unknown): OpenBody {
	const o = object(v, "body", ["event", "reason", "resumed", "stages", "fix", "cell", "bat"]);
	if (typeof o.event !== "string" || !EVENT_ID.test(o.event)) throw new BodyError("body.event is not 32 lowercase hex");
	const out: OpenBody = { event: o.event, reason: oneOf(o, "reason", "body", ["button", "test"] as const) };
	if (o.resumed !== undefined) {
		if (typeof o.resumed !== "boolean") throw new BodyError("body.resumed is not a boolean");
		out.resumed = o.resumed;
	}
	if (o.stages !== undefined) {
		const s = object(o.stages, "stages", STAGES);
		out.stages = {};
		for (const k of Object.keys(s)) out.stages[k] = int(s, k, "stages", 0, 2 ** 40)!;
	}
	if (o.fix !== undefined) out.fix = fixFields(object(o.fix, "fix", ["t", "la", "lo", "a", "al", "n", "q"]), "fix");
	if (o.cell !== undefined) out.cell = cell(o.cell);
	if (o.bat !== undefined) out.bat = bat(o.bat);
	return out;
}

/** §6.2 (schema only; MACs are checked by `verifyPointMac`). */
export function parseLocations(v: unknown): LocationsBody {
	const o = object(v, "body", ["points", "cell"]);
	// A cell report (GNSS window timed out) carries the serving cell and possibly no point at all.
	const min = o.cell === undefined ? 1 : 0;
	if (!Array.isArray(o.points) || o.points.length < min || o.points.length > MAX_POINTS)
		throw new BodyError(`body.points is not an array of ${min}..${MAX_POINTS} points`);
	const points: Point[] = [];
	let last = 0;
	for (const [k, raw] of o.points.entries()) {
		const what = `points[${k}]`;
		const p = object(raw, what, ["s", "t", "la", "lo", "a", "al", "n", "q", "m"]);
		const s = int(p, "s", what, 1, I32)!;
		if (s <= last) throw new BodyError(`${what}.s is not increasing`);
		last = s;
		if (typeof p.m !== "string" || !/^[A-Za-z0-9_-]{22}$/.test(p.m)) throw new BodyError(`${what}.m is not 22 base64url characters`);
		points.push({ s, ...fixFields(p, what), m: p.m });
	}
	return o.cell === undefined ? { points } : { points, cell: cell(o.cell) };
}

/** §6.3 */
export function parseClose(v: unknown): CloseBody {
	const o = object(v, "body", ["reason", "bat"]);
	const out: CloseBody = { reason: oneOf(o, "reason", "body", ["cancel", "done", "timeout"] as const) };
	if (o.bat !== undefined) out.bat = bat(o.bat);
	return out;
}

/** §6.2: "enigm-point-v1\n" + eventId + "\n" + s,t,la,lo,a,al,n,q (al empty when omitted). */
export function pointMacInput(eventId: string, p: Omit<Point, "m">): string {
	return `enigm-point-v1\n${eventId}\n${p.s},${p.t},${p.la},${p.lo},${p.a},${p.al === undefined ? "" : p.al},${p.n},${p.q}`;
}

export function pointMac(key: Uint8Array, eventId: string, p: Omit<Point, "m">): string {
	return createHmac("sha256", key).update(pointMacInput(eventId, p), "ascii").digest().subarray(0, 16).toString("base64url");
}

export function verifyPointMac(key: Uint8Array, eventId: string, p: Point): boolean {
	const expected = createHmac("sha256", key).update(pointMacInput(eventId, p), "ascii").digest().subarray(0, 16);
	const actual = Buffer.from(p.m, "base64url");
	return macEquals(expected, actual);
}
