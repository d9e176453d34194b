import { suite } from "uvu";
import * as assert from "uvu/assert";
import { initialState, transition } from "modules/sos/machine";
import type { SosEffect, SosState } from "modules/sos/messages";

const Machine = suite("SOS transition(): pure state machine");
const id = "0123456789abcdef0123456789abcdef";
const types = (effects: SosEffect[]) => effects.map((e) => e.type);

function activated(): SosState {
	return transition(initialState, { type: "triplePress", now: 1000, eventId: id }).state;
}
function streaming(): SosState {
	let s = activated();
	s = transition(s, { type: "modemReady", now: 9000 }).state;
	return transition(s, { type: "alertAcknowledged", now: 10_000, intervalMs: 30_000 }).state;
}

Machine("triple press from dormant starts an event: feedback, journal, duration timer, radios", () => {
	const r = transition(initialState, { type: "triplePress", now: 5, eventId: id });
	assert.is(r.state.name, "active.activating");
	assert.is(r.state.context.eventId, id);
	assert.equal(types(r.effects), ["indicate", "journal.save", "timer.start", "radio.wake"]);
});

Machine("the first press of a gesture boots the modem quietly, with no indication and no event", () => {
	const r = transition(initialState, { type: "gestureStarted", now: 5 });
	assert.is(r.state.name, "dormant");
	assert.is(r.state.context.gesture, "arming");
	assert.equal(r.effects, [{ type: "radio.prepare" }]);
	assert.is(r.state.context.eventId, undefined);
	assert.not.ok(transition(r.state, { type: "gestureStarted", now: 6 }).handled, "one boot per gesture");
});

Machine("the gesture recognised while arming starts the event exactly as from dormant", () => {
	const armed = transition(initialState, { type: "gestureStarted", now: 5 }).state;
	const r = transition(armed, { type: "triplePress", now: 900, eventId: id });
	assert.is(r.state.name, "active.activating");
	assert.equal(types(r.effects), ["indicate", "journal.save", "timer.start", "radio.wake"]);
});

Machine("a false start powers the modem down and returns to dormancy without a journal or a message", () => {
	const armed = transition(initialState, { type: "gestureStarted", now: 5 }).state;
	let r = transition(armed, { type: "gestureAbandoned", now: 2000 });
	assert.is(r.state.name, "dormant");
	assert.is(r.state.context.gesture, "disarming");
	assert.equal(r.effects, [{ type: "radio.powerDown" }]);
	assert.not.ok(transition(r.state, { type: "buttonIdle", now: 2100 }).handled, "no sleep while the modem powers down");
	r = transition(r.state, { type: "radiosOff", now: 6000 });
	assert.is(r.state.name, "dormant");
	assert.is(r.state.context.gesture, undefined);
	assert.equal(r.effects, []);
	assert.equal(types(transition(r.state, { type: "buttonIdle", now: 6100 }).effects), ["indicate", "sleep"]);
});

Machine("while arming, idleness does not put the chip to sleep with the modem on", () => {
	const armed = transition(initialState, { type: "gestureStarted", now: 5 }).state;
	assert.not.ok(transition(armed, { type: "buttonIdle", now: 10 }).handled);
});

Machine("a revoked device never powers its modem for a gesture; an event ignores gesture starts", () => {
	const revoked = transition(initialState, { type: "boot", now: 0, revoked: true }).state;
	assert.not.ok(transition(revoked, { type: "gestureStarted", now: 1 }).handled);
	assert.not.ok(transition(activated(), { type: "gestureStarted", now: 1 }).handled);
	assert.not.ok(transition(initialState, { type: "gestureAbandoned", now: 1 }).handled);
	assert.not.ok(transition(initialState, { type: "radiosOff", now: 1 }).handled);
});

Machine("modem ready sends the alert; acknowledgement starts streaming with a GNSS window", () => {
	let r = transition(activated(), { type: "modemReady", now: 9000 });
	assert.is(r.state.name, "active.alerting");
	assert.ok(r.effects.some((e) => e.type === "platform.openEvent" && e.eventId === id && !e.resumed));
	r = transition(r.state, { type: "alertAcknowledged", now: 10_000, intervalMs: 30_000 });
	assert.is(r.state.name, "active.streaming");
	assert.is(r.state.context.intervalMs, 30_000);
	assert.ok(r.state.context.alertDelivered);
	assert.ok(types(r.effects).includes("gnss.acquire"));
});

Machine("modem failure backs off and retries, doubling up to the ceiling", () => {
	let s = activated();
	const delays: number[] = [];
	for (let i = 0; i < 8; i++) {
		const r = transition(s, { type: "modemFailed", now: 0, reason: "no network" });
		const start = r.effects.find((e) => e.type === "timer.start");
		delays.push(start && start.type === "timer.start" ? start.ms : -1);
		s = transition(r.state, { type: "timer", now: 0, timer: "retry" }).state;
	}
	assert.equal(delays, [5000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
	assert.is(s.name, "active.activating");
});

Machine("fix timeout yields a cell report; delivered location schedules the next report", () => {
	let r = transition(streaming(), { type: "fixTimedOut", now: 0 });
	assert.equal(r.effects, [{ type: "platform.sendLocation", eventId: id }]);
	r = transition(r.state, { type: "locationDelivered", now: 0, intervalMs: 120_000 });
	assert.is(r.state.context.pointsDelivered, 1);
	assert.ok(r.effects.some((e) => e.type === "timer.start" && e.timer === "report" && e.ms === 120_000));
});

Machine("platform intervals are clamped to the configured range", () => {
	const r = transition(streaming(), { type: "locationDelivered", now: 0, intervalMs: 1 });
	assert.is(r.state.context.intervalMs, 10_000);
});

Machine("platform close powers down without telling the platform again, then sleeps", () => {
	let r = transition(streaming(), { type: "platformClosed", now: 0 });
	assert.is(r.state.name, "active.closing");
	assert.not.ok(types(r.effects).includes("platform.closeEvent"));
	assert.ok(types(r.effects).includes("radio.powerDown"));
	r = transition(r.state, { type: "radiosOff", now: 0 });
	assert.is(r.state.name, "dormant");
	assert.equal(types(r.effects), ["timer.cancel", "journal.clear", "indicate", "sleep"]);
});

Machine("device close and maximum duration tell the platform first", () => {
	const byDevice = transition(streaming(), { type: "deviceClose", now: 0 });
	assert.ok(byDevice.effects.some((e) => e.type === "platform.closeEvent" && e.reason === "device"));
	const byTimer = transition(streaming(), { type: "timer", now: 0, timer: "maxDuration" });
	assert.ok(byTimer.effects.some((e) => e.type === "platform.closeEvent" && e.reason === "max-duration"));
});

Machine("suspension (signed refusal) ends the event without telling the platform, shows refused, and is not terminal", () => {
	let r = transition(streaming(), { type: "suspended", now: 0 });
	assert.is(r.state.name, "active.closing");
	assert.not.ok(types(r.effects).includes("platform.closeEvent"), "a suspended device sends nothing more");
	assert.not.ok(types(r.effects).includes("markRevoked"), "suspension is not revocation");
	assert.ok(types(r.effects).includes("radio.powerDown"));
	assert.ok(r.effects.some((e) => e.type === "indicate" && e.pattern === "refused"));
	r = transition(r.state, { type: "radiosOff", now: 0 });
	assert.is(r.state.name, "dormant");
	assert.ok(types(r.effects).includes("journal.clear"));
	// A later triple press starts a new event as usual (the platform accepts it once the device is reactivated).
	const again = transition(r.state, { type: "triplePress", now: 1, eventId: "f".repeat(32) });
	assert.is(again.state.name, "active.activating");
	// Suspended while the alert was being sent: same.
	const alerting = transition(activated(), { type: "modemReady", now: 9000 }).state;
	const s2 = transition(alerting, { type: "suspended", now: 0 });
	assert.is(s2.state.name, "active.closing");
	assert.not.ok(types(s2.effects).includes("markRevoked"));
});

Machine("test event (5 s hold while dormant): reason test, never journaled, closed once acknowledged, back to dormant", () => {
	let r = transition(initialState, { type: "testPress", now: 5, eventId: id });
	assert.is(r.state.name, "active.activating");
	assert.ok(r.state.context.test);
	assert.equal(types(r.effects), ["indicate", "timer.start", "radio.wake"], "no journal.save: a reboot cannot turn it into an alert");
	r = transition(r.state, { type: "modemReady", now: 9000 });
	assert.equal(r.effects.filter((e) => e.type === "platform.openEvent"), [{ type: "platform.openEvent", eventId: id, resumed: false, test: true }]);
	assert.not.ok(types(r.effects).includes("journal.save"));
	r = transition(r.state, { type: "alertAcknowledged", now: 10_000, intervalMs: 30_000 });
	assert.is(r.state.name, "active.closing");
	assert.ok(r.effects.some((e) => e.type === "indicate" && e.pattern === "alerted"));
	assert.ok(r.effects.some((e) => e.type === "platform.closeEvent" && e.eventId === id));
	assert.not.ok(types(r.effects).includes("gnss.acquire"), "no location for a test event");
	assert.not.ok(types(r.effects).includes("journal.save"));
	r = transition(r.state, { type: "closeDelivered", now: 11_000 });
	r = transition(r.state, { type: "radiosOff", now: 12_000 });
	assert.is(r.state.name, "dormant");
	assert.not.ok(r.state.context.test);
	// A real alert afterwards is a button event again.
	const real = transition(transition(r.state, { type: "triplePress", now: 13_000, eventId: id }).state, { type: "modemReady", now: 14_000 });
	assert.equal(real.effects.filter((e) => e.type === "platform.openEvent"), [{ type: "platform.openEvent", eventId: id, resumed: false }]);
});

Machine("a device close that fails is sent again after a back-off, three times in all, then the radios go down", () => {
	let r = transition(streaming(), { type: "deviceClose", now: 20_000 });
	assert.is(r.state.name, "active.closing");
	assert.equal(r.effects.filter((e) => e.type === "platform.closeEvent"), [{ type: "platform.closeEvent", eventId: id, reason: "device" }]);
	r = transition(r.state, { type: "closeFailed", now: 21_000, reason: "receive: reset" });
	assert.equal(r.effects, [{ type: "timer.start", timer: "retry", ms: 5_000 }]);
	assert.equal(transition(r.state, { type: "timer", now: 25_000, timer: "maxDuration" }).effects, [], "another timer changes nothing");
	r = transition(r.state, { type: "timer", now: 26_000, timer: "retry" });
	assert.equal(r.effects, [{ type: "platform.closeEvent", eventId: id, reason: "device" }]);
	r = transition(r.state, { type: "closeFailed", now: 27_000, reason: "attach" });
	assert.equal(r.effects, [{ type: "timer.start", timer: "retry", ms: 10_000 }]);
	r = transition(r.state, { type: "timer", now: 37_000, timer: "retry" });
	r = transition(r.state, { type: "closeFailed", now: 38_000, reason: "attach" });
	assert.equal(r.effects, [{ type: "radio.powerDown" }], "the third failure gives up: the platform's own timeout closes it");
	assert.is(transition(r.state, { type: "radiosOff", now: 39_000 }).state.name, "dormant");
});

Machine("revocation is terminal: a later triple press only refuses", () => {
	let r = transition(streaming(), { type: "revoked", now: 0 });
	assert.is(r.state.name, "revoked");
	assert.ok(types(r.effects).includes("markRevoked"));
	assert.ok(types(r.effects).includes("radio.powerDown"));
	const down = transition(r.state, { type: "radiosOff", now: 0 });
	assert.is(down.state.name, "revoked");
	assert.ok(types(down.effects).includes("sleep"), "a revoked device sleeps once its radios are off");
	r = transition(r.state, { type: "triplePress", now: 0, eventId: id });
	assert.is(r.state.name, "revoked");
	assert.not.ok(types(r.effects).includes("radio.wake"));
	const boot = transition(initialState, { type: "boot", now: 0, revoked: true });
	assert.is(boot.state.name, "revoked");
});

Machine("boot with a journal resumes the same event with the remaining duration", () => {
	const r = transition(initialState, {
		type: "boot", now: 0, revoked: false,
		journal: { eventId: id, phase: "streaming", alertDelivered: true, elapsedMs: 3600_000, pointsDelivered: 12 },
	});
	assert.is(r.state.name, "active.activating");
	assert.ok(r.state.context.resumed);
	assert.is(r.state.context.pointsDelivered, 12);
	assert.ok(r.effects.some((e) => e.type === "timer.start" && e.timer === "maxDuration" && e.ms === 3600_000));
	const ready = transition(r.state, { type: "modemReady", now: 1 });
	assert.ok(ready.effects.some((e) => e.type === "platform.openEvent" && e.resumed));
});

Machine("boot with an interrupted device close finishes the close after the radios are up", () => {
	const r = transition(initialState, {
		type: "boot", now: 0, revoked: false,
		journal: { eventId: id, phase: "closing", alertDelivered: true, elapsedMs: 10_000, pointsDelivered: 2, closeReason: "device" },
	});
	const ready = transition(r.state, { type: "modemReady", now: 1 });
	assert.is(ready.state.name, "active.closing");
	assert.ok(ready.effects.some((e) => e.type === "platform.closeEvent" && e.reason === "device"));
});

Machine("late results of abandoned work are ignored, not acted on", () => {
	const r = transition(initialState, { type: "fixObtained", now: 0, fix: { time: 0, lat: 0, lon: 0, accuracy: 1, satellites: 4, quality: "3d", source: "gnss" } });
	assert.not.ok(r.handled);
	assert.equal(r.effects, []);
	assert.is(r.state, initialState);
});

Machine("a non-retryable refusal closes the event without a platform call", () => {
	let s = transition(activated(), { type: "modemReady", now: 0 }).state;
	const r = transition(s, { type: "alertRejected", now: 0, reason: "unknown device", retryable: false });
	assert.is(r.state.name, "active.closing");
	assert.not.ok(types(r.effects).includes("platform.closeEvent"));
	s = r.state;
});

Machine.run();
