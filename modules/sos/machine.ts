import {
	defaultSosConfig,
	type CloseReason,
	type JournalRecord,
	type SosConfig,
	type SosContext,
	type SosEffect,
	type SosEvent,
	type SosState,
	type SosStateName,
} from "modules/sos/messages";

/**
 * The emergency-event state machine: a pure function from (state, event) to (state, effects)
 * (CONVENTIONS 5). It performs nothing itself; modules/sos/runner performs the effects and feeds results back.
 * An event a state does not handle bubbles to `active`; an event nobody handles is ignored (`handled: false`),
 * which is how late results of abandoned work (a fix arriving after the event closed) are dropped.
 */
export interface Transition {
	readonly state: SosState;
	readonly effects: SosEffect[];
	readonly handled: boolean;
}

const emptyContext: SosContext = Object.freeze({
	alertDelivered: false,
	elapsedBeforeBoot: 0,
	startedAt: 0,
	failures: 0,
	pointsDelivered: 0,
	resumed: false,
	intervalMs: defaultSosConfig.defaultIntervalMs,
});

export const initialState: SosState = Object.freeze({ name: "dormant", context: emptyContext });

export function transition(state: SosState, event: SosEvent, config: SosConfig = defaultSosConfig): Transition {
	const own = handle(state, event, config);
	if (own) return { ...own, handled: true };
	if (state.name.startsWith("active.")) {
		const parent = handleActive(state, event, config);
		if (parent) return { ...parent, handled: true };
	}
	return { state, effects: [], handled: false };
}

type Result = { state: SosState; effects: SosEffect[] } | undefined;

function to(name: SosStateName, context: SosContext, effects: SosEffect[]): Result {
	// A test event is never journaled (SosContext.test).
	return { state: { name, context }, effects: context.test ? effects.filter((e) => e.type !== "journal.save") : effects };
}

/** Event time so far, across reboots. */
export function eventElapsed(context: SosContext, now: number): number {
	return context.elapsedBeforeBoot + Math.max(0, now - context.startedAt);
}

function journal(phase: JournalRecord["phase"], context: SosContext, now: number): SosEffect {
	const record: JournalRecord = {
		eventId: context.eventId ?? "",
		phase,
		alertDelivered: context.alertDelivered,
		elapsedMs: eventElapsed(context, now),
		pointsDelivered: context.pointsDelivered,
		...(context.closeReason ? { closeReason: context.closeReason } : {}),
	};
	return { type: "journal.save", record };
}

/** Close requests sent at most, the first included, before the device gives up and powers down. */
const closeAttempts = 3;

function backoff(failures: number, config: SosConfig): number {
	return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(16, Math.max(0, failures - 1)));
}

function clampInterval(ms: number | undefined, context: SosContext, config: SosConfig): number {
	if (ms === undefined || !Number.isFinite(ms)) return context.intervalMs;
	return Math.min(config.maxIntervalMs, Math.max(config.minIntervalMs, ms));
}

/** Start closing: tell the platform if it knows about the event, then power down. */
function close(context: SosContext, reason: CloseReason, now: number, radiosUp: boolean): Result {
	const next = { ...context, closeReason: reason, failures: 0 };
	const effects: SosEffect[] = [
		{ type: "timer.cancel", timer: "report" },
		{ type: "timer.cancel", timer: "retry" },
		journal("closing", next, now),
	];
	if (reason !== "platform" && reason !== "refused" && reason !== "suspended" && radiosUp && context.eventId)
		effects.push({ type: "platform.closeEvent", eventId: context.eventId, reason });
	else effects.push({ type: "radio.powerDown" });
	return to("active.closing", next, effects);
}

function handle(state: SosState, event: SosEvent, config: SosConfig): Result {
	const c = state.context;
	switch (state.name) {
		case "dormant":
			switch (event.type) {
				case "boot":
					if (event.revoked) return to("revoked", emptyContext, [{ type: "indicate", pattern: "refused" }, { type: "sleep" }]);
					if (!event.journal || !event.journal.eventId) return undefined;
					return resume(event.journal, event.now, config);
				case "gestureStarted":
					// No indication: a pocket's false start must not light anything up. The device stays dormant.
					if (c.gesture) return undefined;
					return to("dormant", { ...c, gesture: "arming" }, [{ type: "radio.prepare" }]);
				case "gestureAbandoned":
					if (c.gesture !== "arming") return undefined;
					return to("dormant", { ...c, gesture: "disarming" }, [{ type: "radio.powerDown" }]);
				case "radiosOff":
					// The false start's modem is off again; the button driver's idle check puts the chip to sleep.
					if (c.gesture !== "disarming") return undefined;
					return to("dormant", emptyContext, []);
				case "triplePress":
					// Whether the modem has been booting since the first press or not, radio.wake carries on from there
					// (the uplink lets a false start's power-down finish first).
					return activate(event.eventId, event.now, config);
				case "testPress": {
					const context: SosContext = { ...emptyContext, intervalMs: config.defaultIntervalMs, eventId: event.eventId, startedAt: event.now, test: true };
					return to("active.activating", context, [
						{ type: "indicate", pattern: "accepted" },
						{ type: "timer.start", timer: "maxDuration", ms: config.maxEventMs },
						{ type: "radio.wake" },
					]);
				}
				case "buttonIdle":
					// Never sleep with the modem powered for a gesture.
					if (c.gesture) return undefined;
					return to("dormant", c, [{ type: "indicate", pattern: "off" }, { type: "sleep" }]);
				default:
					return undefined;
			}

		case "active.activating":
			switch (event.type) {
				case "modemReady":
					if (c.closeReason) return close(c, c.closeReason, event.now, true);
					return to("active.alerting", { ...c, failures: 0 }, [
						{ type: "indicate", pattern: "working" },
						journal("alerting", c, event.now),
						{ type: "platform.openEvent", eventId: c.eventId ?? "", resumed: c.resumed, ...(c.test ? { test: true } : {}) },
					]);
				case "modemFailed": {
					const failures = c.failures + 1;
					return to("active.activating", { ...c, failures }, [
						{ type: "indicate", pattern: "failed" },
						{ type: "radio.powerDown" },
						{ type: "timer.start", timer: "retry", ms: backoff(failures, config) },
					]);
				}
				case "timer":
					if (event.timer !== "retry") return undefined;
					return to("active.activating", c, [{ type: "radio.wake" }]);
				case "radiosOff":
					return to("active.activating", c, []);
				default:
					return undefined;
			}

		case "active.alerting":
			switch (event.type) {
				case "alertAcknowledged": {
					if (c.test) {
						// The platform has the test event: show it was delivered, close it, power down.
						const r = close({ ...c, alertDelivered: true }, "device", event.now, true)!;
						return to(r.state.name, r.state.context, [{ type: "indicate", pattern: "alerted" }, ...r.effects]);
					}
					const context = { ...c, alertDelivered: true, failures: 0, intervalMs: clampInterval(event.intervalMs, c, config) };
					return to("active.streaming", context, [
						{ type: "indicate", pattern: "alerted" },
						journal("streaming", context, event.now),
						{ type: "gnss.acquire" },
					]);
				}
				case "alertRejected": {
					if (!event.retryable) return close(c, "refused", event.now, true);
					const failures = c.failures + 1;
					return to("active.alerting", { ...c, failures }, [
						{ type: "indicate", pattern: "failed" },
						{ type: "timer.start", timer: "retry", ms: backoff(failures, config) },
					]);
				}
				case "timer":
					if (event.timer !== "retry") return undefined;
					return to("active.alerting", c, [{ type: "platform.openEvent", eventId: c.eventId ?? "", resumed: c.resumed, ...(c.test ? { test: true } : {}) }]);
				default:
					return undefined;
			}

		case "active.streaming":
			switch (event.type) {
				case "fixObtained":
					return to("active.streaming", c, [{ type: "platform.sendLocation", eventId: c.eventId ?? "", fix: event.fix }]);
				case "fixTimedOut":
					return to("active.streaming", c, [{ type: "platform.sendLocation", eventId: c.eventId ?? "" }]);
				case "locationDelivered": {
					const context = { ...c, failures: 0, pointsDelivered: c.pointsDelivered + 1, intervalMs: clampInterval(event.intervalMs, c, config) };
					return to("active.streaming", context, [
						journal("streaming", context, event.now),
						{ type: "timer.start", timer: "report", ms: context.intervalMs },
					]);
				}
				case "locationFailed":
					// The runner keeps the point (store-and-forward); try again at the next report.
					return to("active.streaming", { ...c, failures: c.failures + 1 }, [
						{ type: "timer.start", timer: "report", ms: Math.min(c.intervalMs, backoff(c.failures + 1, config)) },
					]);
				case "timer":
					if (event.timer !== "report") return undefined;
					return to("active.streaming", c, [{ type: "gnss.acquire" }]);
				default:
					return undefined;
			}

		case "active.closing":
			switch (event.type) {
				case "closeDelivered":
					return to("active.closing", c, [{ type: "radio.powerDown" }]);
				case "closeFailed": {
					// A close lost to a transient fault (an error, a reset, a lost answer) is sent again after a back-off:
					// until it gets through the contacts still see an emergency. Not for ever: after `closeAttempts` the
					// device powers down and the platform closes the event on its own timeout.
					const failures = c.failures + 1;
					if (failures >= closeAttempts || !c.eventId || !c.closeReason) return to("active.closing", c, [{ type: "radio.powerDown" }]);
					return to("active.closing", { ...c, failures }, [{ type: "timer.start", timer: "retry", ms: backoff(failures, config) }]);
				}
				case "radiosOff":
					return to("dormant", emptyContext, [
						{ type: "timer.cancel", timer: "maxDuration" },
						{ type: "journal.clear" },
						{ type: "indicate", pattern: "off" },
						{ type: "sleep" },
					]);
				case "timer":
					if (event.timer === "retry" && c.eventId && c.closeReason)
						return to("active.closing", c, [{ type: "platform.closeEvent", eventId: c.eventId, reason: c.closeReason }]);
					return to("active.closing", c, []);
				case "platformClosed":
				case "deviceClose":
					// Already closing: a second reason to close changes nothing.
					return to("active.closing", c, []);
				default:
					return undefined;
			}

		case "revoked":
			switch (event.type) {
				case "triplePress":
				case "boot":
					return to("revoked", c, [{ type: "indicate", pattern: "refused" }, { type: "sleep" }]);
				case "buttonIdle":
				case "radiosOff":
					// Revoked mid-event: once the radios are down nothing is left to do, so the device sleeps (it
					// would otherwise stay awake until the next button press, draining the battery).
					return to("revoked", c, [{ type: "sleep" }]);
				default:
					return undefined;
			}
	}
}

/** Events every active state handles the same way. */
function handleActive(state: SosState, event: SosEvent, config: SosConfig): Result {
	const c = state.context;
	const radiosUp = state.name === "active.alerting" || state.name === "active.streaming";
	switch (event.type) {
		case "revoked":
			return to("revoked", emptyContext, [
				{ type: "timer.cancel", timer: "report" },
				{ type: "timer.cancel", timer: "retry" },
				{ type: "timer.cancel", timer: "maxDuration" },
				{ type: "markRevoked" },
				{ type: "journal.clear" },
				{ type: "radio.powerDown" },
				{ type: "indicate", pattern: "refused" },
			]);
		case "platformClosed":
			return close(c, "platform", event.now, radiosUp);
		case "suspended": {
			// Seed 004 suspension: the signed refusal ends this event like a platform close, with the "refused"
			// pattern so the user knows no one was alerted. Unlike revocation nothing is persisted: the device goes
			// back to dormant and a later triple press tries again (accepted once the device is reactivated).
			const r = close(c, "suspended", event.now, radiosUp)!;
			return to(r.state.name, r.state.context, [...r.effects, { type: "indicate", pattern: "refused" }]);
		}
		case "deviceClose":
			return close(c, "device", event.now, radiosUp && c.alertDelivered);
		case "timer":
			if (event.timer === "maxDuration") return close(c, "max-duration", event.now, radiosUp && c.alertDelivered);
			return undefined;
		case "triplePress":
			// Already in an event: a new triple press only reassures the user.
			return to(state.name, c, [{ type: "indicate", pattern: c.alertDelivered ? "alerted" : "working" }]);
		case "radiosOff":
			if (state.name === "active.closing") return undefined;
			// The modem went away under us (reset, brownout of its rail): wake it again.
			return to("active.activating", { ...c, failures: c.failures + 1 }, [
				{ type: "timer.cancel", timer: "report" },
				{ type: "timer.start", timer: "retry", ms: backoff(c.failures + 1, config) },
			]);
		default:
			return undefined;
	}
}

/** A recognised gesture: a new event with a fresh id. */
function activate(eventId: string, now: number, config: SosConfig): Result {
	const context: SosContext = { ...emptyContext, intervalMs: config.defaultIntervalMs, eventId, startedAt: now };
	return to("active.activating", context, [
		{ type: "indicate", pattern: "accepted" },
		journal("activating", context, now),
		{ type: "timer.start", timer: "maxDuration", ms: config.maxEventMs },
		{ type: "radio.wake" },
	]);
}

/** A reboot in the middle of an event: carry on with the same event id. */
function resume(record: JournalRecord, now: number, config: SosConfig): Result {
	const context: SosContext = {
		...emptyContext,
		intervalMs: config.defaultIntervalMs,
		eventId: record.eventId,
		alertDelivered: record.alertDelivered,
		elapsedBeforeBoot: record.elapsedMs,
		startedAt: now,
		pointsDelivered: record.pointsDelivered,
		resumed: true,
		...(record.phase === "closing" && record.closeReason ? { closeReason: record.closeReason } : {}),
	};
	if (context.closeReason === "platform" || context.closeReason === "refused")
		// Nothing left to tell the platform: make sure the radios are off (an ESP32 reset leaves the modem powered).
		return to("active.closing", context, [{ type: "radio.powerDown" }]);
	const remaining = config.maxEventMs - record.elapsedMs;
	if (remaining <= 0 && !context.closeReason) return resume({ ...record, phase: "closing", closeReason: "max-duration" }, now, config);
	return to("active.activating", context, [
		{ type: "indicate", pattern: "working" },
		{ type: "timer.start", timer: "maxDuration", ms: Math.max(0, remaining) },
		{ type: "radio.wake" },
	]);
}
