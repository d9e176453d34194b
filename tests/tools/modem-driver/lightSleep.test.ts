/**
 * The firmware's drivers behind the ESP32's UART as automatic light sleep leaves it (tools/sim/lightSleepUart,
 * after ESP-IDF v6.0 "Sleep Modes", UART Wakeup (Light-sleep Only)): the chip receives nothing while it may
 * light-sleep (SimLightSleep enabled, no hold). AwakeModem's holds decide what reaches the driver:
 *  - an operation holds from its first command to its last reply: nothing of it is lost;
 *  - a request sent holds until its reply is read: without that hold the +CADATAIND / +QSSLURC "recv" lands in
 *    light sleep and the reply is never announced (the wrong time to sleep, shown with a lock that does not hold
 *    across the wait);
 *  - a network loss between operations: its URCs are lost; the next open is refused and the driver asks the modem
 *    for the context (confirmData), drops to "ready" and re-attaches.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import { SimLightSleep } from "hal/sim/power";
import Sim7080 from "drivers/modem/sim7080";
import Bg95 from "drivers/modem/bg95";
import AwakeModem from "drivers/modem/awakeModem";
import type { Modem, ModemEvent } from "drivers/modem/modem";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import { simRunner, value } from "./simRun";
import { LightSleepUart, lightSleepSerial } from "../../../tools/sim/lightSleepUart";
import { hasOpenssl, makeTestCerts, type TestCerts } from "../../../tools/sim/devCerts";
import * as tls from "node:tls";

/** A TLS server on loopback that answers only when the test says so (after the send has returned). */
async function deferredServer(cert: TestCerts["good"]) {
	const sockets: tls.TLSSocket[] = [];
	const received: string[] = [];
	const server = tls.createServer({ cert: cert.cert, key: cert.key }, (s) => {
		sockets.push(s);
		s.on("data", (d: Buffer) => received.push(d.toString("latin1")));
		s.on("error", () => undefined);
	});
	server.on("tlsClientError", () => undefined);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		port: (server.address() as { port: number }).port,
		received,
		/** The newest connection answers. */
		answer(text: string): void { sockets.at(-1)?.write(text); },
		close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
	};
}
type TestServer = Awaited<ReturnType<typeof deferredServer>>;

type Family = "sim7080" | "bg95";
const HOST = "api.enigm.test";
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const text = (b: Uint8Array): string => String.fromCharCode(...b);

/** The driver over a strict light-sleep UART, wrapped in AwakeModem on the simulated lock; light sleep enabled. */
function rig(family: Family) {
	const clock = new ManualClock(0);
	const emu = new ModemEmulator({ dialect: family, clock, hosts: { [HOST]: "127.0.0.1" } });
	const sleep = new SimLightSleep();
	const lost: string[] = [];
	const uart = new LightSleepUart({ asleep: () => sleep.allowed, onLost: (b) => lost.push(text(b)) });
	const events: ModemEvent[] = [];
	const log: string[] = [];
	const common = {
		serial: { io: lightSleepSerial(emu.Serial, uart), baud: 115200, port: 1 },
		pwrKey: emu.pwrkey,
		rails: emu.rails,
		clock,
		onEvent: (e: ModemEvent) => void events.push(e),
		log: (l: string) => void log.push(l),
	};
	const driver: Modem = family === "sim7080" ? new Sim7080(common) : new Bg95(common);
	const modem = new AwakeModem(driver, sleep);
	sleep.enable();
	/** The driver's operation with the chip held only while it runs: no hold across the wait for a reply. */
	const heldOnly = async <T>(operation: () => Promise<T>): Promise<T> => {
		sleep.hold();
		try { return await operation(); } finally { sleep.release(); }
	};
	const run = simRunner(clock, emu, log);
	/** Advances simulated time in small steps for `ms` (or until `predicate`), letting real socket IO through. */
	const wait = async (ms: number, predicate: () => boolean = () => false): Promise<boolean> => {
		const end = clock.now() + ms;
		const realEnd = Date.now() + 10_000;
		while (clock.now() < end && Date.now() < realEnd) {
			if (predicate()) return true;
			await emu.whenIoSettled();
			await clock.advanceAsync(50);
			await new Promise((r) => setTimeout(r, 1));
		}
		return predicate();
	};
	return { clock, emu, driver, heldOnly, modem, sleep, uart, lost, events, log, run, wait, close: () => { modem.close(); emu.close(); } };
}

/** Power on, configure, attach, upload the CA and open a TLS socket to the test server. */
async function openSocket(r: ReturnType<typeof rig>): Promise<number> {
	value(await r.run(r.modem.powerOn()), "powerOn");
	value(await r.run(r.modem.configure()), "configure");
	value(await r.run(r.modem.attach({ apn: "iot.example" })), "attach");
	value(await r.run(r.modem.uploadCa("enigm-ca.pem", bytes(certs!.ca))), "uploadCa");
	return value(await r.run(r.modem.open({ host: HOST, port: server!.port, ca: "enigm-ca.pem" })), "open");
}

let certs: TestCerts | undefined;
let server: TestServer | undefined;
const haveOpenssl = hasOpenssl();

const L = suite("drivers behind a light-sleeping ESP32 UART");
L.before(async () => {
	if (!haveOpenssl) return;
	certs = makeTestCerts();
	server = await deferredServer(certs.good);
});
L.after(async () => {
	await server?.close();
	certs?.cleanup();
});

for (const family of ["sim7080", "bg95"] as const) {
	const dataUrc = family === "sim7080" ? "+CADATAIND: 0" : '+QSSLURC: "recv",0';

	L(`${family}: held operations and the reply hold lose nothing; the chip sleeps between them`, async () => {
		if (!certs || !server) return;
		const r = rig(family);
		value(await r.run(r.modem.powerOn()), "powerOn");
		value(await r.run(r.modem.configure()), "configure");
		value(await r.run(r.modem.attach({ apn: "iot.example" })), "attach");
		assert.ok(r.sleep.allowed, "between operations the chip may light-sleep");
		value(await r.run(r.modem.uploadCa("enigm-ca.pem", bytes(certs.ca))), "uploadCa");
		const socket = value(await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" })), "open");
		value(await r.run(r.modem.send(socket, bytes("ping\n"))), "send");
		assert.not.ok(r.sleep.allowed, "a reply is due: held");
		assert.ok(await r.wait(5000, () => server!.received.join("").includes("ping")), "the request reached the server");
		server.answer("pong\r\n");
		assert.ok(await r.wait(5000, () => r.events.some((e) => e.type === "data" && e.socket === socket)), "the data URC arrived");
		assert.is(text(value(await r.run(r.modem.receive(socket, 1024)), "receive")), "pong\r\n");
		assert.ok(r.sleep.allowed, "reply read: released");
		assert.equal(r.lost, [], "no byte lost");
		r.close();
	});

	L(`${family}: sleeping while a reply is due loses the data URC (what the reply hold prevents)`, async () => {
		if (!certs || !server) return;
		const r = rig(family);
		const socket = await openSocket(r);
		// The send without AwakeModem's reply hold: held while the command runs, released at its OK.
		value(await r.run(r.heldOnly(() => r.driver.send(socket, bytes("ping\n")))), "send");
		assert.ok(r.sleep.allowed, "the chip may sleep after the send");
		assert.ok(await r.wait(5000, () => server!.received.join("").includes("ping")), "the request reached the server");
		server.answer("pong\r\n");
		const announced = await r.wait(5000, () => r.events.some((e) => e.type === "data" && e.socket === socket));
		assert.not.ok(announced, "the reply was never announced");
		assert.ok(r.lost.join("").includes(dataUrc), `lost: ${JSON.stringify(r.lost)}`);
		r.close();
	});

	L(`${family}: a network loss between operations: its URCs are lost, the next open asks for the context and re-attaches`, async () => {
		if (!certs || !server) return;
		const r = rig(family);
		const socket = await openSocket(r);
		value(await r.run(r.modem.closeSocket(socket)), "close");
		r.emu.inject({ kind: "networkLoss", durationMs: 20_000 });
		await r.wait(30_000);
		assert.ok(r.lost.length > 0, "the loss's URCs landed in light sleep");
		assert.is(r.modem.state, "attached", "the driver did not see the loss");
		const refused = await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" }));
		assert.not.ok(refused.ok, "the context is gone");
		assert.is(r.modem.state, "ready", `asked the modem and dropped to ready (${JSON.stringify(refused)})`);
		value(await r.run(r.modem.attach({ apn: "iot.example", timeoutMs: 120_000 })), "re-attach");
		const again = value(await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" })), "reopen");
		value(await r.run(r.modem.send(again, bytes("ping\n"))), "send");
		assert.ok(await r.wait(5000, () => server!.received.join("").split("ping").length > 2), "the second request reached the server");
		server.answer("pong\r\n");
		assert.ok(await r.wait(5000, () => r.events.some((e) => e.type === "data" && e.socket === again)), "reply after recovery");
		r.close();
	});
}

L.run();
