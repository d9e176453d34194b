/**
 * Moddable `timer` (modules/base/timer) over the host's virtual clock. Same surface: `set(callback, delay, repeat)`,
 * `repeat(callback, interval)`, `schedule(timer, delay, repeat)` (one argument unschedules), `clear(timer)`,
 * `delay(ms)`; callbacks receive the timer. As in modTimer.c, `clear` ignores a non-object and throws
 * "invalid timer" for a timer that is already cleared or a one-shot that already fired (its host data is gone).
 * `delay` throws: firmware must never block (CONVENTIONS 4).
 */
import { cancel, isScheduled, reschedule, schedule, type HostTimer } from "./host";

const handles = new WeakMap<object, HostTimer>();

function timerOf(timer: unknown): HostTimer {
	const host = typeof timer === "object" && timer !== null ? handles.get(timer) : undefined;
	if (!host) throw new Error("invalid timer");
	return host;
}

function create(callback: (timer: object) => void, delay: number, repeat: number): object {
	if (typeof callback !== "function") throw new TypeError("callback is not a function");
	const self = Object.freeze({});
	const host: HostTimer = schedule(
		() => {
			try {
				callback(self);
			} finally {
				if (!isScheduled(host)) handles.delete(self);
			}
		},
		delay,
		repeat,
	);
	handles.set(self, host);
	return self;
}

export default class Timer {
	private constructor() {}

	static set(callback: (timer: object) => void, delay = 0, repeat = 0): object {
		return create(callback, delay, repeat);
	}

	static repeat(callback: (timer: object) => void, interval: number): object {
		return create(callback, interval, interval);
	}

	static schedule(timer: object, delay?: number, repeat = 0): void {
		const host = timerOf(timer);
		if (delay === undefined) cancel(host);
		else reschedule(host, delay, repeat);
	}

	static clear(timer: object | undefined | null): void {
		if (typeof timer !== "object" || timer === null) return;
		cancel(timerOf(timer));
		handles.delete(timer);
	}

	static delay(_ms: number): never {
		throw new Error("Timer.delay blocks the event loop: firmware must not call it");
	}
}
