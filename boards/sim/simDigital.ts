import type { DigitalClass, DigitalInput, DigitalOptions, DigitalOutput } from "drivers/io";

/**
 * Simulated GPIO for the `sim` board: an ECMA-419 Digital class over a bank of levels that a harness drives
 * (`bank.drive(pin, level)`) and observes (`bank.level(pin)`, `onWrite`). Edge callbacks follow ECMA-419 9.2:
 * `onReadable` fires after a level change matching the requested `edge` (Rising = 1, Falling = 2).
 */
export class SimPinBank {
	readonly #levels = new Map<string, 0 | 1>();
	readonly #listeners = new Map<string, Set<(level: 0 | 1) => void>>();
	onWrite: ((pin: string, level: 0 | 1) => void) | undefined;

	/** Level a pin rests at when nothing drives it (pull-ups read 1). */
	level(pin: number | string): 0 | 1 {
		return this.#levels.get(String(pin)) ?? 0;
	}

	/** The harness changes an input's level (a button edge). */
	drive(pin: number | string, level: 0 | 1): void {
		if (level !== 0 && level !== 1) throw new RangeError("invalid level");
		const key = String(pin);
		if (this.#levels.get(key) === level) return;
		this.#levels.set(key, level);
		for (const listener of this.#listeners.get(key) ?? []) listener(level);
	}

	/** @internal used by the Digital class */
	listen(pin: string, listener: (level: 0 | 1) => void): () => void {
		let set = this.#listeners.get(pin);
		if (!set) this.#listeners.set(pin, (set = new Set()));
		set.add(listener);
		return () => set!.delete(listener);
	}

	/** @internal a firmware write to an output pin */
	written(pin: string, level: 0 | 1): void {
		this.#levels.set(pin, level);
		this.onWrite?.(pin, level);
	}

	/** @internal a pull-up gives an undriven input a resting level of 1 */
	rest(pin: string, level: 0 | 1): void {
		if (!this.#levels.has(pin)) this.#levels.set(pin, level);
	}
}

const Mode = Object.freeze({ Input: 0, InputPullUp: 1, InputPullDown: 2, Output: 8 });
const Edge = Object.freeze({ Rising: 1, Falling: 2 });

export function createSimDigital(bank: SimPinBank): DigitalClass {
	class SimDigital implements DigitalInput, DigitalOutput {
		static readonly Input = Mode.Input;
		static readonly InputPullUp = Mode.InputPullUp;
		static readonly InputPullDown = Mode.InputPullDown;
		static readonly Output = Mode.Output;
		static readonly Rising = Edge.Rising;
		static readonly Falling = Edge.Falling;

		#pin: string | undefined;
		#output: boolean;
		#unlisten: (() => void) | undefined;

		constructor(options: DigitalOptions) {
			const { pin, mode, edge, onReadable } = options ?? ({} as DigitalOptions);
			if (typeof pin !== "number" && typeof pin !== "string") throw new RangeError("invalid pin");
			if (!(Object.values(Mode) as number[]).includes(mode as number)) throw new RangeError("invalid mode");
			this.#pin = String(pin);
			this.#output = mode === Mode.Output;
			if (mode === Mode.InputPullUp) bank.rest(this.#pin, 1);
			if (onReadable) {
				if (this.#output) throw new RangeError("onReadable on an output");
				const wanted = edge ?? 0;
				if (!(wanted & (Edge.Rising | Edge.Falling))) throw new RangeError("invalid edge");
				this.#unlisten = bank.listen(this.#pin, (level) => {
					if (wanted & (level ? Edge.Rising : Edge.Falling)) onReadable.call(this);
				});
			}
		}

		read(): 0 | 1 {
			if (this.#pin === undefined) throw new Error("closed");
			return bank.level(this.#pin);
		}

		write(value: 0 | 1): void {
			if (this.#pin === undefined) throw new Error("closed");
			if (!this.#output) throw new Error("not an output");
			bank.written(this.#pin, value ? 1 : 0);
		}

		close(): void {
			this.#unlisten?.();
			this.#unlisten = undefined;
			this.#pin = undefined;
		}
	}
	return SimDigital;
}
