import type { Store, StoredValue } from "hal/store";
import type { CloseReason, JournalRecord } from "modules/sos/messages";

/**
 * The event journal: the part of an emergency event that must survive a reboot or brownout, kept in the
 * persistent store (NVS through Moddable's Preference on the device). Each `set` is one flash write, so only
 * changed fields are written. The event id is written last and deleted first: a record without an id is no
 * record, so a brownout in the middle of a save or a clear never leaves a half-valid event behind.
 */
const Key = Object.freeze({
	id: "ev_id",
	phase: "ev_phase",
	flags: "ev_flags",
	elapsed: "ev_elapsed",
	points: "ev_points",
	close: "ev_close",
	revoked: "revoked",
});

const phases: ReadonlyArray<JournalRecord["phase"]> = ["activating", "alerting", "streaming", "closing"];
const closeReasons: ReadonlyArray<CloseReason> = ["platform", "device", "max-duration", "refused", "suspended"];
const FlagAlertDelivered = 1;

export type JournalLoad =
	| { readonly ok: true; readonly record?: JournalRecord }
	| { readonly ok: false; readonly reason: string };

export default class Journal {
	#store: Store;
	#written = new Map<string, StoredValue>();
	/** Flash writes performed, for the energy and wear figures. */
	writes = 0;

	constructor(store: Store) {
		if (!store) throw new RangeError("invalid store");
		this.#store = store;
	}

	/** Reads the record of an event in progress. A damaged record is reported, not guessed at. */
	load(): JournalLoad {
		const id = this.#store.get(Key.id);
		if (id === undefined) return { ok: true };
		const phase = this.#store.get(Key.phase);
		const flags = this.#store.get(Key.flags);
		const elapsed = this.#store.get(Key.elapsed);
		const points = this.#store.get(Key.points);
		const close = this.#store.get(Key.close);
		if (typeof id !== "string" || !/^[0-9a-f]{32}$/.test(id)) return { ok: false, reason: "event id is not 32 hex digits" };
		if (typeof phase !== "string" || !phases.includes(phase as JournalRecord["phase"])) return { ok: false, reason: `unknown phase` };
		if (typeof flags !== "number" || typeof elapsed !== "number" || typeof points !== "number" || elapsed < 0 || points < 0)
			return { ok: false, reason: "counters missing or negative" };
		if (close !== undefined && (typeof close !== "string" || !closeReasons.includes(close as CloseReason)))
			return { ok: false, reason: "unknown close reason" };
		for (const [key, value] of [[Key.id, id], [Key.phase, phase], [Key.flags, flags], [Key.elapsed, elapsed], [Key.points, points]] as const)
			this.#written.set(key, value);
		if (close !== undefined) this.#written.set(Key.close, close);
		return {
			ok: true,
			record: {
				eventId: id,
				phase: phase as JournalRecord["phase"],
				alertDelivered: (flags & FlagAlertDelivered) !== 0,
				elapsedMs: elapsed,
				pointsDelivered: points,
				...(close !== undefined ? { closeReason: close as CloseReason } : {}),
			},
		};
	}

	save(record: JournalRecord): void {
		if (!/^[0-9a-f]{32}$/.test(record.eventId)) throw new RangeError("invalid event id");
		this.#put(Key.phase, record.phase);
		this.#put(Key.flags, record.alertDelivered ? FlagAlertDelivered : 0);
		this.#put(Key.elapsed, Math.min(0x7fffffff, Math.round(record.elapsedMs)));
		this.#put(Key.points, Math.min(0x7fffffff, record.pointsDelivered));
		if (record.closeReason) this.#put(Key.close, record.closeReason);
		else this.#remove(Key.close);
		this.#put(Key.id, record.eventId);
	}

	clear(): void {
		this.#remove(Key.id);
		for (const key of [Key.phase, Key.flags, Key.elapsed, Key.points, Key.close]) this.#remove(key);
	}

	get revoked(): boolean {
		return this.#store.get(Key.revoked) === true;
	}

	markRevoked(): void {
		this.#put(Key.revoked, true);
	}

	#put(key: string, value: StoredValue): void {
		if (this.#written.get(key) === value) return;
		this.#store.set(key, value);
		this.#written.set(key, value);
		this.writes++;
	}

	#remove(key: string): void {
		if (!this.#written.has(key) && this.#store.get(key) === undefined) return;
		this.#store.delete(key);
		this.#written.delete(key);
		this.writes++;
	}
}
