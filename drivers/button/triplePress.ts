import type { Clock, TimerHandle } from "hal/clock";
import type { ButtonEdge } from "hal/power";
import type { DigitalClass, DigitalInput } from "drivers/io";
import PressRecognizer, { type PressOutput, type PressTiming } from "drivers/button/pressRecognizer";

export interface TriplePressOptions {
	/** The button input as the board describes it: an ECMA-419 Digital class and its pin. */
	button: {
		io: DigitalClass;
		pin: number | string;
		/** The board's wiring: true when the button pulls the pin low (pull-up, pressed = 0). */
		activeLow: boolean;
		/** Defaults to InputPullUp for active-low buttons, InputPullDown otherwise. */
		mode?: unknown;
	};
	clock: Clock;
	timing?: Partial<PressTiming>;
	/**
	 * How the chip woke: when it woke from deep sleep on this button, the press that woke it is press one
	 * (hal/power `wakeCause`, `buttonPressedAtBoot`, `bootButtonEdges()`).
	 */
	wake?: { byButton: boolean; pressedAtBoot: boolean; edges: ButtonEdge[] };
	/** Everything the recogniser concludes: presses, the triple, rejections. */
	onOutput: (output: PressOutput) => void;
}

/**
 * Triple-press button driver: ECMA-419 Digital input with edge callbacks, debounced and recognised by
 * drivers/button/pressRecognizer. Non-blocking: one clock timer for the recogniser's next deadline.
 */
export default class TriplePress {
	#digital: DigitalInput | undefined;
	#clock: Clock;
	#recognizer: PressRecognizer;
	#timer: TimerHandle | undefined;
	#onOutput: (output: PressOutput) => void;
	#activeLow: boolean;

	constructor(options: TriplePressOptions) {
		const { button, clock } = options;
		if (!button?.io) throw new RangeError("invalid button");
		if (!clock) throw new RangeError("invalid clock");
		this.#clock = clock;
		this.#onOutput = options.onOutput;
		this.#activeLow = button.activeLow;
		this.#recognizer = new PressRecognizer(options.timing);
		const io = button.io;
		const self = this;
		this.#digital = new io({
			pin: button.pin,
			mode: button.mode ?? (button.activeLow ? io.InputPullUp : io.InputPullDown),
			edge: io.Rising | io.Falling,
			onReadable() {
				self.#edge(this.read());
			},
		});
		if (options.wake?.byButton) this.#seedWake(options.wake);
		this.#schedule();
	}

	/** True while no sequence is in progress and the button is released: safe to sleep. */
	get idle(): boolean {
		return this.#recognizer.idle;
	}

	close(): void {
		this.#clock.clear(this.#timer);
		this.#timer = undefined;
		this.#digital?.close();
		this.#digital = undefined;
	}

	#seedWake(wake: { pressedAtBoot: boolean; edges: ButtonEdge[] }): void {
		const now = this.#clock.now();
		const [first, ...rest] = wake.edges;
		if (first?.pressed) {
			// The platform captured the wake press and what followed it during boot: replay it.
			this.#emit(this.#recognizer.seedWakePress(first.time));
			for (const edge of rest) this.#emit(this.#recognizer.input(edge.time, edge.pressed));
			this.#emit(this.#recognizer.input(now, this.#pressed()));
		} else {
			// Only the wake cause is known: the wake press began before the clock started and, if the button is
			// up already, ended by now.
			this.#emit(this.#recognizer.seedWakePress(now, wake.pressedAtBoot ? undefined : now));
		}
	}

	#pressed(): boolean {
		const level = this.#digital?.read() ?? (this.#activeLow ? 1 : 0);
		return this.#activeLow ? level === 0 : level === 1;
	}

	#edge(level: 0 | 1): void {
		const pressed = this.#activeLow ? level === 0 : level === 1;
		this.#emit(this.#recognizer.input(this.#clock.now(), pressed));
		this.#schedule();
	}

	#schedule(): void {
		this.#clock.clear(this.#timer);
		this.#timer = undefined;
		const deadline = this.#recognizer.nextDeadline();
		if (deadline === undefined) return;
		this.#timer = this.#clock.set(() => {
			this.#timer = undefined;
			this.#emit(this.#recognizer.advance(this.#clock.now()));
			this.#schedule();
		}, Math.max(0, deadline - this.#clock.now()));
	}

	#emit(outputs: PressOutput[]): void {
		for (const output of outputs) this.#onOutput(output);
	}
}
