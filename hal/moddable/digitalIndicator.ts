import type { Clock, TimerHandle } from "hal/clock";
import type { Indicator, IndicatorPattern } from "hal/indicator";
import type { DigitalOutput } from "drivers/io";

/**
 * Blink timings: [on ms, off ms, ...] repeated `repeat` times (0 = until the next pattern). Slow for "working",
 * short double flash for "accepted", steady for "alerted", fast for failures: distinguishable by touch-free glance.
 */
const patterns: Readonly<Record<IndicatorPattern, { readonly steps: readonly number[]; readonly repeat: number }>> = Object.freeze({
	off: { steps: [], repeat: 0 },
	accepted: { steps: [100, 100, 100, 700], repeat: 1 },
	working: { steps: [200, 1800], repeat: 0 },
	alerted: { steps: [3000, 0], repeat: 1 },
	failed: { steps: [100, 400], repeat: 6 },
	refused: { steps: [1000, 200, 1000, 200, 1000, 200], repeat: 1 },
});

export interface DigitalIndicatorOptions {
	/** An ECMA-419 Digital opened in Output mode (the board's `pin.led`). */
	output: DigitalOutput;
	/** true when writing 0 lights the LED (board.led.activeLow). */
	activeLow: boolean;
	clock: Clock;
}

/** Indicator over one LED on an ECMA-419 Digital output; blink steps scheduled on the injected Clock. */
export default class DigitalIndicator implements Indicator {
	#output: DigitalOutput | undefined;
	#on: 0 | 1;
	#clock: Clock;
	#timer: TimerHandle | undefined;

	constructor(options: DigitalIndicatorOptions) {
		const { output, activeLow, clock } = options ?? ({} as DigitalIndicatorOptions);
		if (!output || typeof output.write !== "function") throw new RangeError("invalid output");
		if (!clock || typeof clock.set !== "function") throw new RangeError("invalid clock");
		this.#output = output;
		this.#on = activeLow ? 0 : 1;
		this.#clock = clock;
		this.#write(false);
	}

	show(pattern: IndicatorPattern): void {
		const p = patterns[pattern];
		if (!p) throw new RangeError("invalid pattern");
		this.#clock.clear(this.#timer);
		this.#timer = undefined;
		this.#write(false);
		if (!p.steps.length) return;
		let step = 0;
		let round = 0;
		const next = (): void => {
			if (step === p.steps.length) {
				step = 0;
				round++;
				if (p.repeat && round >= p.repeat) {
					this.#timer = undefined;
					this.#write(false);
					return;
				}
			}
			this.#write(step % 2 === 0);
			this.#timer = this.#clock.set(next, p.steps[step++]!);
		};
		next();
	}

	close(): void {
		this.#clock.clear(this.#timer);
		this.#timer = undefined;
		this.#write(false);
		this.#output?.close();
		this.#output = undefined;
	}

	#write(lit: boolean): void {
		this.#output?.write(lit ? this.#on : this.#on ? 0 : 1);
	}
}
