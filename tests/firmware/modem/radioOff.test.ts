/**
 * PowerOnOptions.radioOff (drivers/modem/modem.ts): a quiet boot for the activation gesture. The module starts in
 * its default full functionality (`+CFUN: 1` at boot); the driver's first command once the AT port answers is
 * AT+CFUN=4 (3GPP TS 27.007 8.2; SIM7080 and BG95 AT manuals, AT+CFUN), and configure() turns the RF on later.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import Sim7080 from "drivers/modem/sim7080";
import Bg95 from "drivers/modem/bg95";
import type { Modem, PowerOnOptions } from "drivers/modem/modem";
import ManualClock from "hal/sim/manualClock";
import ScriptedSerial, { FakePin, drive, type Step } from "./scriptedSerial";

const OK = "\r\nOK\r\n";
type Family = "sim7080" | "bg95";

function rig(family: Family) {
	const clock = new ManualClock(0);
	const serial = new ScriptedSerial(clock);
	serial.powerOff();
	const pin = new FakePin(clock, 1);
	const boot = family === "sim7080" ? "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n" : "\r\nRDY\r\n";
	pin.onPulse = (ms) => { if (ms >= (family === "sim7080" ? 1000 : 500)) serial.powerUp(3000, boot); };
	const common = { serial: { io: serial.io, baud: 115200, port: 1 }, pwrKey: pin, rails: { on() {}, off() {} }, clock };
	const modem: Modem = family === "sim7080" ? new Sim7080(common) : new Bg95(common);
	return { clock, serial, modem };
}

const appRdy = (family: Family): Step[] => (family === "bg95" ? [{ emit: "\r\nAPP RDY\r\n", delayMs: 500 }] : []);

const Quiet = suite("Modem powerOn({ radioOff }): the RF stays off until configure()");

for (const family of ["sim7080", "bg95"] as const) {
	Quiet(`${family}: AT+CFUN=4 is the first command after the AT port answers`, async () => {
		const r = rig(family);
		r.serial.script({ expect: "AT", reply: OK }, { expect: "AT+CFUN=4", reply: OK }, ...appRdy(family));
		const on = await drive(r.clock, r.modem.powerOn({ knownOff: true, radioOff: true }));
		assert.equal(on, { ok: true, value: undefined });
		assert.is(r.modem.state, "booted");
		assert.equal(r.serial.errors, []);
		assert.is(r.serial.remaining, 0, "AT+CFUN=4 was sent");
	});

	Quiet(`${family}: a function answering false when the port answers keeps the default functionality`, async () => {
		const r = rig(family);
		r.serial.script({ expect: "AT", reply: OK }, ...appRdy(family));
		let asked = 0;
		const options: PowerOnOptions = { knownOff: true, radioOff: () => (asked++, false) };
		const on = await drive(r.clock, r.modem.powerOn(options));
		assert.ok(on.ok);
		assert.is(asked, 1);
		assert.equal(r.serial.errors, []);
	});

	Quiet(`${family}: a refused AT+CFUN=4 fails the power-on instead of leaving the RF on unnoticed`, async () => {
		const r = rig(family);
		r.serial.script({ expect: "AT", reply: OK }, { expect: "AT+CFUN=4", reply: "\r\nERROR\r\n" });
		const on = await drive(r.clock, r.modem.powerOn({ knownOff: true, radioOff: true }));
		assert.not.ok(on.ok);
		assert.is(r.modem.state, "failed");
	});
}

Quiet.run();
