/**
 * Structural ECMA-419 IO types (ECMA-419 2nd ed., "IO Class Pattern", Digital 9.2, Serial 9.4, I2C 9.5).
 * Drivers receive these classes and their options from the board (CONVENTIONS.md 2) and never import
 * `embedded:io/*`: the same driver runs on Moddable's classes, the simulator's and the tests'.
 */
export type IOBuffer = ArrayBuffer | Uint8Array;

export interface DigitalInput {
	read(): 0 | 1;
	close(): void;
}

export interface DigitalOutput {
	write(value: 0 | 1): void;
	read(): 0 | 1;
	close(): void;
}

export interface DigitalOptions {
	pin: number | string;
	mode: unknown;
	edge?: number;
	onReadable?: (this: DigitalInput) => void;
}

export interface DigitalClass {
	new (options: DigitalOptions): DigitalInput & DigitalOutput;
	readonly Input: unknown;
	readonly InputPullUp: unknown;
	readonly InputPullDown: unknown;
	readonly Output: unknown;
	readonly Rising: number;
	readonly Falling: number;
}

export interface Serial {
	/** ECMA-419 9.4: with format "buffer", read() returns an ArrayBuffer of up to `count` bytes (all if omitted). */
	read(count?: number): ArrayBuffer | undefined;
	/** Writes as much as the transmit buffer accepts; returns nothing (ECMA-419 9.4.2). */
	write(data: IOBuffer): void;
	close(): void;
}

export interface SerialOptions {
	port?: number | string;
	/** Device path: Moddable's desktop simulator serial (modules/io/serial/lin/serial.c) opens `device`, not `port`. */
	device?: string;
	receive?: number;
	transmit?: number;
	baud: number;
	format?: "buffer";
	/** Called with the number of bytes available to read. */
	onReadable?: (this: Serial, count: number) => void;
	/** Called with the number of bytes that may be written. */
	onWritable?: (this: Serial, count: number) => void;
	onError?: (this: Serial) => void;
}

export interface SerialClass {
	new (options: SerialOptions): Serial;
}

/**
 * The ECMA-419 I2C as Moddable's ESP32 implementation really behaves (SDK 8.2.3, modules/io/i2c/_i2c.js and
 * esp32/_i2c.c): `write(buffer)` and `read(count)` are each one complete transaction with a stop (the JS wrapper
 * drops a `stop` argument and the C passes none to i2c_master_transmit/i2c_master_receive), so a register read is
 * `writeRead(register, count)`: the SDK's extension over ESP-IDF i2c_master_transmit_receive (write, repeated
 * start, read, one stop).
 */
export interface I2C {
	read(count: number): ArrayBuffer;
	write(data: IOBuffer): void;
	writeRead(data: IOBuffer, count: number): ArrayBuffer;
	close(): void;
}

export interface I2COptions {
	data: number;
	clock: number;
	hz: number;
	address: number;
	port?: number;
}

export interface I2CClass {
	new (options: I2COptions): I2C;
}
