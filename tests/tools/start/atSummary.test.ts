/**
 * The AT transcript summary of `npm start`: transcript lines in the emulator's format (tools/sim/modem/transcript.ts)
 * with replies as the SIM7080 and BG95 AT manuals give them, folded into one line per command family.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import AtSummary from "../../../tools/sim/atSummary";

function fold(lines: string[], tickAt?: number): string[] {
	const out: string[] = [];
	const s = new AtSummary({ emit: (line) => out.push(line) });
	for (const l of lines) s.push(l);
	if (tickAt === undefined) s.flush();
	else s.tick(tickAt);
	return out;
}

const t = (ms: number, dir: string, text: string) => `[${String(ms).padStart(9)} ms] ${dir} ${text}`;

const A = suite("AtSummary");

A("a command with its information response and OK is one line with its meaning", () => {
	// SIM7080 AT manual 18.2.2 AT+CAOPEN: +CAOPEN: <cid>,<result>, result 0 = success.
	assert.equal(fold([t(100, "->", 'AT+CAOPEN=0,0,"TCP","localhost",8443'), t(1300, "<-", "+CAOPEN: 0,0"), t(1300, "<-", "OK")]), [
		"modem: AT+CAOPEN -> +CAOPEN: 0,0 (TLS up)",
	]);
	assert.equal(fold([t(100, "->", 'AT+CAOPEN=0,0,"TCP","localhost",8443'), t(1300, "<-", "+CAOPEN: 0,23"), t(1300, "<-", "OK")]), [
		"modem: AT+CAOPEN -> +CAOPEN: 0,23 (TLS failed, result 23)",
	]);
});

A("consecutive configuration commands of one family fold into one line with a count", () => {
	const lines = [
		t(10, "->", 'AT+CSSLCFG="sslversion",0,3'), t(20, "<-", "OK"),
		t(30, "->", 'AT+CSSLCFG="sni",0,"localhost"'), t(40, "<-", "OK"),
		t(50, "->", 'AT+CASSLCFG=0,"SSL",1'), t(60, "<-", "OK"),
		t(70, "->", "AT+CPSI?"), t(80, "<-", "+CPSI: LTE CAT-M1,Online,001-01,0x1A2B,27447553,316,EUTRAN-BAND20,6300,5,5,-9,-85,-65,15"), t(80, "<-", "OK"),
	];
	const out = fold(lines);
	assert.is(out[0], "modem: AT+CSSLCFG/AT+CASSLCFG x3 -> OK (TLS settings: CA pinned, SNI)");
	assert.match(out[1]!, /^modem: AT\+CPSI -> \+CPSI: LTE CAT-M1,Online.*\(serving cell\)$/);
	assert.is(out.length, 2);
});

A("GNSS polling folds until the fix, which it names", () => {
	// SIM7080 AT manual 16.2.5 AT+CGNSINF: run status, fix status, UTC, latitude, longitude, … satellites used (16th).
	const out = fold([
		t(0, "->", "AT+CGNSINF"), t(10, "<-", "+CGNSINF: 1,0,,,,,,,,,,,,,,,,,,,"), t(10, "<-", "OK"),
		t(2000, "->", "AT+CGNSINF"), t(2010, "<-", "+CGNSINF: 1,1,20261122080027.240,48.863400,2.326090,34.100,4.74,90.0,1,,0.9,1.2,0.8,,14,9,,,38,4.5,6.3"), t(2010, "<-", "OK"),
		t(2030, "->", "AT+CGNSPWR=0"), t(2040, "<-", "OK"),
	]);
	assert.match(out[0]!, /^modem: AT\+CGNSINF x2 -> \+CGNSINF: 1,1,.*\(fix 48\.86340, 2\.32609, 9 satellites\)$/);
	assert.is(out[1], "modem: AT+CGNSPWR -> OK (GNSS off)");
});

A("BG95: a result code after OK completes its command's line; a CME error is shown as such", () => {
	// BG95 SSL application note 2.2.4 AT+QSSLOPEN: OK, then +QSSLOPEN: <clientID>,<err>.
	const out = fold([
		t(0, "->", 'AT+QSSLOPEN=1,1,0,"localhost",8443,0'), t(10, "<-", "OK"), t(1210, "<-", "+QSSLOPEN: 0,0"),
		t(1230, "->", "AT+QGPSLOC=2"), t(1240, "<-", "+CME ERROR: 516"),
		t(1260, "->", "AT+QIACT=1"), t(1270, "<-", "+CME ERROR: 30"),
	]);
	assert.equal(out, [
		"modem: AT+QSSLOPEN -> +QSSLOPEN: 0,0 (TLS up)",
		"modem: AT+QGPSLOC -> +CME ERROR: 516 (no fix yet)",
		"modem: AT+QIACT -> +CME ERROR: 30 (failed)",
	]);
});

A("payloads are named by length and first line; sends and receives read as such", () => {
	const out = fold([
		t(0, "->", "AT+CASEND=0,651"), t(10, "<-", "> (prompt)"), t(10, "->", '<651 bytes "POST /v1/events HTTP/1.1…">'), t(10, "<-", "+CADATAIND: 0"), t(210, "<-", "OK"),
		t(230, "->", "AT+CARECV=0,1460"), t(240, "<-", '+CARECV: 608,<608 bytes "HTTP/1.1 200 OK…">'), t(240, "<-", "OK"),
	]);
	assert.equal(out, [
		"modem: AT+CASEND -> OK (sent 651 bytes: POST /v1/events)",
		"modem: AT+CARECV -> +CARECV: 608,<608 bytes> (received 608 bytes: HTTP/1.1 200 OK)",
	]);
});

A("a command without an answer is shown as a timeout when the next one starts", () => {
	const out = fold([t(0, "->", "AT+CEREG?"), t(5000, "->", "AT")]);
	assert.is(out[0], "modem: AT+CEREG -> (no answer)");
});

A("unsolicited lines fold together and are printed once the modem is quiet; faults and power events stand out", () => {
	const urcs = [t(0, "<-", "RDY"), t(1000, "<-", "+CFUN: 1"), t(2000, "<-", "+CPIN: READY"), t(3000, "<-", "SMS Ready")];
	assert.equal(fold(urcs, 5000), []);
	assert.equal(fold(urcs, 6000), ["modem: RDY · +CFUN: 1 · +CPIN: READY · SMS Ready (booted)"]);
	assert.equal(fold([t(0, "!!", "fault: reset"), t(1, "==", "3 bytes ignored (modem off)"), t(2, "==", "power on (PWRKEY low 1000 ms)")]), [
		"modem: !! fault: reset",
		"modem: power on (PWRKEY low 1000 ms)",
	]);
});

A("rejects a missing emit and ignores lines in other shapes", () => {
	assert.throws(() => new AtSummary({} as never), RangeError);
	assert.equal(fold(["hello", "[abc ms] -> AT"]), []);
});

A.run();
