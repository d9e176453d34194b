/**
 * Host provider of the `sim` board on the Moddable desktop simulator (mcconfig -p lin|mac|win): the modem is the
 * modem emulator behind a pty (lin/mac `embedded:io/serial` opens any device path, given as `device`), and button
 * edges arrive over a loopback TCP connection from the scenario runner, one ASCII byte per edge:
 * "P" press, "R" release (the wire protocol of tools/sim; anything else is ignored). Paths and ports come from the
 * manifest's `config` (`modemDevice`, `buttonPort`), overridable on the command line (mcconfig turns `name=value`
 * into a top-level config key, so the keys are flat):
 *   mcconfig -d -m -p lin modemDevice=/dev/pts/7 buttonPort=7807
 *
 * The desktop has no PWRKEY line to the modem on `modemDevice` (an emulator on a pty, or a module on a USB-serial
 * adapter): the board's modem switch (hal/board `modemSwitch`) sends "O" (on) or "F" (off) back over the button
 * link where a board would pulse PWRKEY, and tools/sim/moddableSim presses the emulator's PWRKEY or runs
 * `--modem-power <cmd> on|off`. The firmware then probes `AT` at every power-on: an answering modem is on.
 */
import Serial from "embedded:io/serial";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import type { SerialClass } from "drivers/io";
import { createSimBoard, simPins } from "boards/sim/board";

const modemDevice = String(config.modemDevice ?? "/tmp/enigm-modem");
const buttonPort = Number(config.buttonPort ?? 7807);
// The family of the modem on modemDevice, which picks the driver (main.ts): mcconfig ... modem=bg95
const modem = String(config.modem ?? "sim7080") as "sim7080" | "bg95";
if (!Number.isInteger(buttonPort) || buttonPort < 1 || buttonPort > 65535) throw new RangeError("invalid buttonPort");

/**
 * The desktop simulator's `embedded:io/serial` writes only ArrayBuffers (modules/io/serial/lin/serial.c
 * `xs_serial_write` takes `xsToArrayBuffer`, which throws on a view), while ECMA-419 9.4 and the ESP32 build accept
 * any buffer and the AT engine writes Uint8Array views. Views are copied into an ArrayBuffer of their own bytes.
 */
class HostSerial extends Serial {
	override write(value: Parameters<Serial["write"]>[0]): void {
		if (ArrayBuffer.isView(value)) {
			const copy = new Uint8Array(value.byteLength);
			copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
			value = copy.buffer;
		}
		super.write(value);
	}
}

let socket: TCP | undefined;

function tellHost(byte: number): void {
	try {
		socket?.write(new Uint8Array([byte]).buffer);
	} catch {
		trace("button link: could not ask the host to switch the modem\n");
	}
}

const board = createSimBoard({
	Serial: HostSerial as unknown as SerialClass,
	modemDevice,
	modem,
	modemSwitch: { on: () => tellHost(0x4f), off: () => tellHost(0x46) }, // "O", "F"
});

board.bank.onWrite = (pin, level) => trace(`gpio ${pin} <- ${level}\n`);

try {
	socket = new TCP({
		address: "127.0.0.1",
		port: buttonPort,
		format: "buffer",
		onReadable(count: number) {
			const bytes = new Uint8Array(this.read(count) as ArrayBuffer);
			for (const byte of bytes) {
				if (byte === 0x50) board.bank.drive(simPins.button, 0); // "P": active-low press
				else if (byte === 0x52) board.bank.drive(simPins.button, 1); // "R": release
			}
		},
		onError() {
			trace(`button link on 127.0.0.1:${buttonPort} closed\n`);
			socket?.close();
			socket = undefined;
		},
	});
} catch {
	trace(`no button link on 127.0.0.1:${buttonPort}; the button stays released\n`);
}

export default board;
