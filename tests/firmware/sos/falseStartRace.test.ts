/**
 * The SOS machine and the real Uplink over a fake modem, for the races between a false start's power-down and the
 * gesture that follows it (one press, a pause, then three presses): the device must never go to deep sleep with the
 * modem powered, and the alert must not wait for a second boot. Found in review: a 5 s hold (close) while the false
 * start's power-down still waited for a slow quiet power-on put the device to sleep with the modem booted.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import RadioSchedule from "modules/radioSchedule";
import { encodeAscii } from "modules/protocol/bytes";
import Uplink from "modules/uplink";
import Journal from "modules/journal";
import SosRunner from "modules/sos/runner";
import { ok } from "drivers/modem/modem";
import FakeModem from "../uplink/fakeModem";
import { signingRig } from "../uplink/signingRig";

const deviceId = "5f0c3a9e1b7d4c2a8e6f1032547698ab";
const key = new Uint8Array(32).map((_, i) => i);

function rig(bootMs: number) {
	const { clock, store, keystore, counter, wallClock, signer } = signingRig(deviceId, key);
	const modem = new FakeModem({ clock, key, deviceId });
	// The quiet power-on takes bootMs (a slow boot: a first PWRKEY pulse missed, say).
	modem.powerOn = () => {
		modem.calls.push("powerOn");
		return new Promise((resolve) => clock.set(() => { modem.state = "booted"; resolve(ok(undefined)); }, bootMs));
	};
	const log: string[] = [];
	const uplink = new Uplink({
		modem, clock, keystore, signer, counter, wallClock, schedule: new RadioSchedule({}),
		platform: { host: "platform.example", port: 443, apn: "iot.example", caPem: encodeAscii("-----BEGIN CERTIFICATE-----\n") },
		log: (l) => log.push(l),
	});
	const sleeps: Array<{ at: number; modem: string }> = [];
	const runner = new SosRunner({
		clock, entropy: { fill: (b: Uint8Array) => b.fill(7) }, indicator: { show() {} } as never, journal: new Journal(store),
		radio: uplink, gnss: uplink, platform: uplink,
		sleep: () => sleeps.push({ at: clock.now(), modem: modem.state }), log: (l) => log.push(`${clock.now()} ${l}`),
	});
	runner.boot();
	return { clock, modem, runner, sleeps, log };
}

const Race = suite("SOS + Uplink: a false start's power-down racing the gesture");

Race("a 5 s hold closing the event while the false start's power-down waits for a slow boot: asleep only with the modem off", async () => {
	const { clock, modem, runner, sleeps, log } = rig(15_000);
	runner.dispatch({ type: "gestureStarted", now: 0 }); // the wake press starts the quiet power-on
	await clock.advanceAsync(2_200);
	runner.dispatch({ type: "gestureAbandoned", now: clock.now() }); // one press, then 1 s of silence
	await clock.advanceAsync(1_300);
	runner.triplePress(); // three presses
	await clock.advanceAsync(5_200);
	runner.dispatch({ type: "deviceClose", now: clock.now() }); // a 5 s hold cancels
	for (let i = 0; i < 200; i++) await clock.advanceAsync(250);
	assert.ok(sleeps.length > 0, log.join("\n"));
	assert.ok(sleeps.every((s) => s.modem === "off"), `slept with the modem ${JSON.stringify(sleeps)}`);
	assert.ok(modem.calls.includes("powerDown"));
});

Race("the gesture completing during the quiet power-on: one boot, the alert goes out, radios off only at the end", async () => {
	const { clock, modem, runner, sleeps, log } = rig(4_000);
	runner.dispatch({ type: "gestureStarted", now: 0 });
	await clock.advanceAsync(1_250);
	runner.dispatch({ type: "gestureAbandoned", now: clock.now() });
	await clock.advanceAsync(1_500);
	runner.triplePress();
	for (let i = 0; i < 60; i++) await clock.advanceAsync(250);
	assert.is(modem.calls.filter((c) => c === "powerOn").length, 1, JSON.stringify(modem.calls));
	assert.not.ok(modem.calls.includes("powerDown"), "the false start's power-down was skipped");
	assert.ok(modem.requests.some((r) => r.path === "/v1/events"), "the alert went out");
	assert.is(sleeps.length, 0, "no sleep during the event");
	assert.not.ok(log.some((l) => /radiosOff/.test(l) && !/ignores/.test(l)), log.filter((l) => /radiosOff/.test(l)).join("\n"));
});

Race.run();
