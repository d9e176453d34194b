/**
 * What `npm start` says about each emergency event of a session, and what `--report` writes: one record per event,
 * with figures of that event only. The world's counters (tools/sim/world `metrics`: radio-on time, bytes on the
 * wire) run for the whole session, so each event's figures are the difference from where they stood when the
 * previous event was complete (issue 8.7: a second event reported both events' totals as its own).
 */

/** The session-wide counters an event's figures are differences of. */
export interface Counters {
	readonly radioOnMs: number;
	readonly wireSent: number;
	readonly wireReceived: number;
	readonly dormantWireBytes: number;
	readonly cellReports: number;
}

export interface EventRecord {
	/** The platform's event id (undefined until the platform accepted the alert). */
	eventId: string | undefined;
	alertAccepted: boolean;
	/** From the down edge of the third press of the triple press to the platform accepting the alert. */
	alertLatencyMs: number | undefined;
	/** From the triple press recognised (the firmware's quiet window over) to the platform accepting the alert. */
	afterTripleMs: number | undefined;
	pointsDelivered: number;
	cellReports: number;
	contactNotifications: number;
	closedBy: string | undefined;
	/** The device was back in deep sleep (dormant) when the event was complete. */
	dormantAtEnd: boolean;
	radioOnMs: number;
	wireSent: number;
	wireReceived: number;
	dormantWireBytes: number;
}

const zero: Counters = Object.freeze({ radioOnMs: 0, wireSent: 0, wireReceived: 0, dormantWireBytes: 0, cellReports: 0 });

export default class EventLedger {
	readonly events: EventRecord[] = [];
	#base: Counters = zero;
	#downs: number[] = [];
	#thirdPressAt: number | undefined;
	#tripleAt: number | undefined;
	#current: EventRecord | undefined;

	/** The event in progress (from the triple press until it is complete). */
	get current(): EventRecord | undefined {
		return this.#current;
	}

	/** A button press (down edge) at `at`. */
	press(at: number): void {
		this.#downs.push(at);
		if (this.#downs.length > 8) this.#downs.shift();
	}

	/** The firmware recognised a triple press: its third press is the last down edge before now. */
	triple(at: number): void {
		this.#tripleAt = at;
		this.#thirdPressAt = this.#downs.at(-1);
		this.#downs = [];
		this.#current ??= this.#fresh();
	}

	/** The platform accepted the alert (opened the event). */
	opened(eventId: string, at: number): EventRecord {
		const e = (this.#current ??= this.#fresh());
		e.eventId = eventId;
		e.alertAccepted = true;
		e.alertLatencyMs = this.#thirdPressAt !== undefined ? at - this.#thirdPressAt : undefined;
		e.afterTripleMs = this.#tripleAt !== undefined ? at - this.#tripleAt : undefined;
		e.closedBy = undefined;
		return e;
	}

	notified(): void {
		if (this.#current) this.#current.contactNotifications++;
	}

	closed(by: string): void {
		if (this.#current) this.#current.closedBy = by;
	}

	/**
	 * The event is over and the device asleep: fixes its figures as the difference of the session counters from the
	 * last complete event, and starts a new baseline.
	 */
	complete(counters: Counters, pointsDelivered: number, dormant: boolean): EventRecord {
		const e = this.#current ?? this.#fresh();
		e.pointsDelivered = pointsDelivered;
		e.dormantAtEnd = dormant;
		e.radioOnMs = counters.radioOnMs - this.#base.radioOnMs;
		e.wireSent = counters.wireSent - this.#base.wireSent;
		e.wireReceived = counters.wireReceived - this.#base.wireReceived;
		e.dormantWireBytes = counters.dormantWireBytes - this.#base.dormantWireBytes;
		e.cellReports = counters.cellReports - this.#base.cellReports;
		this.#base = { ...counters };
		this.events.push(e);
		this.#current = undefined;
		this.#thirdPressAt = undefined;
		this.#tripleAt = undefined;
		return e;
	}

	#fresh(): EventRecord {
		return {
			eventId: undefined, alertAccepted: false, alertLatencyMs: undefined, afterTripleMs: undefined, pointsDelivered: 0,
			cellReports: 0, contactNotifications: 0, closedBy: undefined, dormantAtEnd: false,
			radioOnMs: 0, wireSent: 0, wireReceived: 0, dormantWireBytes: 0,
		};
	}
}

/**
 * Timestamps for lines printed in order: never earlier than the last one printed. Some lines describe something
 * that began earlier (an AT summary group is stamped with its first exchange, the closing summary with the moment
 * the device fell asleep); printed after later lines, their own time would step backwards (issue 8.7).
 */
export class MonotonicStamp {
	#last = 0;

	at(ms: number): number {
		if (ms > this.#last) this.#last = ms;
		return this.#last;
	}
}
