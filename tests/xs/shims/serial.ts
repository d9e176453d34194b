/**
 * `embedded:io/serial` (ECMA-419 9.4) over the host's simulated lines (`host.serialWire(port)`). Format "buffer"
 * (default: `read(count?)` returns an ArrayBuffer or undefined when nothing is waiting, `write` takes an
 * ArrayBuffer or view) or "number" (one byte at a time). `onReadable(count)` runs after the turn in which bytes
 * arrived; `onWritable` once after opening (the simulated transmit buffer never fills).
 */
import { serialTransmit, serialWire, type SerialWire } from "./host";

const openPorts = new Set<string>();
const transmitBuffer = 1024;

interface Options {
	port?: number | string;
	receive?: number | string;
	transmit?: number | string;
	baud: number;
	format?: "buffer" | "number";
	onReadable?: (this: Serial, count: number) => void;
	onWritable?: (this: Serial, count: number) => void;
	onError?: (this: Serial) => void;
	target?: unknown;
}

export default class Serial {
	#port: string | undefined;
	#wire: SerialWire;
	#format: "buffer" | "number";
	target: unknown;

	constructor(options: Options) {
		const { baud, format = "buffer", onReadable, onWritable } = options ?? ({} as Options);
		if (typeof baud !== "number" || !Number.isInteger(baud) || baud <= 0) throw new RangeError("invalid baud");
		if (format !== "buffer" && format !== "number") throw new RangeError("invalid format");
		const port = String(options.port ?? 0);
		if (openPorts.has(port)) throw new Error("in use");
		openPorts.add(port);
		this.#port = port;
		this.#format = format;
		this.target = options.target;
		this.#wire = serialWire(port);
		this.#wire.notify = onReadable
			? (count) => {
					if (this.#port !== undefined) onReadable.call(this, count);
				}
			: undefined;
		if (this.#wire.received.length) this.#wire.inject([]);
		if (onWritable)
			void Promise.resolve().then(() => {
				if (this.#port !== undefined) onWritable.call(this, transmitBuffer);
			});
	}

	get format(): "buffer" | "number" {
		return this.#format;
	}

	set format(value: "buffer" | "number") {
		if (value !== "buffer" && value !== "number") throw new RangeError("invalid format");
		this.#format = value;
	}

	read(count?: number): ArrayBuffer | number | undefined {
		this.#open();
		const received = this.#wire.received;
		if (received.length === 0) return undefined;
		if (this.#format === "number") return received.shift();
		const n = count === undefined ? received.length : Math.min(Math.max(0, count | 0), received.length);
		return Uint8Array.from(received.splice(0, n)).buffer;
	}

	write(data: ArrayBuffer | ArrayBufferView | number): void {
		const port = this.#open();
		let bytes: Uint8Array;
		if (this.#format === "number") {
			if (typeof data !== "number") throw new TypeError("number format writes one byte");
			bytes = Uint8Array.of(data & 0xff);
		} else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data.slice(0));
		else if (ArrayBuffer.isView(data)) bytes = Uint8Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
		else throw new TypeError("buffer format writes an ArrayBuffer or a view");
		serialTransmit(port, bytes);
	}

	close(): void {
		if (this.#port === undefined) return;
		this.#wire.notify = undefined;
		openPorts.delete(this.#port);
		this.#port = undefined;
	}

	#open(): string {
		if (this.#port === undefined) throw new Error("closed");
		return this.#port;
	}
}
