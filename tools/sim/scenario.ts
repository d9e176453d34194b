/**
 * QA scenario runner (docs/scenarios.md): runs scenario files in simulated time through tools/sim/world.ts and
 * checks their expectations against what the platform stored and what the world measured.
 *
 *   npm run scenario -- tests/scenarios/*.json [--json] [--transcript dir]
 *
 * One pass/fail line per expectation and a summary (on stderr with --json, which prints the JSON report on
 * stdout). Exit code 1 when any scenario fails, 2 on bad arguments. A scenario that does not validate or throws
 * fails with its message; the others still run. `runScenario` is the same for tests and the benchmarks.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import World, { type LogSource } from "./world";
import { parseScenario, boundSense, type Action, type Bound, type Expectations, type Scenario } from "./scenarioFile";
import type { EventRow } from "../platform/store";

export interface ExpectationResult {
	readonly name: string;
	readonly expected: unknown;
	readonly actual: unknown;
	readonly pass: boolean;
	/** Why it failed (or how it passed), one line. */
	readonly detail: string;
}

export interface EventReport {
	readonly eventId: string;
	readonly state: string;
	readonly closedBy: string | null;
	/** Simulated ms at which the platform opened / closed it. */
	readonly openedAtMs: number;
	readonly closedAtMs: number | null;
	readonly resumedCount: number;
	/** The device's own stage timestamps (ms from the trigger), as sent with the alert (protocol §6.1). */
	readonly stages: Record<string, number> | null;
	readonly points: number;
	readonly notifications: ReadonlyArray<{ kind: string; status: string; atMs: number }>;
}

export interface ScenarioReport {
	readonly name: string;
	readonly file: string;
	readonly pass: boolean;
	/** Set when the scenario could not run (validation or a crash); then `expectations` is empty. */
	readonly error?: string;
	readonly expectations: readonly ExpectationResult[];
	readonly simulatedMs: number;
	readonly realMs: number;
	readonly metrics?: {
		wakes: number; radioOnMs: number; modemOnMs: number; dormantWireBytes: number; wireSent: number; wireReceived: number;
		stateMs: Record<string, number>; atCommands: number; fixesObtained: number; locationBatches: number; cellReports: number; refusedRequests: number;
	};
	readonly events?: readonly EventReport[];
	readonly transitions?: ReadonlyArray<{ at: number; transition: string }>;
	readonly notes?: readonly string[];
}

export interface RunOptions {
	/** A directory for `<name>.log`: the device, platform and world log and the AT transcript, simulated time stamped. */
	readonly transcriptDir?: string;
	/** Live log lines (the CLI's --verbose). */
	readonly log?: (line: string) => void;
}

/** Runs one scenario: a file path, or a scenario object (validated the same way). Never throws. */
export async function runScenario(input: string | object, options: RunOptions = {}): Promise<ScenarioReport> {
	const started = performance.now();
	const file = typeof input === "string" ? input : "<object>";
	let parsed;
	if (typeof input === "string") {
		let text: string;
		try {
			text = readFileSync(input, "utf8");
		} catch (e) {
			return failed(file, file, `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, started);
		}
		parsed = parseScenario(text, file);
	} else parsed = parseScenario(input, file);
	if (!parsed.ok) return failed(nameOf(input), file, parsed.errors.join("\n"), started);
	try {
		return await execute(parsed.scenario, options, started);
	} catch (e) {
		return failed(parsed.scenario.name, file, `${file}: run failed: ${(e as Error).stack ?? String(e)}`, started);
	}
}

function failed(name: string, file: string, error: string, started: number): ScenarioReport {
	return { name, file, pass: false, error, expectations: [], simulatedMs: 0, realMs: Math.round(performance.now() - started) };
}

function nameOf(input: string | object): string {
	if (typeof input === "string") return input.replace(/^.*\//, "").replace(/\.json$/, "");
	const n = (input as { name?: unknown }).name;
	return typeof n === "string" ? n : "<object>";
}

interface Batch {
	readonly atMs: number;
	readonly points: number;
	readonly cell: boolean;
}

async function execute(s: Scenario, options: RunOptions, started: number): Promise<ScenarioReport> {
	const lines: string[] = [];
	let world: World | undefined;
	const stamp = () => (world ? (world.clock.now() / 1000).toFixed(3).padStart(10) : "     0.000");
	const record = (source: LogSource | "at", line: string) => {
		if (!options.transcriptDir && !options.log) return;
		const text = `${stamp()} ${source.padEnd(8)} ${line}`;
		if (options.transcriptDir) lines.push(text);
		options.log?.(text);
	};
	const notes: string[] = [];
	world = await World.create({
		time: "manual",
		dialect: s.dialect,
		profile: s.profile,
		faults: s.faults,
		...(s.track ? { track: s.track } : {}),
		...(s.sos ? { sos: s.sos } : {}),
		...(s.schedule ? { schedule: s.schedule } : {}),
		...(s.press ? { press: s.press } : {}),
		...(s.platformMaxEventMs !== undefined ? { platformMaxEventMs: s.platformMaxEventMs } : {}),
		...(s.platformInterval !== undefined ? { platformInterval: s.platformInterval } : {}),
		...(s.bootLatencyMs !== undefined ? { bootLatencyMs: s.bootLatencyMs } : {}),
		...(s.refuseBeforeReady ? { modem: { refuseBeforeReady: true } } : {}),
		platformDb: ":memory:",
		log: record,
		...(options.transcriptDir || options.log ? { transcript: (line: string) => record("at", line) } : {}),
	});
	try {
		// Every location batch the platform accepted, with or without points and a serving cell.
		const platform = world.platform.platform;
		const batches: Batch[] = [];
		const addPoints = platform.addPoints.bind(platform);
		const w = world;
		platform.addPoints = (event, key, body) => {
			const ack = addPoints(event, key, body);
			if (ack !== undefined) batches.push({ atMs: w.clock.now(), points: body.points.length, cell: body.cell !== undefined });
			return ack;
		};

		for (const action of s.timeline) {
			if (action.at > world.clock.now()) await world.run(action.at - world.clock.now());
			perform(world, action, notes);
		}
		if (s.durationMs > world.clock.now()) await world.run(s.durationMs - world.clock.now());

		const wallOffset = platform.now - world.clock.now();
		const rows = world.events().slice().reverse(); // oldest first
		const events = rows.map((e) => eventReport(w, e, wallOffset));
		const refusals = platform.store.refusals(10_000).filter((r) => r.device_id === null || r.device_id === w.deviceId);
		const metrics = {
			wakes: world.metrics.wakes,
			radioOnMs: world.metrics.radioOnMs,
			modemOnMs: world.metrics.modemOnMs,
			dormantWireBytes: world.metrics.dormantWireBytes,
			wireSent: world.metrics.wireSent,
			wireReceived: world.metrics.wireReceived,
			stateMs: { ...world.metrics.stateMs },
			atCommands: world.emulator.stats.commands,
			fixesObtained: world.metrics.transitions.filter((t) => t.event === "fixObtained").length,
			locationBatches: batches.length,
			cellReports: batches.filter((b) => b.cell && b.points === 0).length,
			refusedRequests: refusals.length,
		};
		const transitions = world.metrics.transitions.map((t) => ({ at: t.at, transition: `${t.from} -> ${t.to} (${t.event})` }));
		const expectations = check(s, world, rows, events, metrics, transitions.map((t) => t.transition), wallOffset);
		if (options.transcriptDir) {
			mkdirSync(options.transcriptDir, { recursive: true });
			writeFileSync(join(options.transcriptDir, `${s.name}.log`), lines.join("\n") + "\n");
		}
		return {
			name: s.name,
			file: s.file,
			pass: expectations.every((e) => e.pass),
			expectations,
			simulatedMs: world.clock.now(),
			realMs: Math.round(performance.now() - started),
			metrics,
			events,
			transitions,
			...(notes.length ? { notes } : {}),
		};
	} finally {
		await world.close();
	}
}

function perform(world: World, action: Action, notes: string[]): void {
	switch (action.do) {
		case "press":
			world.press(action.pattern);
			return;
		case "edge":
			world.edge(action.pressed, 0);
			return;
		case "edges":
			for (const [offset, pressed] of action.sequence) world.edge(pressed, offset);
			return;
		case "reboot":
			world.reboot();
			return;
		case "closeByUser":
			if (!world.closeEventByUser()) notes.push(`closeByUser at ${action.at} ms: no open event to close`);
			return;
		case "revoke":
			world.revoke(action.reason);
			return;
		case "fault":
			world.inject(action.fault);
			return;
	}
}

function eventReport(world: World, e: EventRow, wallOffset: number): EventReport {
	const store = world.platform.platform.store;
	return {
		eventId: e.event_id,
		state: e.state,
		closedBy: e.closed_by,
		openedAtMs: e.opened_at - wallOffset,
		closedAtMs: e.closed_at === null ? null : e.closed_at - wallOffset,
		resumedCount: e.resumed_count,
		stages: e.stages ? (JSON.parse(e.stages) as Record<string, number>) : null,
		points: store.pointCount(e.id),
		notifications: store.notifications(e.id).map((n) => ({ kind: n.kind, status: n.status, atMs: n.at - wallOffset })),
	};
}

/**
 * The moment the alert latency counts from: the first down edge of the third press onset in the timeline.
 * Down edges closer than 50 ms to the previous down edge are contact bounce of the same press.
 */
export function triggerAt(s: Scenario): number | undefined {
	if (s.alertFromMs !== undefined) return s.alertFromMs;
	const downs: number[] = [];
	for (const a of s.timeline) {
		if (a.do === "press") for (const [down] of a.pattern) downs.push(a.at + down);
		else if (a.do === "edge" && a.pressed) downs.push(a.at);
		else if (a.do === "edges") for (const [offset, pressed] of a.sequence) if (pressed) downs.push(a.at + offset);
	}
	downs.sort((a, b) => a - b);
	const onsets: number[] = [];
	let last = -Infinity;
	for (const t of downs) {
		if (t - last >= 50) onsets.push(t);
		last = t;
	}
	return onsets[2];
}

function check(
	s: Scenario, world: World, rows: EventRow[], events: EventReport[], metrics: NonNullable<ScenarioReport["metrics"]>,
	transitions: string[], wallOffset: number,
): ExpectationResult[] {
	const results: ExpectationResult[] = [];
	const first = rows[0];
	const firstReport = events[0];
	const store = world.platform.platform.store;
	const push = (name: string, expected: unknown, actual: unknown, pass: boolean, detail: string) => results.push({ name, expected, actual, pass, detail });
	const bound = (name: keyof Expectations, b: Bound, actual: number, unit = "") => {
		const sense = boundSense[name] ?? "exact";
		const min = typeof b === "number" ? (sense === "max" ? undefined : b) : b.min;
		const max = typeof b === "number" ? (sense === "min" ? undefined : b) : b.max;
		const pass = (min === undefined || actual >= min) && (max === undefined || actual <= max);
		const want = min !== undefined && max !== undefined ? (min === max ? `= ${min}` : `in [${min}, ${max}]`) : min !== undefined ? `>= ${min}` : `<= ${max}`;
		push(name, b, actual, pass, `${actual}${unit} ${pass ? "" : "not "}${want}${unit}`);
	};
	const e = s.expect;
	for (const key of Object.keys(e) as Array<keyof Expectations>) {
		switch (key) {
			case "alertAcceptedWithinMs": {
				const from = triggerAt(s);
				if (from === undefined) push(key, e[key], null, false, "no third press in the timeline (set alertFromMs)");
				else if (!firstReport) push(key, e[key], null, false, "the platform opened no event");
				else {
					const latency = firstReport.openedAtMs - from;
					push(key, e[key], latency, latency <= e[key]!, `${latency} ms from the third press at ${from} ms to the event open ${latency <= e[key]! ? "<=" : ">"} ${e[key]} ms`);
				}
				break;
			}
			case "pointsDelivered":
				bound(key, e[key]!, firstReport?.points ?? 0, " points");
				break;
			case "pointSequenceComplete": {
				// Runs of consecutive sequence numbers: the event's first boot numbers from 1, and each resume after a
				// reboot starts a new run past the old ones. More runs than boots means a point is missing.
				const seq = first ? store.points(first.id).map((p) => p.s).sort((a, b) => a - b) : [];
				const runs: Array<[number, number]> = [];
				for (const v of seq) {
					const last = runs[runs.length - 1];
					if (last && v === last[1] + 1) last[1] = v;
					else runs.push([v, v]);
				}
				const boots = 1 + (first?.resumed_count ?? 0);
				const problems: string[] = [];
				if (seq.length === 0) problems.push("no points");
				else if (seq[0] !== 1) problems.push(`starts at ${seq[0]}`);
				if (runs.length > boots) problems.push(`${runs.length} runs for ${boots} boot(s): ${runs.map(([a, b]) => `${a}..${b}`).join(", ")}`);
				const complete = problems.length === 0;
				push(key, e[key], complete, complete === e[key], complete ? `${seq.length} points in ${runs.length} run(s) for ${boots} boot(s)` : problems.join("; "));
				break;
			}
			case "undeliveredFixes":
				bound(key, e[key]!, Math.max(0, metrics.fixesObtained - rows.reduce((n, r) => n + store.pointCount(r.id), 0)), " fixes");
				break;
			case "pointsFixedBetween": {
				const { fromMs, toMs, min } = e[key]!;
				const pts = first ? store.points(first.id) : [];
				// Fix times are Unix seconds: the window is widened to whole seconds.
				const inside = pts.filter((p) => p.t * 1000 >= Math.floor((wallOffset + fromMs) / 1000) * 1000 && p.t * 1000 < wallOffset + toMs);
				const late = inside.filter((p) => p.received_at - wallOffset >= toMs).length;
				push(key, e[key], inside.length, inside.length >= min, `${inside.length} points fixed in [${fromMs}, ${toMs}) ms (${late} of them delivered after it) ${inside.length >= min ? ">=" : "<"} ${min}`);
				break;
			}
			case "finalState":
				push(key, e[key], world.state, world.state === e[key], `state ${world.state}`);
				break;
			case "dormantAtEnd": {
				const dormant = world.asleep && world.state === "dormant";
				push(key, e[key], dormant, dormant === e[key], `state ${world.state}, ${world.asleep ? "in deep sleep" : "awake"}`);
				break;
			}
			case "asleepAtEnd":
				push(key, e[key], world.asleep, world.asleep === e[key], `state ${world.state}, ${world.asleep ? "in deep sleep" : "awake"}`);
				break;
			case "zeroBytesWhileDormant": {
				const zero = metrics.dormantWireBytes === 0;
				push(key, e[key], metrics.dormantWireBytes, zero === e[key], `${metrics.dormantWireBytes} bytes on the wire while dormant`);
				break;
			}
			case "eventsOpened":
				bound(key, e[key]!, rows.length, " events");
				break;
			case "eventClosedBy": {
				const by = first ? (first.state === "open" ? "open" : (first.closed_by ?? "unknown")) : "no event";
				push(key, e[key], by, by === e[key], `first event ${by === "open" ? "still open" : `closed by ${by}`}`);
				break;
			}
			case "contactsNotified": {
				const notified = first ? new Set(store.notifications(first.id).filter((n) => n.kind === "opened" && n.status === "sent").map((n) => n.contact_id)).size : 0;
				bound(key, e[key]!, notified, " contacts");
				break;
			}
			case "wakes":
				bound(key, e[key]!, metrics.wakes, " wakes");
				break;
			case "noWakes":
				push(key, e[key], metrics.wakes, (metrics.wakes === 0) === e[key], `${metrics.wakes} wakes`);
				break;
			case "radioOnMs":
				bound(key, e[key]!, metrics.radioOnMs, " ms");
				break;
			case "modemOnMs":
				bound(key, e[key]!, metrics.modemOnMs, " ms");
				break;
			case "transitionsInclude": {
				const want = e[key]!;
				let i = 0;
				for (const t of transitions) if (i < want.length && t === want[i]) i++;
				push(key, want, i === want.length ? want : want.slice(0, i), i === want.length, i === want.length ? "all in order" : `missing (in order) from "${want[i]}"`);
				break;
			}
			case "transitionsExclude": {
				const seen = e[key]!.filter((t) => transitions.includes(t));
				push(key, e[key], seen, seen.length === 0, seen.length ? `occurred: ${seen.join("; ")}` : "none occurred");
				break;
			}
			case "eventResumed": {
				const resumed = (first?.resumed_count ?? 0) > 0 && rows.length === 1;
				push(key, e[key], { resumedCount: first?.resumed_count ?? 0, events: rows.length }, resumed === e[key],
					`${rows.length} event(s), first resumed ${first?.resumed_count ?? 0} time(s)`);
				break;
			}
			case "cellReports":
				bound(key, e[key]!, metrics.cellReports, " cell reports");
				break;
			case "refusedRequests":
				bound(key, e[key]!, metrics.refusedRequests, " refusals");
				break;
		}
	}
	return results;
}

// ---------------------------------------------------------------- CLI

function format(report: ScenarioReport): string[] {
	const out: string[] = [];
	if (report.error) {
		out.push(`FAIL ${report.name}: ${report.error.split("\n").join("\n     ")}`);
		return out;
	}
	for (const e of report.expectations) out.push(`  ${e.pass ? "pass" : "FAIL"} ${report.name} ${e.name}: ${e.detail}`);
	for (const n of report.notes ?? []) out.push(`  note ${report.name}: ${n}`);
	const passed = report.expectations.filter((e) => e.pass).length;
	out.push(`${report.pass ? "PASS" : "FAIL"} ${report.name}: ${passed}/${report.expectations.length} expectations, ${(report.simulatedMs / 1000).toFixed(1)} s simulated in ${(report.realMs / 1000).toFixed(2)} s`);
	return out;
}

async function main(argv: string[]): Promise<number> {
	const files: string[] = [];
	let json = false;
	let verbose = false;
	let transcriptDir: string | undefined;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		if (a === "--json") json = true;
		else if (a === "--verbose" || a === "-v") verbose = true;
		else if (a === "--transcript") {
			transcriptDir = argv[++i];
			if (!transcriptDir) {
				process.stderr.write("--transcript needs a directory\n");
				return 2;
			}
		} else if (a === "--help" || a === "-h") {
			process.stdout.write("usage: npm run scenario -- <file.json...> [--json] [--transcript dir] [--verbose]\n");
			return 0;
		} else if (a.startsWith("-")) {
			process.stderr.write(`unknown option ${a}\n`);
			return 2;
		} else files.push(a);
	}
	if (files.length === 0) {
		process.stderr.write("usage: npm run scenario -- <file.json...> [--json] [--transcript dir] [--verbose]\n");
		return 2;
	}
	const say = (line: string) => (json ? process.stderr : process.stdout).write(line + "\n");
	const reports: ScenarioReport[] = [];
	for (const file of files) {
		const report = await runScenario(file, {
			...(transcriptDir ? { transcriptDir } : {}),
			...(verbose ? { log: (line: string) => process.stderr.write(line + "\n") } : {}),
		});
		reports.push(report);
		for (const line of format(report)) say(line);
	}
	const failedCount = reports.filter((r) => !r.pass).length;
	say(`${reports.length} scenarios: ${reports.length - failedCount} passed, ${failedCount} failed`);
	if (json) process.stdout.write(JSON.stringify({ pass: failedCount === 0, scenarios: reports }, null, 2) + "\n");
	return failedCount ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	process.exitCode = await main(process.argv.slice(2));
}
