/**
 * The driver's waits are driven by what the module says, not by a poll period or a fixed pause: `RDY` (the AT port
 * is up) answered at once; AT+CFUN=1 and registration before the last boot marker; +CEREG URCs (3GPP TS 27.007
 * 10.1.22, n=2) ending the registration wait; no guard gap after a final result code for these families. The
 * scripted modem stamps every command with the clock time it arrived (ScriptedSerial.times).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import Sim7080 from "drivers/modem/sim7080";
import Bg95 from "drivers/modem/bg95";
import type { Modem, ModemResult } from "drivers/modem/modem";
import ManualClock from "hal/sim/manualClock";
import ScriptedSerial, { FakePin, drive, type Step } from "./scriptedSerial";

const OK = "\r\nOK\r\n";
type Family = "sim7080" | "bg95";
/** The scripted module's boot: deaf for this long after a valid PWRKEY pulse, then `RDY`. */
const BOOT_MS = 2300;

function rig(family: Family, registrationPollMs?: number, bootMs = BOOT_MS) {
	const clock = new ManualClock(0);
	const serial = new ScriptedSerial(clock);
	serial.powerOff();
	const pin = new FakePin(clock, 1);
	let rdyAt = -1;
	pin.onPulse = (ms) => {
		if (ms < (family === "sim7080" ? 1000 : 500)) return;
		rdyAt = clock.now() + bootMs;
		serial.powerUp(bootMs, "\r\nRDY\r\n");
	};
	const common = {
		serial: { io: serial.io, baud: 115200, port: 1 }, pwrKey: pin, rails: { on() {}, off() {} }, clock,
		...(registrationPollMs !== undefined ? { registrationPollMs } : {}),
	};
	const modem: Modem = family === "sim7080" ? new Sim7080(common) : new Bg95(common);
	return { clock, serial, modem, rdyAt: () => rdyAt };
}

function value<T>(r: ModemResult<T>): T {
	if (!r.ok) throw new Error("expected ok, got " + JSON.stringify(r.error));
	return r.value;
}

/** When the scripted modem received `command` (the first time). */
function at(serial: ScriptedSerial, command: string): number {
	const i = serial.commands.indexOf(command);
	if (i < 0) throw new Error(`${command} never arrived (got ${JSON.stringify(serial.commands)})`);
	return serial.times[i]!;
}

const lastMarker = (family: Family) => (family === "sim7080" ? "SMS Ready" : "APP RDY");
const configure = (family: Family): Step[] => [
	{ expect: "ATE0", reply: "ATE0\r" + OK },
	{ expect: "AT+CMEE=1", reply: OK },
	{ expect: "AT+CFUN=1", reply: OK },
	family === "sim7080" ? { expect: "AT+CLTS=1", reply: OK } : { expect: "AT+CTZR=2", reply: OK },
];
const apn = (family: Family): Step => (family === "sim7080" ? { expect: 'AT+CNCFG=0,1,"iot.example"', reply: OK } : { expect: 'AT+QICSGP=1,1,"iot.example"', reply: OK });
const pdp = (family: Family): Step => (family === "sim7080"
	? { expect: "AT+CNACT=0,1", reply: OK + "\r\n+APP PDP: 0,ACTIVE\r\n", delayMs: 400 }
	: { expect: "AT+QIACT=1", reply: OK, delayMs: 400 });

const Boot = suite("Modem boot: driven by the boot markers");

for (const family of ["sim7080", "bg95"] as const) {
	Boot(`${family}: AT goes out as soon as RDY arrives, not at the next probe`, async () => {
		const r = rig(family);
		r.serial.script({ expect: "AT", reply: OK });
		value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
		assert.equal(r.serial.errors, []);
		assert.is(r.serial.commands[0], "AT");
		assert.is(r.serial.times[0], r.rdyAt(), "the answering AT arrives the moment RDY went out");
	});

	Boot(`${family}: RDY in the middle of an AT probe ends the probe: AT follows RDY at once`, async () => {
		// The first probe goes 1000 ms after the pulse and waits 300 ms: RDY lands 150 ms into it.
		const r = rig(family, undefined, 1000 + 150);
		r.serial.script({ expect: "AT", reply: OK });
		value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
		assert.equal(r.serial.errors, []);
		assert.equal(r.serial.dropped, ["AT"], "the probe sent while the module was deaf");
		assert.is(r.serial.times[0], r.rdyAt());
	});

	Boot(`${family}: without RDY (an autobauding module) AT probes still find the port`, async () => {
		const clock = new ManualClock(0);
		const serial = new ScriptedSerial(clock);
		serial.powerOff();
		const pin = new FakePin(clock, 1);
		pin.onPulse = () => serial.powerUp(BOOT_MS, "");
		const options = { serial: { io: serial.io, baud: 115200, port: 1 }, pwrKey: pin, clock };
		const modem: Modem = family === "sim7080" ? new Sim7080(options) : new Bg95(options);
		serial.script({ expect: "AT", reply: OK });
		const start = clock.now();
		value(await drive(clock, modem.powerOn({ knownOff: true })));
		assert.equal(serial.errors, []);
		assert.ok(serial.dropped.length >= 1 && serial.dropped.every((c) => c === "AT"), "probes while the module was deaf");
		// One probe per second after the pulse: the port is found within a probe period of coming up.
		const pulse = family === "sim7080" ? 1200 : 750;
		assert.ok(clock.now() - start <= pulse + BOOT_MS + 1000 + 300, `found at ${clock.now() - start} ms`);
	});

	Boot(`${family}: AT+CFUN=1 and registration do not wait for ${lastMarker(family)}`, async () => {
		const r = rig(family);
		// The last boot marker comes 3 s after RDY: configure() and the registration start are done long before.
		r.serial.script({ expect: "AT", reply: OK }, { emit: `\r\n${lastMarker(family)}\r\n`, delayMs: 3000 }, ...configure(family));
		value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
		value(await drive(r.clock, r.modem.configure()));
		assert.equal(r.serial.errors, []);
		assert.ok(at(r.serial, "AT+CFUN=1") < r.rdyAt() + 100, "AT+CFUN=1 within 100 ms of RDY");
	});
}

Boot("bg95: the TCP/IP context waits for APP RDY (readyGatesApplication), AT+CFUN=1 does not", async () => {
	const r = rig("bg95");
	r.serial.script(
		{ expect: "AT", reply: OK }, { emit: "\r\nAPP RDY\r\n", delayMs: 3000 }, ...configure("bg95"), apn("bg95"),
		{ expect: "AT+CEREG=2", reply: OK }, { expect: "AT+CEREG?", reply: "\r\n+CEREG: 2,1,\"1A2B\",\"01A2D001\",7\r\n" + OK }, pdp("bg95"),
	);
	value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
	value(await drive(r.clock, r.modem.configure()));
	value(await drive(r.clock, r.modem.attach({ apn: "iot.example" })));
	assert.equal(r.serial.errors, []);
	const appRdy = r.rdyAt() + 3000;
	assert.ok(at(r.serial, "AT+CFUN=1") < appRdy);
	assert.is(at(r.serial, 'AT+QICSGP=1,1,"iot.example"'), appRdy, "AT+QICSGP the moment APP RDY arrived");
});

Boot("sim7080: the data commands do not wait for SMS Ready (readyGatesApplication false)", async () => {
	const r = rig("sim7080");
	r.serial.script(
		{ expect: "AT", reply: OK }, ...configure("sim7080"), apn("sim7080"),
		{ expect: "AT+CEREG=2", reply: OK }, { expect: "AT+CEREG?", reply: "\r\n+CEREG: 2,1,\"1A2B\",\"01A2D001\",7\r\n" + OK }, pdp("sim7080"),
	);
	value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
	value(await drive(r.clock, r.modem.configure()));
	value(await drive(r.clock, r.modem.attach({ apn: "iot.example" })));
	assert.equal(r.serial.errors, []);
	assert.ok(at(r.serial, "AT+CNACT=0,1") < r.rdyAt() + 100, "no SMS Ready ever came, and none was waited for");
});

const Registration = suite("Modem registration: the +CEREG URC ends the wait");

for (const family of ["sim7080", "bg95"] as const) {
	const booted = async (poll?: number) => {
		const r = rig(family, poll);
		r.serial.script({ expect: "AT", reply: OK }, ...(family === "bg95" ? [{ emit: "\r\nAPP RDY\r\n", delayMs: 10 }] : []), ...configure(family));
		value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
		value(await drive(r.clock, r.modem.configure()));
		return r;
	};

	Registration(`${family}: registered 7 s after the first read: the PDP command follows the URC at once, no second read`, async () => {
		const r = await booted();
		r.serial.script(
			apn(family), { expect: "AT+CEREG=2", reply: OK }, { expect: "AT+CEREG?", reply: "\r\n+CEREG: 2,2\r\n" + OK },
			{ emit: "\r\n+CEREG: 2\r\n", delayMs: 3000 }, // still searching: no command for it
			{ emit: '\r\n+CEREG: 1,"1A2B","01A2D001",7\r\n', delayMs: 4000 },
			pdp(family),
		);
		const reg = value(await drive(r.clock, r.modem.attach({ apn: "iot.example" })));
		assert.equal(r.serial.errors, []);
		assert.equal(reg, { roaming: false, tac: 0x1a2b, cellId: 0x01a2d001, act: 7 });
		const read = at(r.serial, "AT+CEREG?");
		const pdpCommand = family === "sim7080" ? "AT+CNACT=0,1" : "AT+QIACT=1";
		assert.is(r.serial.commands.filter((c) => c === "AT+CEREG?").length, 1, "one read only");
		assert.is(at(r.serial, pdpCommand), read + 7000, "PDP activation the moment the registered URC arrived");
	});

	Registration(`${family}: a URC that never comes: the read again after the poll period (fallback)`, async () => {
		const r = await booted(5000);
		r.serial.script(
			apn(family), { expect: "AT+CEREG=2", reply: OK }, { expect: "AT+CEREG?", reply: "\r\n+CEREG: 2,2\r\n" + OK },
			{ expect: "AT+CEREG?", reply: "\r\n+CEREG: 2,5,\"1A2B\",\"01A2D001\",7\r\n" + OK },
			pdp(family),
		);
		const reg = value(await drive(r.clock, r.modem.attach({ apn: "iot.example" })));
		assert.equal(r.serial.errors, []);
		assert.is(reg.roaming, true);
		const reads = r.serial.times.filter((_, i) => r.serial.commands[i] === "AT+CEREG?");
		assert.is(reads[1]! - reads[0]!, 5000);
	});

	Registration(`${family}: no guard gap: each command follows the previous final result code at once`, async () => {
		const r = rig(family);
		r.serial.script({ expect: "AT", reply: OK }, ...(family === "bg95" ? [{ emit: "\r\nAPP RDY\r\n", delayMs: 10 }] : []), ...configure(family));
		value(await drive(r.clock, r.modem.powerOn({ knownOff: true })));
		value(await drive(r.clock, r.modem.configure()));
		const t = r.serial.times;
		// The scripted replies take no time: the four configure() commands arrive at the same instant as RDY's AT.
		assert.equal(t.slice(1).map((x) => x - t[0]!), [0, 0, 0, 0]);
	});
}

Boot.run();
Registration.run();
