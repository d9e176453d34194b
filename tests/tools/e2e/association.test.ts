/**
 * Issue 12 part 6, end to end: the real firmware on the simulated board, through the emulated modem, to the
 * platform. A freshly claimed key waits in review; a 6 s hold right after power-on makes the firmware send a test
 * event (`reason: "test"`, signed with its own key); the platform notifies nobody, activates the key, and the
 * device closes the test event and goes back to deep sleep.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { testWorld } from "./helpers";

const E = suite("association from the device (issue 12)");

E("a 6 s hold right after power-on of a freshly claimed key sends a test event that activates it; nobody is notified", async () => {
	const t = await testWorld();
	const { world } = t;
	try {
		const store = world.platform.platform.store;
		assert.is(store.device(world.deviceId)!.lifecycle, "review");
		// Right after power-on (World.create powers the board on), a 6 s hold.
		world.press([[0, 6000]]);
		assert.ok(await world.runUntil(() => store.device(world.deviceId)!.lifecycle === "active", 300_000), "the key was not activated");
		assert.ok(await world.runUntil(() => world.asleep, 300_000), "the device did not go back to sleep");
		const events = world.events();
		assert.is(events.length, 1);
		assert.is(events[0]!.reason, "test");
		assert.is(events[0]!.state, "closed");
		assert.is(events[0]!.closed_by, "device");
		await world.platform.platform.idle();
		const notes = store.notifications(events[0]!.id);
		assert.ok(notes.every((n) => n.status === "skipped" && n.detail === "test event"), JSON.stringify(notes));
		assert.ok(store.auditLog(1000).some((a) => a.action === "lifecycle-activate" && a.actor === `device:${world.deviceId}` && a.outcome === "allow"));
	} finally {
		await t.close();
	}
});

E("a hold that wakes the key from deep sleep sends nothing (no test event from a bag pressing on the button)", async () => {
	const t = await testWorld();
	const { world } = t;
	try {
		await world.run(3000);
		assert.ok(world.asleep);
		world.press([[0, 6000]]);
		await world.run(20_000);
		assert.is(world.events().length, 0);
		assert.is(world.platform.platform.store.device(world.deviceId)!.lifecycle, "review");
		assert.is(world.metrics.wireSent, 0);
	} finally {
		await t.close();
	}
});

E.run();
