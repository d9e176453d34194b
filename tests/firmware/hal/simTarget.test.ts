import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import { createSimTarget } from "hal/sim/target";

const target = suite("hal/sim/target");

target("stores of one target share the NVS map, and a new target over it sees the data (reboot)", () => {
	const clock = new ManualClock();
	const first = createSimTarget({ clock, entropy: { fill: (b) => b.fill(7) } });
	first.store("sos").set("state", "alerting");
	const second = createSimTarget({ clock, nvs: first.nvs, entropy: { fill: (b) => b } });
	assert.is(second.store("sos").get("state"), "alerting");
	assert.equal(second.store("other").keys(), []);
});

target("power and indicator are the recording simulations", () => {
	const t = createSimTarget({ clock: new ManualClock(), entropy: { fill: (b) => b }, power: { wakeCause: "button", buttonPressedAtBoot: true } });
	assert.is(t.power.wakeCause, "button");
	t.power.deepSleep();
	assert.is(t.power.sleepRequests, 1);
	t.indicator.show("working");
	assert.equal(t.indicator.shown, ["working"]);
});

target("uses the injected entropy", () => {
	const t = createSimTarget({ clock: new ManualClock(), entropy: { fill: (b) => b.fill(0xab) } });
	assert.equal(Array.from(t.entropy.fill(new Uint8Array(3))), [0xab, 0xab, 0xab]);
});

target("refuses a missing clock", () => {
	assert.throws(() => createSimTarget({} as never), RangeError);
});

target.run();
