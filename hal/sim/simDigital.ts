import type { DigitalClass, DigitalInput, DigitalOptions, DigitalOutput } from "drivers/io";

/**
 * A simulated ECMA-419 Digital pin bank: `createSimDigital()` returns a Digital class whose instances share
 * the bank's levels, plus `setLevel(pin, level)` that drives an input and fires `onReadable` on a change, as a
 * real edge interrupt would. Used by the sim board, the host simulator and tests.
 */
export interface SimDigitalBank {
	readonly Digital: DigitalClass;
	setLevel(pin: number | string, level: 0 | 1): void;
	level(pin: number | string): 0 | 1;
	/** Every write to an output pin, for tests: [pin, level]. */
	readonly writes: Array<[number | string, 0 | 1]>;
}

const Input = Object.freeze({ mode: "Input" });
const InputPullUp = Object.freeze({ mode: "InputPullUp" });
const InputPullDown = Object.freeze({ mode: "InputPullDown" });
const Output = Object.freeze({ mode: "Output" });

export function createSimDigital(initial: Record<string, 0 | 1> = {}): SimDigitalBank {
	const levels = new Map<string, 0 | 1>(Object.entries(initial));
	const listeners = new Map<string, Set<() => void>>();
	const writes: Array<[number | string, 0 | 1]> = [];

	class SimDigital implements DigitalInput, DigitalOutput {
		static readonly Input = Input;
		static readonly InputPullUp = InputPullUp;
		static readonly InputPullDown = InputPullDown;
		static readonly Output = Output;
		static readonly Rising = 1;
		static readonly Falling = 2;
		#pin: string;
		#listener: (() => void) | undefined;

		constructor(options: DigitalOptions) {
			if (options.pin === undefined) throw new RangeError("invalid pin");
			this.#pin = String(options.pin);
			if (!levels.has(this.#pin)) levels.set(this.#pin, options.mode === InputPullUp ? 1 : 0);
			if (options.onReadable) {
				const callback = options.onReadable;
				this.#listener = () => callback.call(this);
				let set = listeners.get(this.#pin);
				if (!set) listeners.set(this.#pin, (set = new Set()));
				set.add(this.#listener);
			}
		}
		read(): 0 | 1 {
			return levels.get(this.#pin) ?? 0;
		}
		write(value: 0 | 1): void {
			levels.set(this.#pin, value ? 1 : 0);
			writes.push([this.#pin, value ? 1 : 0]);
		}
		close(): void {
			if (this.#listener) listeners.get(this.#pin)?.delete(this.#listener);
			this.#listener = undefined;
		}
	}

	return {
		Digital: SimDigital,
		writes,
		level: (pin) => levels.get(String(pin)) ?? 0,
		setLevel(pin, level) {
			const key = String(pin);
			if (levels.get(key) === level) return;
			levels.set(key, level);
			for (const listener of [...(listeners.get(key) ?? [])]) listener();
		},
	};
}
