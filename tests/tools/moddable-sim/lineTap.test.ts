/**
 * tools/sim/external/lineTap: the AT transcript a tap between the simulator and an external modem writes, which the
 * latency split (tools/bench/stages) reads. Byte sequences follow the modules' formats as the drivers parse them:
 * SIM7080 `AT+CASEND` -> `>` -> data -> `OK`, `+CARECV: <n>,<data>` (drivers/modem/sim7080.ts), BG95
 * `+QSSLRECV: <n>` CR LF <data> (drivers/modem/bg95.ts), `AT+CFSWFILE` -> `DOWNLOAD` -> data.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import LineTap, { formatTapLine } from "../../../tools/sim/external/lineTap";
import { parseTranscriptLine } from "../../../tools/bench/stages";

const bytes = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

function tap(maxLine?: number) {
	let now = 0;
	const lines: string[] = [];
	const t = new LineTap({ now: () => now, sink: (l) => lines.push(l), ...(maxLine !== undefined ? { maxLine } : {}) });
	return {
		t, lines,
		at(ms: number) { now = ms; return this; },
		host(s: string) { t.host(bytes(s)); return this; },
		modem(s: string) { t.modem(bytes(s)); return this; },
		/** The lines back as [t, dir, text]. */
		parsed() { return lines.map((l) => { const p = parseTranscriptLine(l)!; return [p.t, p.dir, p.text]; }); },
	};
}

const T = suite("lineTap");

T("a command is stamped at its first byte, the reply at its last; the echo is dropped", () => {
	const x = tap();
	x.at(100).host("AT+CEREG").at(101).host("?\r");
	x.at(110).modem("AT+CEREG?\r\r\n+CEREG: 2,1").at(112).modem(",\"1A2B\",\"01A2D101\",7\r\n\r\nOK\r\n");
	assert.equal(x.parsed(), [
		[100, "->", "AT+CEREG?"],
		[112, "<-", "+CEREG: 2,1,\"1A2B\",\"01A2D101\",7"],
		[112, "<-", "OK"],
	]);
	assert.is(x.lines[0], "[      100 ms] -> AT+CEREG?");
});

T("the > prompt is a line as soon as it arrives; the data after it is logged by length, whatever it holds", () => {
	const x = tap();
	x.at(0).host("AT+CASEND=0,35\r");
	x.at(10).modem("\r\n> ");
	x.at(12).host("POST /v1/events HTTP/").at(13).host("1.1\r\nHost: a\r\n");
	x.at(30).modem("\r\n+CADATAIND: 0\r\n").at(40).modem("\r\nOK\r\n");
	assert.equal(x.parsed(), [
		[0, "->", "AT+CASEND=0,35"],
		[10, "<-", ">"],
		[12, "->", "<35 bytes>"],
		[30, "<-", "+CADATAIND: 0"],
		[40, "<-", "OK"],
	]);
});

T("SIM7080 +CARECV: <n>,<data> is one line by length even with CR LF inside the data", () => {
	const x = tap();
	x.at(0).host("AT+CARECV=0,1460\r");
	x.at(5).modem("\r\n+CARECV: 12,HTTP/1").at(7).modem(".1\r\n\r\nOK\r\n");
	assert.equal(x.parsed(), [
		[0, "->", "AT+CARECV=0,1460"],
		[7, "<-", "+CARECV: 12,<12 bytes>"],
		[7, "<-", "OK"],
	]);
	const empty = tap();
	empty.modem("\r\n+CARECV: 0\r\n\r\nOK\r\n");
	assert.equal(empty.parsed().map((p) => p[2]), ["+CARECV: 0", "OK"]);
});

T("BG95 +QSSLRECV: <n> then CR LF and n bytes", () => {
	const x = tap();
	x.at(0).modem("\r\n+QSSLRECV: 6\r\nab\r\ncd\r\nOK\r\n");
	assert.equal(x.parsed().map((p) => p[2]), ["+QSSLRECV: 6", "<6 bytes>", "OK"]);
});

T("DOWNLOAD (AT+CFSWFILE) is a prompt: the PEM lines are one payload", () => {
	const x = tap();
	x.host("AT+CFSWFILE=3,\"ca.pem\",0,20,10000\r").modem("\r\nDOWNLOAD\r\n").host("-----BEGIN\nabc\n-----").modem("\r\nOK\r\n");
	assert.equal(x.parsed().map((p) => p[2]), ["AT+CFSWFILE=3,\"ca.pem\",0,20,10000", "DOWNLOAD", "<20 bytes>", "OK"]);
});

T("one byte at a time gives the same lines as whole chunks", () => {
	const whole = tap();
	const bytewise = tap();
	const script: [string, string][] = [
		["h", "AT+CASEND=0,5\r"], ["m", "\r\n> "], ["h", "hello"], ["m", "\r\nOK\r\n"],
		["h", "AT+CARECV=0,1460\r"], ["m", "\r\n+CARECV: 4,a\r\nb\r\nOK\r\n"], ["m", "\r\n+CEREG: 1\r\n"],
	];
	for (const [who, s] of script) {
		if (who === "h") whole.host(s); else whole.modem(s);
		for (const ch of s) if (who === "h") bytewise.host(ch); else bytewise.modem(ch);
	}
	assert.equal(bytewise.parsed(), whole.parsed());
	assert.equal(whole.parsed().map((p) => p[2]), ["AT+CASEND=0,5", ">", "<5 bytes>", "OK", "AT+CARECV=0,1460", "+CARECV: 4,<4 bytes>", "OK", "+CEREG: 1"]);
});

T("a line longer than maxLine is logged by length; a bad maxLine is refused", () => {
	const x = tap(16);
	x.modem(`+X: ${"9".repeat(40)}\r\n`);
	assert.equal(x.parsed().map((p) => p[2]), ["<44 bytes>"]);
	assert.throws(() => new LineTap({ now: () => 0, sink: () => {}, maxLine: 3 }), /invalid maxLine/);
});

T("notes are == lines in the same format", () => {
	assert.is(formatTapLine(1234.4, "==", "power switch on"), "[     1234 ms] == power switch on");
	const x = tap();
	x.at(7).t.note("power switch off");
	assert.equal(x.parsed(), [[7, "==", "power switch off"]]);
});

T.run();
