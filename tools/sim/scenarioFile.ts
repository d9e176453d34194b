/**
 * QA scenario files (docs/scenarios.md): parsing and validation. A scenario is JSON; every problem is reported with
 * the file, the JSON path and the reason, all of them at once, and nothing is run from a file with a problem.
 * Pure: reading files is the caller's business (tools/sim/scenario.ts), except the GNSS track, which is resolved
 * and parsed here with the emulator's own parser so a bad track is a validation error like any other.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFaults, type Fault } from "./modem/faults";
import { profiles } from "./modem/profiles";
import { parseTrack, type TrackPoint } from "./modem/track";
import { defaultSosConfig, type SosConfig } from "modules/sos/messages";
import { defaultRadioScheduleConfig, type RadioScheduleConfig } from "modules/radioSchedule";
import { defaultPressTiming, type PressTiming } from "drivers/button/pressRecognizer";

export const tracksDir = join(dirname(fileURLToPath(import.meta.url)), "tracks");

/** One step of the timeline, at `at` simulated ms from the start of the world (the device's power-on). */
export type Action =
	/** Presses: [downAt, upAt] pairs in ms relative to `at`. */
	| { readonly at: number; readonly do: "press"; readonly pattern: ReadonlyArray<readonly [number, number]> }
	/** One raw level change of the button (contact bounce, chatter). */
	| { readonly at: number; readonly do: "edge"; readonly pressed: boolean }
	/** Several raw edges: [offsetMs, pressed] relative to `at`. */
	| { readonly at: number; readonly do: "edges"; readonly sequence: ReadonlyArray<readonly [number, boolean]> }
	/** ESP32 reset (brownout, watchdog): RAM lost, NVS kept, modem untouched. */
	| { readonly at: number; readonly do: "reboot" }
	/** The user closes the open event in the app. */
	| { readonly at: number; readonly do: "closeByUser" }
	/** The platform revokes the device. */
	| { readonly at: number; readonly do: "revoke"; readonly reason?: string }
	/** A modem fault armed now (same object as in `faults`, without a trigger). */
	| { readonly at: number; readonly do: "fault"; readonly fault: Fault };

export type ActionName = Action["do"];
export const actionNames: readonly ActionName[] = Object.freeze(["press", "edge", "edges", "reboot", "closeByUser", "revoke", "fault"]);

/** A count or a duration bound: a number means the default sense of the expectation, an object states it. */
export type Bound = number | { readonly min?: number; readonly max?: number };

export interface Expectations {
	/** Max ms from the third press (down edge) to the platform holding the event open. */
	readonly alertAcceptedWithinMs?: number;
	/** Min points the platform stored for the first event. */
	readonly pointsDelivered?: Bound;
	/** The first event's points start at 1 and form at most one run of consecutive numbers per boot. */
	readonly pointSequenceComplete?: boolean;
	/** Max GNSS fixes the device obtained during events that the platform did not store (lost points). */
	readonly undeliveredFixes?: Bound;
	/** Min points whose fix time lies in [fromMs, toMs) of simulated time (points captured while offline). */
	readonly pointsFixedBetween?: { readonly fromMs: number; readonly toMs: number; readonly min: number };
	/** SOS state at the end (`dormant`, `revoked`, `active.streaming`, ...). */
	readonly finalState?: string;
	/** Dormant and in deep sleep at the end. */
	readonly dormantAtEnd?: boolean;
	/** In deep sleep at the end, whatever the state (a revoked device sleeps too). */
	readonly asleepAtEnd?: boolean;
	/** No byte on the wire while the device was dormant or revoked. */
	readonly zeroBytesWhileDormant?: boolean;
	/** Events the platform opened for the device (exact). */
	readonly eventsOpened?: Bound;
	/** How the first event was closed on the platform (`user`, `device`, `timeout`, `revocation`), or `open`. */
	readonly eventClosedBy?: string;
	/** Contacts notified of the first event's opening (exact). */
	readonly contactsNotified?: Bound;
	/** Button wakes from deep sleep (exact). */
	readonly wakes?: Bound;
	/** No wake from deep sleep at all. */
	readonly noWakes?: boolean;
	/** Max ms the modem's RF was in use (searching, registered or connected: tools/sim/world.ts WorldMetrics). */
	readonly radioOnMs?: Bound;
	/** Max ms the modem was powered at all (a gesture boots it with its RF off). */
	readonly modemOnMs?: Bound;
	/** Transitions, as "from -> to (event)", that must occur in this order (others may come between). */
	readonly transitionsInclude?: readonly string[];
	/** Transitions that must never occur. */
	readonly transitionsExclude?: readonly string[];
	/** The first event was resumed after a reboot (same event id on the platform, resumed at least once). */
	readonly eventResumed?: boolean;
	/** Min location reports carrying the serving cell and no point (GNSS had no fix). */
	readonly cellReports?: Bound;
	/** Requests the platform refused (exact). */
	readonly refusedRequests?: Bound;
}

export type ExpectationName = keyof Expectations;

/** The default sense of a plain number, per bounded expectation. */
export const boundSense: Readonly<Record<string, "min" | "max" | "exact">> = Object.freeze({
	pointsDelivered: "min", eventsOpened: "exact", contactsNotified: "exact", wakes: "exact",
	radioOnMs: "max", modemOnMs: "max", cellReports: "min", refusedRequests: "exact", undeliveredFixes: "max",
});

const booleanExpectations = ["pointSequenceComplete", "dormantAtEnd", "asleepAtEnd", "zeroBytesWhileDormant", "noWakes", "eventResumed"] as const;
const expectationNames: readonly string[] = Object.freeze([
	"alertAcceptedWithinMs", "pointsFixedBetween", "finalState", "eventClosedBy", "transitionsInclude", "transitionsExclude",
	...booleanExpectations, ...Object.keys(boundSense),
]);

const stateNames = ["dormant", "active.activating", "active.alerting", "active.streaming", "active.closing", "revoked"];
const closedBy = ["open", "user", "device", "timeout", "revocation", "superseded"];

export interface Scenario {
	readonly name: string;
	readonly description: string;
	/** Where it came from, for messages ("<object>" when passed as an object). */
	readonly file: string;
	readonly dialect: "sim7080" | "bg95";
	readonly profile: string;
	readonly track?: readonly TrackPoint[];
	readonly trackFile?: string;
	readonly faults: readonly Fault[];
	readonly sos?: Partial<SosConfig>;
	readonly schedule?: Partial<RadioScheduleConfig>;
	readonly press?: Partial<PressTiming>;
	readonly platformMaxEventMs?: number;
	readonly platformInterval?: number;
	readonly bootLatencyMs?: number;
	/** BG95 only: the module refuses every command but `AT` until `APP RDY` (Zephyr PR 57110; emulator refuseBeforeReady). */
	readonly refuseBeforeReady?: boolean;
	readonly durationMs: number;
	readonly timeline: readonly Action[];
	/** Simulated ms the alert latency counts from; default the third press's down edge (docs/scenarios.md). */
	readonly alertFromMs?: number;
	readonly expect: Expectations;
}

export type ScenarioParse = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly errors: readonly string[] };

const topKeys = [
	"$schema", "name", "description", "dialect", "profile", "track", "faults", "config", "durationMs", "timeline", "alertFromMs", "expect",
];
const configKeys = ["sos", "schedule", "press", "platformMaxEventMs", "platformInterval", "bootLatencyMs", "refuseBeforeReady"];
/** Longest simulated run a scenario may ask for: a year. */
const maxDurationMs = 366 * 86_400_000;

/** Parses a scenario from JSON text (`file` names it in messages) or from an already parsed value. */
export function parseScenario(input: string | unknown, file = "<object>"): ScenarioParse {
	const errors: string[] = [];
	const err = (path: string, reason: string) => errors.push(`${file}: ${path}: ${reason}`);
	let value: unknown = input;
	if (typeof input === "string") {
		try {
			value = JSON.parse(input);
		} catch (e) {
			return { ok: false, errors: [`${file}: $: not JSON (${(e as Error).message})`] };
		}
	}
	if (!isObject(value)) return { ok: false, errors: [`${file}: $: expected an object`] };
	const o = value;
	for (const k of Object.keys(o)) if (!topKeys.includes(k)) err(`$.${k}`, `unknown field (expected one of ${topKeys.slice(1).join(", ")})`);

	const name = o.name;
	if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(name)) err("$.name", "required, lowercase letters, digits and dashes");
	if (o.description !== undefined && typeof o.description !== "string") err("$.description", "expected a string");
	const dialect = o.dialect ?? "sim7080";
	if (dialect !== "sim7080" && dialect !== "bg95") err("$.dialect", `expected "sim7080" or "bg95", got ${show(dialect)}`);
	const profile = o.profile ?? "good";
	if (typeof profile !== "string" || !(profile in profiles)) err("$.profile", `expected one of ${Object.keys(profiles).join(", ")}, got ${show(profile)}`);

	let track: readonly TrackPoint[] | undefined;
	let trackFile: string | undefined;
	if (o.track !== undefined) {
		if (typeof o.track !== "string" || o.track === "") err("$.track", "expected a track file name (tools/sim/tracks/*.gpx|csv, or a path)");
		else {
			trackFile = resolveTrack(o.track, file);
			let text: string | undefined;
			try {
				text = readFileSync(trackFile, "utf8");
			} catch (e) {
				err("$.track", `cannot read ${trackFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
			}
			if (text !== undefined) {
				const parsed = parseTrack(text, /\.gpx$/i.test(trackFile) ? "gpx" : /\.csv$/i.test(trackFile) ? "csv" : undefined);
				if (parsed.ok) track = parsed.points;
				else for (const e of parsed.errors) err("$.track", `${trackFile} line ${e.line}: ${e.reason}`);
			}
		}
	}

	let faults: readonly Fault[] = [];
	if (o.faults !== undefined) {
		const parsed = parseFaults(o.faults);
		if (parsed.ok) faults = parsed.faults;
		else for (const e of parsed.errors) err(e.startsWith("faults[") ? `$.${e.slice(0, e.indexOf(": "))}` : "$.faults", reason(e));
	}

	const durationMs = o.durationMs;
	if (!isNumber(durationMs) || durationMs <= 0 || durationMs > maxDurationMs) err("$.durationMs", `required, a number of simulated ms in (0, ${maxDurationMs}]`);

	const config = o.config ?? {};
	let sos: Partial<SosConfig> | undefined, schedule: Partial<RadioScheduleConfig> | undefined, press: Partial<PressTiming> | undefined;
	const extra: { platformMaxEventMs?: number; platformInterval?: number; bootLatencyMs?: number; refuseBeforeReady?: boolean } = {};
	if (!isObject(config)) err("$.config", "expected an object");
	else {
		for (const k of Object.keys(config)) if (!configKeys.includes(k)) err(`$.config.${k}`, `unknown field (expected one of ${configKeys.join(", ")})`);
		sos = overrides(config.sos, defaultSosConfig, "$.config.sos", err) as Partial<SosConfig> | undefined;
		schedule = overrides(config.schedule, defaultRadioScheduleConfig, "$.config.schedule", err) as Partial<RadioScheduleConfig> | undefined;
		press = overrides(config.press, defaultPressTiming, "$.config.press", err) as Partial<PressTiming> | undefined;
		for (const k of ["platformMaxEventMs", "platformInterval", "bootLatencyMs"] as const) {
			const v = config[k];
			if (v === undefined) continue;
			if (!isNumber(v) || v < 0 || (k === "platformInterval" && v <= 0)) err(`$.config.${k}`, "expected a non-negative number");
			else extra[k] = v;
		}
		if (config.refuseBeforeReady !== undefined) {
			if (typeof config.refuseBeforeReady !== "boolean") err("$.config.refuseBeforeReady", "expected true or false");
			else if (config.refuseBeforeReady && dialect !== "bg95") err("$.config.refuseBeforeReady", 'applies to the "bg95" dialect only (its APP RDY)');
			else extra.refuseBeforeReady = config.refuseBeforeReady;
		}
	}

	const timeline: Action[] = [];
	if (o.timeline !== undefined && !Array.isArray(o.timeline)) err("$.timeline", "expected an array of actions");
	else (o.timeline as unknown[] | undefined ?? []).forEach((raw, i) => {
		const action = parseAction(raw, `$.timeline[${i}]`, err);
		if (!action) return;
		if (isNumber(durationMs) && action.at > durationMs) err(`$.timeline[${i}].at`, `after the end of the run (durationMs ${durationMs})`);
		timeline.push(action);
	});

	if (o.alertFromMs !== undefined && (!isNumber(o.alertFromMs) || o.alertFromMs < 0)) err("$.alertFromMs", "expected a non-negative number of simulated ms");

	const expect = o.expect;
	if (!isObject(expect)) err("$.expect", "required, an object of expectations");
	else {
		if (Object.keys(expect).length === 0) err("$.expect", "no expectation: a scenario must check something");
		for (const [k, v] of Object.entries(expect)) checkExpectation(k, v, `$.expect.${k}`, err);
	}

	if (errors.length) return { ok: false, errors };
	const scenario: Scenario = {
		name: name as string,
		description: (o.description as string | undefined) ?? "",
		file,
		dialect: dialect as Scenario["dialect"],
		profile: profile as string,
		...(track ? { track, trackFile } : {}),
		faults,
		...(sos ? { sos } : {}),
		...(schedule ? { schedule } : {}),
		...(press ? { press } : {}),
		...extra,
		durationMs: durationMs as number,
		timeline: timeline.slice().sort((a, b) => a.at - b.at),
		...(o.alertFromMs !== undefined ? { alertFromMs: o.alertFromMs as number } : {}),
		expect: expect as Expectations,
	};
	return { ok: true, scenario };
}

function parseAction(raw: unknown, path: string, err: (path: string, reason: string) => void): Action | undefined {
	if (!isObject(raw)) {
		err(path, "expected an object { at, do, ... }");
		return undefined;
	}
	let failed = false;
	const fail = (p: string, r: string) => {
		failed = true;
		err(p, r);
	};
	const at = raw.at;
	if (!isNumber(at) || at < 0) fail(`${path}.at`, `expected a non-negative number of simulated ms, got ${show(at)}`);
	const kind = raw.do;
	if (typeof kind !== "string" || !actionNames.includes(kind as ActionName)) {
		fail(`${path}.do`, `unknown action ${show(kind)} (expected one of ${actionNames.join(", ")})`);
		return undefined;
	}
	const allowed = new Set(["at", "do"]);
	let action: Action | undefined;
	switch (kind as ActionName) {
		case "press": {
			allowed.add("pattern");
			const pattern = raw.pattern ?? [[0, 250], [500, 750], [1000, 1250]];
			if (!Array.isArray(pattern) || pattern.length === 0) fail(`${path}.pattern`, "expected a non-empty array of [downMs, upMs] pairs");
			else pattern.forEach((p: unknown, j: number) => {
				if (!Array.isArray(p) || p.length !== 2 || !isNumber(p[0]) || !isNumber(p[1]) || p[0] < 0 || p[1] <= p[0])
					fail(`${path}.pattern[${j}]`, "expected [downMs, upMs] with 0 <= downMs < upMs");
				else if (j > 0 && (pattern[j - 1] as number[])[1]! > p[0]) fail(`${path}.pattern[${j}]`, "press starts before the previous one is released");
			});
			action = { at: at as number, do: "press", pattern: pattern as Array<[number, number]> };
			break;
		}
		case "edge":
			allowed.add("pressed");
			if (typeof raw.pressed !== "boolean") fail(`${path}.pressed`, "expected true (pressed) or false (released)");
			action = { at: at as number, do: "edge", pressed: raw.pressed as boolean };
			break;
		case "edges": {
			allowed.add("sequence");
			const seq = raw.sequence;
			if (!Array.isArray(seq) || seq.length === 0) fail(`${path}.sequence`, "expected a non-empty array of [offsetMs, pressed]");
			else seq.forEach((e: unknown, j: number) => {
				if (!Array.isArray(e) || e.length !== 2 || !isNumber(e[0]) || e[0] < 0 || typeof e[1] !== "boolean")
					fail(`${path}.sequence[${j}]`, "expected [offsetMs >= 0, pressed boolean]");
				else if (j > 0 && (seq[j - 1] as number[])[0]! > e[0]) fail(`${path}.sequence[${j}]`, "offsets must not decrease");
			});
			action = { at: at as number, do: "edges", sequence: seq as Array<[number, boolean]> };
			break;
		}
		case "reboot":
		case "closeByUser":
			action = { at: at as number, do: kind as "reboot" };
			break;
		case "revoke":
			allowed.add("reason");
			if (raw.reason !== undefined && (typeof raw.reason !== "string" || raw.reason === "")) fail(`${path}.reason`, "expected a non-empty string");
			action = { at: at as number, do: "revoke", ...(typeof raw.reason === "string" ? { reason: raw.reason } : {}) };
			break;
		case "fault": {
			allowed.add("fault");
			if (!isObject(raw.fault)) {
				fail(`${path}.fault`, "expected a fault object { kind, ... }");
				break;
			}
			if (raw.fault.atMs !== undefined || raw.fault.afterCommands !== undefined) fail(`${path}.fault`, "a timeline fault is armed at its action's `at`: no atMs/afterCommands");
			const parsed = parseFaults([raw.fault]);
			if (!parsed.ok) for (const e of parsed.errors) fail(`${path}.fault${e.slice("faults[0]".length, e.indexOf(": "))}`, reason(e));
			else action = { at: at as number, do: "fault", fault: parsed.faults[0]! };
			break;
		}
	}
	for (const k of Object.keys(raw)) if (!allowed.has(k)) fail(`${path}.${k}`, `unknown field for action ${kind}`);
	return failed ? undefined : action;
}

function checkExpectation(key: string, v: unknown, path: string, err: (path: string, reason: string) => void): void {
	if (!expectationNames.includes(key)) {
		err(path, `unknown expectation (expected one of ${expectationNames.join(", ")})`);
		return;
	}
	if ((booleanExpectations as readonly string[]).includes(key)) {
		if (typeof v !== "boolean") err(path, "expected true or false");
		return;
	}
	if (key in boundSense) {
		if (isNumber(v)) {
			if (v < 0) err(path, "expected a number >= 0");
			return;
		}
		if (!isObject(v) || Object.keys(v).length === 0 || Object.keys(v).some((k) => k !== "min" && k !== "max") || Object.values(v).some((x) => !isNumber(x) || x < 0))
			err(path, `expected a number >= 0 (${boundSense[key]}) or { "min"?: n, "max"?: n }`);
		else if (isNumber(v.min) && isNumber(v.max) && v.min > v.max) err(path, "min above max");
		return;
	}
	switch (key) {
		case "alertAcceptedWithinMs":
			if (!isNumber(v) || v < 0) err(path, "expected a number of simulated ms >= 0");
			return;
		case "pointsFixedBetween":
			if (!isObject(v) || !isNumber(v.fromMs) || !isNumber(v.toMs) || !isNumber(v.min) || v.fromMs < 0 || v.toMs <= v.fromMs || v.min < 0 || Object.keys(v).length !== 3)
				err(path, "expected { fromMs, toMs, min } with 0 <= fromMs < toMs, min >= 0");
			return;
		case "finalState":
			if (typeof v !== "string" || !stateNames.includes(v)) err(path, `expected one of ${stateNames.join(", ")}`);
			return;
		case "eventClosedBy":
			if (typeof v !== "string" || !closedBy.includes(v)) err(path, `expected one of ${closedBy.join(", ")}`);
			return;
		case "transitionsInclude":
		case "transitionsExclude":
			if (!Array.isArray(v) || v.length === 0) err(path, "expected a non-empty array of \"from -> to (event)\"");
			else v.forEach((t: unknown, i: number) => {
				const m = typeof t === "string" ? /^(\S+) -> (\S+) \((\w+)\)$/.exec(t) : null;
				if (!m) err(`${path}[${i}]`, `expected "from -> to (event)", got ${show(t)}`);
				else if (!stateNames.includes(m[1]!) || !stateNames.includes(m[2]!)) err(`${path}[${i}]`, `unknown state in ${show(t)} (states: ${stateNames.join(", ")})`);
			});
			return;
	}
}

function overrides(v: unknown, defaults: object, path: string, err: (path: string, reason: string) => void): Record<string, unknown> | undefined {
	if (v === undefined) return undefined;
	if (!isObject(v)) {
		err(path, "expected an object of overrides");
		return undefined;
	}
	const out: Record<string, unknown> = {};
	for (const [k, x] of Object.entries(v)) {
		const d = (defaults as Record<string, unknown>)[k];
		if (d === undefined) err(`${path}.${k}`, `unknown setting (expected one of ${Object.keys(defaults).join(", ")})`);
		else if (Array.isArray(d)) {
			if (!Array.isArray(x) || x.length === 0 || x.some((n) => !isNumber(n) || n <= 0)) err(`${path}.${k}`, "expected a non-empty array of positive numbers");
			else out[k] = x;
		} else if (typeof d === "number") {
			if (!isNumber(x) || x < 0) err(`${path}.${k}`, "expected a number >= 0");
			else out[k] = x;
		} else if (typeof x !== typeof d) err(`${path}.${k}`, `expected a ${typeof d}`);
		else out[k] = x;
	}
	return out;
}

function resolveTrack(name: string, file: string): string {
	if (isAbsolute(name)) return name;
	if (!name.includes("/")) return join(tracksDir, name);
	return resolve(file.startsWith("<") ? process.cwd() : dirname(file), name);
}

/** "faults[0].kind: expected ..." -> "expected ..." */
function reason(e: string): string {
	const i = e.indexOf(": ");
	return i < 0 ? e : e.slice(i + 2);
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNumber(v: unknown): v is number {
	return typeof v === "number" && Number.isFinite(v);
}

function show(v: unknown): string {
	return v === undefined ? "nothing" : JSON.stringify(v) ?? String(v);
}
