/**
 * `npm run bench`: the product's figures, deterministic (simulated time, byte counts, instruction counts), except
 * the provisioning rate, which is wall time by nature and labelled so.
 *
 *   TSX_TSCONFIG_PATH=tsconfig.tools.json node --import tsx tools/bench/index.ts [--json] [--out <file>] [--write]
 *
 * Writes .cache/bench/results.json (or --out; --write updates the committed bench/results.json, the figures the
 * README and docs/benchmarks.md quote) and prints a short table, or the JSON itself with --json. A plain run never
 * dirties the work tree. Exits 1 when a
 * figure that must hold does not (the 30-day dormant soak: no wake, no byte, no radio-on second) or a run fails.
 * docs/benchmarks.md explains every figure and its method.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { messageSizes } from "modules/protocol/sizes";
import { repoRoot } from "../../tests/xs/xsnap";
import { batteryImpact, currents, energy, lteTxBitsPerSecond, typicalBattery, withoutLightSleep, type PowerState } from "./energy";
import { provisioningFigures, provisioningLines, type ProvisioningFigures } from "./provisioning";
import { eventRun, falseStartRun, soakRun, type Dialect, type EventRun } from "./worldRuns";
import { xsMemory, xsMeter, xsProfile } from "./xsBench";
import { median, type Exchange, type ExchangeKind } from "./stages";

const { values } = parseArgs({ options: { json: { type: "boolean" }, out: { type: "string" }, write: { type: "boolean" } } });
const outFile = resolve(values.out ?? (values.write ? join(repoRoot, "bench", "results.json") : join(repoRoot, ".cache", "bench", "results.json")));
const wallStart = performance.now();
const progress = (line: string) => { if (!values.json) process.stderr.write(`bench: ${line}\n`); };

const dialects: readonly Dialect[] = ["sim7080", "bg95"];
const profileNames = ["good", "poor", "roaming"] as const;
/** Streaming time of the "typical event" the energy figure is for: alert, 10 minutes of locations, user closes. */
const streamMs = 10 * 60_000;

function bytesOf(runs: EventRun[], kind: ExchangeKind) {
	const all: Exchange[] = runs.flatMap((r) => r.exchanges.filter((e) => e.kind === kind));
	const pick = (f: (e: Exchange) => number) => ({ median: median(all.map(f)), min: Math.min(...all.map(f)), max: Math.max(...all.map(f)) });
	return {
		samples: all.length,
		appRequest: pick((e) => e.appSent),
		appResponse: pick((e) => e.appReceived),
		appTotal: pick((e) => e.appSent + e.appReceived),
		tlsHandshakeSent: pick((e) => e.handshakeSent),
		tlsHandshakeReceived: pick((e) => e.handshakeReceived),
		/** Application records only: wire minus handshake (TLS record headers, AEAD tags, close_notify, tickets). */
		tlsRecordsSent: pick((e) => e.wireSent - e.handshakeSent),
		tlsRecordsReceived: pick((e) => e.wireReceived - e.handshakeReceived),
		wireTotal: pick((e) => e.wireSent + e.wireReceived),
	};
}

async function main(): Promise<number> {
	const failures: string[] = [];

	// 1, 2 and 5: one event per dialect and profile, in simulated time.
	const runs: EventRun[] = [];
	for (const dialect of dialects) {
		for (const profile of profileNames) {
			progress(`event ${dialect}/${profile}`);
			try {
				runs.push(await eventRun({ dialect, profile, streamMs }));
			} catch (error) {
				failures.push(`event ${dialect}/${profile}: ${(error as Error).message}`);
			}
		}
	}
	for (const r of runs) if (!r.endedAsleep) failures.push(`event ${r.dialect}/${r.profile}: device not asleep after the event`);

	const latency = runs.map((r) => ({
		dialect: r.dialect,
		profile: r.profile,
		stagesMs: r.stages,
		storedStages: r.storedStages,
		wakeOverlappedMs: r.wakeMs,
		platformAcceptedMs: r.platformAcceptedMs,
		firmwareAddedMs: r.firmware,
		modemAndNetworkMs: r.stages.total - r.firmware.total,
	}));

	// Item: wire bytes per location point over the whole event: every location request's TCP wire bytes (handshake,
	// records, both directions) divided by the points the platform stored for the event.
	const perPoint = runs.map((r) => {
		const loc = r.exchanges.filter((e) => e.kind === "location");
		const wire = loc.reduce((n, e) => n + e.wireSent + e.wireReceived, 0);
		return {
			dialect: r.dialect, profile: r.profile, locationRequests: loc.length, pointsStored: r.pointsStored,
			locationWireBytes: wire, wireBytesPerPoint: r.pointsStored ? Math.round(wire / r.pointsStored) : 0,
			eventWireBytes: r.wireSent + r.wireReceived, tlsHandshakes: r.tlsHandshakes, tlsResumed: r.tlsResumed,
		};
	});
	const sizes = messageSizes();
	const bytes = {
		alert: bytesOf(runs, "alert"),
		locationUpdate: bytesOf(runs, "location"),
		perPoint,
		/** modules/protocol/sizes messageSizes(): representative encodings, independent of a run. */
		messageSizes: sizes,
	};

	// 3: XS.
	progress("XS meter and heap");
	let xs: Record<string, unknown> = {};
	try {
		const [meter, memory, profile] = [await xsMeter(), await xsMemory(), await xsProfile()];
		xs = { meter, memory, profile };
	} catch (error) {
		failures.push(`XS: ${(error as Error).message}`);
	}

	// 4: the soak.
	progress("30-day dormant soak");
	const soak = await soakRun(30);
	if (!soak.ok) failures.push(`dormant soak: ${JSON.stringify(soak)}`);

	// 5: energy per event.
	const perEvent = runs.map((r) => {
		const e = energy(r.durationsMs, r.wireSent);
		const awake = energy(withoutLightSleep(r.durationsMs), r.wireSent);
		const impact = batteryImpact(e.mAh);
		const seconds: Partial<Record<PowerState, number>> = {};
		for (const [k, v] of Object.entries(e.durationsMs)) seconds[k as PowerState] = Math.round(v) / 1000;
		return {
			dialect: r.dialect, profile: r.profile, eventSeconds: r.eventMs / 1000, locationsDelivered: r.locationsDelivered,
			stateSeconds: seconds, mAhByState: e.mAhByState, mAh: e.mAh, dormantDaysPerEvent: impact.daysPerEvent,
			/** Wakes out of light sleep (energy.lightSleepWakes), billed 20 ms awake each in stateSeconds. */
			lightSleepWakes: r.lightSleepWakes,
			/** The same event with the chip awake throughout (energy.withoutLightSleep): what light sleep saves. */
			withoutLightSleep: { mAhByState: awake.mAhByState, mAh: awake.mAh },
		};
	});
	const impact = batteryImpact(1);
	const energyFigures = {
		event: `triple press, alert, ${streamMs / 60_000} simulated minutes of streaming, the user closes the event, the device sleeps again`,
		currents, lteTxBitsPerSecond, battery: typicalBattery,
		dormantDays: impact.dormantDays,
		perEvent,
	};

	// 5b: what a false start costs: the gesture's first press boots the modem (RF off), the false start powers it down.
	progress("false starts");
	const falseStarts: Array<Record<string, unknown>> = [];
	for (const dialect of dialects) {
		try {
			const r = await falseStartRun(dialect);
			const e = energy(r.durationsMs, 0);
			if (r.wireBytes !== 0 || r.radioOnMs !== 0 || r.eventsOpened !== 0) failures.push(`false start ${dialect}: ${JSON.stringify(r)}`);
			const seconds: Partial<Record<PowerState, number>> = {};
			for (const [k, v] of Object.entries(e.durationsMs)) seconds[k as PowerState] = Math.round(v) / 1000;
			falseStarts.push({
				dialect, presses: r.presses, awakeSeconds: r.awakeMs / 1000, modemOnSeconds: r.modemOnMs / 1000,
				radioOnSeconds: r.radioOnMs / 1000, wireBytes: r.wireBytes, stateSeconds: seconds, mAhByState: e.mAhByState,
				mAh: e.mAh, dormantHoursPerFalseStart: batteryImpact(e.mAh).daysPerEvent * 24,
			});
		} catch (error) {
			failures.push(`false start ${dialect}: ${(error as Error).message}`);
		}
	}
	const energyWithFalseStarts = { ...energyFigures, falseStarts };

	// 6: provisioning, wall time (tools/bench/provisioning.ts).
	let provisioning: ProvisioningFigures | Record<string, never> = {};
	try {
		provisioning = await provisioningFigures(repoRoot, progress);
	} catch (error) {
		failures.push((error as Error).message);
	}

	const results = {
		command: "npm run bench",
		note: "Simulated-time, byte and instruction figures are deterministic (TLS handshakes vary by a few bytes: ECDSA signature lengths); provisioning is wall time.",
		latencyMethod: "World (tools/sim/world.ts) in simulated time with the modem emulator's latency profile; third press (button down) to the alertAcknowledged transition, split at the platform's stored stage timestamps (ms after the trigger) and the open-event request's payload line in the AT transcript.",
		firmwareMethod: "From the AT transcript: recogniser (third press to decision) + decision to PWRKEY press (probing a modem that is off) + every gap between a modem line and the firmware's next command (guard gaps, parsing, reacting to a URC, poll slack), except gaps before a poll that got the same answer again (an answer ends at its final result code; URCs after it are not part of it). The rest is modem and network latency. Not counted: a wait the firmware chooses on a modem line (e.g. a boot marker) ends with that line, so its length counts as the modem's.",
		latency,
		bytes,
		xs,
		soak,
		energy: energyWithFalseStarts,
		provisioning,
		failures,
		runSeconds: Math.round((performance.now() - wallStart) / 100) / 10,
	};
	mkdirSync(dirname(outFile), { recursive: true });
	writeFileSync(outFile, JSON.stringify(results, null, 2) + "\n");
	if (values.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
	else printTable(results as unknown as Parameters<typeof printTable>[0]);
	return failures.length ? 1 : 0;
}

function printTable(r: {
	latency: Array<{ dialect: string; profile: string; stagesMs: Record<string, number>; firmwareAddedMs: { total: number; recogniser: number } }>;
	bytes: { alert: ReturnType<typeof bytesOf>; locationUpdate: ReturnType<typeof bytesOf>; perPoint: Array<{ dialect: string; profile: string; wireBytesPerPoint: number; pointsStored: number; locationRequests: number; tlsHandshakes: number; tlsResumed: number }> };
	xs: { meter?: { perUpdate: number; perUpdateWithoutHmac: number }; memory?: { code: number; state: number; withUpdate: { total: number } } };
	soak: { days: number; wakes: number; wireBytes: number; radioOnSeconds: number; ok: boolean };
	energy: {
		dormantDays: number;
		perEvent: Array<{ dialect: string; profile: string; mAh: number; dormantDaysPerEvent: number; eventSeconds: number; stateSeconds: Partial<Record<PowerState, number>>; withoutLightSleep: { mAh: number } }>;
		falseStarts?: Array<{ dialect: string; mAh: number; awakeSeconds: number; modemOnSeconds: number; radioOnSeconds: number; wireBytes: number; dormantHoursPerFalseStart: number }>;
	};
	provisioning: ProvisioningFigures | Record<string, never>;
	failures: string[];
	runSeconds: number;
}): void {
	const w = (s: string) => process.stdout.write(s + "\n");
	const s = (ms: number) => (ms / 1000).toFixed(2);
	w("Third press -> accepted alert, simulated seconds");
	// "firmware" includes the recogniser; "fw-own" is the rest of it (issue 11's target: <= 0.1 s on every profile).
	w("dialect  profile   recog  modem  attach   tls  send   ack   total  firmware  fw-own");
	for (const l of r.latency) {
		const st = l.stagesMs;
		w(`${l.dialect.padEnd(8)} ${l.profile.padEnd(8)} ${s(st.recognise!).padStart(6)} ${s(st.modemBoot!).padStart(6)} ${s(st.attach!).padStart(7)} ${s(st.tls!).padStart(5)} ${s(st.send!).padStart(5)} ${s(st.acknowledge!).padStart(5)} ${s(st.total!).padStart(7)} ${s(l.firmwareAddedMs.total).padStart(9)} ${(l.firmwareAddedMs.total - l.firmwareAddedMs.recogniser).toFixed(0).padStart(5)} ms`);
	}
	const b = (x: ReturnType<typeof bytesOf>) => `HTTP ${x.appRequest.median}+${x.appResponse.median} B; TLS wire ${x.wireTotal.median} B (handshake ${x.tlsHandshakeSent.median}+${x.tlsHandshakeReceived.median}, records ${x.tlsRecordsSent.median}+${x.tlsRecordsReceived.median})`;
	w("");
	w(`Bytes per alert:           ${b(r.bytes.alert)}`);
	w(`Bytes per location update: ${b(r.bytes.locationUpdate)}`);
	w(`Wire bytes per location point over the event (target <= 800 on good): ` + r.bytes.perPoint.map((p) => `${p.dialect}/${p.profile} ${p.wireBytesPerPoint} (${p.pointsStored} points in ${p.locationRequests} requests; TLS ${p.tlsResumed}/${p.tlsHandshakes} resumed)`).join(", "));
	if (r.xs.meter && r.xs.memory) {
		w(`XS per signed update:      ${r.xs.meter.perUpdate} instructions (${r.xs.meter.perUpdateWithoutHmac} without the TS HMAC the device does in hardware)`);
		w(`XS per signed update, without the TS HMAC: ${r.xs.meter.perUpdateWithoutHmac} (target <= 250000)`);
		w(`XS heap after GC:          signing code ${r.xs.memory.code} B, state of one signer + update ${r.xs.memory.state} B (64-bit xsnap snapshot)`);
	}
	w(`Dormant soak ${r.soak.days} days:     wakes ${r.soak.wakes}, bytes ${r.soak.wireBytes}, radio-on ${r.soak.radioOnSeconds} s -> ${r.soak.ok ? "OK" : "FAIL"}`);
	w(`Energy per event (~${Math.round(r.energy.perEvent[0]?.eventSeconds ?? 0)} s; firmware with light sleep; target <= 6 mAh on good): ` + r.energy.perEvent.map((e) => `${e.dialect}/${e.profile} ${e.mAh.toFixed(1)} mAh (${e.dormantDaysPerEvent.toFixed(1)} d; MCU awake ${Math.round(e.stateSeconds.mcuActive ?? 0)} s, LTE connected ${Math.round((e.stateSeconds.lteConnected ?? 0) + (e.stateSeconds.lteTx ?? 0))} s)`).join(", "));
	for (const f of r.energy.falseStarts ?? [])
		w(`False start ${f.dialect.padEnd(7)}:      ${f.mAh.toFixed(3)} mAh (awake ${f.awakeSeconds.toFixed(1)} s, modem on ${f.modemOnSeconds.toFixed(1)} s, radio on ${f.radioOnSeconds} s, ${f.wireBytes} bytes; ${f.dormantHoursPerFalseStart.toFixed(1)} h of dormancy)`);
	w(`Energy per event with the chip kept awake (no light sleep), for comparison: ` + r.energy.perEvent.map((e) => `${e.dialect}/${e.profile} ${e.withoutLightSleep.mAh.toFixed(1)} mAh`).join(", "));
	w(`Dormant battery life:      ${Math.round(r.energy.dormantDays)} days (18650, 3000 mAh, 80 % usable, 128 µA board)`);
	for (const line of provisioningLines(r.provisioning)) w(line);
	if (r.failures.length) { w(""); for (const f of r.failures) w(`FAIL ${f}`); }
	w(`(bench took ${r.runSeconds} s wall; results in ${outFile})`);
}

main().then((code) => { process.exitCode = code; }, (error) => {
	process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
	process.exitCode = 1;
});
