/**
 * `embedded:io/i2c` (ECMA-419 9.5) over the host's simulated devices (`host.attachI2C(address, device)`).
 * A transfer to an address with no device throws, as a NACK does on the device.
 */
import { i2cDevice } from "./host";

interface Options {
	data: number | string;
	clock: number | string;
	hz: number;
	address: number;
	port?: number | string;
	target?: unknown;
}

export default class I2C {
	#address: number;
	#port: string;
	#open = true;
	target: unknown;

	constructor(options: Options) {
		const { address, hz } = options ?? ({} as Options);
		if (!Number.isInteger(address) || address < 0 || address > 0x7f) throw new RangeError("invalid address");
		if (typeof hz !== "number" || !(hz > 0)) throw new RangeError("invalid hz");
		if (options.data === undefined || options.clock === undefined) throw new RangeError("invalid pin");
		this.#address = address;
		this.#port = String(options.port ?? 0);
		this.target = options.target;
	}

	get format(): "buffer" {
		return "buffer";
	}

	// As Moddable's ESP32 I2C (SDK 8.2.3 modules/io/i2c/_i2c.js): read and write are whole transactions ending in a
	// stop (the wrapper passes no `stop` argument on); writeRead is write, repeated start, read.
	read(count: number | ArrayBuffer | Uint8Array): ArrayBuffer | undefined {
		const device = this.#device("read");
		if (typeof count === "number") return Uint8Array.from(device.read(count)).buffer;
		const target = count instanceof ArrayBuffer ? new Uint8Array(count) : count;
		target.set(Array.from(device.read(target.length)));
		return undefined;
	}

	write(data: ArrayBuffer | ArrayBufferView): void {
		this.#device("write").write(bytesOf(data), true);
	}

	writeRead(data: ArrayBuffer | ArrayBufferView, count: number): ArrayBuffer {
		const device = this.#device("writeRead");
		device.write(bytesOf(data), false);
		return Uint8Array.from(device.read(count)).buffer;
	}

	close(): void {
		this.#open = false;
	}

	#device(operation: string) {
		if (!this.#open) throw new Error("closed");
		const device = i2cDevice(this.#address, this.#port);
		if (!device) throw new Error(`I2C ${operation} failed: no ACK from 0x${this.#address.toString(16)}`);
		return device;
	}
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
	return data instanceof ArrayBuffer
		? new Uint8Array(data.slice(0))
		: Uint8Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
