import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Board } from "hal/board";
import type { Serial, SerialClass, SerialOptions } from "drivers/io";
import { createSimBoard, simPins } from "boards/sim/board";

class LoopSerial implements Serial {
	static last: LoopSerial | undefined;
	readonly options: SerialOptions;
	constructor(options: SerialOptions) {
		this.options = options;
		LoopSerial.last = this;
	}
	read(): ArrayBuffer | undefined {
		return undefined;
	}
	write(): void {}
	close(): void {}
}

const sim = suite("boards/sim: the sim board over simulated IO");

sim("satisfies the Board interface and exposes the pins the firmware needs", () => {
	const board: Board = createSimBoard({ Serial: LoopSerial as SerialClass, modemDevice: "/dev/pts/9" });
	for (const pin of ["button", "led", "modemPwrKey", "modemDtr"] as const) assert.ok(board.pin[pin] !== undefined, pin);
	assert.is(board.Serial.modem.device, "/dev/pts/9");
	assert.is(board.Serial.modem.baud, 115200);
	assert.is(board.power.kind, "simulated");
});

sim("a harness press reaches the firmware as a falling edge on the active-low button", () => {
	const board = createSimBoard({ Serial: LoopSerial as SerialClass, modemDevice: "x" });
	const { Digital } = board.io;
	const seen: number[] = [];
	const button = new Digital({
		pin: board.pin.button,
		mode: Digital.InputPullUp,
		edge: Digital.Rising | Digital.Falling,
		onReadable() {
			seen.push(this.read());
		},
	});
	assert.is(button.read(), 1, "released reads 1 (pull-up)");
	board.bank.drive(simPins.button, 0);
	board.bank.drive(simPins.button, 0); // no change, no edge
	board.bank.drive(simPins.button, 1);
	assert.equal(seen, [0, 1]);
	button.close();
	board.bank.drive(simPins.button, 0);
	assert.equal(seen, [0, 1], "closed pins report nothing");
});

sim("only the requested edge is reported", () => {
	const board = createSimBoard({ Serial: LoopSerial as SerialClass, modemDevice: "x" });
	const { Digital } = board.io;
	let falls = 0;
	new Digital({ pin: board.pin.button, mode: Digital.InputPullUp, edge: Digital.Falling, onReadable: () => falls++ });
	board.bank.drive(simPins.button, 0);
	board.bank.drive(simPins.button, 1);
	assert.is(falls, 1);
});

sim("LED writes are observable by the harness and refused on inputs", () => {
	const board = createSimBoard({ Serial: LoopSerial as SerialClass, modemDevice: "x" });
	const { Digital } = board.io;
	const writes: string[] = [];
	board.bank.onWrite = (pin, level) => writes.push(`${pin}=${level}`);
	const led = new Digital({ pin: board.pin.led!, mode: Digital.Output });
	led.write(1);
	led.write(0);
	assert.equal(writes, ["led=1", "led=0"]);
	const input = new Digital({ pin: "other", mode: Digital.Input });
	assert.throws(() => input.write(1));
});

sim("bad options are refused", () => {
	assert.throws(() => createSimBoard({ Serial: LoopSerial as SerialClass, modemDevice: "" }), RangeError);
	const board = createSimBoard({ Serial: LoopSerial as SerialClass, modemDevice: "x" });
	assert.throws(() => new board.io.Digital({ pin: 1, mode: 99 }), RangeError);
	assert.throws(() => new board.io.Digital({ pin: 1, mode: board.io.Digital.Input, onReadable() {} }), RangeError);
});

sim.run();
