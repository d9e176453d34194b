/**
 * The activation gesture as a pure state machine fed by timestamps: no timers, no IO. The driver
 * (drivers/button/triplePress) feeds raw edges and calls `advance` at `nextDeadline()`; tests feed recorded
 * edge sequences. The same corpus therefore runs in Node, in XS and on the device.
 *
 * A run of three or more deliberate presses activates, exactly once, at the third release. Rules, in the order
 * they apply (README "The activation gesture" gives the reasons and the trade-off):
 * 1. Debounce: a raw level counts only after it has been stable for `debounceMs`. Mechanical tact switches
 *    bounce for up to ~20 ms (e.g. ALPS SKQG series datasheet, "bounce: 5 ms max"; generic tact switches up to
 *    20 ms), so 30 ms of stability never lets bounce count as a press.
 * 2. A press shorter than `minPressMs` is chatter (a key in a pocket brushing the button); it spoils the sequence.
 * 3. A press held longer than `maxPressMs` is a hold, not a press; it spoils the sequence.
 * 4. The gap between a release and the next press is at most `maxGapMs`; a longer silence ends the attempt.
 * 5. The first press down to the third release takes at most `maxSequenceMs`.
 * 6. The third deliberate release activates at once (`triple`): nothing waits for a quiet window, so the modem's
 *    radio can come on while the hand is still pressing. Presses four, five and any more in the same run are
 *    absorbed: counted and reported, never a second activation and never a rejection (a person in panic does not
 *    stop at three; phones take five). The run ends once the button has been released and quiet for `quietMs`.
 * After a spoiled sequence nothing counts until the button has been released and quiet for `quietMs`.
 *
 * Separately, a continuous hold of `holdMs` (default 5 s) is reported once as `hold`: the device-side gesture that
 * cancels an event in progress. Five seconds is far beyond any press of the gesture, so neither gesture can be
 * mistaken for the other.
 */
export interface PressTiming {
	debounceMs: number;
	minPressMs: number;
	maxPressMs: number;
	maxGapMs: number;
	maxSequenceMs: number;
	quietMs: number;
	holdMs: number;
}

export const defaultPressTiming: Readonly<PressTiming> = Object.freeze({
	debounceMs: 30,
	minPressMs: 40,
	maxPressMs: 1200,
	maxGapMs: 1000,
	maxSequenceMs: 4000,
	quietMs: 800,
	holdMs: 5000,
});

export type RejectReason =
	| "too-short"    // a press under minPressMs: chatter
	| "long-press"   // a press held past maxPressMs
	| "incomplete"   // fewer than three presses, then silence (a false start)
	| "too-slow";    // three presses, but not within maxSequenceMs

export type PressOutput =
	/** A press (debounced, valid length) completed; `count` is its position in the sequence. */
	| { readonly type: "press"; readonly time: number; readonly count: number }
	/** The third deliberate press of a run: start the emergency event (once per run, however long the run). */
	| { readonly type: "triple"; readonly time: number }
	/** The button has been held down continuously for `holdMs` (reported once per hold). */
	| { readonly type: "hold"; readonly time: number }
	/** The sequence was spoiled; `presses` valid presses had been seen. */
	| { readonly type: "rejected"; readonly time: number; readonly reason: RejectReason; readonly presses: number };

/**
 * idle: nothing in progress. pressed/released: a sequence of up to three presses in progress. absorbing: activated;
 * further presses of the same run are counted and ignored. lockout: spoiled; waiting for quiet.
 */
type Phase = "idle" | "pressed" | "released" | "absorbing" | "lockout";

export function checkPressTiming(timing: PressTiming): PressTiming {
	for (const [name, value] of Object.entries(timing))
		if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value))
			throw new RangeError(`invalid ${name}`);
	if (timing.minPressMs >= timing.maxPressMs) throw new RangeError("minPressMs must be below maxPressMs");
	if (timing.debounceMs <= 0) throw new RangeError("invalid debounceMs");
	if (timing.maxSequenceMs < timing.minPressMs * 3) throw new RangeError("maxSequenceMs too short for three presses");
	if (timing.holdMs <= timing.maxPressMs) throw new RangeError("holdMs must exceed maxPressMs");
	return timing;
}

export default class PressRecognizer {
	readonly timing: Readonly<PressTiming>;
	// Debounce state
	#rawPressed = false;
	#rawSince = -Infinity;
	#stablePressed = false;
	// Sequence state
	#phase: Phase = "idle";
	#count = 0;
	#firstDownAt = 0;
	#pressDownAt = 0;
	#releasedAt = 0;
	#trustedPress = false;
	// Hold gesture: when the current debounced press began, and whether its hold was reported.
	#holdFrom = 0;
	#holdReported = true;

	constructor(timing: Partial<PressTiming> = {}) {
		this.timing = Object.freeze(checkPressTiming({ ...defaultPressTiming, ...timing }));
	}

	/** True while nothing is in progress: the device may go back to sleep. */
	get idle(): boolean {
		return this.#phase === "idle" && !this.#rawPressed && this.#rawSince + this.timing.debounceMs <= this.#lastTime;
	}

	#lastTime = -Infinity;

	/**
	 * The press that woke the chip from deep sleep. Its start is known only roughly (the wake edge, before the
	 * firmware ran), so its length is not held against it: it counts as press one if it is released within
	 * `maxPressMs`. `releasedAt` is given when the button was already up by the time the driver attached.
	 */
	seedWakePress(downAt: number, releasedAt?: number): PressOutput[] {
		this.#rawPressed = this.#stablePressed = true;
		this.#rawSince = downAt - this.timing.debounceMs;
		this.#lastTime = downAt;
		this.#phase = "pressed";
		this.#count = 0;
		this.#firstDownAt = this.#pressDownAt = downAt;
		this.#trustedPress = true;
		this.#holdFrom = downAt;
		this.#holdReported = false;
		if (releasedAt === undefined) return [];
		this.#rawPressed = this.#stablePressed = false;
		this.#rawSince = this.#lastTime = releasedAt;
		this.#trustedPress = false;
		this.#phase = "released";
		this.#releasedAt = releasedAt;
		this.#count = 1;
		return [{ type: "press", time: releasedAt, count: 1 }];
	}

	/** A raw edge (or a readable callback) at `time` with the level read then. */
	input(time: number, pressed: boolean): PressOutput[] {
		const out = this.advance(time);
		// Any activity restarts the stability window, even a glitch that came back to the same level.
		this.#rawPressed = pressed;
		this.#rawSince = time;
		return out;
	}

	/** Earliest time at which `advance` has something to do, or undefined when nothing is pending. */
	nextDeadline(): number | undefined {
		let deadline: number | undefined;
		const consider = (t: number) => {
			if (deadline === undefined || t < deadline) deadline = t;
		};
		if (this.#rawPressed !== this.#stablePressed) consider(this.#rawSince + this.timing.debounceMs);
		const t = this.timing;
		if (this.#stablePressed && !this.#holdReported) consider(this.#holdFrom + t.holdMs);
		// An edge still settling is stamped at its raw time (the contact moved then), so a limit that falls inside its
		// debounce waits for it: a release 1,190 ms into a press, or a press 990 ms after a release, is within the
		// limit even though the debounce confirms it after the limit has passed.
		const settling = this.#rawPressed !== this.#stablePressed;
		switch (this.#phase) {
			case "pressed":
				if (!(settling && !this.#rawPressed && this.#rawSince <= this.#pressDownAt + t.maxPressMs)) consider(this.#pressDownAt + t.maxPressMs);
				break;
			case "released":
				if (!(settling && this.#rawPressed && this.#rawSince <= this.#releasedAt + t.maxGapMs)) consider(this.#releasedAt + t.maxGapMs);
				break;
			case "absorbing":
			case "lockout":
				if (!this.#stablePressed) consider(Math.max(this.#releasedAt, this.#rawSince) + t.quietMs);
				break;
		}
		return deadline;
	}

	/** Processes everything due at or before `time`. */
	advance(time: number): PressOutput[] {
		const out: PressOutput[] = [];
		for (;;) {
			const deadline = this.nextDeadline();
			if (deadline === undefined || deadline > time) break;
			if (this.#rawPressed !== this.#stablePressed && this.#rawSince + this.timing.debounceMs === deadline) {
				// Stamp the debounced change at the last raw edge: that is when the contact settled.
				out.push(...this.#stable(this.#rawPressed, this.#rawSince));
				continue;
			}
			if (this.#stablePressed && !this.#holdReported && this.#holdFrom + this.timing.holdMs === deadline) {
				this.#holdReported = true;
				out.push({ type: "hold", time: deadline });
				continue;
			}
			out.push(...this.#expire(deadline));
		}
		if (time > this.#lastTime) this.#lastTime = time;
		return out;
	}

	#stable(pressed: boolean, at: number): PressOutput[] {
		this.#stablePressed = pressed;
		if (pressed) {
			this.#holdFrom = at;
			this.#holdReported = false;
		}
		const t = this.timing;
		switch (this.#phase) {
			case "idle":
				if (!pressed) return [];
				this.#phase = "pressed";
				this.#count = 0;
				this.#firstDownAt = this.#pressDownAt = at;
				this.#trustedPress = false;
				return [];
			case "pressed": {
				if (pressed) return [];
				const length = at - this.#pressDownAt;
				if (length < t.minPressMs && !this.#trustedPress) return this.#reject(at, "too-short");
				this.#trustedPress = false;
				this.#count++;
				if (this.#count === 3 && at - this.#firstDownAt > t.maxSequenceMs) return this.#reject(at, "too-slow");
				this.#releasedAt = at;
				const press: PressOutput = { type: "press", time: at, count: this.#count };
				if (this.#count < 3) {
					this.#phase = "released";
					return [press];
				}
				// Rule 6: activate now; the rest of the run is absorbed.
				this.#phase = "absorbing";
				return [press, { type: "triple", time: at }];
			}
			case "released":
				if (!pressed) return [];
				this.#phase = "pressed";
				this.#pressDownAt = at;
				return [];
			case "absorbing":
				if (pressed) this.#pressDownAt = at;
				else {
					this.#releasedAt = at;
					const length = at - this.#pressDownAt;
					if (length >= t.minPressMs && length <= t.maxPressMs) return [{ type: "press", time: at, count: ++this.#count }];
				}
				return [];
			case "lockout":
				if (!pressed) this.#releasedAt = at;
				return [];
		}
	}

	#expire(at: number): PressOutput[] {
		switch (this.#phase) {
			case "pressed":
				return this.#reject(at, "long-press");
			case "released":
				// The silence that ends the attempt started at the last release: that is where the quiet counts from,
				// not from this decision (maxGapMs later). With the default timing the quiet is already over, so a
				// press right after an incomplete attempt starts a new one (one press, a pause, then three presses
				// activates).
				return this.#reject(at, this.#count > 0 && at - this.#firstDownAt > this.timing.maxSequenceMs ? "too-slow" : "incomplete", this.#releasedAt);
			case "absorbing":
			case "lockout":
				this.#phase = "idle";
				this.#count = 0;
				return [];
			default:
				return [];
		}
	}

	/** `quietFrom`: when the button was last released (the quiet before counting resumes runs from there). */
	#reject(at: number, reason: RejectReason, quietFrom = at): PressOutput[] {
		const presses = this.#count;
		this.#phase = "lockout";
		this.#count = 0;
		this.#trustedPress = false;
		this.#releasedAt = quietFrom;
		return [{ type: "rejected", time: at, reason, presses }];
	}
}
