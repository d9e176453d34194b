/**
 * Drives a RadioSchedule through simulated time, the way the SOS runner will: ask for a window, "run" it against
 * a scripted world (time to fix, send outcomes), report the outcome, repeat. Pure: no clock, no timers.
 */
import type { Fix } from "drivers/gnss/fix";
import type RadioSchedule from "modules/radioSchedule";
import type { RadioWindow } from "modules/radioSchedule";

export interface World {
	/** Time to first fix for a GNSS window starting at `t`, or undefined for no fix (timeout). */
	ttff(t: number, window: { warm: boolean; timeoutMs: number }): number | undefined;
	/** Where the device is at `t` (clock ms since the event's start clock 0). */
	position(t: number): { lat: number; lon: number; speed?: number };
	/** Whether a send at `t` gets through. */
	sendOk(t: number, window: RadioWindow): boolean;
	/** Milliseconds an LTE send takes. */
	sendMs?: number;
}

export interface Entry {
	readonly at: number;
	readonly window: RadioWindow;
	readonly outcome?: "fix" | "timeout" | "sent" | "failed";
}

/** Wall time of clock 0 (so Fix.time is plausible). */
export const EPOCH = Date.UTC(2026, 10, 22, 4, 0, 0);

export function fixAt(t: number, p: { lat: number; lon: number; speed?: number }): Fix {
	return {
		time: EPOCH + t, lat: p.lat, lon: p.lon, accuracy: 5, satellites: 8, quality: "3d", source: "gnss",
		...(p.speed !== undefined ? { speed: p.speed } : {}),
	};
}

/** Runs until `endMs`, returns every window handed out (waits included). */
export function simulate(s: RadioSchedule, world: World, endMs: number, start = 0): Entry[] {
	const log: Entry[] = [];
	let t = start;
	s.start(t);
	let guard = 0;
	while (t < endMs) {
		if (++guard > 100_000) throw new Error("runaway");
		const w = s.next(t);
		if (w.kind === "wait") {
			log.push({ at: t, window: w });
			if (w.until <= t) throw new Error(`wait that does not advance at ${t}`);
			t = w.until;
			continue;
		}
		if (w.kind === "gnss") {
			const ttff = world.ttff(t, w);
			if (ttff !== undefined && ttff <= w.timeoutMs) {
				t += ttff;
				s.onFix(fixAt(t, world.position(t)));
				log.push({ at: t - ttff, window: w, outcome: "fix" });
			} else {
				log.push({ at: t, window: w, outcome: "timeout" });
				t += w.timeoutMs;
				s.onFixTimeout();
			}
			continue;
		}
		const ok = world.sendOk(t, w);
		log.push({ at: t, window: w, outcome: ok ? "sent" : "failed" });
		t += world.sendMs ?? 3_000;
		s.onSent(ok);
	}
	return log;
}

/** A world with a good sky: cold TTFF 40 s, hot 5 s; every send succeeds; standing still. */
export function goodWorld(overrides: Partial<World> = {}): World {
	return {
		ttff: (_t, w) => (w.warm ? 5_000 : 40_000),
		position: () => ({ lat: 59.437, lon: 24.7536, speed: 0 }),
		sendOk: () => true,
		...overrides,
	};
}

export function gnssStarts(log: readonly Entry[]): number[] {
	return log.filter((e) => e.window.kind === "gnss").map((e) => e.at);
}

export function diffs(xs: readonly number[]): number[] {
	const out: number[] = [];
	for (let i = 1; i < xs.length; i++) out.push(xs[i] - xs[i - 1]);
	return out;
}

export function kinds(log: readonly Entry[]): string[] {
	return log.map((e) => (e.window.kind === "lte" ? `lte:${e.window.payload}` : e.window.kind));
}
