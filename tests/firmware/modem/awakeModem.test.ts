import { suite } from "uvu";
import * as assert from "uvu/assert";
import AwakeModem from "drivers/modem/awakeModem";
import FakeModem from "../uplink/fakeModem";
import ManualClock from "hal/sim/manualClock";
import { SimLightSleep } from "hal/sim/power";
import type { Modem, ModemEvent } from "drivers/modem/modem";

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
	inner.onEvent?.({ type: "pdp", active: true });
	assert.equal(events, [{ type: "pdp", active: true }], "the driver's events reach the caller's listener");
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

/** A stub driver whose receive() answers what the test queues. */
function stub() {
	const replies: Uint8Array[] = [];
	const inner = {
		family: "sim7080", state: "attached", onEvent: undefined,
		send: async (_s: number, d: Uint8Array) => ({ ok: true, value: d.length }),
		receive: async () => ({ ok: true, value: replies.shift() ?? new Uint8Array(0) }),
		closeSocket: async () => ({ ok: true, value: undefined }),
		powerOn: async () => ({ ok: true, value: undefined }),
		close() {},
	} as unknown as Modem & { onEvent: ((e: ModemEvent) => void) | undefined };
	const lock = new SimLightSleep();
	lock.enable();
	return { inner, lock, replies, modem: new AwakeModem(inner, lock) };
}

awake("a request sent holds the chip until its reply is read: the data URC must not land in light sleep", async () => {
	const { lock, replies, modem } = stub();
	await modem.send(0, new Uint8Array(10));
	assert.is(lock.allowed, false, "held after send, waiting for +CADATAIND");
	await modem.receive(0, 1460);
	assert.is(lock.allowed, false, "an empty read leaves the wait on");
	replies.push(new Uint8Array(5));
	await modem.receive(0, 1460);
	assert.is(lock.allowed, true, "reply read: released");
	assert.is(lock.holds, 0);
});

awake("the reply hold ends when the socket closes (by us or the peer) or the modem resets", async () => {
	const { inner, lock, modem } = stub();
	await modem.send(0, new Uint8Array(1));
	await modem.send(0, new Uint8Array(1));
	assert.is(lock.holds, 1, "one hold per socket, however many sends");
	await modem.closeSocket(0);
	assert.is(lock.holds, 0);
	await modem.send(1, new Uint8Array(1));
	inner.onEvent?.({ type: "socketClosed", socket: 2 });
	assert.is(lock.holds, 1, "another socket's close changes nothing");
	inner.onEvent?.({ type: "socketClosed", socket: 1 });
	assert.is(lock.holds, 0);
	await modem.send(1, new Uint8Array(1));
	inner.onEvent?.({ type: "reset" });
	assert.is(lock.holds, 0);
});

awake("bad construction is a RangeError", () => {
	const { inner, lock } = rig();
	assert.throws(() => new AwakeModem(undefined as never, lock), RangeError);
	assert.throws(() => new AwakeModem(inner, {} as never), RangeError);
});

awake.run();
