/**
 * Quectel BG95/BG77 dialect against the BG95&BG77 AT Commands Manual and the Quectel TCP/IP, SSL, FILE and GNSS
 * application notes (command names cited per case) and shared/reference/modem-at.md.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { attached, configureTls, harness, openSocket, startServer, until } from "./harness";
import type { TestServer } from "./harness";
import { hasOpenssl, makeTestCerts } from "../../../tools/sim/devCerts";
import type { TestCerts } from "../../../tools/sim/devCerts";
import { xor16 } from "../../../tools/sim/modem/util";

const Power = suite("bg95 power and boot");

Power("PWRKEY >= 500 ms boots: RDY ... APP RDY; CME errors are numeric from the start", async () => {
	const h = harness({ dialect: "bg95" });
	const boot = await h.powerOn();
	assert.is(boot, "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n\r\nAPP RDY\r\n");
	assert.is(await h.at("ATE0"), "ATE0\r\r\nOK\r\n");
	await h.advance(5000);
	h.take();
	assert.is(await h.at("AT+QGPSEND"), "\r\n+CME ERROR: 505\r\n");
	h.close();
});

Power("a 400 ms pulse is too short", async () => {
	const h = harness({ dialect: "bg95" });
	h.emu.pwrkey.write(1);
	await h.advance(400);
	h.emu.pwrkey.write(0);
	await h.advance(10_000);
	assert.is(h.emu.power, "off");
	h.close();
});

Power("AT+QPOWD=1 answers OK then POWERED DOWN", async () => {
	const h = harness({ dialect: "bg95" });
	await h.powerOn();
	await h.at("ATE0");
	await h.advance(5000);
	h.take();
	assert.is(await h.at("AT+QPOWD=1", 1000), "\r\nOK\r\n\r\nPOWERED DOWN\r\n");
	assert.is(h.emu.power, "off");
	assert.is(await h.at("AT", 1000), "");
	h.close();
});

const Data = suite("bg95 AT+QICSGP / AT+QIACT / AT+QLTS / AT+QENG");

Data("AT+QIACT=1 answers OK only once the context is up; AT+QIACT? shows the address", async () => {
	const h = harness({ dialect: "bg95", profile: "poor" });
	await h.powerOn();
	await h.at("ATE0");
	assert.is(await h.at('AT+QICSGP=1,1,"iot.test","","",1'), "\r\nOK\r\n");
	assert.is(await h.at("AT+QIACT=1", 100), "", "not registered: still waiting");
	await h.advance(h.emu.profile.pdpMs * 3);
	assert.is(h.take(), "\r\n+CME ERROR: 3\r\n");
	await h.advance(h.emu.profile.attachMs + h.emu.profile.nitzMs);
	h.take();
	assert.is(await h.at("AT+QIACT=1", h.emu.profile.pdpMs - 100), "");
	await h.advance(200);
	assert.is(h.take(), "\r\nOK\r\n");
	assert.match(await h.at("AT+QIACT?"), /^\r\n\+QIACT: 1,1,1,"10\.64\.\d+\.\d+"\r\n\r\nOK\r\n$/);
	assert.is(await h.at("AT+QIDEACT=1", 500), "\r\nOK\r\n");
	assert.is(await h.at("AT+QIACT?"), "\r\nOK\r\n");
	h.close();
});

Data("AT+QLTS=2 is empty before NITZ and local time with quarter hours after; +CTZE with AT+CTZR=2", async () => {
	const h = harness({ dialect: "bg95", profile: "roaming", timezoneQuarters: -20 });
	await h.powerOn();
	await h.at("ATE0");
	assert.is(await h.at("AT+QLTS=2"), '\r\n+QLTS: ""\r\n\r\nOK\r\n');
	await h.at("AT+CTZR=2");
	await h.advance(h.emu.profile.attachMs + h.emu.profile.nitzMs);
	assert.match(h.take(), /^\r\n\+CTZE: "-20",0,"2026\/11\/22,08:00:\d\d"\r\n$/);
	assert.match(await h.at("AT+QLTS=2"), /^\r\n\+QLTS: "2026\/11\/22,03:00:\d\d-20,0"\r\n\r\nOK\r\n$/);
	h.close();
});

Data('AT+QENG="servingcell" reports SEARCH before registration and the eMTC cell after', async () => {
	const h = harness({ dialect: "bg95", profile: "poor" });
	await h.powerOn();
	await h.at("ATE0");
	assert.is(await h.at('AT+QENG="servingcell"'), '\r\n+QENG: "servingcell","SEARCH"\r\n\r\nOK\r\n');
	await h.advance(h.emu.profile.attachMs + h.emu.profile.nitzMs + h.emu.profile.rrcTailMs);
	assert.is(await h.at('AT+QENG="servingcell"'), '\r\n+QENG: "servingcell","NOCONN","eMTC","FDD",001,01,1A2D101,316,6300,20,3,3,1A2B,-118,-17,-98,-3,40\r\n\r\nOK\r\n');
	h.close();
});

const Tls = suite("bg95 TLS sockets on loopback");
let certs: TestCerts | undefined;
let server: TestServer;
Tls.before(async () => {
	if (!hasOpenssl()) throw new Error("openssl CLI missing: apt-get install openssl");
	certs = makeTestCerts();
	server = await startServer({ cert: certs.good });
});
Tls.after(async () => { await server.close(); certs?.cleanup(); });

Tls("AT+QFUPL: CONNECT, <size> bytes, +QFUPL: <size>,<checksum>; a second upload of the same name is 407", async () => {
	const h = harness({ dialect: "bg95" });
	await attached(h);
	assert.is(await h.at('AT+QFUPL="UFS:t.pem",4,100', 20), "\r\nCONNECT\r\n");
	h.write("ABCD");
	await h.advance(50);
	// checksum: 16-bit XOR of the file's big-endian words: 0x4142 ^ 0x4344 = 0x0206
	assert.is(h.take(), "\r\n+QFUPL: 4,206\r\n\r\nOK\r\n");
	assert.is(xor16(Uint8Array.of(0x41, 0x42, 0x43)), 0x4142 ^ 0x4300);
	assert.is(await h.at('AT+QFUPL="UFS:t.pem",4,100'), "\r\n+CME ERROR: 407\r\n");
	assert.is(await h.at('AT+QFDEL="UFS:t.pem"'), "\r\nOK\r\n");
	assert.is(await h.at('AT+QFDEL="UFS:t.pem"'), "\r\n+CME ERROR: 405\r\n");
	h.close();
});

Tls("AT+QSSLOPEN: OK then +QSSLOPEN: 0,0; QSSLSEND prompt and SEND OK; +QSSLURC recv; QSSLRECV; closed URC", async () => {
	const h = harness({ dialect: "bg95", hosts: { "api.enigm.test": "127.0.0.1" } });
	await attached(h);
	await configureTls(h, certs!.ca);
	assert.is(await openSocket(h, "api.enigm.test", server.port), "\r\nOK\r\n\r\n+QSSLOPEN: 0,0\r\n");
	assert.equal(server.servernames.at(-1), "api.enigm.test");
	assert.is(await h.at("AT+QSSLSEND=0,5", 20), "\r\n> ");
	h.write("hello");
	await h.advance(h.emu.profile.sendMs);
	await until(() => h.emu.transcript.some((l) => l.includes('+QSSLURC: "recv",0')));
	assert.is(h.take(), '\r\nSEND OK\r\n\r\n+QSSLURC: "recv",0\r\n');
	assert.is(await h.at("AT+QSSLRECV=0,1500"), "\r\n+QSSLRECV: 40\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n05\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+QSSLRECV=0,1500"), "\r\n+QSSLRECV: 0\r\n\r\nOK\r\n");
	server.dropAll();
	await until(() => h.emu.transcript.some((l) => l.includes('+QSSLURC: "closed",0')));
	assert.is(h.take(), '\r\n+QSSLURC: "closed",0\r\n');
	assert.is(await h.at("AT+QSSLCLOSE=0"), "\r\nOK\r\n");
	h.close();
});

Tls("open failures: unknown host 565, bad certificate or refused 566", async () => {
	const expired = await startServer({ cert: certs!.expired });
	const untrusted = await startServer({ cert: certs!.untrusted });
	const h = harness({ dialect: "bg95", hosts: { "api.enigm.test": "127.0.0.1" } });
	await attached(h);
	await configureTls(h, certs!.ca);
	assert.is(await openSocket(h, "nowhere.invalid", 443), "\r\nOK\r\n\r\n+QSSLOPEN: 0,565\r\n");
	assert.is(await openSocket(h, "api.enigm.test", expired.port), "\r\nOK\r\n\r\n+QSSLOPEN: 0,566\r\n");
	assert.is(await openSocket(h, "api.enigm.test", untrusted.port), "\r\nOK\r\n\r\n+QSSLOPEN: 0,566\r\n");
	h.close();
	await Promise.all([expired.close(), untrusted.close()]);
});

Tls("plain TCP: AT+QIOPEN, QISEND, +QIURC recv, QIRD, +QIURC closed; wire bytes counted", async () => {
	const plain = await startServer();
	const h = harness({ dialect: "bg95" });
	await attached(h);
	assert.is(await h.at(`AT+QIOPEN=1,2,"TCP","127.0.0.1",${plain.port},0,0`, 1000), "\r\nOK\r\n\r\n+QIOPEN: 2,0\r\n");
	assert.is(await h.at("AT+QISEND=2,3", 20), "\r\n> ");
	h.write("abc");
	await h.advance(h.emu.profile.sendMs);
	await until(() => h.emu.transcript.some((l) => l.includes('+QIURC: "recv",2')));
	assert.is(h.take(), '\r\nSEND OK\r\n\r\n+QIURC: "recv",2\r\n');
	assert.is(await h.at("AT+QIRD=2,1500"), "\r\n+QIRD: 40\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n03\r\n\r\nOK\r\n");
	const stats = h.emu.stats;
	assert.is(stats.payloadSent, 3);
	assert.is(stats.payloadReceived, 40);
	assert.is(stats.wireSent, 3, "plain TCP: wire bytes = payload bytes");
	assert.is(stats.wireReceived, 40);
	plain.dropAll();
	await until(() => h.emu.transcript.some((l) => l.includes('+QIURC: "closed",2')));
	assert.is(h.take(), '\r\n+QIURC: "closed",2\r\n');
	assert.is(await h.at("AT+QICLOSE=2"), "\r\nOK\r\n");
	assert.is(h.emu.stats.wireSent, 3, "kept after the socket is gone");
	h.close();
	await plain.close();
});

Tls("TLS wire bytes include the handshake and record overhead", async () => {
	const h = harness({ dialect: "bg95", hosts: { "api.enigm.test": "127.0.0.1" } });
	await attached(h);
	await configureTls(h, certs!.ca);
	await openSocket(h, "api.enigm.test", server.port);
	await h.at("AT+QSSLSEND=0,5", 20);
	h.write("hello");
	await h.advance(h.emu.profile.sendMs);
	const s = h.emu.stats;
	assert.is(s.payloadSent, 5);
	assert.ok(s.wireSent > 5 + 22, `TLS adds at least a 5-byte header and a 16-byte tag per record plus the handshake: ${s.wireSent}`);
	h.close();
});

/** Opens socket 0, waits for the open result, closes it; returns the wire bytes that connection cost. */
async function openAndClose(h: ReturnType<typeof harness>, port: number): Promise<number> {
	const before = h.emu.stats.wireSent + h.emu.stats.wireReceived;
	assert.is(await openSocket(h, "api.enigm.test", port), "\r\nOK\r\n\r\n+QSSLOPEN: 0,0\r\n");
	await until(() => h.emu.stats.wireReceived > 0);
	assert.is(await h.at("AT+QSSLCLOSE=0,10"), "\r\nOK\r\n");
	await h.advance(50);
	return h.emu.stats.wireSent + h.emu.stats.wireReceived - before;
}

Tls('AT+QSSLCFG="session_cache",1,1: the second QSSLOPEN of the context resumes the session (abbreviated handshake)', async () => {
	const h = harness({ dialect: "bg95", hosts: { "api.enigm.test": "127.0.0.1" } });
	await attached(h);
	await configureTls(h, certs!.ca);
	assert.is(await h.at('AT+QSSLCFG="session_cache",1'), '\r\n+QSSLCFG: "session_cache",1,0\r\n\r\nOK\r\n'); // off by default
	assert.is(await h.at('AT+QSSLCFG="session_cache",1,2'), "\r\n+CME ERROR: 50\r\n");
	assert.is(await h.at('AT+QSSLCFG="session_cache",1,1'), "\r\nOK\r\n");
	const full = await openAndClose(h, server.port);
	const resumed = await openAndClose(h, server.port);
	assert.is(h.emu.stats.tlsHandshakes, 2);
	assert.is(h.emu.stats.tlsResumed, 1, "the second open offered the cached session and the server accepted it");
	// No Certificate or ServerKeyExchange in an abbreviated handshake (RFC 5246 §7.3, figure 2).
	assert.ok(resumed < full - 300, `resumed ${resumed} B vs full ${full} B`);
	h.close();
});

Tls("without session_cache every QSSLOPEN is a full handshake", async () => {
	const h = harness({ dialect: "bg95", hosts: { "api.enigm.test": "127.0.0.1" } });
	await attached(h);
	await configureTls(h, certs!.ca);
	await openAndClose(h, server.port);
	await openAndClose(h, server.port);
	assert.is(h.emu.stats.tlsResumed, 0);
	assert.is(h.emu.stats.tlsHandshakes, 2);
	h.close();
});

const Gnss = suite("bg95 GNSS");

Gnss("AT+QGPSLOC=2: 505 while off, 516 until the fix, then the 11 fields", async () => {
	const h = harness({ dialect: "bg95", track: [{ offsetMs: 0, lat: 48.8634, lon: 2.3256, alt: 34 }] });
	await h.powerOn();
	await h.at("ATE0");
	await h.at("AT+CFUN=4");
	h.take();
	assert.is(await h.at("AT+QGPSLOC=2"), "\r\n+CME ERROR: 505\r\n");
	assert.is(await h.at("AT+QGPS=1"), "\r\nOK\r\n");
	assert.is(await h.at("AT+QGPS=1"), "\r\n+CME ERROR: 504\r\n");
	assert.is(await h.at("AT+QGPSLOC=2"), "\r\n+CME ERROR: 516\r\n");
	await h.advance(h.emu.profile.ttffFirstMs);
	const reply = await h.at("AT+QGPSLOC=2");
	const m = /^\r\n\+QGPSLOC: (.*)\r\n\r\nOK\r\n$/.exec(reply);
	assert.ok(m, reply);
	const f = m![1]!.split(",");
	assert.is(f.length, 11);
	assert.match(f[0]!, /^0800\d\d\.\d{3}$/); // hhmmss.sss UTC
	assert.is(f[1], "48.86340");
	assert.is(f[2], "2.32560");
	assert.is(f[3], "0.9"); // HDOP
	assert.is(f[4], "34.0"); // altitude
	assert.is(f[5], "3"); // 3D fix
	assert.is(f[9], "221126"); // ddmmyy
	assert.is(f[10], "09"); // satellites
	assert.is(await h.at("AT+QGPSEND"), "\r\nOK\r\n");
	assert.is(await h.at("AT+QGPSLOC=2"), "\r\n+CME ERROR: 505\r\n");
	h.close();
});

Power.run();
Data.run();
Tls.run();
Gnss.run();
