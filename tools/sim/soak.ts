/**
 * Seeded randomized fault soak: whole-device runs (tools/sim/world: firmware, modem emulator, platform) in simulated
 * time, each seed with its own faults at random instants: modem resets (at an instant, or at a random byte of a
 * data command's reply: a counted read, a prompt, a GNSS line), network drop and restore, PDP context loss, a socket
 * closed by the peer under a read, +CME errors and timeouts on random commands or on whatever command comes next,
 * 1-byte UART chunks, URC noise from none to 30 % of commands, both dialects (half the BG95 seeds refusing commands
 * before `APP RDY`). Every run must end with the alert
 * accepted, at least one location point delivered, every captured point delivered or counted as dropped, the event
 * closed and the device dormant, within its limit.
 *
 *   npm run soak                  # seeds 1..200
 *   npm run soak -- --seeds 500   # seeds 1..500
 *   npm run soak -- --seeds 600 --from 501   # seeds 501..1100
 *   npm run soak -- --seed 17     # replay one seed, with its AT transcript and device log on failure
 */
import World from "./world";
import type { Fault } from "./modem/emulator";
import { seededRandom } from "./modem/core";
import type { PointTally } from "modules/uplink";

export interface SoakPlan {
	readonly seed: number;
	readonly dialect: "sim7080" | "bg95";
	readonly maxChunk: number;
	readonly urcNoise: number;
	/**
	 * BG95 only: the module refuses every command but `AT` until `APP RDY` (Zephyr PR 57110; the emulator's
	 * refuseBeforeReady). Every other BG95 seed (seed % 4 === 1), so that both behaviours meet every fault.
	 */
	readonly refuseBeforeReady: boolean;
	readonly faults: readonly Fault[];
	/** When the event is closed (simulated ms after the presses; at least 90 s after the alert). */
	readonly closeAtMs: number;
	/** Who closes it: the user in the app (the device learns it at its next exchange) or a 5 s hold on the device. */
	readonly closeBy: "user" | "device";
}

export interface SoakResult {
	readonly seed: number;
	readonly pass: boolean;
	readonly problems: string[];
	readonly plan: SoakPlan;
	/** Points the platform stored (distinct (event, s): it de-duplicates resent points, docs/protocol.md §6.2). */
	readonly points: number;
	/** The firmware's own tally (modules/uplink PointTally). */
	readonly tally: PointTally;
	readonly simulatedMs: number;
	readonly log: string[];
}

const COMMANDS = Object.freeze({
	sim7080: ["AT+CNACT", "AT+CAOPEN", "AT+CASEND", "AT+CARECV", "AT+CACLOSE", "AT+CEREG?", "AT+CGNSINF", "AT+CGNSPWR", "AT+CFSWFILE", "AT+CSSLCFG", "AT+CPSI?"],
	bg95: ["AT+QIACT", "AT+QSSLOPEN", "AT+QSSLSEND", "AT+QSSLRECV", "AT+QSSLCLOSE", "AT+CEREG?", "AT+QGPSLOC", "AT+QGPS=", "AT+QFUPL", "AT+QSSLCFG", "AT+QENG"],
});

/** Commands whose reply carries data or a prompt: a reset keyed to byte N of their output lands inside it. */
const DATA_COMMANDS = Object.freeze({
	sim7080: ["AT+CARECV", "AT+CASEND", "AT+CGNSINF", "AT+CFSWFILE", "AT+CPSI?", "AT+CEREG?"],
	bg95: ["AT+QSSLRECV", "AT+QSSLSEND", "AT+QGPSLOC", "AT+QFUPL", "AT+QENG", "AT+CEREG?"],
});
const READ_COMMAND = Object.freeze({ sim7080: "AT+CARECV", bg95: "AT+QSSLRECV" });

/** The faults and UART model of one seed: the same seed always gives the same plan. */
export function planFor(seed: number): SoakPlan {
	const rnd = seededRandom(seed * 2654435761);
	const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
	const dialect = seed % 2 === 0 ? "sim7080" : "bg95";
	const faults: Fault[] = [];
	const n = 2 + Math.floor(rnd() * 6);
	for (let i = 0; i < n; i++) {
		// From the gesture to past the close (240 s): faults land in the alert, the streaming, the close and the power-down.
		const atMs = Math.round(1_500 + rnd() * 270_000);
		// `undefined` command: whatever command the firmware sends next.
		const anyCommand = (): { command?: string } => (rnd() < 0.25 ? {} : { command: pick(COMMANDS[dialect]) });
		const kind = pick(["reset", "resetInReply", "networkLoss", "pdpLoss", "closedUnderRead", "cme", "timeout", "cme", "timeout"] as const);
		if (kind === "reset") faults.push({ kind, atMs });
		else if (kind === "resetInReply") faults.push({ kind: "reset", atMs, onCommand: pick(DATA_COMMANDS[dialect]), atByte: 1 + Math.floor(rnd() * 40) });
		else if (kind === "networkLoss") faults.push({ kind, atMs, durationMs: Math.round(3_000 + rnd() * 60_000) });
		else if (kind === "pdpLoss") faults.push({ kind, atMs });
		else if (kind === "closedUnderRead") faults.push({ kind: "socketClosed", atMs, onCommand: READ_COMMAND[dialect] });
		else if (kind === "cme") faults.push({ kind, atMs, ...anyCommand(), code: pick([3, 4, 50, 100]), count: 1 + Math.floor(rnd() * 2) });
		else faults.push({ kind, atMs, ...anyCommand(), count: 1 });
	}
	// Decided by the seed alone, not by `rnd`: the older seeds keep their fault plans.
	const refuseBeforeReady = dialect === "bg95" && seed % 4 === 1;
	return { seed, dialect, maxChunk: rnd() < 0.3 ? 1 : 64, urcNoise: pick([0, 0.05, 0.1, 0.3]), refuseBeforeReady, faults, closeAtMs: 240_000, closeBy: seed % 3 === 0 ? "device" : "user" };
}

export async function soakSeed(seed: number, options: { keepLog?: boolean } = {}): Promise<SoakResult> {
	const plan = planFor(seed);
	const log: string[] = [];
	const record = (source: string, line: string) => {
		if (options.keepLog) log.push(`${(world ? world.clock.now() / 1000 : 0).toFixed(3).padStart(10)} ${source.padEnd(8)} ${line}`);
	};
	let world: World | undefined;
	world = await World.create({
		time: "manual", dialect: plan.dialect, faults: plan.faults, platformDb: ":memory:",
		modem: { seed, maxChunk: plan.maxChunk, urcNoise: plan.urcNoise, refuseBeforeReady: plan.refuseBeforeReady },
		log: record, ...(options.keepLog ? { transcript: (line: string) => record("at", line) } : {}),
	});
	const w = world;
	const problems: string[] = [];
	let points = 0;
	let tally: PointTally = { captured: 0, restored: 0, delivered: 0, dropped: 0 };
	try {
		w.press();
		// A command that never answers costs its manual's maximum response time (AT+QIACT 150 s, AT+CAOPEN 60 s)
		// before the firmware moves on, so the alert gets 10 min; then at least 90 s of streaming before the close.
		const accepted = await w.runUntil(() => w.events().length > 0, 600_000);
		if (!accepted) problems.push("alert not accepted within 600 s");
		const closeAt = Math.max(plan.closeAtMs, w.clock.now() + 90_000);
		if (closeAt > w.clock.now()) await w.run(closeAt - w.clock.now());
		if (plan.closeBy === "device") w.press([[0, 5_500]]); // a 5 s hold cancels the event from the device
		else if (!w.closeEventByUser() && w.events().every((e) => e.state === "open")) problems.push("no event to close");
		const dormant = await w.runUntil(() => (w.asleep || w.state === "dormant") && w.emulator.power === "off", 900_000, 5_000);
		if (!dormant) problems.push(`not dormant 15 min after the close (state ${w.state}, modem ${w.emulator.power})`);
		const store = w.platform.platform.store;
		for (const e of w.events()) points += store.pointCount(e.id);
		if (accepted && points === 0) problems.push("no location point delivered");
		// Every captured point delivered or counted as dropped; the platform holds no point twice (UNIQUE (event, s))
		// and none the firmware did not capture or restore.
		tally = w.pointTally();
		const owed = tally.captured + tally.restored;
		if (owed !== points + tally.dropped)
			problems.push(`points: captured ${tally.captured} + restored ${tally.restored} != stored ${points} + dropped ${tally.dropped} (firmware counted ${tally.delivered} delivered)`);
		// The firmware's own books balance too: nothing left pending, and what it counts as delivered is what the platform holds.
		if (owed !== tally.delivered + tally.dropped || tally.delivered !== points)
			problems.push(`firmware tally: captured ${tally.captured} + restored ${tally.restored}, delivered ${tally.delivered} (platform ${points}), dropped ${tally.dropped}`);
		if (w.events().some((e) => e.state === "open")) problems.push("an event is still open");
	} catch (e) {
		problems.push(`threw: ${(e as Error).stack ?? e}`);
	} finally {
		await w.close();
	}
	return { seed, pass: problems.length === 0, problems, plan, points, tally, simulatedMs: w.clock.now(), log };
}

async function main(argv: string[]): Promise<number> {
	const arg = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
	const one = arg("--seed");
	const first = Number(arg("--from") ?? 1);
	const seeds = one !== undefined ? [Number(one)] : Array.from({ length: Number(arg("--seeds") ?? 200) }, (_, i) => first + i);
	if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
		console.error("usage: npm run soak [-- --seeds N [--from FIRST] | --seed N]");
		return 2;
	}
	let failed = 0;
	for (const seed of seeds) {
		const r = await soakSeed(seed, { keepLog: one !== undefined });
		if (one !== undefined) {
			if (!r.pass) console.log(r.log.join("\n"));
			console.log(JSON.stringify(r.plan, null, 1));
		}
		if (!r.pass) {
			failed++;
			console.log(`FAIL seed ${seed} (${r.plan.dialect}${r.plan.refuseBeforeReady ? " refusing commands before APP RDY" : ""}, ${r.plan.faults.map((f) => f.kind).join(", ")}): ${r.problems.join("; ")}  -> replay: npm run soak -- --seed ${seed}`);
		} else if (seeds.length <= 20 || seed % 20 === 0) console.log(`ok   seed ${seed} (${r.plan.dialect}, ${r.points} points delivered of ${r.tally.captured} captured, ${r.tally.dropped} dropped, ${Math.round(r.simulatedMs / 1000)} s simulated)`);
	}
	console.log(`${seeds.length - failed}/${seeds.length} seeds passed`);
	return failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2)).then((code) => process.exit(code));
