/**
 * An external modem on a host serial port (issue 9.5) has no PWRKEY under the firmware's control. The driver takes
 * a module that answers `AT` as on, powers it down by AT command (SIM7080 AT manual "AT+CPOWD" <n>=1 normal power
 * off, answering `NORMAL POWER DOWN`; BG95&BG77 AT manual "AT+QPOWD" <n>=1 normal power down, `OK` then
 * `POWERED DOWN`), and calls its power switch exactly where it would pulse PWRKEY to switch the module on or off.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import Sim7080 from "drivers/modem/sim7080";
import Bg95 from "drivers/modem/bg95";
import type { Modem, ModemResult } from "drivers/modem/modem";
import ManualClock from "hal/sim/manualClock";
import ScriptedSerial, { drive, type Step } from "./scriptedSerial";

const OK = "\r\nOK\r\n";
type Family = "sim7080" | "bg95";

function rig(family: Family, on: boolean, switchBoots = true) {
	const clock = new ManualClock(0);
	const serial = new ScriptedSerial(clock);
	if (on) serial.powerUp(0, "");
	else serial.powerOff();
	const calls: string[] = [];
	const boot = family === "sim7080" ? "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n" : "\r\nRDY\r\n\r\nAPP RDY\r\n";
	const powerSwitch = {
		on: () => {
			calls.push(`on@${clock.now()}`);
			if (switchBoots) serial.powerUp(2000, boot);
		},
		off: () => {
			calls.push(`off@${clock.now()}`);
			serial.powerOff();
		},
	};
	const options = { serial: { io: serial.io, baud: 115200 }, powerSwitch, clock };
	const modem: Modem = family === "sim7080" ? new Sim7080(options) : new Bg95(options);
	return { clock, serial, calls, modem };
}

function value<T>(r: ModemResult<T>): T {
	if (!r.ok) throw new Error("expected ok, got " + JSON.stringify(r.error));
	return r.value;
}

const powerDown = (family: Family): Step[] =>
	family === "sim7080"
		? [{ expect: "AT+CPOWD=1", reply: "\r\nNORMAL POWER DOWN\r\n", delayMs: 800 }]
		: [{ expect: "AT+QPOWD=1", reply: OK }, { emit: "\r\nPOWERED DOWN\r\n", delayMs: 1200 }];

const P = suite("Modem without PWRKEY: power switch");

for (const family of ["sim7080", "bg95"] as const) {
	P(`${family}: a module that answers AT is on: no switch call, powered down by AT command alone`, async () => {
		const r = rig(family, true);
		r.serial.script({ expect: "AT", reply: OK }, ...powerDown(family));
		value(await drive(r.clock, r.modem.powerOn()));
		assert.is(r.modem.state, "booted");
		assert.equal(value(await drive(r.clock, r.modem.powerDown())), "clean");
		assert.equal(r.calls, []);
		assert.is(r.serial.remaining, 0);
		assert.equal(r.serial.errors, []);
	});

	P(`${family}: a silent module is switched on once where PWRKEY would be pulsed, even when the caller knows it is off`, async () => {
		const r = rig(family, false);
		r.serial.script({ expect: "AT", reply: OK });
		value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
		assert.is(r.modem.state, "booted");
		assert.is(r.calls.length, 1);
		assert.match(r.calls[0]!, /^on@/);
	});

	P(`${family}: a module that does not power down by AT command is switched off`, async () => {
		const r = rig(family, true);
		r.serial.script({ expect: "AT", reply: OK }, { expect: family === "sim7080" ? "AT+CPOWD=1" : "AT+QPOWD=1", reply: "" });
		value(await drive(r.clock, r.modem.powerOn()));
		assert.equal(value(await drive(r.clock, r.modem.powerDown())), "hard");
		assert.equal(r.calls.map((c) => c.split("@")[0]), ["off"]);
		assert.is(r.modem.state, "off");
	});

	P(`${family}: a module that stays silent after "on" is switched off and on again, then the power-on fails`, async () => {
		const r = rig(family, false, false);
		const result = await drive(r.clock, r.modem.powerOn());
		assert.equal(result, { ok: false, error: { kind: "timeout", step: "boot" } });
		assert.equal(r.calls.map((c) => c.split("@")[0]), ["on", "off", "on"]);
	});
}

P("constructors refuse a power switch without on/off, and neither PWRKEY nor switch", () => {
	const clock = new ManualClock(0);
	const serial = new ScriptedSerial(clock);
	assert.throws(() => new Sim7080({ serial: { io: serial.io, baud: 115200 }, clock }), /pwrKey required/);
	assert.throws(() => new Bg95({ serial: { io: serial.io, baud: 115200 }, clock, powerSwitch: { on: () => {} } as never }), /invalid powerSwitch/);
});

P.run();
