import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import SimulatorPower, { SleepableClock } from "hal/simulator/power";

const g = globalThis as { trace?: (message: string) => void };
const traced: string[] = [];
g.trace ??= (message: string) => void traced.push(message);

const power = suite("hal/simulator/power (desktop simulator)");

power("deep sleep cancels every pending timer and refuses new ones", () => {
	const manual = new ManualClock();
	const clock = new SleepableClock(manual);
	let fired = 0;
	clock.set(() => fired++, 100);
	clock.set(() => fired++, 5_000);
	const p = new SimulatorPower({ clock });
	p.deepSleep();
	clock.set(() => fired++, 10);
	manual.advance(60_000);
	assert.is(fired, 0);
	assert.is(manual.pending, 0);
});

power("timers run normally while awake, and clearing works through the wrapper", () => {
	const manual = new ManualClock();
	const clock = new SleepableClock(manual);
	const order: string[] = [];
	clock.set(() => order.push("a"), 10);
	const b = clock.set(() => order.push("b"), 20);
	clock.clear(b);
	manual.advance(100);
	assert.equal(order, ["a"]);
	assert.is(clock.now(), 100);
});

power("boot conditions come from configuration and are validated", () => {
	const clock = new SleepableClock(new ManualClock());
	const p = new SimulatorPower({ clock, wakeCause: "button", buttonPressedAtBoot: true });
	assert.is(p.wakeCause, "button");
	assert.is(p.buttonPressedAtBoot, true);
	assert.equal(p.bootButtonEdges(), []);
	assert.throws(() => new SimulatorPower({ clock, wakeCause: "nap" as "button" }), RangeError);
	assert.throws(() => new SimulatorPower({ clock: new ManualClock() as unknown as SleepableClock }), RangeError);
});

power.run();
