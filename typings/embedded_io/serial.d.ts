/*
 * Corrected typing of ECMA-419 Serial (ECMA-419 2nd ed. 9.4) as Moddable implements it. The published
 * @moddable/typings embedded_io/serial.d.ts spells the receive pin "recevice" and makes `port` required, though
 * ESP32 defaults the port and the desktop simulator opens `device` instead (modules/io/serial/lin/serial.c).
 */
declare module "embedded:io/serial" {
	import type { PinSpecifier, PortSpecifier } from "embedded:io/_common";

	type SerialBuffer = ArrayBuffer | ArrayBufferView;

	export interface Options {
		baud: number;
		port?: PortSpecifier;
		/** Desktop simulator only: the device path to open (a pty for the modem emulator). */
		device?: string;
		receive?: PinSpecifier;
		transmit?: PinSpecifier;
		flowControl?: "hardware" | "none";
		dataTerminalReady?: PinSpecifier;
		requestToSend?: PinSpecifier;
		clearToSend?: PinSpecifier;
		dataSetReady?: PinSpecifier;
		onReadable?: (this: Serial, bytes: number) => void;
		onWritable?: (this: Serial, bytes: number) => void;
		onError?: (this: Serial) => void;
		format?: "number" | "buffer";
		target?: any;
	}

	class Serial {
		constructor(options: Options);
		close(): void;
		read(): number | ArrayBuffer | undefined;
		read(byteLength: number): ArrayBuffer | undefined;
		read(buffer: SerialBuffer): number | undefined;
		write(value: number | SerialBuffer): void;
		flush(): void;
		flush(input: boolean, output: boolean): void;
		set(options: { dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean }): void;
		get format(): "number" | "buffer";
		set format(value: "number" | "buffer");
	}

	export default Serial;
}
