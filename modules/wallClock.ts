import type { Clock } from "hal/clock";

/**
 * Wall time as far as the device knows it. The ESP32 has no battery-backed clock worth trusting after deep sleep,
 * so UTC comes only from the network (NITZ through the modem: AT+CCLK? / AT+QLTS) or from the `time` of an
 * authenticated platform response, and is kept as an offset from the monotonic clock. Until then `now()` is
 * undefined and requests carry no `created` (docs/protocol.md §4): never a guess.
 *
 * Network time is unauthenticated (NITZ is not protected on the air, and a modem may keep a stale RTC), so it never
 * blocks anything: when the platform refuses a request for its `created` (docs/protocol.md §4 step 5), `distrust()`
 * drops the network's time for the rest of this boot and requests go out without `created` until an authenticated
 * platform response gives the time. Platform time is always taken.
 */
export default class WallClock {
	#clock: Clock;
	#offset: number | undefined;
	#source: "network" | "platform" | undefined;
	#networkDistrusted = false;

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

	/** True once the platform refused the network's time in this boot: network time is ignored from then on. */
	get networkDistrusted(): boolean {
		return this.#networkDistrusted;
	}

	/**
	 * Records `utcMs` as the time at this instant. Values before 2020 are refused (an unset modem RTC says 1980), and
	 * network time is refused after `distrust()`.
	 */
	set(utcMs: number, source: "network" | "platform"): boolean {
		if (!Number.isFinite(utcMs) || utcMs < Date.UTC(2020, 0, 1)) return false;
		if (source === "network" && this.#networkDistrusted) return false;
		this.#offset = utcMs - this.#clock.now();
		this.#source = source;
		return true;
	}

	/**
	 * The platform refused a `created` taken from this clock. Network time is ignored for the rest of this boot; the
	 * time is forgotten (requests carry no `created`) unless it came from the platform, and then too when `all`.
	 */
	distrust(all = false): void {
		this.#networkDistrusted = true;
		if (this.#source === "network" || all) {
			this.#offset = undefined;
			this.#source = undefined;
		}
	}
}
