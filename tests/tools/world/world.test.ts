/**
 * The whole firmware in the host simulator (tools/sim/world): device-side gestures end to end.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import World from "../../../tools/sim/world";
import MemoryStore from "../../../hal/sim/memoryStore";
import DurableRecord from "../../../modules/durableRecord";

/** The backlog as the firmware reads it: two slots, newer wins (modules/durableRecord). */
function backlog(world: World): string | undefined {
	return new DurableRecord(new MemoryStore("enigm", world.nvs), "ev_backlog_a", "ev_backlog_b").read();
}

const W = suite("world: button gestures end to end");

W("a 5 s hold during an event cancels it: the platform records a device close, the device sleeps", async () => {
	const world = await World.create();
	try {
		await world.run(3000);
		assert.ok(world.asleep, "dormant device sleeps after boot");
		world.press();
		assert.ok(await world.runUntil(() => world.state === "active.streaming", 120_000), world.state);
		world.edge(true);
		world.edge(false, 6000);
		assert.ok(await world.runUntil(() => world.asleep, 60_000), world.state);
		const [event] = world.events();
		assert.is(event.state, "closed");
		assert.is(event.closed_by, "device");
		assert.is(event.close_reason, "cancel");
		assert.is(world.emulator.power, "off");
	} finally {
		await world.close();
	}
});

W("a long hold from dormancy raises nothing and the device goes back to sleep after the release", async () => {
	const world = await World.create();
	try {
		await world.run(3000);
		world.edge(true);
		world.edge(false, 8000);
		await world.run(20_000);
		assert.is(world.events().length, 0);
		assert.ok(world.asleep);
		assert.is(world.metrics.wakes, 1);
		assert.is(world.metrics.wireSent, 0);
	} finally {
		await world.close();
	}
});

W("points captured during a network outage survive a reset and reach the platform after it", async () => {
	const world = await World.create();
	try {
		await world.run(3000);
		world.press();
		assert.ok(await world.runUntil(() => world.state === "active.streaming", 120_000), world.state);
		await world.run(40_000);
		const outageFrom = Date.UTC(2026, 10, 22, 8, 0, 0) + world.clock.now();
		world.inject({ kind: "networkLoss", durationMs: 150_000 });
		await world.run(120_000);
		const stored = backlog(world);
		assert.ok(stored, "unsent points kept in NVS");
		// Unsent points, and (with several points per request) points still queued for the next batch.
		const keptSeqs = (JSON.parse(stored as string) as { points: Array<{ s: number }> }).points.map((p) => p.s);
		const kept = keptSeqs.length;
		world.reboot();
		await world.run(240_000);
		const [event] = world.events();
		const points = world.platform.platform.store.points(event.id);
		const duringOutage = points.filter((p) => p.t * 1000 >= outageFrom && p.t * 1000 < outageFrom + 120_000);
		assert.ok(kept >= 1 && duringOutage.length >= 1, `kept ${kept}, delivered from the outage ${duringOutage.length}`);
		const delivered = new Set(points.map((p) => p.s));
		assert.equal(keptSeqs.filter((s) => !delivered.has(s)), [], "every kept point reached the platform after the reset");
		// What NVS still holds is only points queued after the reset for their batch, none of the kept ones.
		const left = backlog(world);
		const leftSeqs = !left ? [] : (JSON.parse(left) as { points: Array<{ s: number }> }).points.map((p) => p.s);
		assert.equal(leftSeqs.filter((s) => keptSeqs.includes(s)), []);
		assert.ok(leftSeqs.length < 4, `${leftSeqs.length} points queued`);
	} finally {
		await world.close();
	}
});

W.run();
