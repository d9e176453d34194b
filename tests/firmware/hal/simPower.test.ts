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
	assert.equal(p.bootButtonEdges(), []);
	assert.is(p.asleep, false);
});

power("reports the configured wake from the button with the button held", () => {
	const edges = [{ time: -40, pressed: true }, { time: -5, pressed: false }];
	const p = new SimPower({ wakeCause: "button", buttonPressedAtBoot: true, bootButtonEdges: edges });
	assert.is(p.wakeCause, "button");
	assert.is(p.buttonPressedAtBoot, true);
	assert.equal(p.bootButtonEdges(), edges);
	p.bootButtonEdges()[0] = { time: 0, pressed: false };
	assert.equal(p.bootButtonEdges(), edges, "callers get copies");
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
	assert.throws(() => new SimPower({ bootButtonEdges: [{ time: Number.NaN, pressed: true }] }), RangeError);
	assert.throws(() => new SimPower({ buttonPressedAtBoot: "yes" as unknown as boolean }), RangeError);
});

power("light sleep: allowed only once enabled and with no hold; holds nest; the callback sees each change once", () => {
	const seen: boolean[] = [];
	const p = new SimPower({ onLightSleepAllowed: (allowed) => seen.push(allowed) });
	const ls = p.lightSleep;
	assert.is(ls.allowed, false, "not before enable()");
	ls.hold();
	ls.enable();
	assert.is(ls.allowed, false, "enabled but held");
	ls.release();
	assert.is(ls.allowed, true);
	ls.hold();
	ls.hold();
	ls.release();
	assert.is(ls.allowed, false, "one hold still outstanding");
	ls.release();
	assert.is(ls.allowed, true);
	assert.equal(seen, [true, false, true]);
	assert.throws(() => ls.release(), RangeError, "more releases than holds");
	assert.throws(() => new SimPower({ onLightSleepAllowed: 1 as unknown as () => void }), RangeError);
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
