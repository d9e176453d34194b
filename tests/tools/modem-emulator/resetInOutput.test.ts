/**
 * A modem reset can land at any byte of the modem's output (issue 9): the `resetInOutput` fault cuts a reply, a
 * `> ` data prompt or a counted read (`+CARECV: <n>,<bytes>` / `+QSSLRECV: <n>\r\n<bytes>`) after exactly
 * `offset` bytes; the host then sees nothing until the boot output, which comes with the delays of a power-on.
 *
 * Golden replies are written from the manuals' formats (SIM7080 AT manual AT+CARECV, AT+CASEND; BG95&BG77 SSL
 * application note AT+QSSLRECV, AT+QSSLSEND), not taken from the emulator. Boot output: `RDY` then `+CFUN: 1`,
 * `+CPIN: READY`, `SMS Ready` on the SIMCom family (SIM800 Series AT Command Manual V1.09, summary of URCs: "RDY
 * Power on procedure is completed", "SMS Ready"; the same four lines reported from a SIM7000E that kept
 * resetting, codewithsundeep.com/discussion/solution/76080255), `APP RDY` last on BG95 (shared/reference/modem-at.md);
 * echo on after every boot (ITU-T V.250 6.2.4, E1 is the default).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { attached, harness, openSocket, startServer, until } from "./harness";
import type { Harness, TestServer } from "./harness";
import { parseFaults } from "../../../tools/sim/modem/faults";
import { makeTestCerts } from "../../../tools/sim/devCerts";
import type { TestCerts } from "../../../tools/sim/devCerts";

type Dialect = "sim7080" | "bg95";

const PAYLOAD = "0123456789";

/** Per family: the receive and send commands and their replies as the manuals write them. */
const F = {
	sim7080: {
		recv: "AT+CARECV=0,1460",
		recvReply: `\r\n+CARECV: ${PAYLOAD.length},${PAYLOAD}\r\n\r\nOK\r\n`,
		send: (n: number) => `AT+CASEND=0,${n}`,
		dataUrc: "+CADATAIND: 0",
		boot: ["RDY", "+CFUN: 1", "+CPIN: READY", "SMS Ready"],
	},
	bg95: {
		recv: "AT+QSSLRECV=0,1500",
		recvReply: `\r\n+QSSLRECV: ${PAYLOAD.length}\r\n${PAYLOAD}\r\n\r\nOK\r\n`,
		send: (n: number) => `AT+QSSLSEND=0,${n}`,
		dataUrc: '+QSSLURC: "recv",0',
		boot: ["RDY", "+CFUN: 1", "+CPIN: READY", "APP RDY"],
	},
} as const;

let server: TestServer;
let tlsServer: TestServer;
let certs: TestCerts;
// Every chunk the server gets is answered with the same ten bytes.
const Cut = suite("resetInOutput: a reset at any byte of the output");
Cut.before(async () => {
	certs = makeTestCerts();
	server = await startServer({ reply: () => PAYLOAD });
	tlsServer = await startServer({ cert: certs.good, reply: () => PAYLOAD });
});
Cut.after(async () => { await server.close(); await tlsServer.close(); certs.cleanup(); });

/** Attached, socket 0 open, `PAYLOAD` waiting in the modem (its data URC seen). */
async function withData(dialect: Dialect, options: { lenient?: boolean; maxChunk?: number; urcNoise?: number; seed?: number } = {}): Promise<Harness> {
	const h = harness({ dialect, ...options });
	await attached(h);
	const port = dialect === "sim7080" ? server.port : tlsServer.port;
	assert.match(await openSocket(h, "127.0.0.1", port), /: 0,0\r\n/);
	h.write(F[dialect].send(4) + "\r");
	await h.advance(50);
	h.write("ping");
	await h.advance(h.emu.profile.sendMs + 50);
	let seen = h.take();
	await until(() => h.emu.pendingIo === 0 && (h.emu.stats.wireReceived > 0));
	for (let i = 0; i < 20 && !seen.includes(F[dialect].dataUrc); i++) { await h.advance(20); seen += h.take(); }
	assert.ok(seen.includes(F[dialect].dataUrc), `no data URC: ${JSON.stringify(seen)}`);
	return h;
}

/** Lines of `text` (CR LF framed), empty ones dropped. */
const lines = (text: string): string[] => text.split("\r\n").filter((l) => l !== "");

/** Writes `line` CR and advances 1 ms at a time (at most `limitMs`) until the modem has been cut; returns the output. */
async function untilCut(h: Harness, line: string, limitMs = 200): Promise<string> {
	h.write(line + "\r");
	for (let t = 0; t < limitMs && h.emu.power === "on"; t++) await h.advance(1);
	assert.is(h.emu.power, "booting", "the reset never fell");
	return h.take();
}

/** Right after the cut: silence until bootMs, `RDY` at bootMs, the last boot marker no earlier than bootMarkersMs later. */
async function bootOutput(h: Harness, dialect: Dialect): Promise<string> {
	const p = h.emu.profile;
	await h.advance(p.bootMs - 1);
	assert.is(h.take(), "", "nothing may come out while the module reboots");
	await h.advance(1);
	const first = h.take();
	assert.ok(first.length > 0, "the boot output starts at bootMs");
	await h.advance(p.bootMarkersMs - 1);
	const early = lines(first + h.take());
	const last = F[dialect].boot[F[dialect].boot.length - 1]!;
	assert.not.ok(early.includes(last), `${last} came less than bootMarkersMs after RDY`);
	await h.advance(p.bootMarkersMs);
	const all = [...early, ...lines(h.take())];
	assert.is(all[0], "RDY", "RDY first, once the UART is up again");
	// The family's boot lines in order (the dialect may add others between them, e.g. BG95 +QUSIM).
	let i = 0;
	for (const want of F[dialect].boot) {
		while (i < all.length && all[i] !== want) i++;
		assert.ok(i < all.length, `boot output lacks ${want} in order: ${JSON.stringify(all)}`);
	}
	return all.join("|");
}

for (const dialect of ["sim7080", "bg95"] as const) {
	const full = F[dialect].recvReply;
	// Offsets: before the first byte, inside the header, at the end of the header (the counted bytes begin next),
	// inside the payload, its last byte, inside the final OK.
	const header = full.indexOf(PAYLOAD);
	for (const offset of [0, 5, header, header + 4, header + PAYLOAD.length, full.length - 3]) {
		Cut(`${dialect}: reset after byte ${offset} of the counted read: exactly that prefix, silence, then the boot output`, async () => {
			const h = await withData(dialect);
			h.emu.inject({ kind: "resetInOutput", command: F[dialect].recv.slice(0, F[dialect].recv.indexOf("=")), offset });
			assert.is(await untilCut(h, F[dialect].recv), full.slice(0, offset));
			assert.ok(h.emu.transcript.some((l) => l.includes(`!! fault: reset at byte ${offset} of the output`)));
			// The host, still expecting bytes, writes on: the rebooting module takes none of it.
			h.write("AT\r");
			await bootOutput(h, dialect);
			assert.not.ok(h.emu.pdpActive);
			assert.equal(h.emu.openSockets, []);
			assert.is(await h.at("AT"), "AT\r\r\nOK\r\n", "echo is on after the boot (V.250 E1 default)");
			h.close();
		});
	}

	// `\r\n> ` (SIM7080 AT+CASEND, BG95 AT+QSSLSEND): cut before, inside, and right after the prompt.
	for (const offset of [1, 3, 4]) {
		Cut(`${dialect}: reset after byte ${offset} of the "> " prompt: the payload the host sends is lost, the boot output follows`, async () => {
			const h = await withData(dialect);
			const sentBefore = (dialect === "sim7080" ? server : tlsServer).received.join("").length;
			h.write(F[dialect].recv + "\r"); // drain the data first, so the read is not in the way
			await h.advance(100);
			h.take();
			h.emu.inject({ kind: "resetInOutput", command: F[dialect].send(5).slice(0, F[dialect].send(5).indexOf("=")), offset });
			assert.is(await untilCut(h, F[dialect].send(5)), "\r\n> ".slice(0, offset));
			h.write("hello");
			await bootOutput(h, dialect);
			await h.advance(100);
			assert.is((dialect === "sim7080" ? server : tlsServer).received.join("").length, sentBefore, "no payload byte reached the server");
			assert.is(await h.at("AT"), "AT\r\r\nOK\r\n");
			h.close();
		});
	}

	Cut(`${dialect}: strict default (1-byte chunks, jitter, URC noise): the cut still falls at the reply's byte`, async () => {
		for (const seed of [1, 2, 3, 4, 5]) {
			const h = await withData(dialect, { lenient: false, maxChunk: 1, urcNoise: 0.5, seed });
			const offset = full.indexOf(PAYLOAD) + 3;
			h.emu.inject({ kind: "resetInOutput", command: F[dialect].recv.slice(0, F[dialect].recv.indexOf("=")), offset });
			const out = await untilCut(h, F[dialect].recv);
			assert.ok(out.endsWith(full.slice(0, offset)), `seed ${seed}: ${JSON.stringify(out)}`);
			// Before the reply only a harmless +CEREG re-report may come (the noise between echo and result).
			const before = out.slice(0, out.length - offset);
			assert.ok(before === "" || /^(\r\n\+CEREG: [^\r]*\r\n)+$/.test(before), `seed ${seed}: ${JSON.stringify(before)}`);
			await bootOutput(h, dialect);
			h.close();
		}
	});
}

Cut("without a command, the offset counts from the next byte to leave (here inside the reply to AT)", async () => {
	const h = harness({ dialect: "sim7080" });
	await attached(h);
	h.emu.inject({ kind: "resetInOutput", offset: 3 });
	assert.is(await untilCut(h, "AT"), "\r\nO");
	await bootOutput(h, "sim7080");
	h.close();
});

Cut("sim7080: after the reboot the PDP context is gone: AT+CAOPEN answers +CAOPEN: <cid>,21 until AT+CNACT", async () => {
	const h = await withData("sim7080");
	h.emu.inject({ kind: "resetInOutput", command: "AT+CARECV", offset: 8 });
	await untilCut(h, F.sim7080.recv);
	const boot = await bootOutput(h, "sim7080");
	assert.ok(boot.length > 0);
	// SIM7080 AT manual, AT+CAOPEN <result> 21: "network not active" (shared/reference/modem-at.md).
	assert.is(await h.at(`AT+CAOPEN=0,0,"TCP","127.0.0.1",${server.port}`, 500), `AT+CAOPEN=0,0,"TCP","127.0.0.1",${server.port}\r\r\n+CAOPEN: 0,21\r\n\r\nOK\r\n`);
	h.close();
});

Cut("sim7080: after a PDP loss (network gone and back) AT+CAOPEN answers 21 until the context is activated again", async () => {
	const h = harness({ dialect: "sim7080" });
	await attached(h);
	h.emu.inject({ kind: "networkLoss", durationMs: 10_000 });
	await h.advance(10);
	assert.match(h.take(), "\r\n+APP PDP: 0,DEACTIVE\r\n");
	await h.advance(10_000 + h.emu.profile.attachMs + 100);
	assert.is(h.emu.registration, 1, "registered again");
	assert.match(h.take(), "+CEREG: 1,");
	const open = `AT+CAOPEN=0,0,"TCP","127.0.0.1",${server.port}`;
	assert.is(await h.at(open, 500), "\r\n+CAOPEN: 0,21\r\n\r\nOK\r\n");
	await h.at("AT+CNACT=0,1", h.emu.profile.pdpMs + 100);
	assert.match(await h.at(open, h.emu.profile.connectMs + 200), "\r\n+CAOPEN: 0,0\r\n");
	h.close();
});

Cut("sim7080: network time (*PSUTTZ, DST) follows the boot markers once the module has registered again", async () => {
	const h = await withData("sim7080");
	h.emu.inject({ kind: "resetInOutput", command: "AT+CARECV", offset: 0 });
	assert.is(await untilCut(h, F.sim7080.recv), "");
	const boot = await bootOutput(h, "sim7080");
	const p = h.emu.profile;
	await h.advance(p.attachMs + p.nitzMs);
	const after = lines(boot.replace(/\|/g, "\r\n") + "\r\n" + h.take());
	const sms = after.indexOf("SMS Ready");
	const psuttz = after.findIndex((l) => l.startsWith("*PSUTTZ: "));
	assert.ok(sms >= 0 && psuttz > sms, JSON.stringify(after));
	assert.ok(after.slice(psuttz).includes("DST: 0"));
	h.close();
});

Cut("a reset cut while the modem is busy with something else waits for its command", async () => {
	const h = harness({ dialect: "bg95" });
	await attached(h);
	h.emu.inject({ kind: "resetInOutput", command: "AT+QSSLRECV", offset: 2 });
	assert.is(await h.at("AT+CSQ"), "\r\n+CSQ: 22,99\r\n\r\nOK\r\n", "other commands answer whole");
	assert.is(h.emu.power, "on");
	assert.is(await untilCut(h, "AT+QSSLRECV=0,1500"), "\r\n");
	h.close();
});

const Parse = suite("resetInOutput in fault JSON");

Parse("valid: offset required, integer >= 0; command optional, a non-empty prefix", () => {
	assert.ok(parseFaults([{ kind: "resetInOutput", offset: 0 }]).ok);
	assert.ok(parseFaults('[{"kind":"resetInOutput","command":"AT+CARECV","offset":14,"afterCommands":3}]').ok);
	const r = parseFaults([
		{ kind: "resetInOutput" },
		{ kind: "resetInOutput", offset: -1 },
		{ kind: "resetInOutput", offset: 1.5 },
		{ kind: "resetInOutput", offset: 2, command: "" },
		{ kind: "resetInOutput", offset: 2, durationMs: 5 },
	]);
	assert.not.ok(r.ok);
	if (!r.ok) assert.equal(r.errors, [
		"faults[0].offset: required for resetInOutput",
		"faults[1].offset: expected an integer >= 0",
		"faults[2].offset: expected an integer >= 0",
		"faults[3].command: expected a non-empty command prefix",
		"faults[4].durationMs: unknown field for kind resetInOutput",
	]);
});

Cut.run();
Parse.run();
