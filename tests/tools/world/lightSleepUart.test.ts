/**
 * tools/sim/lightSleepUart: the ESP32's UART across automatic light sleep as ESP-IDF documents it (v6.0,
 * docs/en/api-reference/system/sleep_modes.rst "UART Wakeup (Light-sleep Only)"; driver/uart.h
 * uart_set_wakeup_threshold()).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { LightSleepUart, lightSleepSerial, risingEdges } from "../../../tools/sim/lightSleepUart";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import ManualClock from "hal/sim/manualClock";

const U = suite("tools/sim/lightSleepUart");
const text = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const str = (b: Uint8Array) => Buffer.from(b).toString("latin1");

U("rising edges per 8N1 frame as uart.h counts them: 'a' (0100001101 on the wire) has 3", () => {
	assert.is(risingEdges(0x61), 3);
	assert.is(risingEdges(0x00), 1, "only the stop bit rises");
	assert.is(risingEdges(0xff), 1, "start bit 0, then ones: one edge");
	assert.is(risingEdges(0x55), 5, "01 pairs: 0 1010 1010 1 -> 5");
	assert.is(risingEdges("\r".charCodeAt(0)), 3);
});

U("awake: every byte is received; asleep without a UART wake-up source: every byte is lost", () => {
	let asleep = false;
	const lost: string[] = [];
	const uart = new LightSleepUart({ asleep: () => asleep, onLost: (b, why) => lost.push(`${why}:${str(b)}`) });
	assert.is(str(uart.receive(text("\r\nOK\r\n"))), "\r\nOK\r\n");
	asleep = true;
	assert.is(uart.receive(text('\r\n+QIURC: "pdpdeact",1\r\n')).length, 0);
	assert.equal(lost, ['asleep:\r\n+QIURC: "pdpdeact",1\r\n']);
	assert.equal(uart.stats, { received: 6, lost: 24, wakes: 0 });
});

U("UART wake-up: the character that reaches the threshold, those before it and a few after are lost", () => {
	const lost: string[] = [];
	// "\r\n+CADATAIND: 0\r\n": '\r' 3 edges, '\n' 3 edges -> the threshold 6 is reached by the '\n'.
	const uart = new LightSleepUart({ asleep: () => true, wakeThreshold: 6, lostAfterWake: 2, onLost: (b, why) => lost.push(`${why}:${str(b)}`) });
	assert.is(risingEdges(0x0d) + risingEdges(0x0a), 6);
	const kept = uart.receive(text("\r\n+CADATAIND: 0\r\n"));
	assert.is(str(kept), "ADATAIND: 0\r\n", "the waking '\\n' and 2 characters after it are gone");
	assert.equal(lost, ["wake:\r\n+C"]);
	assert.is(uart.stats.wakes, 1);
});

U("edges add up across bursts while asleep; a threshold never reached loses everything", () => {
	const uart = new LightSleepUart({ asleep: () => true, wakeThreshold: 0x3ff });
	assert.is(uart.receive(text("\r\n+CEREG: 2\r\n")).length, 0);
	assert.is(uart.stats.wakes, 0);
	const low = new LightSleepUart({ asleep: () => true, wakeThreshold: 6, lostAfterWake: 0 });
	assert.is(low.receive(text("\r")).length, 0, "3 edges of 6");
	assert.is(str(low.receive(text("\r\nOK"))), "\nOK", "the second '\\r' reaches 6: it is lost, the rest received");
});

U("after a wake with nothing received awake, the next wake needs two edges less (sleep_modes.rst)", () => {
	let asleep = true;
	const uart = new LightSleepUart({ asleep: () => asleep, wakeThreshold: 5, lostAfterWake: 0 });
	// "\r\n" (6 edges) wakes on the '\n', the burst's last character: nothing received after it, the indication stays set.
	assert.is(uart.receive(text("\r\n")).length, 0);
	assert.is(uart.stats.wakes, 1);
	// Threshold 5 - 2 = 3: a lone '\r' (3 edges) wakes the chip now.
	assert.is(str(uart.receive(text("\rX"))), "X");
	assert.is(uart.stats.wakes, 2);
	// 'X' was received: the indication is cleared, back to 5 edges ('\r' alone no longer wakes).
	assert.is(uart.receive(text("\r")).length, 0);
	assert.is(uart.stats.wakes, 2);
	asleep = false;
	assert.is(str(uart.receive(text("OK"))), "OK");
});

U("bad options are RangeErrors (threshold 3 .. 0x3ff as uart_set_wakeup_threshold takes it)", () => {
	assert.throws(() => new LightSleepUart({} as never), RangeError);
	assert.throws(() => new LightSleepUart({ asleep: () => true, wakeThreshold: 2 }), RangeError);
	assert.throws(() => new LightSleepUart({ asleep: () => true, wakeThreshold: 0x400 }), RangeError);
	assert.throws(() => new LightSleepUart({ asleep: () => true, lostAfterWake: -1 }), RangeError);
});

U("the Serial wrapper: the emulator's reply reaches the reader while held, and is gone while asleep", async () => {
	const clock = new ManualClock(0);
	const emu = new ModemEmulator({ dialect: "sim7080", clock, poweredOn: true, lenient: true });
	let asleep = false;
	const uart = new LightSleepUart({ asleep: () => asleep });
	const Serial = lightSleepSerial(emu.Serial, uart);
	const got: string[] = [];
	const port = new Serial({ baud: 115200, onReadable() { got.push(str(new Uint8Array(this.read()!))); } });
	await clock.advanceAsync(30_000); // boot markers, received awake
	got.length = 0;
	port.write(text("AT\r"));
	await clock.advanceAsync(1000);
	assert.ok(got.join("").includes("OK"), `awake: ${JSON.stringify(got)}`);
	got.length = 0;
	asleep = true;
	port.write(text("AT\r")); // a command written, then the chip sleeps before its reply: the reply is lost
	await clock.advanceAsync(1000);
	assert.equal(got, []);
	assert.ok(uart.stats.lost > 0);
	port.close();
	emu.close();
});

U.run();
