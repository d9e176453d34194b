import { suite } from "uvu";
import * as assert from "uvu/assert";
import TriplePress from "drivers/button/triplePress";
import type { PressOutput } from "drivers/button/pressRecognizer";
import ManualClock from "hal/sim/manualClock";
import { createSimDigital, SimPinBank } from "boards/sim/simDigital";
import { corpus, edgesOf } from "./corpus";

const Driver = suite("TriplePress driver over an ECMA-419 Digital input");

const BUTTON = 0;

function setup(wake?: { byButton: boolean; pressedAtBoot: boolean; edges: Array<{ time: number; pressed: boolean }> }) {
	const clock = new ManualClock();
	const bank = new SimPinBank();
	bank.drive(BUTTON, wake?.pressedAtBoot ? 0 : 1);
	const outputs: PressOutput[] = [];
	const button = new TriplePress({
		button: { io: createSimDigital(bank), pin: BUTTON, activeLow: true },
		clock,
		wake,
		onOutput: (o) => outputs.push(o),
	});
	/** Drives the pin (active low) at absolute simulated times. */
	const play = (edges: Array<[number, boolean]>) => {
		for (const [time, pressed] of edges) {
			clock.advanceTo(time);
			bank.drive(BUTTON, pressed ? 0 : 1);
		}
		clock.advance(10_000);
	};
	return { clock, bank, button, outputs, play };
}

for (const c of corpus) {
	Driver(`corpus through the pin: ${c.name}`, () => {
		const { outputs, play } = setup();
		play(edgesOf(c).map(([t, p]) => [t + 1000, p]));
		assert.is(outputs.filter((o) => o.type === "triple").length, c.expect === "triple" ? 1 : 0, JSON.stringify(outputs));
	});
}

Driver("wake press still held when the driver attaches: two more presses make a triple", () => {
	const { outputs, play } = setup({ byButton: true, pressedAtBoot: true, edges: [] });
	play([[90, false], [250, true], [360, false], [520, true], [630, false]]);
	assert.is(outputs.filter((o) => o.type === "triple").length, 1, JSON.stringify(outputs));
});

Driver("wake press already released at attach: two more presses make a triple", () => {
	const { outputs, play } = setup({ byButton: true, pressedAtBoot: false, edges: [] });
	play([[200, true], [320, false], [480, true], [600, false]]);
	assert.is(outputs.filter((o) => o.type === "triple").length, 1, JSON.stringify(outputs));
});

Driver("edges captured natively during boot are replayed: the second press happened before attach", () => {
	// wake press at -400 ms, released -300, second press -150..-40 (all before the JS ran), third after attach
	const { outputs, play } = setup({
		byButton: true,
		pressedAtBoot: false,
		edges: [{ time: -400, pressed: true }, { time: -300, pressed: false }, { time: -150, pressed: true }, { time: -40, pressed: false }],
	});
	play([[200, true], [310, false]]);
	assert.is(outputs.filter((o) => o.type === "triple").length, 1, JSON.stringify(outputs));
});

Driver("a power-on boot does not invent a press", () => {
	const { outputs, play } = setup();
	play([[200, true], [320, false], [480, true], [600, false]]);
	assert.is(outputs.filter((o) => o.type === "triple").length, 0);
});

Driver("idle only when nothing is pending; close releases the pin and the timer", () => {
	const { clock, bank, button } = setup();
	assert.ok(button.idle);
	clock.advance(5);
	bank.drive(BUTTON, 0);
	assert.not.ok(button.idle);
	button.close();
	assert.is(clock.pending, 0);
	bank.drive(BUTTON, 1);
});

Driver("constructor refuses missing options", () => {
	assert.throws(() => new TriplePress({ button: undefined as never, clock: new ManualClock(), onOutput() {} }), RangeError);
});

Driver.run();
