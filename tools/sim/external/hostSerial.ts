/**
 * An ECMA-419 Serial (9.4, `format: "buffer"`) on a serial device of this host: a modem on a USB-serial adapter
 * (/dev/ttyUSB0, /dev/ttyACM0) or an emulator on a pseudo-terminal (/dev/pts/N). No native module: the line is put
 * in raw mode, 8N1, no echo, no flow control and no hang-up on close with `stty` (GNU coreutils `stty -F`), then the
 * device file is opened read-write and read through Node's TTY stream (libuv `uv_tty_t`, non-blocking, no thread
 * parked on a read), which writes as well.
 *
 *   const Serial = hostSerialClass("/dev/ttyUSB0", 115200);
 *   const port = new Serial({ baud: 115200, onReadable(n) { const bytes = this.read(n); } });
 */
import ByteQueue from "../byteQueue";
import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, openSync } from "node:fs";
import { isatty, ReadStream } from "node:tty";
import type { IOBuffer, Serial, SerialClass, SerialOptions } from "drivers/io";

/** The standard rates stty accepts (termios speed_t). */
export const bauds: readonly number[] = Object.freeze([9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]);

/**
 * Puts `path` in raw mode at `baud` (stty), or says why it cannot: a missing device, not a terminal, no stty, or a
 * setting the driver refused.
 */
export function configureLine(path: string, baud: number): { ok: true } | { ok: false; error: string } {
	if (!existsSync(path)) return { ok: false, error: `no such device: ${path}` };
	if (!bauds.includes(baud)) return { ok: false, error: `unsupported baud ${baud} (one of ${bauds.join(", ")})` };
	// raw: no line discipline (no canonical mode, no CR/LF translation, no signals); 8N1; -crtscts: these adapters
	// wire only TXD/RXD/GND; clocal: ignore modem-control lines; -hupcl: keep DTR when we close.
	const r = spawnSync("stty", ["-F", path, "raw", "-echo", "-echoe", "-echok", "cs8", "-cstopb", "-parenb", "-crtscts", "clocal", "-hupcl", String(baud)], { encoding: "utf8" });
	if (r.error) return { ok: false, error: `stty: ${r.error.message}` };
	if (r.status !== 0) return { ok: false, error: `stty -F ${path}: ${(r.stderr || "").trim() || `exit ${r.status}`}` };
	return { ok: true };
}

class HostSerialPort implements Serial {
	#stream: ReadStream | undefined;
	#received = new ByteQueue();
	#options: SerialOptions;

	constructor(path: string, options: SerialOptions) {
		this.#options = options;
		const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
		if (!isatty(fd)) {
			closeSync(fd);
			throw new RangeError(`${path} is not a terminal device`);
		}
		const stream = new ReadStream(fd);
		this.#stream = stream;
		stream.on("data", (chunk: Buffer) => {
			this.#received.push(chunk);
			this.#options.onReadable?.call(this, this.#received.available);
		});
		stream.on("error", () => {
			if (this.#stream) this.#options.onError?.call(this);
		});
	}

	read(count?: number): ArrayBuffer | undefined {
		return this.#received.read(count);
	}

	write(data: IOBuffer): void {
		const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data as ArrayBuffer);
		this.#stream?.write(Buffer.from(view)); // a copy: the caller may reuse its buffer
	}

	close(): void {
		const stream = this.#stream;
		this.#stream = undefined;
		this.#received.clear();
		stream?.destroy();
	}
}

/** The Serial class a board hands the modem driver: every instance opens `path` (configured once by the caller). */
export function hostSerialClass(path: string): SerialClass {
	return class HostSerial extends HostSerialPort {
		constructor(options: SerialOptions) {
			super(path, options);
		}
	} as unknown as SerialClass;
}
