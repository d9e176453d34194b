import type { Clock, TimerHandle } from "hal/clock";
import type { Entropy } from "hal/entropy";
import type { Indicator } from "hal/indicator";
import type Journal from "modules/journal";
import { initialState, transition } from "modules/sos/machine";
import { defaultSosConfig, type SosConfig, type SosEffect, type SosEvent, type SosState, type SosTimer } from "modules/sos/messages";
import type { GnssPort, PlatformPort, PlatformReply, RadioPort } from "modules/sos/ports";

export interface SosRunnerOptions {
	clock: Clock;
	entropy: Entropy;
	indicator: Indicator;
	journal: Journal;
	radio: RadioPort;
	gnss: GnssPort;
	platform: PlatformPort;
	/** Deep sleep (hal/power). On the device it does not return. */
	sleep: () => void;
	/** One line per transition; never given anything secret. */
	log: (line: string) => void;
	config?: Partial<SosConfig>;
	/** Observers (the simulator's display, tests). */
	onTransition?: (from: SosState, to: SosState, event: SosEvent) => void;
}

/**
 * The thin shell around modules/sos/machine: performs effects and feeds their results back as events.
 * Events raised while effects are being performed are queued, so every transition completes before the next.
 */
export default class SosRunner {
	#o: SosRunnerOptions;
	#config: SosConfig;
	#state: SosState = initialState;
	#timers = new Map<SosTimer, TimerHandle>();
	#queue: SosEvent[] = [];
	#busy = false;
	#closed = false;

	constructor(options: SosRunnerOptions) {
		for (const name of ["clock", "entropy", "indicator", "journal", "radio", "gnss", "platform"] as const)
			if (!options[name]) throw new RangeError(`invalid ${name}`);
		this.#o = options;
		this.#config = Object.freeze({ ...defaultSosConfig, ...options.config });
	}

	get state(): SosState {
		return this.#state;
	}

	/** Boot: resume an event the journal says was in progress, or stay dormant. */
	boot(): void {
		const loaded = this.#o.journal.load();
		if (!loaded.ok) {
			// A damaged journal must not wedge the device: report it, drop it, stay usable.
			this.#o.log(`sos: journal unreadable (${loaded.reason}), cleared`);
			this.#o.journal.clear();
		}
		this.dispatch({ type: "boot", now: this.#o.clock.now(), revoked: this.#o.journal.revoked, ...(loaded.ok && loaded.record ? { journal: loaded.record } : {}) });
	}

	/** The button driver recognised a triple press: a fresh random event id for a new event. */
	triplePress(): void {
		const bytes = this.#o.entropy.fill(new Uint8Array(16));
		let eventId = "";
		for (const byte of bytes) eventId += (byte < 16 ? "0" : "") + byte.toString(16);
		this.dispatch({ type: "triplePress", now: this.#o.clock.now(), eventId });
	}

	/** A test event (account association, issue 12): a fresh random id, `reason: "test"`. */
	testPress(): void {
		const bytes = this.#o.entropy.fill(new Uint8Array(16));
		let eventId = "";
		for (const byte of bytes) eventId += (byte < 16 ? "0" : "") + byte.toString(16);
		this.dispatch({ type: "testPress", now: this.#o.clock.now(), eventId });
	}

	/** Stops: every timer cancelled, later events (late results of work in flight) ignored. */
	close(): void {
		this.#closed = true;
		for (const timer of [...this.#timers.keys()]) this.#cancel(timer);
		this.#queue = [];
	}

	dispatch(event: SosEvent): void {
		if (this.#closed) return;
		this.#queue.push(event);
		if (this.#busy) return;
		this.#busy = true;
		try {
			for (let next = this.#queue.shift(); next; next = this.#queue.shift()) this.#step(next);
		} finally {
			this.#busy = false;
		}
	}

	#step(event: SosEvent): void {
		const from = this.#state;
		const result = transition(from, event, this.#config);
		if (!result.handled) {
			this.#o.log(`sos: ${from.name} ignores ${event.type}`);
			return;
		}
		this.#state = result.state;
		this.#o.log(`sos: ${from.name} -> ${result.state.name} (${describe(event)})`);
		this.#o.onTransition?.(from, result.state, event);
		// Before the effects: `sleep` does not return on the device.
		const ended = from.context.eventId;
		if (ended && from.name.startsWith("active.") && !result.state.name.startsWith("active.")) this.#o.platform.eventEnded?.(ended);
		for (const effect of result.effects) this.#perform(effect);
	}

	#now(): number {
		return this.#o.clock.now();
	}

	#perform(effect: SosEffect): void {
		const o = this.#o;
		switch (effect.type) {
			case "indicate":
				o.indicator.show(effect.pattern);
				return;
			case "journal.save":
				o.journal.save(effect.record);
				return;
			case "journal.clear":
				o.journal.clear();
				return;
			case "markRevoked":
				o.journal.markRevoked();
				return;
			case "timer.start": {
				this.#cancel(effect.timer);
				const timer = effect.timer;
				this.#timers.set(timer, o.clock.set(() => {
					this.#timers.delete(timer);
					this.dispatch({ type: "timer", now: this.#now(), timer });
				}, effect.ms));
				return;
			}
			case "timer.cancel":
				this.#cancel(effect.timer);
				return;
			case "radio.prepare":
				// Nothing waits on it: a failure shows again, and is handled, when radio.wake or powerDown follows.
				o.radio.prepare().then(
					(r) => { if (!r.ok) o.log(`sos: modem prepare failed: ${r.reason}`); },
					(error: unknown) => o.log(`sos: port failed: ${error instanceof Error ? error.message : String(error)}`),
				);
				return;
			case "radio.wake":
				this.#settle(o.radio.wake(), (r) =>
					r.ok ? { type: "modemReady", now: this.#now() } : { type: "modemFailed", now: this.#now(), reason: r.reason });
				return;
			case "radio.powerDown":
				this.#settle(o.radio.powerDown().then(() => undefined), () => ({ type: "radiosOff", now: this.#now() }));
				return;
			case "platform.openEvent":
				this.#settle(o.platform.openEvent(effect.eventId, effect.resumed, effect.test === true), (r) => this.#reply(r, "alert"));
				return;
			case "gnss.acquire":
				this.#settle(o.gnss.acquire(), (r) =>
					r.ok ? { type: "fixObtained", now: this.#now(), fix: r.fix } : { type: "fixTimedOut", now: this.#now() });
				return;
			case "platform.sendLocation":
				this.#settle(o.platform.sendLocation(effect.eventId, effect.fix), (r) => this.#reply(r, "location"));
				return;
			case "platform.closeEvent":
				this.#settle(o.platform.closeEvent(effect.eventId, effect.reason), (r) =>
					r.ok ? { type: "closeDelivered", now: this.#now() } : { type: "closeFailed", now: this.#now(), reason: r.reason });
				return;
			case "sleep":
				for (const timer of [...this.#timers.keys()]) this.#cancel(timer);
				o.sleep();
				return;
		}
	}

	#reply(reply: PlatformReply, step: "alert" | "location"): SosEvent {
		const now = this.#now();
		if (!reply.ok)
			return step === "alert"
				? { type: "alertRejected", now, reason: reply.reason, retryable: reply.retryable }
				: { type: "locationFailed", now, reason: reply.reason };
		if (reply.state === "revoked") return { type: "revoked", now };
		if (reply.state === "suspended") return { type: "suspended", now };
		if (reply.state === "closed") return { type: "platformClosed", now };
		const interval = reply.intervalMs !== undefined ? { intervalMs: reply.intervalMs } : {};
		return step === "alert" ? { type: "alertAcknowledged", now, ...interval } : { type: "locationDelivered", now, ...interval };
	}

	/** Feeds an async result back as an event; a port that breaks its promise is reported, not thrown. */
	#settle<T>(work: Promise<T>, toEvent: (value: T) => SosEvent): void {
		work.then(
			(value) => this.dispatch(toEvent(value)),
			(error: unknown) => {
				this.#o.log(`sos: port failed: ${error instanceof Error ? error.message : String(error)}`);
				this.dispatch({ type: "modemFailed", now: this.#now(), reason: "port error" });
			},
		);
	}

	#cancel(timer: SosTimer): void {
		const handle = this.#timers.get(timer);
		if (handle !== undefined) this.#o.clock.clear(handle);
		this.#timers.delete(timer);
	}
}

function describe(event: SosEvent): string {
	if (event.type === "timer") return `timer ${event.timer}`;
	if ("reason" in event && typeof event.reason === "string") return `${event.type}: ${event.reason}`;
	return event.type;
}
