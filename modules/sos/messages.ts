import type { Fix } from "drivers/gnss/fix";
import type { IndicatorPattern } from "hal/indicator";

/**
 * The SOS module's one message interface (CONVENTIONS 6): its states, the events it consumes and the effects it
 * asks the runner to perform. Hierarchical state names: events an `active.*` state does not handle bubble to
 * `active` (CONVENTIONS 5).
 */
export type SosStateName =
	| "dormant"            // deep sleep between wakes: radios off, nothing on the wire, no location kept
	| "active.activating"  // waking the modem, registering, opening the platform connection
	| "active.alerting"    // alert sent, awaiting the platform's authenticated acknowledgement
	| "active.streaming"   // location updates until the event is closed
	| "active.closing"     // telling the platform (if needed) and powering the radios down
	| "revoked";           // terminal: a revoked device never activates again

export type CloseReason =
	| "platform"      // the platform (user or contacts) closed the event: authenticated response
	| "device"        // the user cancelled on the device
	| "max-duration"  // the event ran for its maximum duration
	| "refused";      // the platform refused the alert for good (unknown or unprovisioned device)

export interface SosContext {
	/** Random 128-bit event identifier (32 hex), fresh per event, kept across reboots of the same event. */
	readonly eventId?: string;
	/** True once the platform acknowledged the alert for this event. */
	readonly alertDelivered: boolean;
	/** Event time already spent in earlier boots, ms. */
	readonly elapsedBeforeBoot: number;
	/** Clock time (this boot) at which the event started or resumed. */
	readonly startedAt: number;
	/** Consecutive failures of the current step, for back-off. */
	readonly failures: number;
	readonly pointsDelivered: number;
	/** Set when the event must close once the radios are up (a close interrupted by a reboot). */
	readonly closeReason?: CloseReason;
	/** True when this event was resumed after a reboot. */
	readonly resumed: boolean;
	/** Reporting interval in force (platform's, else the local policy's), ms. */
	readonly intervalMs: number;
	/**
	 * Still dormant (no event, nothing sent, RF off), but the modem is powered for a gesture in progress: "arming"
	 * while it boots with its RF off from the first deliberate press, "disarming" while a false start powers it down.
	 */
	readonly gesture?: "arming" | "disarming";
}

export interface SosState {
	readonly name: SosStateName;
	readonly context: SosContext;
}

/** The event journal: what survives a reboot or brownout in the middle of an event (modules/journal). */
export interface JournalRecord {
	readonly eventId: string;
	readonly phase: "activating" | "alerting" | "streaming" | "closing";
	readonly alertDelivered: boolean;
	readonly elapsedMs: number;
	readonly pointsDelivered: number;
	readonly closeReason?: CloseReason;
}

export type SosEvent =
	/** Boot: the journal's record of an event in progress (if any) and whether the device was revoked. */
	| { readonly type: "boot"; readonly now: number; readonly journal?: JournalRecord; readonly revoked: boolean }
	/** The first deliberate press of a possible gesture: boot the modem now, RF off, so the boot overlaps the gesture. */
	| { readonly type: "gestureStarted"; readonly now: number }
	/** The press sequence was spoiled or stopped short of three presses: a false start. */
	| { readonly type: "gestureAbandoned"; readonly now: number }
	/** The button driver recognised a deliberate triple press; the runner drew a fresh random event id. */
	| { readonly type: "triplePress"; readonly now: number; readonly eventId: string }
	/** The user cancelled the event on the device. */
	| { readonly type: "deviceClose"; readonly now: number }
	/** The button is idle and nothing is pending: the dormant device may sleep. */
	| { readonly type: "buttonIdle"; readonly now: number }
	/** Modem powered, registered, data connection up. */
	| { readonly type: "modemReady"; readonly now: number }
	| { readonly type: "modemFailed"; readonly now: number; readonly reason: string }
	/** Authenticated platform acknowledgement of the alert, with its reporting interval if it set one. */
	| { readonly type: "alertAcknowledged"; readonly now: number; readonly intervalMs?: number }
	/** The alert did not get through: `retryable` false when the platform refused it for good. */
	| { readonly type: "alertRejected"; readonly now: number; readonly reason: string; readonly retryable: boolean }
	| { readonly type: "fixObtained"; readonly now: number; readonly fix: Fix }
	| { readonly type: "fixTimedOut"; readonly now: number }
	/** A location report was accepted (authenticated response), with the platform's next interval. */
	| { readonly type: "locationDelivered"; readonly now: number; readonly intervalMs?: number }
	/** A location report did not get through; the runner keeps the point for store-and-forward. */
	| { readonly type: "locationFailed"; readonly now: number; readonly reason: string }
	/** Authenticated response: the event is closed on the platform. */
	| { readonly type: "platformClosed"; readonly now: number }
	/** Authenticated response: this device is revoked. */
	| { readonly type: "revoked"; readonly now: number }
	| { readonly type: "closeDelivered"; readonly now: number }
	| { readonly type: "closeFailed"; readonly now: number; readonly reason: string }
	/** Radios are powered down. */
	| { readonly type: "radiosOff"; readonly now: number }
	/** A timer the machine started has expired. */
	| { readonly type: "timer"; readonly now: number; readonly timer: SosTimer };

export type SosTimer =
	| "retry"        // back-off before retrying the failed step
	| "report"       // next location report is due
	| "maxDuration"; // the event's maximum duration

export type SosEffect =
	| { readonly type: "indicate"; readonly pattern: IndicatorPattern }
	| { readonly type: "journal.save"; readonly record: JournalRecord }
	| { readonly type: "journal.clear" }
	/** Persist revocation: the device never activates again. */
	| { readonly type: "markRevoked" }
	/** Boot the modem with its RF off (flight mode): no registration, nothing on the air, until radio.wake. */
	| { readonly type: "radio.prepare" }
	/** Power the modem, register, bring up data and the platform connection. */
	| { readonly type: "radio.wake" }
	| { readonly type: "radio.powerDown" }
	/** Send the signed alert (open or resume the event). */
	| { readonly type: "platform.openEvent"; readonly eventId: string; readonly resumed: boolean }
	/** Run a GNSS window (the radio scheduler decides its length and warm/cold start). */
	| { readonly type: "gnss.acquire" }
	/** Send a location report: a fix, or a serving-cell report when the fix window timed out. */
	| { readonly type: "platform.sendLocation"; readonly eventId: string; readonly fix?: Fix }
	| { readonly type: "platform.closeEvent"; readonly eventId: string; readonly reason: CloseReason }
	| { readonly type: "timer.start"; readonly timer: SosTimer; readonly ms: number }
	| { readonly type: "timer.cancel"; readonly timer: SosTimer }
	/** Deep sleep with the button as the only wake source. */
	| { readonly type: "sleep" };

export interface SosConfig {
	/** An event closes itself after this long, ms (default 2 h). */
	readonly maxEventMs: number;
	/** Reporting interval until the platform sets one, ms (modules/radioSchedule refines it). */
	readonly defaultIntervalMs: number;
	/** Back-off after a failed step: base and ceiling, ms (doubling). */
	readonly retryBaseMs: number;
	readonly retryMaxMs: number;
	/** Platform intervals are clamped to this range, ms. */
	readonly minIntervalMs: number;
	readonly maxIntervalMs: number;
}

export const defaultSosConfig: SosConfig = Object.freeze({
	maxEventMs: 2 * 3600_000,
	defaultIntervalMs: 60_000,
	retryBaseMs: 5_000,
	retryMaxMs: 120_000,
	minIntervalMs: 10_000,
	maxIntervalMs: 600_000,
});
