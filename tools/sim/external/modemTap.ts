/**
 * Puts a pty between a program that opens a serial path (the Moddable desktop simulator's `embedded:io/serial` at
 * the build's `modemDevice`) and a modem on a serial device of this host, relays every byte both ways unchanged,
 * and writes what passes as an AT transcript (./lineTap). tools/sim/moddableSim uses it with `--modem-device`, so a
 * run against an external modem reports the firmware's share of the alert latency as a run against the emulator
 * does. The relay adds a pipe hop each way (a helper process owns the pty: tools/sim/modem/pty).
 *
 *   const tap = await tapExternalModem("/dev/ttyUSB0", "/tmp/enigm-modem", clock, (line) => log(line));
 *   tap.note("power switch on");   // a `==` line in the transcript
 *   await tap.close();
 */
import type { Clock } from "hal/clock";
import { hostSerialClass } from "./hostSerial";
import LineTap from "./lineTap";
import { startPty } from "../modem/pty";

export interface ModemTap {
	/** The /dev/pts/N device behind the link. */
	readonly pty: string;
	note(text: string): void;
	close(): Promise<void>;
}

/** `device` must already be configured (hostSerial `configureLine`); `link` is replaced by a symlink to the pty. */
export async function tapExternalModem(device: string, link: string, clock: Pick<Clock, "now">, sink: (line: string) => void): Promise<ModemTap> {
	const tap = new LineTap({ now: () => clock.now(), sink });
	let toHost: ((bytes: Uint8Array) => void) | undefined;
	const Serial = hostSerialClass(device);
	const serial = new Serial({
		baud: 115200, // the line was set by configureLine; a host tty's speed is not changed by opening it
		format: "buffer",
		onReadable(count: number) {
			const data = this.read(count) as ArrayBuffer | undefined;
			if (!data) return;
			const bytes = new Uint8Array(data);
			tap.modem(bytes);
			toHost?.(bytes);
		},
	} as ConstructorParameters<typeof Serial>[0]);
	let bridge;
	try {
		bridge = await startPty({
			attachPort(sink) {
				toHost = sink;
				return {
					write(bytes: Uint8Array) { tap.host(bytes); serial.write(bytes); },
					close() { toHost = undefined; },
				};
			},
		}, { link, startTimeoutMs: 15_000 });
	} catch (e) {
		serial.close();
		throw e;
	}
	const b = bridge;
	return {
		pty: b.device,
		note: (text) => tap.note(text),
		close: async () => {
			await b.close();
			serial.close();
		},
	};
}
