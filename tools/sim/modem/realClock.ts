/** A hal/clock Clock on real time, for the pty mode and the CLI (tests use hal/sim/manualClock instead). */
import type { Clock, TimerHandle } from "hal/clock";

export function realClock(): Clock {
	const t0 = performance.now();
	return Object.freeze({
		now: () => Math.floor(performance.now() - t0),
		set: (callback: () => void, ms: number): TimerHandle => setTimeout(callback, Math.max(0, ms)),
		clear: (handle: TimerHandle | undefined) => { if (handle) clearTimeout(handle as ReturnType<typeof setTimeout>); },
	});
}
