import ManualClock from "hal/sim/manualClock";
import MemoryStore from "hal/sim/memoryStore";
import type { StoredValue } from "hal/store";
import type { IndicatorPattern } from "hal/indicator";
import type { Fix } from "drivers/gnss/fix";
import Journal from "modules/journal";
import SosRunner from "modules/sos/runner";
import type { CloseReason, SosConfig } from "modules/sos/messages";
import type { PlatformReply, StepResult, FixResult } from "modules/sos/ports";

/** Scripted ports with latencies in simulated time, as the modem and platform would behave. */
export interface Script {
	wakeMs: number;
	wakeResults: StepResult[];          // consumed in order; last one repeats
	fixMs: number;
	fixResults: FixResult[];
	sendMs: number;
	openReplies: PlatformReply[];
	locationReplies: PlatformReply[];
	closeReplies: PlatformReply[];
}

export const sampleFix: Fix = Object.freeze({
	time: Date.UTC(2026, 10, 22, 10, 0, 0), lat: 52.52, lon: 13.405, accuracy: 8, satellites: 9, quality: "3d", source: "gnss",
});

export function defaultScript(): Script {
	return {
		wakeMs: 8000,
		wakeResults: [{ ok: true }],
		fixMs: 20_000,
		fixResults: [{ ok: true, fix: sampleFix }],
		sendMs: 1500,
		openReplies: [{ ok: true, state: "open", intervalMs: 60_000 }],
		locationReplies: [{ ok: true, state: "open", intervalMs: 60_000 }],
		closeReplies: [{ ok: true, state: "closed" }],
	};
}

const take = <T>(list: T[]): T => (list.length > 1 ? list.shift()! : list[0]!);

export function createDevice(options: { script?: Partial<Script>; backing?: Map<string, Map<string, StoredValue>>; clock?: ManualClock; config?: Partial<SosConfig> } = {}) {
	const clock = options.clock ?? new ManualClock();
	const script: Script = { ...defaultScript(), ...options.script };
	const backing = options.backing ?? new Map();
	const store = new MemoryStore("enigm", backing);
	const journal = new Journal(store);
	const log: string[] = [];
	const patterns: IndicatorPattern[] = [];
	const calls: string[] = [];
	const sent: Array<{ fix?: Fix }> = [];
	/** PlatformPort.eventEnded calls: the event id and how many sleeps had happened by then. */
	const ended: Array<{ eventId: string; sleepsBefore: number }> = [];
	let sleeps = 0;
	let radioOn = false;
	let counter = 0;
	const later = <T>(ms: number, value: () => T) => new Promise<T>((resolve) => clock.set(() => resolve(value()), ms));
	const runner = new SosRunner({
		clock,
		entropy: { fill: (bytes) => { for (let i = 0; i < bytes.length; i++) bytes[i] = (counter * 31 + i * 7 + 1) & 0xff; counter++; return bytes; } },
		indicator: { show: (p) => patterns.push(p) },
		journal,
		radio: {
			prepare: () => { calls.push("prepare"); return later(script.wakeMs / 2, () => ({ ok: true as const })); },
			wake: () => { calls.push("wake"); return later(script.wakeMs, () => { const r = take(script.wakeResults); radioOn = r.ok; return r; }); },
			powerDown: () => { calls.push("powerDown"); return later(2000, () => { radioOn = false; }); },
		},
		gnss: { acquire: () => { calls.push("gnss"); return later(script.fixMs, () => take(script.fixResults)); } },
		platform: {
			openEvent: (id: string, resumed: boolean, test?: boolean) => { calls.push(`open ${test ? "test" : resumed ? "resumed" : "new"}`); return later(script.sendMs, () => take(script.openReplies)); },
			sendLocation: (_id: string, fix?: Fix) => { calls.push(fix ? "location" : "cell"); sent.push(fix ? { fix } : {}); return later(script.sendMs, () => take(script.locationReplies)); },
			closeEvent: (_id: string, reason: CloseReason) => { calls.push(`close ${reason}`); return later(script.sendMs, () => take(script.closeReplies)); },
			eventEnded: (eventId: string) => { ended.push({ eventId, sleepsBefore: sleeps }); },
		},
		sleep: () => { sleeps++; },
		log: (line) => log.push(line),
		config: options.config,
	});
	return {
		clock, store, backing, journal, runner, log, patterns, calls, sent, script, ended,
		get sleeps() { return sleeps; },
		get radioOn() { return radioOn; },
	};
}
