import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import DigitalIndicator from "hal/moddable/digitalIndicator";
import type { DigitalOutput } from "drivers/io";

class RecordingOutput implements DigitalOutput {
	readonly writes: { at: number; value: 0 | 1 }[] = [];
	closed = false;
	#value: 0 | 1 = 0;
	constructor(readonly clock: ManualClock) {}
	write(value: 0 | 1): void {
		this.#value = value;
		this.writes.push({ at: this.clock.now(), value });
	}
	read(): 0 | 1 {
		return this.#value;
	}
	close(): void {
		this.closed = true;
	}
}

const indicator = suite("hal/moddable/digitalIndicator");

indicator("starts dark, honouring an active-low LED", () => {
	const clock = new ManualClock();
	const output = new RecordingOutput(clock);
	new DigitalIndicator({ output, activeLow: true, clock });
	assert.equal(output.writes, [{ at: 0, value: 1 }]);
});

indicator("'accepted' is a short double flash that ends dark and leaves no timer", () => {
	const clock = new ManualClock();
	const output = new RecordingOutput(clock);
	const led = new DigitalIndicator({ output, activeLow: false, clock });
	output.writes.length = 0;
	led.show("accepted");
	clock.advance(5_000);
	const lit = output.writes.filter((w) => w.value === 1).map((w) => w.at);
	assert.equal(lit, [0, 200]);
	assert.is(output.read(), 0);
	assert.is(clock.pending, 0);
});

indicator("'working' blinks until another pattern replaces it", () => {
	const clock = new ManualClock();
	const output = new RecordingOutput(clock);
	const led = new DigitalIndicator({ output, activeLow: false, clock });
	led.show("working");
	clock.advance(10_000);
	assert.equal(output.writes.filter((w) => w.value === 1).map((w) => w.at), [0, 2000, 4000, 6000, 8000, 10000], "one flash every 2 s");
	led.show("off");
	const count = output.writes.length;
	clock.advance(10_000);
	assert.is(output.writes.length, count, "no writes after off");
	assert.is(output.read(), 0);
});

indicator("close turns the LED off, releases the pin and stops blinking", () => {
	const clock = new ManualClock();
	const output = new RecordingOutput(clock);
	const led = new DigitalIndicator({ output, activeLow: true, clock });
	led.show("failed");
	led.close();
	assert.ok(output.closed);
	assert.is(output.read(), 1, "active-low dark");
	assert.is(clock.pending, 0);
});

indicator("refuses missing output or clock and unknown patterns", () => {
	const clock = new ManualClock();
	assert.throws(() => new DigitalIndicator({ output: undefined as unknown as DigitalOutput, activeLow: false, clock }), RangeError);
	const led = new DigitalIndicator({ output: new RecordingOutput(clock), activeLow: false, clock });
	assert.throws(() => led.show("disco" as "off"), RangeError);
});

indicator.run();
