/** Every fault kind, each trigger, on both dialects where the fault concerns both, plus the JSON parser. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { attached, harness, openSocket, startServer, until } from "./harness";
import type { TestServer } from "./harness";
import { parseFaults } from "../../../tools/sim/modem/faults";
import { makeTestCerts } from "../../../tools/sim/devCerts";
import type { TestCerts } from "../../../tools/sim/devCerts";

const Inject = suite("fault injection");
let server: TestServer;
let tlsServer: TestServer;
let certs: TestCerts;
// BG95 sockets are always TLS (AT+QSSLOPEN); with seclevel 0 the modem does not verify the server.
Inject.before(async () => { certs = makeTestCerts(); server = await startServer(); tlsServer = await startServer({ cert: certs.good }); });
Inject.after(async () => { await server.close(); await tlsServer.close(); certs.cleanup(); });
const target = (dialect: string): number => (dialect === "sim7080" ? server.port : tlsServer.port);

for (const dialect of ["sim7080", "bg95"] as const) {
	Inject(`${dialect}: timeout swallows the matching command, the next one answers`, async () => {
		const h = harness({ dialect });
		await attached(h);
		h.emu.inject({ kind: "timeout", command: "AT+CSQ" });
		assert.is(await h.at("AT+CSQ", 10_000), "");
		assert.ok(h.emu.transcript.some((l) => l.includes("!! fault: timeout, no reply to AT+CSQ")));
		assert.match(await h.at("AT+CSQ"), "+CSQ: 22,99");
		h.close();
	});

	Inject(`${dialect}: cme answers +CME ERROR: <code> for the given command, count times`, async () => {
		const h = harness({ dialect });
		await attached(h);
		h.emu.inject({ kind: "cme", command: "at+cpin", code: 10, count: 2 });
		assert.is(await h.at("AT+CPIN?"), "\r\n+CME ERROR: 10\r\n");
		assert.is(await h.at("AT"), "\r\nOK\r\n", "other commands unaffected");
		assert.is(await h.at("AT+CPIN?"), "\r\n+CME ERROR: 10\r\n");
		assert.is(await h.at("AT+CPIN?"), "\r\n+CPIN: READY\r\n\r\nOK\r\n");
		h.close();
	});

	Inject(`${dialect}: reset mid-session prints the boot markers again and loses the state`, async () => {
		const h = harness({ dialect });
		await attached(h);
		assert.match(await openSocket(h, "127.0.0.1", target(dialect)), /: 0,0\r\n/);
		const before = server.received.length;
		h.emu.inject({ kind: "reset" });
		assert.is(h.emu.power, "booting");
		await h.advance(h.emu.profile.bootMs + h.emu.profile.bootMarkersMs);
		const out = h.take();
		assert.ok(out.startsWith("\r\nRDY\r\n"), out);
		assert.ok(out.endsWith(dialect === "sim7080" ? "\r\nSMS Ready\r\n" : "\r\nAPP RDY\r\n"));
		assert.not.ok(h.emu.pdpActive);
		assert.equal(h.emu.openSockets, []);
		assert.is(await h.at("AT"), "AT\r\r\nOK\r\n", "echo is back on");
		assert.is(server.received.length, before);
		h.close();
	});

	Inject(`${dialect}: registrationDenied reports stat 3, and registration returns after durationMs`, async () => {
		const h = harness({ dialect });
		await attached(h);
		h.emu.inject({ kind: "registrationDenied", durationMs: 30_000 });
		await h.advance(10);
		const lost = h.take();
		assert.match(lost, "+CEREG: 3\r\n");
		assert.match(lost, dialect === "sim7080" ? "+APP PDP: 0,DEACTIVE" : '+QIURC: "pdpdeact",1');
		assert.is(h.emu.registration, 3);
		await h.advance(30_000 + h.emu.profile.attachMs);
		assert.is(h.emu.registration, 1);
		assert.match(h.take(), '+CEREG: 1,"1A2B","01A2D101",7');
		h.close();
	});

	Inject(`${dialect}: networkLoss mid-stream closes the socket (URC), drops PDP and registration`, async () => {
		const h = harness({ dialect });
		await attached(h);
		assert.match(await openSocket(h, "127.0.0.1", target(dialect)), /: 0,0\r\n/);
		h.emu.inject({ kind: "networkLoss", durationMs: 20_000 });
		const out = h.take();
		assert.match(out, dialect === "sim7080" ? "\r\n+CASTATE: 0,0\r\n" : '\r\n+QSSLURC: "closed",0\r\n');
		assert.match(out, "\r\n+CEREG: 2\r\n");
		assert.is(h.emu.registration, 2);
		assert.not.ok(h.emu.pdpActive);
		await h.advance(20_000 + h.emu.profile.attachMs);
		assert.is(h.emu.registration, 1, "network back");
		assert.not.ok(h.emu.pdpActive, "the firmware must reactivate PDP itself");
		h.close();
	});

	Inject(`${dialect}: tlsFailure makes the next TLS open fail with the given code`, async () => {
		const h = harness({ dialect });
		await attached(h);
		if (dialect === "sim7080") await h.at('AT+CASSLCFG=0,"ssl",1'); else await h.at('AT+QSSLCFG="seclevel",1,0');
		h.emu.inject({ kind: "tlsFailure", code: dialect === "sim7080" ? 25 : 566 });
		const reply = await openSocket(h, "127.0.0.1", target(dialect));
		assert.is(reply, dialect === "sim7080" ? "\r\n+CAOPEN: 0,25\r\n\r\nOK\r\n" : "\r\nOK\r\n\r\n+QSSLOPEN: 0,566\r\n");
		h.close();
	});

	Inject(`${dialect}: noGnssFix keeps GNSS without a fix until durationMs passes`, async () => {
		const h = harness({ dialect, faults: [{ kind: "noGnssFix", durationMs: 100_000 }] });
		await h.powerOn();
		await h.at("AT+CFUN=0");
		await h.at(dialect === "sim7080" ? "AT+CGNSPWR=1" : "AT+QGPS=1");
		await h.advance(90_000);
		assert.not.ok(h.emu.hasFix);
		if (dialect === "bg95") assert.match(await h.at("AT+QGPSLOC=2"), "+CME ERROR: 516");
		await h.advance(10_000 + h.emu.profile.ttffFirstMs);
		assert.ok(h.emu.hasFix);
		h.close();
	});
}

for (const dialect of ["sim7080", "bg95"] as const) {
	const closedUrc = dialect === "sim7080" ? "\r\n+CASTATE: 0,0\r\n" : '\r\n+QSSLURC: "closed",0\r\n';
	const send = dialect === "sim7080" ? "AT+CASEND=0,5" : "AT+QSSLSEND=0,5";
	const sent = (dialect: string) => (dialect === "sim7080" ? server : tlsServer).received.join("");

	Inject(`${dialect}: pdpLoss closes the socket (URC), then reports the context down; registration stays`, async () => {
		const h = harness({ dialect });
		await attached(h);
		assert.match(await openSocket(h, "127.0.0.1", target(dialect)), /: 0,0\r\n/);
		const stat = h.emu.registration;
		h.emu.inject({ kind: "pdpLoss" });
		const out = h.take();
		const pdp = dialect === "sim7080" ? "\r\n+APP PDP: 0,DEACTIVE\r\n" : '\r\n+QIURC: "pdpdeact",1\r\n';
		assert.ok(out.indexOf(closedUrc) >= 0 && out.indexOf(closedUrc) < out.indexOf(pdp), JSON.stringify(out));
		assert.not.ok(h.emu.pdpActive);
		assert.is(h.emu.registration, stat);
		assert.equal(h.emu.openSockets, []);
		h.close();
	});

	Inject(`${dialect}: socketClosed closes the open socket (URC); PDP and registration stay`, async () => {
		const h = harness({ dialect });
		await attached(h);
		assert.match(await openSocket(h, "127.0.0.1", target(dialect)), /: 0,0\r\n/);
		h.emu.inject({ kind: "socketClosed" });
		assert.is(h.take(), closedUrc);
		assert.ok(h.emu.pdpActive);
		h.close();
	});

	for (const lenient of [true, false]) {
		Inject(`${dialect}${lenient ? "" : " (strict, 1-byte chunks)"}: reset onCommand ${send} atByte 4 reboots right after the prompt; the payload reaches no server`, async () => {
			const h = harness({ dialect, lenient, maxChunk: 1, urcNoise: 0 });
			await attached(h);
			assert.match(await openSocket(h, "127.0.0.1", target(dialect)), /: 0,0\r\n/);
			h.take();
			const before = sent(dialect).length;
			h.emu.inject({ kind: "reset", onCommand: send, atByte: 4 });
			assert.is(await h.at("AT"), "\r\nOK\r\n", "another command does not trigger it");
			assert.is(h.emu.power, "on");
			assert.is(await h.at(send), "\r\n> ", "the prompt leaves whole");
			assert.is(h.emu.power, "booting");
			h.write("hello");
			await h.advance(h.emu.profile.bootMs + 100);
			assert.match(h.take(), /^\r\nRDY\r\n/);
			assert.is(sent(dialect).length, before, "nothing sent");
			assert.ok(h.emu.transcript.some((l) => l.includes("!! fault: unexpected reset")));
			h.close();
		});
	}
}

Inject("onCommand after atMs: a cme on the first matching command after that time only", async () => {
	const h = harness({ dialect: "bg95", faults: [{ kind: "cme", code: 4, atMs: 15_000, onCommand: "AT+CSQ" }] });
	await h.powerOn();
	await h.at("ATE0");
	h.take();
	assert.match(await h.at("AT+CSQ"), "+CSQ:", "before atMs: not armed");
	await h.advance(15_000 - h.clock.now());
	assert.is(await h.at("AT"), "\r\nOK\r\n");
	assert.is(await h.at("AT+CSQ"), "\r\n+CME ERROR: 4\r\n");
	assert.match(await h.at("AT+CSQ"), "+CSQ:", "once");
	h.close();
});

Inject("atMs trigger fires at that simulated time; afterCommands after N commands", async () => {
	const h = harness({ dialect: "sim7080", faults: [{ kind: "reset", atMs: 20_000 }, { kind: "cme", code: 4, afterCommands: 3 }] });
	await h.powerOn();
	await h.at("ATE0");
	await h.advance(8000);
	h.take();
	assert.is(await h.at("AT"), "\r\nOK\r\n"); // 2nd command
	assert.is(await h.at("AT"), "\r\nOK\r\n"); // 3rd
	assert.is(await h.at("AT"), "\r\nERROR\r\n", "4th: the cme fault (CMEE=0 prints ERROR)");
	await h.advance(20_000 - h.clock.now() - 1);
	assert.is(h.emu.power, "on");
	await h.advance(1);
	assert.is(h.emu.power, "booting");
	h.close();
});

Inject("every fault leaves a !! line in the transcript", async () => {
	const h = harness({ dialect: "bg95" });
	await h.powerOn();
	for (const f of [{ kind: "noGnssFix" }, { kind: "registrationDenied" }, { kind: "networkLoss" }, { kind: "reset" }] as const) h.emu.inject(f);
	const marks = h.emu.transcript.filter((l) => l.includes(" !! fault"));
	assert.is(marks.length, 4);
	h.close();
});

const Parse = suite("parseFaults");

Parse("accepts a scenario object and an array", () => {
	const r = parseFaults('{"faults":[{"kind":"timeout","command":"AT+CAOPEN","afterCommands":12},{"kind":"networkLoss","atMs":60000,"durationMs":30000}]}');
	assert.ok(r.ok);
	if (r.ok) assert.is(r.faults.length, 2);
	assert.ok(parseFaults([{ kind: "reset" }]).ok);
	assert.ok(parseFaults([{ kind: "reset", onCommand: "AT+CASEND", atByte: 4 }, { kind: "pdpLoss", atMs: 5 }, { kind: "socketClosed", onCommand: "AT+CARECV" }]).ok);
	assert.equal(parseFaults([{ kind: "reset", atByte: 4 }, { kind: "reset", onCommand: "CASEND" }]), { ok: false, errors: ["faults[0].atByte: needs onCommand", "faults[1].onCommand: expected a command prefix starting with AT"] });
});

Parse("rejects with reasons naming the entry and field", () => {
	const r = parseFaults([{ kind: "explode" }, { kind: "cme" }, { kind: "reset", durationMs: 5 }, { kind: "timeout", count: 0 }, { kind: "networkLoss", atMs: -1 }, 7]);
	assert.not.ok(r.ok);
	if (!r.ok) assert.equal(r.errors, [
		"faults[0].kind: expected one of timeout, cme, tlsFailure, reset, registrationDenied, networkLoss, noGnssFix, pdpLoss, socketClosed, resetInOutput",
		"faults[1].code: required for cme",
		"faults[2].durationMs: unknown field for kind reset",
		"faults[3].count: expected an integer >= 1",
		"faults[4].atMs: expected a number >= 0",
		"faults[5]: expected an object",
	]);
	const bad = parseFaults("{not json");
	assert.not.ok(bad.ok);
	if (!bad.ok) assert.match(bad.errors[0]!, /^not JSON: /);
	assert.not.ok(parseFaults({ faults: 3 }).ok);
});

void until;
Inject.run();
Parse.run();
