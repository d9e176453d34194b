/**
 * SIM7080G dialect against the SIMCom SIM7070/SIM7080/SIM7090 AT Command Manual examples (command names cited
 * per case) and shared/reference/modem-at.md. Framing is ITU-T V.250 (V1): `\r\n<line>\r\n`, echo until ATE0.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { attached, configureTls, harness, openSocket, startServer, until } from "./harness";
import type { Harness, TestServer } from "./harness";
import { hasOpenssl, makeTestCerts } from "../../../tools/sim/devCerts";
import type { TestCerts } from "../../../tools/sim/devCerts";

const Power = suite("sim7080 power and boot");

Power("nothing answers while off; a PWRKEY pulse shorter than 1 s is ignored", async () => {
	const h = harness({ dialect: "sim7080" });
	assert.is(await h.at("AT", 5000), "");
	h.emu.pwrkey.write(1);
	await h.advance(900);
	h.emu.pwrkey.write(0);
	await h.advance(10_000);
	assert.is(h.emu.power, "off");
	assert.is(h.take(), "");
	h.close();
});

Power("PWRKEY low for 1 s boots: RDY, +CFUN: 1, +CPIN: READY, SMS Ready, then AT answers with echo", async () => {
	const h = harness({ dialect: "sim7080" });
	const boot = await h.powerOn();
	assert.is(boot, "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n");
	assert.is(await h.at("AT"), "AT\r\r\nOK\r\n");
	assert.is(await h.at("ATE0"), "ATE0\r\r\nOK\r\n");
	assert.is(await h.at("AT"), "\r\nOK\r\n");
	h.close();
});

Power("pwrkeyActive 0 presses with a low level (module pin driven directly)", async () => {
	const h = harness({ dialect: "sim7080", pwrkeyActive: 0 });
	assert.is(h.emu.pwrkey.read(), 1);
	await h.powerOn();
	assert.is(h.emu.power, "on");
	h.close();
});

Power("AT+CPOWD=1 answers NORMAL POWER DOWN and the modem goes silent", async () => {
	const h = harness({ dialect: "sim7080" });
	await h.powerOn();
	await h.at("ATE0");
	assert.is(await h.at("AT+CPOWD=1"), "\r\nNORMAL POWER DOWN\r\n");
	assert.is(h.emu.power, "off");
	assert.is(await h.at("AT", 5000), "");
	h.close();
});

Power("a second long PWRKEY press powers down with NORMAL POWER DOWN", async () => {
	const h = harness({ dialect: "sim7080" });
	await h.powerOn();
	await h.advance(5000);
	h.take();
	h.emu.pwrkey.write(1);
	await h.advance(1300);
	h.emu.pwrkey.write(0);
	assert.is(h.take(), "\r\nNORMAL POWER DOWN\r\n");
	assert.is(h.emu.power, "off");
	h.close();
});

Power("rails off cuts the modem at once; rails on with bootOnRails boots without PWRKEY", async () => {
	const h = harness({ dialect: "sim7080", railsOn: false, bootOnRails: true });
	h.emu.pwrkey.write(1);
	await h.advance(1500);
	h.emu.pwrkey.write(0);
	await h.advance(10_000);
	assert.is(h.emu.power, "off", "no supply, no boot");
	h.emu.rails.on();
	await h.advance(h.emu.profile.bootMs + h.emu.profile.bootMarkersMs);
	assert.ok(h.take().endsWith("SMS Ready\r\n"));
	h.emu.rails.off();
	assert.is(h.emu.power, "off");
	assert.is(await h.at("AT", 1000), "");
	h.close();
});

const Basic = suite("sim7080 27.007 commands");

Basic("AT+CMEE=1 turns errors into +CME ERROR: <n>; unknown commands stay plain ERROR", async () => {
	const h = harness({ dialect: "sim7080" });
	await h.powerOn();
	await h.at("ATE0");
	await h.advance(5000);
	h.take();
	assert.is(await h.at("AT+CFUN=9"), "\r\nERROR\r\n");
	await h.at("AT+CMEE=1");
	assert.is(await h.at("AT+CFUN=9"), "\r\n+CME ERROR: 50\r\n");
	assert.is(await h.at("AT+NOSUCH"), "\r\nERROR\r\n");
	await h.at("AT+CMEE=2");
	assert.is(await h.at("AT+CFUN=9"), "\r\n+CME ERROR: incorrect parameters\r\n");
	assert.is(await h.at("AT+CPIN?"), "\r\n+CPIN: READY\r\n\r\nOK\r\n");
	h.close();
});

Basic("+CEREG=2 reports searching then registered with tac, ci and AcT 7 (TS 27.007 10.1.22)", async () => {
	const h = harness({ dialect: "sim7080" });
	await h.powerOn();
	await h.at("ATE0");
	await h.at("AT+CEREG=2");
	assert.is(await h.at("AT+CEREG?"), '\r\n+CEREG: 2,1,"1A2B","01A2D101",7\r\n\r\nOK\r\n');
	assert.is(await h.at("AT+CFUN=0"), "\r\nOK\r\n\r\n+CEREG: 0\r\n");
	assert.is(await h.at("AT+CFUN=1"), "\r\nOK\r\n\r\n+CEREG: 2\r\n");
	await h.advance(h.emu.profile.attachMs);
	assert.is(h.take(), '\r\n+CEREG: 1,"1A2B","01A2D101",7\r\n');
	h.close();
});

Basic("roaming profile registers with stat 5", async () => {
	const h = harness({ dialect: "sim7080", profile: "roaming" });
	await h.powerOn();
	await h.at("ATE0");
	await h.at("AT+CEREG=1");
	await h.advance(h.emu.profile.attachMs);
	assert.match(await h.at("AT+CEREG?"), "+CEREG: 1,5");
	h.close();
});

Basic("network time: +CTZV, *PSUTTZ and DST: after registration; AT+CCLK? in local time with quarter hours", async () => {
	const h = harness({ dialect: "sim7080", wallStart: Date.UTC(2026, 10, 22, 8, 0, 0), timezoneQuarters: 4 });
	await h.powerOn();
	await h.at("ATE0");
	// Before NITZ the RTC counts from 1980-01-06 (GPS epoch).
	const good = h.emu.profile;
	await h.advance(good.attachMs + good.nitzMs);
	const urcs = h.take();
	assert.match(urcs, /\r\n\+CTZV: \+04,0\r\n\r\n\*PSUTTZ: 26\/11\/22,08:00:\d\d","\+04",0\r\n\r\nDST: 0\r\n/);
	assert.match(await h.at("AT+CCLK?"), /^\r\n\+CCLK: "26\/11\/22,09:00:\d\d\+04"\r\n\r\nOK\r\n$/);
	h.close();
});

Basic("AT+CCLK? before any network time shows the 1980 default", async () => {
	const h = harness({ dialect: "sim7080", profile: { ...(await import("../../../tools/sim/modem/profiles")).profiles.good!, attachMs: 60_000 } });
	await h.powerOn();
	await h.at("ATE0");
	assert.match(await h.at("AT+CCLK?"), '+CCLK: "80/01/06,00:00:');
	h.close();
});

Basic("AT+CPSI? gives the serving cell once registered, NO SERVICE before", async () => {
	const h = harness({ dialect: "sim7080", profile: "poor" });
	await h.powerOn();
	await h.at("ATE0");
	assert.is(await h.at("AT+CPSI?"), "\r\n+CPSI: NO SERVICE,Online\r\n\r\nOK\r\n");
	await h.advance(h.emu.profile.attachMs + h.emu.profile.nitzMs);
	h.take();
	assert.is(await h.at("AT+CPSI?"), "\r\n+CPSI: LTE CAT-M1,Online,001-01,0x1A2B,27447553,316,EUTRAN-BAND20,6300,5,5,-17,-118,-98,-3\r\n\r\nOK\r\n");
	h.close();
});

const Pdp = suite("sim7080 AT+CNCFG / AT+CNACT");

Pdp("AT+CNACT=0,1 answers OK then +APP PDP: 0,ACTIVE; AT+CNACT? lists the four contexts", async () => {
	const h = harness({ dialect: "sim7080", profile: "poor" });
	await h.powerOn();
	await h.at("ATE0");
	await h.at("AT+CMEE=1");
	assert.is(await h.at("AT+CNACT=0,1"), "\r\n+CME ERROR: 3\r\n", "not registered yet");
	await h.advance(h.emu.profile.attachMs + h.emu.profile.nitzMs);
	h.take();
	assert.is(await h.at('AT+CNCFG=0,1,"iot.test"'), "\r\nOK\r\n");
	assert.is(await h.at("AT+CNACT=0,1", 50), "\r\nOK\r\n");
	await h.advance(h.emu.profile.pdpMs);
	assert.is(h.take(), "\r\n+APP PDP: 0,ACTIVE\r\n");
	assert.match(await h.at("AT+CNACT?"), /^\r\n\+CNACT: 0,1,"10\.64\.\d+\.\d+"\r\n\r\n\+CNACT: 1,0,"0\.0\.0\.0"\r\n\r\n\+CNACT: 2,0,"0\.0\.0\.0"\r\n\r\n\+CNACT: 3,0,"0\.0\.0\.0"\r\n\r\nOK\r\n$/);
	assert.is(await h.at("AT+CNACT=0,0", 500), "\r\nOK\r\n\r\n+APP PDP: 0,DEACTIVE\r\n");
	h.close();
});

const Tls = suite("sim7080 TLS sockets on loopback");
let certs: TestCerts | undefined;
let server: TestServer;
Tls.before(async () => {
	if (!hasOpenssl()) throw new Error("openssl CLI missing: apt-get install openssl");
	certs = makeTestCerts();
	server = await startServer({ cert: certs.good });
});
Tls.after(async () => { await server.close(); certs?.cleanup(); });

async function tlsReady(h: Harness): Promise<void> {
	await attached(h);
	await configureTls(h, certs!.ca);
}

Tls("CA upload: AT+CFSWFILE prompts DOWNLOAD, takes exactly <len> bytes, then OK; convert rejects a non-PEM file", async () => {
	const h = harness({ dialect: "sim7080" });
	await attached(h);
	assert.is(await h.at("AT+CFSINIT"), "\r\nOK\r\n");
	assert.is(await h.at('AT+CFSWFILE=3,"ca.pem",0,5,10000', 20), "\r\nDOWNLOAD\r\n");
	h.write("hello");
	await h.advance(50);
	assert.is(h.take(), "\r\nOK\r\n");
	assert.is(await h.at('AT+CFSGFIS=3,"ca.pem"'), "\r\n+CFSGFIS: 5\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CFSTERM"), "\r\nOK\r\n");
	assert.is(await h.at('AT+CSSLCFG="convert",2,"ca.pem"'), "\r\n+CME ERROR: 50\r\n");
	h.close();
});

Tls("AT+CAOPEN with the CA pinned and SNI: +CAOPEN: 0,0, CASEND after the prompt, +CADATAIND, CARECV, remote close +CASTATE: 0,0", async () => {
	const h = harness({ dialect: "sim7080", hosts: { "api.enigm.test": "127.0.0.1" } });
	await tlsReady(h);
	assert.is(await openSocket(h, "api.enigm.test", server.port), "\r\n+CAOPEN: 0,0\r\n\r\nOK\r\n");
	assert.equal(server.servernames.at(-1), "api.enigm.test", "SNI from AT+CSSLCFG=\"sni\"");
	assert.is(await h.at("AT+CASEND=0,5", 20), "\r\n> ");
	h.write("hello");
	await h.advance(h.emu.profile.sendMs);
	await until(() => h.emu.transcript.some((l) => l.includes("+CADATAIND: 0")));
	assert.is(h.take(), "\r\nOK\r\n\r\n+CADATAIND: 0\r\n");
	assert.is(server.received.at(-1), "hello");
	assert.is(await h.at("AT+CARECV=0,10"), "\r\n+CARECV: 10,HTTP/1.1 2\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CARECV=0,1460"), "\r\n+CARECV: 30,00 OK\r\nContent-Length: 2\r\n\r\n05\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CARECV=0,1460"), "\r\n+CARECV: 0\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CASTATE?"), "\r\n+CASTATE: 0,1\r\n\r\nOK\r\n");
	server.dropAll();
	await until(() => h.emu.transcript.some((l) => l.includes("+CASTATE: 0,0")));
	assert.is(h.take(), "\r\n+CASTATE: 0,0\r\n");
	assert.is(await h.at("AT+CASEND=0,5"), "\r\n+CME ERROR: 3\r\n");
	h.close();
});

Tls("AT+CACLOSE closes without a URC; plain TCP (no SSL) works too", async () => {
	const plain = await startServer();
	const h = harness({ dialect: "sim7080" });
	await attached(h);
	assert.is(await openSocket(h, "127.0.0.1", plain.port), "\r\n+CAOPEN: 0,0\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CACLOSE=0"), "\r\nOK\r\n");
	await h.advance(1000);
	assert.is(h.take(), "");
	assert.is(await h.at("AT+CACLOSE=0"), "\r\n+CME ERROR: 3\r\n");
	h.close();
	await plain.close();
});

Tls("open results: unknown host 20, expired 24, wrong name 25, untrusted CA 26, refused 27, no PDP 21", async () => {
	const expired = await startServer({ cert: certs!.expired });
	const wrong = await startServer({ cert: certs!.wrongName });
	const untrusted = await startServer({ cert: certs!.untrusted });
	const refused = await startServer();
	const refusedPort = refused.port;
	await refused.close();
	const h = harness({ dialect: "sim7080", hosts: { "api.enigm.test": "127.0.0.1" } });
	await tlsReady(h);
	assert.is(await openSocket(h, "nowhere.invalid", 443), "\r\n+CAOPEN: 0,20\r\n\r\nOK\r\n");
	assert.is(await openSocket(h, "api.enigm.test", expired.port), "\r\n+CAOPEN: 0,24\r\n\r\nOK\r\n");
	assert.is(await openSocket(h, "api.enigm.test", wrong.port), "\r\n+CAOPEN: 0,25\r\n\r\nOK\r\n");
	assert.is(await openSocket(h, "api.enigm.test", untrusted.port), "\r\n+CAOPEN: 0,26\r\n\r\nOK\r\n");
	assert.is(await openSocket(h, "api.enigm.test", refusedPort), "\r\n+CAOPEN: 0,27\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CNACT=0,0", 500), "\r\nOK\r\n\r\n+APP PDP: 0,DEACTIVE\r\n");
	assert.is(await openSocket(h, "api.enigm.test", server.port), "\r\n+CAOPEN: 0,21\r\n\r\nOK\r\n", "no PDP context: result 21, network not active");
	h.close();
	await Promise.all([expired.close(), wrong.close(), untrusted.close()]);
});

Tls("a CA that was uploaded but not converted is not loaded: +CAOPEN: 0,26", async () => {
	const h = harness({ dialect: "sim7080", hosts: { "api.enigm.test": "127.0.0.1" } });
	await attached(h);
	await h.at("AT+CFSINIT");
	h.write(`AT+CFSWFILE=3,"ca.pem",0,${certs!.ca.length},10000\r`);
	await h.advance(50);
	h.write(certs!.ca);
	await h.advance(50);
	for (const c of ["AT+CFSTERM", 'AT+CASSLCFG=0,"ssl",1', 'AT+CASSLCFG=0,"cacert","ca.pem"']) await h.at(c);
	h.take();
	assert.is(await openSocket(h, "api.enigm.test", server.port), "\r\n+CAOPEN: 0,26\r\n\r\nOK\r\n");
	h.close();
});

const Gnss = suite("sim7080 GNSS");

Gnss("AT+CGNSINF has 21 fields: off, on without fix, then a fix from the track", async () => {
	const h = harness({ dialect: "sim7080", profile: "good", track: [{ offsetMs: 0, lat: 48.8634, lon: 2.3256, alt: 34 }, { offsetMs: 100_000, lat: 48.8634, lon: 2.3274, alt: 35 }] });
	await h.powerOn();
	await h.at("ATE0");
	await h.at("AT+CFUN=0");
	assert.is(await h.at("AT+CGNSINF"), "\r\n+CGNSINF: 0,,,,,,,,,,,,,,,,,,,,\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CGNSPWR=1"), "\r\nOK\r\n");
	assert.is(await h.at("AT+CGNSPWR?"), "\r\n+CGNSPWR: 1\r\n\r\nOK\r\n");
	assert.is(await h.at("AT+CGNSINF"), "\r\n+CGNSINF: 1,0,,,,,,,,,,,,,,,,,,,\r\n\r\nOK\r\n");
	await h.advance(h.emu.profile.ttffFirstMs);
	const reply = await h.at("AT+CGNSINF");
	const line = /\+CGNSINF: (.*)\r\n/.exec(reply)![1]!;
	const f = line.split(",");
	assert.is(f.length, 21);
	assert.is(f[0], "1"); // run status
	assert.is(f[1], "1"); // fix status
	assert.match(f[2]!, /^20261122080\d\d\d\.\d{3}$/); // UTC yyyyMMddhhmmss.sss
	assert.ok(Math.abs(Number(f[3]) - 48.8634) < 1e-5);
	assert.ok(Number(f[4]) > 2.3256 && Number(f[4]) < 2.3274, "interpolated along the track");
	assert.is(f[10], "0.9"); // HDOP
	assert.is(f[14], "14"); // satellites in view
	assert.is(f[15], "9"); // satellites used
	h.close();
});

Gnss("GNSS computes no fix while a PDP context is active (GNSS and LTE cannot run at once); it does once the context is down", async () => {
	const h = harness({ dialect: "sim7080" });
	await attached(h);
	await h.advance(h.emu.profile.rrcTailMs);
	await h.at("AT+CGNSPWR=1");
	await h.advance(h.emu.profile.ttffFirstMs * 3);
	assert.not.ok(h.emu.hasFix, "PDP active: no fix");
	assert.match(await h.at("AT+CGNSINF"), "+CGNSINF: 1,0,");
	assert.is(await h.at("AT+CNACT=0,0", 500), "\r\nOK\r\n\r\n+APP PDP: 0,DEACTIVE\r\n");
	await h.advance(h.emu.profile.rrcTailMs + h.emu.profile.ttffFirstMs);
	assert.ok(h.emu.hasFix, "fix once the context is down and the radio idle");
	h.close();
});

Gnss("poor profile takes about a minute to the first fix", async () => {
	const h = harness({ dialect: "sim7080", profile: "poor" });
	await h.powerOn();
	await h.at("AT+CFUN=0");
	await h.at("AT+CGNSPWR=1");
	await h.advance(59_000);
	assert.not.ok(h.emu.hasFix);
	await h.advance(1_500);
	assert.ok(h.emu.hasFix);
	h.close();
});

Power.run();
Basic.run();
Pdp.run();
Tls.run();
Gnss.run();
