import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle } from "hal/clock";

interface Handle {
	timer: Timer | undefined;
}

/**
 * Clock over Moddable's `Timer` (one-shot `Timer.set`) and `Time.ticks` (milliseconds since boot, monotonic,
 * unaffected by `Time.set`). Callbacks run on the XS event loop, never re-entrantly.
 */
export default class TimerClock implements Clock {
	#start: number;

	constructor() {
		this.#start = Time.ticks;
	}

	now(): number {
		return Time.delta(this.#start);
	}

	set(callback: () => void, ms: number): TimerHandle {
		if (!(ms >= 0)) ms = 0;
		const handle: Handle = { timer: undefined };
		handle.timer = Timer.set(() => {
			// A fired one-shot timer is released by Moddable; forget it so clear() does not touch it.
			handle.timer = undefined;
			callback();
		}, ms);
		return handle;
	}

	clear(handle: TimerHandle | undefined): void {
		const h = handle as Handle | undefined;
		if (!h?.timer) return;
		Timer.clear(h.timer);
		h.timer = undefined;
	}
}
