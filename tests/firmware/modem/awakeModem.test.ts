import { suite } from "uvu";
import * as assert from "uvu/assert";
import AwakeModem from "drivers/modem/awakeModem";
import FakeModem from "../uplink/fakeModem";
import ManualClock from "hal/sim/manualClock";
import { SimLightSleep } from "hal/sim/power";

const awake = suite("drivers/modem/awakeModem");

function rig() {
	const clock = new ManualClock(0);
	const inner = new FakeModem({ clock, key: new Uint8Array(32), deviceId: "test" });
	const changes: Array<[number, boolean]> = [];
	const lock = new SimLightSleep((allowed) => changes.push([clock.now(), allowed]));
	lock.enable();
	changes.length = 0; // the enable itself
	return { clock, inner, lock, changes, modem: new AwakeModem(inner, lock) };
}

awake("each operation holds the chip awake from its call until its result, then releases", async () => {
	const { clock, lock, changes, modem } = rig();
	const on = modem.powerOn();
	assert.is(lock.allowed, false, "held while the operation runs");
	await clock.advanceAsync(10_000);
	const r = await on;
	assert.ok(r.ok);
	assert.is(lock.allowed, true, "released after the result");
	assert.is(lock.holds, 0);
	assert.equal(changes.map(([, a]) => a), [false, true]);
	assert.ok(changes[1]![0] > 0, "the hold lasted the operation's simulated time");
});

awake("overlapping operations keep one hold until the last ends; state and events pass through", async () => {
	const { clock, inner, lock, modem } = rig();
	assert.is(modem.family, inner.family);
	const events: unknown[] = [];
	modem.onEvent = (e) => events.push(e);
	assert.is(inner.onEvent, modem.onEvent);
	const a = modem.powerOn();
	const b = modem.gnssOff();
	assert.is(lock.holds, 2);
	await clock.advanceAsync(10_000);
	await Promise.all([a, b]);
	assert.is(lock.holds, 0);
	assert.is(modem.state, inner.state);
});

awake("a failing or throwing operation still releases its hold", async () => {
	const { lock, inner, modem } = rig();
	(inner as unknown as { gnssRead: () => Promise<never> }).gnssRead = () => Promise.reject(new Error("boom"));
	await modem.gnssRead().then(() => assert.unreachable(), (e: Error) => assert.is(e.message, "boom"));
	assert.is(lock.holds, 0);
	assert.is(lock.allowed, true);
});

awake("bad construction is a RangeError", () => {
	const { inner, lock } = rig();
	assert.throws(() => new AwakeModem(undefined as never, lock), RangeError);
	assert.throws(() => new AwakeModem(inner, {} as never), RangeError);
});

awake.run();
