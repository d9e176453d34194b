/**
 * `embedded:io/digital` (ECMA-419 9.2) over the host's simulated pins. Mode and edge constants have Moddable's
 * values (modules/io/common/builtinCommon.h). `onReadable` runs after the current turn when a level change matches
 * `edge`, as the device's interrupt-to-main-loop path does. A pin can be open once ("in use").
 */
import { pinLevel, setPin, watchPin } from "./host";

type Mode = number;

const openPins = new Set<string>();

interface Options {
	pin: number | string;
	mode: Mode;
	edge?: number;
	onReadable?: (this: Digital) => void;
	target?: unknown;
	format?: "number";
}

export default class Digital {
	static readonly Input = 0;
	static readonly InputPullUp = 1;
	static readonly InputPullDown = 2;
	static readonly InputPullUpDown = 3;
	static readonly Output = 8;
	static readonly OutputOpenDrain = 9;
	static readonly Rising = 1;
	static readonly Falling = 2;

	#pin: string | undefined;
	#mode: Mode;
	#written: 0 | 1 = 0;
	#unwatch: (() => void) | undefined;
	target: unknown;

	constructor(options: Options) {
		const { pin, mode, edge, onReadable } = options ?? ({} as Options);
		if (typeof pin !== "number" && typeof pin !== "string") throw new RangeError("invalid pin");
		if (![0, 1, 2, 3, 8, 9].includes(mode)) throw new RangeError("invalid mode");
		const output = mode >= Digital.Output;
		if (onReadable !== undefined) {
			if (output) throw new RangeError("onReadable requires an input mode");
			if (typeof onReadable !== "function") throw new TypeError("onReadable is not a function");
			if (edge !== 1 && edge !== 2 && edge !== 3) throw new RangeError("invalid edge");
		}
		const key = String(pin);
		if (openPins.has(key)) throw new Error("in use");
		openPins.add(key);
		this.#pin = key;
		this.#mode = mode;
		this.target = options.target;
		if (output) setPin(key, 0);
		else if (onReadable)
			this.#unwatch = watchPin(key, (level) => {
				if (edge! & (level ? Digital.Rising : Digital.Falling))
					void Promise.resolve().then(() => {
						if (this.#pin !== undefined) onReadable.call(this);
					});
			});
	}

	get format(): "number" {
		return "number";
	}

	set format(value: "number") {
		if (value !== "number") throw new RangeError("invalid format");
	}

	read(): 0 | 1 {
		const pin = this.#open();
		if (this.#mode >= Digital.Output) return this.#written;
		return pinLevel(pin, this.#mode === Digital.InputPullDown ? 0 : 1);
	}

	write(value: 0 | 1): void {
		const pin = this.#open();
		if (this.#mode < Digital.Output) throw new Error("can't write input");
		this.#written = value ? 1 : 0;
		setPin(pin, this.#written);
	}

	close(): void {
		if (this.#pin === undefined) return;
		this.#unwatch?.();
		this.#unwatch = undefined;
		openPins.delete(this.#pin);
		this.#pin = undefined;
	}

	#open(): string {
		if (this.#pin === undefined) throw new Error("closed");
		return this.#pin;
	}
}
