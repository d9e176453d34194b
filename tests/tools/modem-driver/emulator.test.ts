/**
 * The firmware's modem drivers (drivers/modem/sim7080, drivers/modem/bg95) against the stateful emulator
 * (tools/sim/modem) with a real TLS server on loopback: the same Modem-interface scenario for both families, and
 * the injected faults recovered from. Node only (real sockets), so it lives under tests/tools.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import Sim7080 from "drivers/modem/sim7080";
import Bg95 from "drivers/modem/bg95";
import type { Modem, ModemEvent, ModemResult } from "drivers/modem/modem";
import ModemEmulator from "../../../tools/sim/modem/emulator";
import { simRunner, value } from "./simRun";
import type { Fault } from "../../../tools/sim/modem/emulator";
import { hasOpenssl, makeTestCerts } from "../../../tools/sim/devCerts";
import type { TestCerts } from "../../../tools/sim/devCerts";
import { startServer } from "../modem-emulator/harness";
import type { TestServer } from "../modem-emulator/harness";

type Family = "sim7080" | "bg95";
const HOST = "api.enigm.test";
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const text = (b: Uint8Array): string => String.fromCharCode(...b);

function rig(family: Family, options: { faults?: Fault[]; rails?: boolean; refuseBeforeReady?: boolean } = {}) {
	const clock = new ManualClock(0);
	const withRails = options.rails !== false;
	const emu = new ModemEmulator({ dialect: family, clock, hosts: { [HOST]: "127.0.0.1" }, faults: options.faults, railsOn: !withRails, refuseBeforeReady: options.refuseBeforeReady });
	const events: ModemEvent[] = [];
	const log: string[] = [];
	const common = {
		serial: { io: emu.Serial, baud: 115200, port: 1 },
		pwrKey: emu.pwrkey,
		rails: withRails ? emu.rails : undefined,
		clock,
		onEvent: (e: ModemEvent) => void events.push(e),
		log: (l: string) => void log.push(l),
	};
	const modem: Modem = family === "sim7080" ? new Sim7080(common) : new Bg95(common);
	const run = simRunner(clock, emu, log);
	/** Advances time in small steps until `predicate` holds (data a real server sends arrives in real time). */
	const until = async (predicate: () => boolean, limitMs = 60_000): Promise<void> => {
		const end = clock.now() + limitMs;
		const realEnd = Date.now() + 10_000;
		while (!predicate()) {
			if (clock.now() > end || Date.now() > realEnd) throw new Error("condition not met");
			await emu.whenIoSettled();
			await clock.advanceAsync(50);
			await new Promise((r) => setTimeout(r, 1));
		}
	};
	return { clock, emu, modem, events, log, run, until, close: () => { modem.close(); emu.close(); } };
}

let certs: TestCerts | undefined;
let server: TestServer | undefined;
const haveOpenssl = hasOpenssl();

const Scenario = suite("drivers against the modem emulator");
Scenario.before(async () => {
	if (!haveOpenssl) return;
	certs = makeTestCerts();
	server = await startServer({ cert: certs.good, reply: (t) => (t.includes("ping") ? "pong\r\n" : undefined) });
});
Scenario.after(async () => {
	await server?.close();
	certs?.cleanup();
});

for (const family of ["sim7080", "bg95"] as const) {
	Scenario(`${family}: power on -> attach -> TLS (CA pinned, SNI) -> send -> receive -> GNSS -> power down`, async () => {
		if (!certs || !server) return;
		const r = rig(family);
		const { modem, run } = r;
		value(await run(modem.powerOn()), "powerOn");
		value(await run(modem.configure()), "configure");
		const reg = value(await run(modem.attach({ apn: "iot.example" })), "attach");
		assert.type(reg.roaming, "boolean");
		value(await run(modem.uploadCa("enigm-ca.pem", bytes(certs.ca))), "uploadCa");
		const socket = value(await run(modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" })), "open");
		assert.is(value(await run(modem.send(socket, bytes("ping\n"))), "send"), 5);
		await r.until(() => r.events.some((e) => e.type === "data" && e.socket === socket));
		const got = value(await run(modem.receive(socket, 1024)), "receive");
		assert.is(text(got), "pong\r\n");
		assert.ok(server.servernames.includes(HOST), "SNI sent");
		const time = value(await run(modem.networkTime()), "networkTime");
		assert.ok(time.utc > Date.UTC(2026, 0, 1));
		const cell = value(await run(modem.servingCell()), "servingCell");
		assert.is(cell.mcc, 1);
		value(await run(modem.closeSocket(socket)), "closeSocket");
		value(await run(modem.gnssOn()), "gnssOn");
		let fix: ModemResult<unknown> = { ok: false, error: { kind: "noFix" } };
		for (let i = 0; i < 120 && !fix.ok; i++) {
			fix = await run(modem.gnssRead());
			if (!fix.ok) {
				assert.is(fix.error.kind, "noFix");
				await r.run(new Promise<void>((res) => r.clock.set(res, 1000)));
			}
		}
		assert.ok(fix.ok, "GNSS fix within 120 s");
		value(await run(modem.gnssOff()), "gnssOff");
		assert.is(value(await run(modem.powerDown()), "powerDown"), "clean");
		assert.is(r.emu.power, "off");
		r.close();
	});

	Scenario(`${family}: an injected reset mid-session -> reset event, then configure+attach recover`, async () => {
		const r = rig(family);
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		value(await r.run(r.modem.attach({ apn: "iot.example" })));
		r.emu.inject({ kind: "reset" });
		await r.until(() => r.events.some((e) => e.type === "reset"));
		assert.is(r.modem.state, "booted");
		await r.run(new Promise<void>((res) => r.clock.set(res, 15_000))); // let the reboot finish
		value(await r.run(r.modem.configure()), "configure after reset");
		value(await r.run(r.modem.attach({ apn: "iot.example" })), "attach after reset");
		assert.is(r.modem.state, "attached");
		r.close();
	});

	Scenario(`${family}: registration denied -> attach fails with "denied"`, async () => {
		const r = rig(family, { faults: [{ kind: "registrationDenied" }] });
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		const res = await r.run(r.modem.attach({ apn: "iot.example", timeoutMs: 60_000 }));
		assert.equal(res.ok ? "ok" : res.error.kind, "denied");
		r.close();
	});

	Scenario(`${family}: TLS failure -> socket error with the modem's code, driver still usable`, async () => {
		if (!certs || !server) return;
		const r = rig(family, { faults: [{ kind: "tlsFailure" }] });
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		value(await r.run(r.modem.attach({ apn: "iot.example" })));
		value(await r.run(r.modem.uploadCa("enigm-ca.pem", bytes(certs.ca))));
		const res = await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" }));
		assert.equal(res.ok ? "ok" : res.error.kind, "socket");
		const again = await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" }));
		assert.ok(again.ok, JSON.stringify(again));
		r.close();
	});

	Scenario(`${family}: a command timeout travels as a timeout result; the next command works`, async () => {
		const r = rig(family, { faults: [{ kind: "timeout", command: family === "sim7080" ? "AT+CPSI" : "AT+QENG" }] });
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		value(await r.run(r.modem.attach({ apn: "iot.example" })));
		const res = await r.run(r.modem.servingCell());
		assert.equal(res.ok ? "ok" : res.error.kind, "timeout");
		value(await r.run(r.modem.servingCell()), "servingCell after timeout");
		r.close();
	});

	Scenario(`${family}: network loss mid-stream -> socketClosed and PDP loss, then re-attach and reopen`, async () => {
		if (!certs || !server) return;
		const r = rig(family);
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		value(await r.run(r.modem.attach({ apn: "iot.example" })));
		value(await r.run(r.modem.uploadCa("enigm-ca.pem", bytes(certs.ca))));
		const socket = value(await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" })));
		r.emu.inject({ kind: "networkLoss", durationMs: 20_000 });
		await r.until(() => r.events.some((e) => e.type === "socketClosed" && e.socket === socket));
		const sent = await r.run(r.modem.send(socket, bytes("ping\n")));
		assert.equal(sent.ok ? "ok" : sent.error.kind, "closed");
		await r.run(new Promise<void>((res) => r.clock.set(res, 20_000)));
		if (r.modem.state === "attached") {
			// The PDP context survived on this dialect: the socket alone is gone.
		} else {
			assert.is(r.modem.state, "ready");
			value(await r.run(r.modem.attach({ apn: "iot.example", timeoutMs: 120_000 })), "re-attach");
		}
		const again = value(await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" })), "reopen");
		assert.is(value(await r.run(r.modem.send(again, bytes("ping\n")))), 5);
		r.close();
	});

	Scenario(`${family}: modem stops answering -> hard power-down via PWRKEY and rails`, async () => {
		const r = rig(family);
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		r.emu.inject({ kind: "timeout", count: 1000 });
		const down = await r.run(r.modem.powerDown());
		assert.equal(down, { ok: true, value: "hard" });
		assert.is(r.emu.power, "off");
		r.close();
	});

	// PWRKEY toggles power (both hardware design guides): on a board without modem rails (T-SIM7000G), a module that
	// went off behind the driver's back is switched ON by the power-off pulse meant to stop a silent module.
	Scenario(`${family}: no rails, module already off -> the power-off pulse switches it on -> powered down by command`, async () => {
		const r = rig(family, { rails: false });
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		r.emu.rails.off(); // a supply dip: the module is off without a word
		r.emu.rails.on();
		assert.is(r.emu.power, "off");
		const down = await r.run(r.modem.powerDown());
		assert.equal(down, { ok: true, value: "hard" });
		await r.run(new Promise<void>((res) => r.clock.set(res, 120_000)));
		assert.is(r.emu.power, "off", "the module stays off in dormancy");
		assert.ok(r.log.some((l) => l.includes("switched a silent module on")), r.log.slice(-6).join(" | "));
		r.close();
	});

	Scenario(`${family}: no rails, module hung -> one power-off pulse switches it off and it stays off`, async () => {
		const r = rig(family, { rails: false });
		value(await r.run(r.modem.powerOn()));
		value(await r.run(r.modem.configure()));
		r.emu.inject({ kind: "timeout", count: 1000 });
		const down = await r.run(r.modem.powerDown());
		assert.equal(down, { ok: true, value: "hard" });
		await r.run(new Promise<void>((res) => r.clock.set(res, 120_000)));
		assert.is(r.emu.power, "off");
		assert.not.ok(r.log.some((l) => l.includes("switched a silent module on")));
		r.close();
	});
}

// Zephyr PR 57110 reports a BG95 answering ERROR to commands between RDY and APP RDY: the emulator does it on request
// (refuseBeforeReady), and the driver waits for APP RDY and asks once more instead of failing the boot.
Scenario("bg95 refusing commands before APP RDY: configure, attach, TLS and send still go through", async () => {
	if (!certs || !server) return;
	const r = rig("bg95", { refuseBeforeReady: true });
	value(await r.run(r.modem.powerOn()), "powerOn");
	value(await r.run(r.modem.configure()), "configure");
	value(await r.run(r.modem.attach({ apn: "iot.example" })), "attach");
	value(await r.run(r.modem.uploadCa("enigm-ca.pem", bytes(certs.ca))), "uploadCa");
	const socket = value(await r.run(r.modem.open({ host: HOST, port: server.port, ca: "enigm-ca.pem" })), "open");
	assert.is(value(await r.run(r.modem.send(socket, bytes("ping\n"))), "send"), 5);
	assert.ok(r.log.some((l) => l.includes("ERROR before APP RDY")), "the module refused something before APP RDY");
	assert.ok(r.emu.transcript.some((l) => l.includes("refused before APP RDY")));
	r.close();
});

Scenario("bg95 refusing commands before APP RDY: a false start's AT+CFUN=4 is sent again after APP RDY and holds", async () => {
	const r = rig("bg95", { refuseBeforeReady: true });
	value(await r.run(r.modem.powerOn({ knownOff: true, radioOff: true })), "powerOn");
	assert.ok(r.log.some((l) => l.includes("AT+CFUN: ERROR before APP RDY")), r.log.slice(-5).join(" | "));
	await r.run(new Promise<void>((res) => r.clock.set(res, 30_000)));
	assert.not.ok(r.emu.registration === 1 || r.emu.registration === 5, "minimum functionality: not registered");
	r.close();
});

for (const rails of [true, false]) {
	Scenario(`bg95 refusing commands before APP RDY: a false start abandons the power-on and switches the module off before its SIM is ready (${rails ? "rails" : "PWRKEY only"})`, async () => {
		const r = rig("bg95", { refuseBeforeReady: true, rails });
		// RDY comes about 2.75 s after the pulse starts, +CPIN: READY about 1.2 s later and APP RDY about 3 s later
		// (profile good): the attempt is given up just after RDY, while the refused AT+CFUN=4 waits for APP RDY.
		let settledAt = -1;
		const on = r.modem.powerOn({ knownOff: true, radioOff: true }).then((v) => { settledAt = r.clock.now(); return v; });
		await r.until(() => r.log.some((l) => l.includes("AT+CFUN: ERROR before APP RDY")), 10_000);
		r.modem.abandonPowerOn();
		// Settles without simulated time passing (the runner would otherwise jump to the next timer first): one turn
		// of the event loop lets the promise chain run, with no wall-clock wait.
		await new Promise((res) => setImmediate(res));
		assert.is(settledAt, r.clock.now(), "powerOn() settled at once");
		const result = await r.run(on);
		assert.not.ok(result.ok, "an abandoned power-on does not report a booted module");
		assert.not.ok(r.emu.transcript.some((l) => l.includes("<- APP RDY")), `settled at ${settledAt} ms without waiting for APP RDY`);
		const downFrom = r.clock.now();
		const down = await r.run(r.modem.powerDown());
		assert.ok(down.ok && down.value === "hard", "AT+QPOWD is refused too: the PWRKEY power-off pulse");
		// The module answered (ERROR), so it was on and the pulse switched it off: no watching for a boot it cannot
		// have started (bootTimeoutMs, 20 s), which would hold up a gesture that follows the false start.
		const settleMs = 2_000; // drivers/modem/bg95.ts offSettleMs: before the rails go off, or (PWRKEY only) before it counts as off
		assert.ok(r.clock.now() - downFrom <= 1_000 + 100 + settleMs, `powerDown took ${r.clock.now() - downFrom} ms`);
		assert.is(r.emu.power, "off");
		assert.not.ok(r.emu.transcript.some((l) => l.includes("<- +CPIN: READY")), r.emu.transcript.slice(-6).join(" | "));
		assert.is(r.emu.transcript.filter((l) => l.includes("-> AT+CFUN=4")).length, 1, "not sent again");
		await r.run(new Promise<void>((res) => r.clock.set(res, 30_000)));
		assert.is(r.emu.power, "off", "stays off");
		assert.not.ok(r.emu.transcript.some((l) => /<- \+CEREG: [15]/.test(l)), "never registered");
		assert.is(r.modem.state, "off");
		r.close();
	});
}

Scenario("abandonPowerOn() outside a power-on changes nothing", async () => {
	const r = rig("bg95", { refuseBeforeReady: true });
	r.modem.abandonPowerOn();
	value(await r.run(r.modem.powerOn({ knownOff: true, radioOff: true })), "powerOn");
	assert.ok(r.emu.transcript.some((l) => l.includes("<- APP RDY")), "the refused AT+CFUN=4 waited for APP RDY");
	await r.run(new Promise<void>((res) => r.clock.set(res, 30_000)));
	assert.not.ok(r.emu.registration === 1 || r.emu.registration === 5, "minimum functionality: not registered");
	r.close();
});

Scenario("bg95 refusing commands before APP RDY: a gesture recognised meanwhile keeps the module's RF on", async () => {
	const r = rig("bg95", { refuseBeforeReady: true });
	let gestureDone = false;
	// RDY comes about 2.75 s after the pulse starts and APP RDY about 3 s later (profile good): recognised in between,
	// while the refused AT+CFUN=4 waits for APP RDY.
	r.clock.set(() => { gestureDone = true; }, 4_000);
	value(await r.run(r.modem.powerOn({ knownOff: true, radioOff: () => !gestureDone })), "powerOn");
	assert.is(r.modem.state, "booted", r.log.slice(-6).join(" | "));
	assert.ok(r.log.some((l) => l.includes("AT+CFUN: ERROR before APP RDY")), r.log.slice(-6).join(" | "));
	await r.run(new Promise<void>((res) => r.clock.set(res, 30_000)));
	assert.is(r.emu.transcript.filter((l) => l.includes("-> AT+CFUN=4")).length, 1, "sent once, refused, not sent again");
	assert.ok(r.emu.registration === 1 || r.emu.registration === 5, "its default full functionality registers it");
	r.close();
});

Scenario.run();
