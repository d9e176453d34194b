import { suite } from "uvu";
import * as assert from "uvu/assert";
import SimPower from "hal/sim/power";
import SimIndicator from "hal/sim/indicator";
import type { WakeCause } from "hal/power";

const power = suite("hal/sim/power");

power("defaults to a power-on boot with the button released", () => {
	const p = new SimPower();
	assert.is(p.wakeCause, "powerOn");
	assert.is(p.buttonPressedAtBoot, false);
	assert.is(p.bootLatencyMs, 0);
	assert.is(p.asleep, false);
});

power("reports the configured wake from the button with the button held", () => {
	const p = new SimPower({ wakeCause: "button", buttonPressedAtBoot: true, bootLatencyMs: 35 });
	assert.is(p.wakeCause, "button");
	assert.is(p.buttonPressedAtBoot, true);
	assert.is(p.bootLatencyMs, 35);
});

power("records each deep-sleep request and notifies the host", () => {
	let notified = 0;
	const p = new SimPower({ onDeepSleep: () => notified++ });
	p.deepSleep();
	p.deepSleep();
	assert.is(p.sleepRequests, 2);
	assert.is(p.asleep, true);
	assert.is(notified, 2);
});

power("rejects impossible boot conditions", () => {
	assert.throws(() => new SimPower({ wakeCause: "lightning" as WakeCause }), RangeError);
	assert.throws(() => new SimPower({ bootLatencyMs: -1 }), RangeError);
	assert.throws(() => new SimPower({ bootLatencyMs: Number.NaN }), RangeError);
});

power.run();

const indicator = suite("hal/sim/indicator");

indicator("records patterns in order and reports the current one", () => {
	const seen: string[] = [];
	const i = new SimIndicator((p) => seen.push(p));
	assert.is(i.current, "off");
	i.show("accepted");
	i.show("working");
	assert.equal(i.shown, ["accepted", "working"]);
	assert.is(i.current, "working");
	assert.equal(seen, ["accepted", "working"]);
});

indicator.run();
