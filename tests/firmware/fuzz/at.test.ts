import { suite } from "uvu";
import * as assert from "uvu/assert";
import AtEngine, { MAX_COUNTED, MAX_REPLY, type AtResult } from "drivers/modem/at";
import type { IOBuffer, Serial } from "drivers/io";
import ManualClock, { settle } from "hal/sim/manualClock";
import { ascii, fuzzTest, linearTest } from "./harness";
import { at } from "./targets";

const test = suite("fuzz: drivers/modem/at lines and counted reads");

fuzzTest(test, at, 150, 400);

class Port implements Serial {
	read(): ArrayBuffer | undefined {
		return undefined;
	}
	write(_data: IOBuffer): void {}
	close(): void {}
}

function engine() {
	const clock = new ManualClock(0);
	return { clock, at: new AtEngine({ serial: new Port(), clock }) };
}

test("the engine's limits stay within the bounds set here (one socket read and a long reply, not unbounded)", () => {
	assert.ok(MAX_COUNTED >= 1500 && MAX_COUNTED <= 4096, `MAX_COUNTED ${MAX_COUNTED}`); // BG95 AT+QSSLRECV reads up to 1500
	assert.ok(MAX_REPLY <= 8192, `MAX_REPLY ${MAX_REPLY}`);
});

test("a counted read announcing more than MAX_COUNTED consumes every announced byte, keeps MAX_COUNTED, ends error", async () => {
	const { at: e, clock } = engine();
	let r: AtResult | undefined;
	void e.command("AT+QSSLRECV=0,1500", { counted: { prefix: "+QSSLRECV: ", inline: false } }).then((x) => (r = x));
	const n = MAX_COUNTED + 1000;
	e.feed(ascii(`\r\n+QSSLRECV: ${n}\r\n`));
	e.feed(new Uint8Array(n).fill(0x4f)); // "OOOO...": none of it may be read as a line
	e.feed(ascii("\r\nOK\r\n"));
	await settle();
	assert.is(r?.status, "error");
	assert.is(r?.data?.length, MAX_COUNTED);
	// The engine is in step: the next command gets its own OK.
	let next: AtResult | undefined;
	clock.advance(100); // the guard gap after a final result code
	void e.command("AT").then((x) => (next = x));
	await settle();
	e.feed(ascii("\r\nOK\r\n"));
	await settle();
	assert.is(next?.status, "ok");
});

test("a reply of endless lines keeps at most MAX_REPLY characters and ends error, not ok", async () => {
	const { at: e } = engine();
	let r: AtResult | undefined;
	void e.command("AT+COPS=?").then((x) => (r = x));
	const line = ascii("+COPS: " + "x".repeat(100) + "\r\n");
	for (let i = 0; i < 500; i++) e.feed(line);
	e.feed(ascii("OK\r\n"));
	await settle();
	assert.is(r?.status, "error");
	assert.ok(r!.lines.reduce((n, l) => n + l.length, 0) <= MAX_REPLY);
});

test("a counted read fed one byte at a time arrives whole (no spread of one argument per chunk)", async () => {
	const { at: e } = engine();
	let r: AtResult | undefined;
	void e.command("AT+CARECV=0,1460", { counted: { prefix: "+CARECV: ", inline: true } }).then((x) => (r = x));
	const reply = ascii("\r\n+CARECV: 1460," + "z".repeat(1460) + "\r\nOK\r\n");
	for (let i = 0; i < reply.length; i++) e.feed(reply.subarray(i, i + 1));
	await settle();
	assert.is(r?.status, "ok");
	assert.is(r?.data?.length, 1460);
});

linearTest(test, "a line full of commas while an inline counted read waits", (n) => {
	const bytes = ascii("+CARECV: " + ",".repeat(n) + "\r\n");
	return () => {
		const { at: e } = engine();
		void e.command("AT+CARECV=0,1460", { counted: { prefix: "+CARECV: ", inline: true } });
		for (let i = 0; i < 40; i++) e.feed(bytes);
		e.close();
	};
}, 500, 12000);

linearTest(test, "N lines of URCs", (n) => {
	const bytes = ascii("+CEREG: 5,\"1A2B\",\"01A2D001\",7\r\n".repeat(n));
	return () => {
		const { at: e } = engine();
		e.on("+CEREG:", () => {});
		e.feed(bytes);
		e.close();
	};
}, 500, 3000);

test.run();
