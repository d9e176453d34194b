import type { Clock } from "hal/clock";

/**
 * Wall time as far as the device knows it. The ESP32 has no battery-backed clock worth trusting after deep sleep,
 * so UTC comes only from the network (NITZ through the modem: AT+CCLK? / AT+QLTS) or from the `time` of an
 * authenticated platform response, and is kept as an offset from the monotonic clock. Until then `now()` is
 * undefined and requests carry no `created` (docs/protocol.md §4): never a guess.
 */
export default class WallClock {
	#clock: Clock;
	#offset: number | undefined;
	#source: "network" | "platform" | undefined;

	constructor(clock: Clock) {
		this.#clock = clock;
	}

	/** Unix milliseconds, or undefined while the time is unknown. */
	now(): number | undefined {
		return this.#offset === undefined ? undefined : this.#clock.now() + this.#offset;
	}

	get source(): "network" | "platform" | undefined {
		return this.#source;
	}

	/** Records `utcMs` as the time at this instant. Values before 2020 are refused (an unset modem RTC says 1980). */
	set(utcMs: number, source: "network" | "platform"): boolean {
		if (!Number.isFinite(utcMs) || utcMs < Date.UTC(2020, 0, 1)) return false;
		this.#offset = utcMs - this.#clock.now();
		this.#source = source;
		return true;
	}
}
