import { suite } from "uvu";
import * as assert from "uvu/assert";
import AtEngine, { type AtResult } from "drivers/modem/at";
import type { IOBuffer, Serial } from "drivers/io";
import ManualClock, { settle } from "hal/sim/manualClock";
import ScriptedSerial, { bytes, drive, text } from "./scriptedSerial";

/** A port the test writes into by hand (engine in instance mode: the test calls feed()). */
class Port implements Serial {
	written: string[] = [];
	writeTimes: number[] = [];
	closed = false;
	constructor(readonly clock: ManualClock) {}
	read(): ArrayBuffer | undefined {
		return undefined;
	}
	write(data: IOBuffer): void {
		this.written.push(text(data instanceof Uint8Array ? data : new Uint8Array(data)));
		this.writeTimes.push(this.clock.now());
	}
	close(): void {
		this.closed = true;
	}
}

function setup(options: { guardMs?: number; timeoutMs?: number } = {}) {
	const clock = new ManualClock(1000);
	const port = new Port(clock);
	const unsolicited: string[] = [];
	const at = new AtEngine({ serial: port, clock, onUnsolicited: (l) => unsolicited.push(l), ...options });
	return { clock, port, at, unsolicited };
}

/** Runs one command whose whole reply is `reply`, fed as the given chunks. */
async function oneShot(reply: string, cut: number[], command = "AT+TEST", options = {}) {
	const { at, clock } = setup();
	const urcs: string[] = [];
	at.on("+CEREG:", (l) => void urcs.push(l));
	at.on("+CADATAIND:", (l) => void urcs.push(l));
	at.on("+QSSLURC:", (l) => void urcs.push(l));
	const pending = at.command(command, options);
	const all = bytes(reply);
	let from = 0;
	for (const c of [...cut, all.length]) {
		at.feed(all.subarray(from, c));
		from = c;
	}
	const result = await drive(clock, pending);
	return { result, urcs };
}

const Engine = suite("AtEngine");

Engine("constructor rejects missing serial/clock and bad guard", () => {
	const clock = new ManualClock();
	assert.throws(() => new AtEngine({ serial: undefined as unknown as Serial, clock }), /serial/);
	assert.throws(() => new AtEngine({ serial: new Port(clock), clock: undefined as unknown as ManualClock }), /clock/);
	assert.throws(() => new AtEngine({ serial: new Port(clock), clock, guardMs: -1 }), /guardMs/);
});

Engine("writes the command with CR and resolves ok with every line kept", async () => {
	const { at, port } = setup();
	const pending = at.command("AT+CNACT?");
	assert.equal(port.written, ["AT+CNACT?\r"]);
	// SIM7080 TCP/IP Application Note, AT+CNACT? example.
	at.feed(bytes('\r\n+CNACT: 0,1,"10.185.48.73"\r\n+CNACT: 1,0,"0.0.0.0"\r\n+CNACT: 2,0,"0.0.0.0"\r\n+CNACT: 3,0,"0.0.0.0"\r\n\r\nOK\r\n'));
	const r = await pending;
	assert.is(r.status, "ok");
	assert.equal(r.lines, ['+CNACT: 0,1,"10.185.48.73"', '+CNACT: 1,0,"0.0.0.0"', '+CNACT: 2,0,"0.0.0.0"', '+CNACT: 3,0,"0.0.0.0"', "OK"]);
});

Engine("URC arriving between command and OK is dispatched, not returned", async () => {
	const { result, urcs } = await oneShot('\r\n+CGNSINF: 1,0\r\n\r\n+CEREG: 5,"1A2B","01A2D001",7\r\n\r\nOK\r\n', [], "AT+CGNSINF");
	assert.equal(result.lines, ["+CGNSINF: 1,0", "OK"]);
	assert.equal(urcs, ['+CEREG: 5,"1A2B","01A2D001",7']);
});

Engine("a URC handler that declines (returns false) leaves the line to the command", async () => {
	const { at } = setup();
	const seen: string[] = [];
	at.on("+CEREG:", (l) => {
		seen.push(l);
		return false;
	});
	const pending = at.command("AT+CEREG?");
	at.feed(bytes("\r\n+CEREG: 2,1\r\n\r\nOK\r\n"));
	const r = await pending;
	assert.equal(r.lines, ["+CEREG: 2,1", "OK"]);
	assert.equal(seen, ["+CEREG: 2,1"]);
});

Engine("lines with no command in flight go to onUnsolicited", async () => {
	const { at, unsolicited } = setup();
	at.feed(bytes("\r\n+CPIN: READY\r\n"));
	assert.equal(unsolicited, ["+CPIN: READY"]);
});

Engine("a reply split at every byte position parses the same (with a URC inside)", async () => {
	const reply = '\r\n+CPSI: LTE CAT-M1,Online,460-11,0x5A1E,187214635,257,EUTRAN-BAND3,1650,5,5,-10,-68,-40,15\r\n\r\n+CADATAIND: 0\r\n\r\nOK\r\n';
	const whole = await oneShot(reply, [], "AT+CPSI?");
	for (let cut = 1; cut < reply.length; cut++) {
		const split = await oneShot(reply, [cut], "AT+CPSI?");
		assert.equal(split.result, whole.result, "cut at " + cut);
		assert.equal(split.urcs, ["+CADATAIND: 0"], "cut at " + cut);
	}
	const each = await oneShot(reply, Array.from({ length: reply.length - 1 }, (_, i) => i + 1), "AT+CPSI?");
	assert.equal(each.result, whole.result);
});

Engine("+CME ERROR and +CMS ERROR carry their numeric code; plain ERROR and verbose text carry none", async () => {
	// BG95&BG77 GNSS Application Note: AT+QGPSLOC=2 before a fix answers +CME ERROR: 516.
	let r = (await oneShot("\r\n+CME ERROR: 516\r\n", [], "AT+QGPSLOC=2")).result;
	assert.equal([r.status, r.code, r.lines], ["error", 516, ["+CME ERROR: 516"]]);
	r = (await oneShot("\r\n+CMS ERROR: 304\r\n", [], "AT+CMGS")).result;
	assert.equal([r.status, r.code], ["error", 304]);
	r = (await oneShot("\r\nERROR\r\n", [])).result;
	assert.equal([r.status, r.code], ["error", undefined]);
	r = (await oneShot("\r\n+CME ERROR: SIM not inserted\r\n", [])).result;
	assert.equal([r.status, r.code, r.lines], ["error", undefined, ["+CME ERROR: SIM not inserted"]]);
});

Engine("echo before ATE0 is dropped from the reply", async () => {
	const r = (await oneShot("AT+CMEE=1\r\r\nOK\r\n", [], "AT+CMEE=1")).result;
	assert.equal(r.lines, ["OK"]);
});

Engine("timeout resolves with the lines so far, and the next command still runs", async () => {
	const { at, clock, port } = setup({ timeoutMs: 3000 });
	const first = at.command("AT+COPS?");
	const second = at.command("AT");
	at.feed(bytes("\r\n+COPS: 0,0,\"X\"\r\n"));
	await clock.advanceAsync(2999);
	assert.is(port.written.length, 1, "still waiting");
	await clock.advanceAsync(1);
	const r = await first;
	assert.equal([r.status, r.lines], ["timeout", ['+COPS: 0,0,"X"']]);
	await clock.advanceAsync(20);
	assert.equal(port.written, ["AT+COPS?\r", "AT\r"]);
	at.feed(bytes("\r\nOK\r\n"));
	assert.is((await second).status, "ok");
});

Engine("one command in flight; the queue waits for the final result plus the guard gap", async () => {
	const { at, clock, port } = setup({ guardMs: 20 });
	const a = at.command("AT+A");
	const b = at.command("AT+B");
	const c = at.command("AT+C");
	assert.equal(port.written, ["AT+A\r"]);
	assert.is(at.queued, 2);
	await clock.advanceAsync(7);
	at.feed(bytes("\r\nOK\r\n"));
	await settle();
	assert.equal(port.written, ["AT+A\r"], "not before the guard gap");
	await clock.advanceAsync(19);
	assert.equal(port.written.length, 1);
	await clock.advanceAsync(1);
	assert.equal(port.written, ["AT+A\r", "AT+B\r"]);
	assert.is(port.writeTimes[1] - port.writeTimes[0], 27);
	at.feed(bytes("\r\nERROR\r\n"));
	await clock.advanceAsync(20);
	at.feed(bytes("\r\nOK\r\n"));
	assert.equal([(await a).status, (await b).status, (await c).status], ["ok", "error", "ok"]);
});

Engine("guard gap is configurable (0 writes the next command at once)", async () => {
	const { at, port } = setup({ guardMs: 0 });
	const a = at.command("AT+A");
	const b = at.command("AT+B");
	at.feed(bytes("\r\nOK\r\n"));
	assert.equal(port.written, ["AT+A\r", "AT+B\r"]);
	at.feed(bytes("\r\nOK\r\n"));
	assert.equal([(await a).status, (await b).status], ["ok", "ok"]);
});

Engine("`> ` prompt with no line end triggers the raw payload write (SIM7080 AT+CASEND)", async () => {
	// SIM7080 TCP/IP Application Note: AT+CASEND=0,5 -> ">" -> 5 bytes -> OK.
	const prompt = "\r\n> ";
	for (let cut = 0; cut <= prompt.length; cut++) {
		const { at, port, clock } = setup();
		const pending = at.command("AT+CASEND=0,5", { payload: bytes("hello") });
		at.feed(bytes(prompt.slice(0, cut)));
		await clock.advanceAsync(0);
		if (cut < 3) assert.equal(port.written, ["AT+CASEND=0,5\r"], "no payload before the prompt, cut " + cut);
		at.feed(bytes(prompt.slice(cut)));
		await clock.advanceAsync(0);
		assert.equal(port.written, ["AT+CASEND=0,5\r", "hello"], "cut " + cut);
		at.feed(bytes("\r\nOK\r\n"));
		const r = await drive(clock, pending);
		assert.equal([r.status, r.lines], ["ok", ["OK"]], "cut " + cut);
	}
});

Engine("a final result before the payload went out (ERROR after the prompt) cancels the payload", async () => {
	const { at, port, clock } = setup();
	const pending = at.command("AT+CASEND=0,5", { payload: bytes("hello") });
	at.feed(bytes("\r\n> \r\nERROR\r\n"));
	await clock.advanceAsync(100);
	assert.is((await pending).status, "error");
	assert.equal(port.written, ["AT+CASEND=0,5\r"]);
});

Engine("a line prompt (DOWNLOAD, CONNECT) triggers the payload; custom finals end the command", async () => {
	const { at, port, clock } = setup();
	// SIM7080 File System: AT+CFSWFILE=... -> DOWNLOAD -> bytes -> OK.
	const write = at.command('AT+CFSWFILE=3,"ca.crt",0,4,10000', { prompt: "DOWNLOAD", payload: bytes("PEM!") });
	at.feed(bytes("\r\nDOWNLOAD\r\n"));
	assert.equal(port.written.length, 1, "payload written on the next turn, not inside the read callback");
	await clock.advanceAsync(0);
	assert.equal(port.written[1], "PEM!");
	at.feed(bytes("\r\nOK\r\n"));
	assert.equal((await write).lines, ["DOWNLOAD", "OK"]);
});

Engine("SEND OK / SEND FAIL as final results (BG95 AT+QSSLSEND)", async () => {
	const final = (l: string) => (l === "SEND OK" ? "ok" : l === "SEND FAIL" ? "error" : undefined);
	let r = (await oneShot("\r\n> ", [], "AT+QSSLSEND=0,4", { payload: bytes("ping"), final })).result;
	assert.is(r.status, "timeout", "no final yet");
	const { at, port, clock } = setup();
	const p = at.command("AT+QSSLSEND=0,4", { payload: bytes("ping"), final });
	at.feed(bytes("\r\n> "));
	await clock.advanceAsync(0);
	assert.equal(port.written, ["AT+QSSLSEND=0,4\r", "ping"]);
	at.feed(bytes("\r\nSEND OK\r\n"));
	r = await p;
	assert.equal([r.status, r.lines], ["ok", ["SEND OK"]]);
	const q = at.command("AT+QSSLSEND=0,4", { payload: bytes("ping"), final });
	await clock.advanceAsync(20);
	at.feed(bytes("\r\n> "));
	await clock.advanceAsync(0);
	at.feed(bytes("\r\nSEND FAIL\r\n"));
	assert.is((await q).status, "error");
});

Engine("a result after OK (BG95 +QSSLOPEN) ends the command; a URC in between is dispatched", async () => {
	const after = (l: string) => (l.startsWith("+QSSLOPEN:") ? "ok" as const : undefined);
	const reply = '\r\nOK\r\n\r\n+QSSLURC: "recv",1\r\n\r\n+QSSLOPEN: 0,0\r\n';
	for (let cut = 1; cut < reply.length; cut++) {
		const { result, urcs } = await oneShot(reply, [cut], 'AT+QSSLOPEN=1,1,0,"example.org",443,0', { after });
		assert.equal([result.status, result.lines], ["ok", ["OK", "+QSSLOPEN: 0,0"]], "cut " + cut);
		assert.equal(urcs, ['+QSSLURC: "recv",1']);
	}
});

Engine("counted inline payload with CR/LF inside (SIM7080 +CARECV: <len>,<data>), split at every byte", async () => {
	const data = "ab\r\nOK\r\n\x00\xff";
	const reply = "\r\n+CARECV: " + data.length + "," + data + "\r\nOK\r\n";
	for (let cut = 0; cut <= reply.length; cut++) {
		const { result } = await oneShot(reply, [cut], "AT+CARECV=0,100", { counted: { prefix: "+CARECV: ", inline: true } });
		assert.is(result.status, "ok", "cut " + cut);
		assert.equal(text(result.data ?? new Uint8Array(0)), data, "cut " + cut);
		assert.equal(result.lines, ["+CARECV: 10,", "OK"], "cut " + cut);
	}
	// Empty read: `+CARECV: 0`.
	const empty = (await oneShot("\r\n+CARECV: 0\r\n\r\nOK\r\n", [], "AT+CARECV=0,100", { counted: { prefix: "+CARECV: ", inline: true } })).result;
	assert.equal([empty.status, empty.data, empty.lines], ["ok", undefined, ["+CARECV: 0", "OK"]]);
});

Engine("counted payload on the next line (BG95 +QSSLRECV: <len> CR LF <data>), split at every byte", async () => {
	const data = "\r\n\r\nOK\r\n+QSSLURC: x";
	const reply = "\r\n+QSSLRECV: " + data.length + "\r\n" + data + "\r\n\r\nOK\r\n";
	for (let cut = 0; cut <= reply.length; cut++) {
		const { result, urcs } = await oneShot(reply, [cut], "AT+QSSLRECV=0,1500", { counted: { prefix: "+QSSLRECV: ", inline: false } });
		assert.equal(text(result.data ?? new Uint8Array(0)), data, "cut " + cut);
		assert.equal([result.status, result.lines], ["ok", ["+QSSLRECV: " + data.length, "OK"]], "cut " + cut);
		assert.equal(urcs, [], "bytes inside the payload are never URCs");
	}
});

Engine("a prompt that never comes: timeout, then ESC so a waiting modem does not take the next command as data", async () => {
	const { at, port, clock } = setup({ timeoutMs: 1000 });
	const p = at.command("AT+CASEND=0,5", { payload: bytes("hello") });
	await clock.advanceAsync(1000);
	assert.is((await p).status, "timeout");
	assert.equal(port.written, ["AT+CASEND=0,5\r", "\x1b"]);
});

Engine("writes never exceed the room onWritable reported; the rest follows the next report", async () => {
	const { at, port, clock } = setup();
	at.writable(4);
	const p = at.command("AT+CASEND=0,6", { payload: bytes("abcdef") });
	assert.equal(port.written, ["AT+C"]);
	at.writable(100);
	assert.equal(port.written, ["AT+C", "ASEND=0,6\r"]);
	at.writable(2);
	at.feed(bytes("\r\n> "));
	await clock.advanceAsync(0);
	assert.equal(port.written.slice(2), ["ab"]);
	at.writable(3);
	at.writable(10);
	assert.equal(port.written.slice(2), ["ab", "cde", "f"]);
	at.feed(bytes("\r\nOK\r\n"));
	assert.is((await p).status, "ok");
});

Engine("a Serial whose write throws does not crash the engine: the command times out", async () => {
	const { at, port, clock } = setup({ timeoutMs: 500 });
	port.write = () => {
		throw new Error("output full");
	};
	const p = at.command("AT");
	await clock.advanceAsync(500);
	assert.is((await p).status, "timeout");
});

Engine("a throwing URC handler does not break parsing; the reply still completes", async () => {
	const { at } = setup();
	at.on("+CADATAIND:", () => {
		throw new Error("listener bug");
	});
	const p = at.command("AT+CPSI?");
	at.feed(bytes("\r\n+CADATAIND: 0\r\n\r\n+CPSI: NO SERVICE,Online\r\n\r\nOK\r\n"));
	assert.equal((await p).lines, ["+CPSI: NO SERVICE,Online", "OK"]);
});

Engine("noise with no line end is dropped at 1024 bytes instead of growing without bound", async () => {
	const { at } = setup();
	const p = at.command("AT");
	at.feed(new Uint8Array(5000).fill(0x55));
	at.feed(bytes("\r\nOK\r\n"));
	const r = await p;
	assert.is(r.status, "ok");
	assert.ok(r.lines.every((l) => l.length <= 1024));
});

Engine("waitFor resolves on a matching line or undefined at its timeout", async () => {
	const { at, clock } = setup();
	const hit = at.waitFor("+APP PDP: 0,ACTIVE", 60_000);
	at.feed(bytes("\r\n+APP PDP: 0,ACTIVE\r\n"));
	assert.is(await hit, "+APP PDP: 0,ACTIVE");
	const miss = at.waitFor("SMS Ready", 1000);
	await clock.advanceAsync(1000);
	assert.is(await miss, undefined);
});

Engine("close() aborts the command in flight and the queue, closes the port, refuses new commands", async () => {
	const { at, port } = setup();
	const a = at.command("AT+A");
	const b = at.command("AT+B");
	at.close();
	assert.equal([(await a).status, (await b).status], ["aborted", "aborted"]);
	assert.ok(port.closed);
	assert.is((await at.command("AT")).status, "aborted");
});

Engine("constructs its Serial from an ECMA-419 class and reads on onReadable, any chunk size", async () => {
	for (const chunk of [1, 2, 3, 7, 0]) {
		const clock = new ManualClock();
		const serial = new ScriptedSerial(clock, { chunk });
		serial.script({ expect: "AT+CGMR", reply: "\r\nRevision:1951B16SIM7080\r\n\r\nOK\r\n" });
		const at = new AtEngine({ serial: { io: serial.io, baud: 115200, port: 1 }, clock });
		const r: AtResult = await drive(clock, at.command("AT+CGMR"));
		assert.equal(r.lines, ["Revision:1951B16SIM7080", "OK"], "chunk " + chunk);
		assert.equal(serial.errors, []);
		at.close();
		assert.ok(serial.closed);
	}
});

Engine.run();
