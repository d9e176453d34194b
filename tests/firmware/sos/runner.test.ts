import { suite } from "uvu";
import * as assert from "uvu/assert";
import ManualClock from "hal/sim/manualClock";
import { createDevice } from "./harness";
import Journal from "modules/journal";

const Runner = suite("SosRunner: effects performed, results fed back");

Runner("a full event: triple press, alert, locations, platform close, back to dormancy and sleep", async () => {
	const d = createDevice();
	d.runner.boot();
	assert.is(d.runner.state.name, "dormant");
	d.runner.triplePress();
	await d.clock.advanceAsync(8000);
	assert.is(d.runner.state.name, "active.alerting");
	await d.clock.advanceAsync(1500);
	assert.is(d.runner.state.name, "active.streaming");
	await d.clock.advanceAsync(3 * 60_000);
	assert.ok(d.sent.length >= 2, `sent ${d.sent.length}`);
	d.script.locationReplies = [{ ok: true, state: "closed" }];
	await d.clock.advanceAsync(3 * 60_000);
	assert.is(d.runner.state.name, "dormant");
	assert.is(d.sleeps, 1);
	assert.not.ok(d.radioOn);
	assert.is(d.journal.load().ok && d.journal.load().ok === true && (d.journal.load() as { record?: unknown }).record, undefined);
	assert.ok(d.log.includes("sos: dormant -> active.activating (triplePress)"), d.log.join("\n"));
	assert.ok(d.log.some((l) => l === "sos: active.closing -> dormant (radiosOff)"));
});

Runner("the platform port hears once that the event is over, before the device sleeps (unsent points counted there)", async () => {
	const d = createDevice();
	d.runner.boot();
	d.runner.triplePress();
	await d.clock.advanceAsync(3 * 60_000);
	const eventId = (d.journal.load() as { record?: { eventId: string } }).record?.eventId;
	assert.ok(eventId);
	assert.equal(d.ended, []);
	d.script.locationReplies = [{ ok: true, state: "closed" }];
	await d.clock.advanceAsync(3 * 60_000);
	assert.is(d.runner.state.name, "dormant");
	assert.equal(d.ended, [{ eventId, sleepsBefore: 0 }]);
});

Runner("a false start: prepare on the first press, power down on abandon, nothing sent, no journal", async () => {
	const d = createDevice();
	d.runner.boot();
	d.runner.dispatch({ type: "gestureStarted", now: d.clock.now() });
	await d.clock.advanceAsync(1500);
	d.runner.dispatch({ type: "gestureAbandoned", now: d.clock.now() });
	await d.clock.advanceAsync(10_000);
	assert.is(d.runner.state.name, "dormant");
	assert.equal(d.calls, ["prepare", "powerDown"]);
	assert.equal(d.patterns, []);
	const loaded = d.journal.load();
	assert.ok(loaded.ok && loaded.record === undefined, "nothing journaled for a false start");
	assert.equal([...d.backing.get("enigm")?.keys() ?? []], [], "no store write at all");
	assert.ok(d.log.includes("sos: dormant -> dormant (radiosOff)"), d.log.join("\n"));
	assert.is(d.runner.state.context.gesture, undefined);
});

Runner("the gesture completed while arming wakes the prepared radio and raises the alert", async () => {
	const d = createDevice();
	d.runner.boot();
	d.runner.dispatch({ type: "gestureStarted", now: d.clock.now() });
	await d.clock.advanceAsync(800);
	d.runner.triplePress();
	await d.clock.advanceAsync(8000);
	assert.is(d.runner.state.name, "active.alerting");
	assert.equal(d.calls.slice(0, 3), ["prepare", "wake", "open new"]);
});

Runner("reboot mid-event resumes the same event id and carries on streaming", async () => {
	const backing = new Map();
	const first = createDevice({ backing });
	first.runner.boot();
	first.runner.triplePress();
	await first.clock.advanceAsync(5 * 60_000);
	assert.is(first.runner.state.name, "active.streaming");
	const eventId = first.runner.state.context.eventId;
	const delivered = first.runner.state.context.pointsDelivered;
	assert.ok(delivered > 0);
	// Brownout: the device restarts with a fresh clock; only the store survives.
	const second = createDevice({ backing, clock: new ManualClock() });
	second.runner.boot();
	assert.is(second.runner.state.name, "active.activating");
	assert.is(second.runner.state.context.eventId, eventId);
	assert.ok(second.runner.state.context.resumed);
	await second.clock.advanceAsync(10_000);
	assert.is(second.runner.state.name, "active.streaming");
	assert.ok(second.calls.includes("open resumed"), second.calls.join(","));
	assert.ok(second.runner.state.context.pointsDelivered >= delivered);
});

Runner("the maximum duration counts time from before the reboot", async () => {
	const backing = new Map();
	const config = { maxEventMs: 10 * 60_000 };
	const first = createDevice({ backing, config });
	first.runner.boot();
	first.runner.triplePress();
	await first.clock.advanceAsync(7 * 60_000);
	const second = createDevice({ backing, config, clock: new ManualClock() });
	second.runner.boot();
	// the journal recorded 5 min 57 s at the last delivered point: 4 min 3 s remain, then close and power down
	await second.clock.advanceAsync(4 * 60_000 + 10_000);
	assert.ok(second.calls.includes("close max-duration"), second.calls.join(","));
	assert.is(second.runner.state.name, "dormant");
});

Runner("event ids are fresh per event and 32 hex digits", async () => {
	const d = createDevice({ script: { openReplies: [{ ok: true, state: "closed" }] } });
	d.runner.boot();
	d.runner.triplePress();
	const first = d.runner.state.context.eventId;
	await d.clock.advanceAsync(60_000);
	assert.is(d.runner.state.name, "dormant");
	d.runner.triplePress();
	const second = d.runner.state.context.eventId;
	assert.match(first ?? "", /^[0-9a-f]{32}$/);
	assert.is.not(first, second);
});

Runner("network failure keeps retrying the alert with back-off until it gets through", async () => {
	const d = createDevice({ script: { wakeResults: [{ ok: false, reason: "registration denied" }, { ok: false, reason: "registration denied" }, { ok: true }] } });
	d.runner.boot();
	d.runner.triplePress();
	await d.clock.advanceAsync(2 * 60_000);
	assert.is(d.calls.filter((c) => c === "wake").length, 3);
	assert.is(d.runner.state.name, "active.streaming");
	assert.ok(d.log.some((l) => l.includes("modemFailed: registration denied")));
});

Runner("an authenticated revocation stops the event and the device never activates again", async () => {
	const backing = new Map();
	const d = createDevice({ backing, script: { locationReplies: [{ ok: true, state: "revoked" }] } });
	d.runner.boot();
	d.runner.triplePress();
	await d.clock.advanceAsync(60_000);
	assert.is(d.runner.state.name, "revoked");
	assert.is(d.sleeps, 1, "back to deep sleep once the radios are off");
	const after = createDevice({ backing, clock: new ManualClock() });
	after.runner.boot();
	after.runner.triplePress();
	await after.clock.advanceAsync(60_000);
	assert.is(after.runner.state.name, "revoked");
	assert.not.ok(after.calls.includes("wake"));
	assert.is(after.patterns.at(-1), "refused");
});

Runner("a signed suspension ends the event and sleeps; nothing is persisted, so the next triple press alerts again", async () => {
	const backing = new Map();
	const d = createDevice({ backing, script: { openReplies: [{ ok: true, state: "suspended" }] } });
	d.runner.boot();
	d.runner.triplePress();
	await d.clock.advanceAsync(60_000);
	assert.is(d.runner.state.name, "dormant");
	assert.is(d.sleeps, 1, "back to deep sleep once the radios are off");
	assert.ok(d.patterns.includes("refused"));
	assert.not.ok(d.calls.includes("location"), "no location sent while suspended");
	// Reactivated on the platform: after a reboot the same device alerts normally.
	const after = createDevice({ backing, clock: new ManualClock() });
	after.runner.boot();
	after.runner.triplePress();
	await after.clock.advanceAsync(60_000);
	assert.is(after.runner.state.name, "active.streaming");
	assert.ok(after.calls.includes("wake"));
});

Runner("a test event is sent as a test, closed, and leaves nothing in the journal", async () => {
	const backing = new Map();
	const d = createDevice({ backing });
	const written: string[] = [];
	const set = d.store.set.bind(d.store);
	(d.store as { set: (k: string, v: never) => unknown }).set = (k: string, v: never) => {
		written.push(k);
		return set(k, v);
	};
	d.runner.boot();
	d.runner.testPress();
	await d.clock.advanceAsync(60_000);
	assert.is(d.runner.state.name, "dormant");
	assert.ok(d.calls.includes("open test"), d.calls.join(", "));
	assert.not.ok(d.calls.includes("location"));
	assert.ok(d.calls.some((c) => c.startsWith("close")), d.calls.join(", "));
	assert.not.ok(written.includes("ev_id"), `journal written: ${written.join(", ")}`);
	assert.is(d.sleeps, 1);
});

Runner("a damaged journal is reported and cleared instead of wedging the device", () => {
	const backing = new Map();
	const d = createDevice({ backing });
	d.store.set("ev_rec_a", "1 not-an-id streaming 0 0 0 -");
	d.runner.boot();
	assert.is(d.runner.state.name, "dormant");
	assert.ok(d.log.some((l) => l.includes("journal unreadable")));
	assert.equal(new Journal(d.store).load(), { ok: true }, "cleared");
});

Runner("nothing logged contains key material or the platform's secrets: only states and event names", async () => {
	const d = createDevice();
	d.runner.boot();
	d.runner.triplePress();
	await d.clock.advanceAsync(3 * 60_000);
	for (const line of d.log) assert.match(line, /^sos: [a-z.]+ (->|ignores) /);
});

Runner("close() cancels every timer and ignores late results: a discarded instance does nothing more", async () => {
	const d = createDevice();
	d.runner.boot();
	d.runner.triplePress();
	await d.clock.advanceAsync(60_000);
	assert.is(d.runner.state.name, "active.streaming");
	d.runner.close();
	const calls = d.calls.length;
	const state = d.runner.state;
	await d.clock.advanceAsync(10 * 60_000);
	assert.is(d.calls.length, calls, d.calls.slice(calls).join(","));
	assert.is(d.runner.state, state);
	d.runner.dispatch({ type: "platformClosed", now: d.clock.now() });
	assert.is(d.runner.state, state);
});

Runner.run();

const Journaling = suite("Journal: persisted event record");

Journaling("writes only changed fields; one save after start is a handful of flash writes", async () => {
	const d = createDevice();
	d.runner.boot();
	d.runner.triplePress();
	const afterStart = d.journal.writes;
	assert.ok(afterStart <= 5, `${afterStart}`);
	await d.clock.advanceAsync(10 * 60_000);
	// per delivered point: the points counter and elapsed time change, nothing else
	const perPoint = (d.journal.writes - afterStart) / d.runner.state.context.pointsDelivered;
	assert.ok(perPoint <= 3, `${perPoint}`);
});

Journaling.run();
